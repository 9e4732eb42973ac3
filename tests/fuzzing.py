"""Helpers of the Hypothesis tests that feed importers bad files."""

from contextlib import contextmanager

import hypothesis
from django.db import transaction
from hypothesis.control import currently_in_test_context


@contextmanager
def rolled_back():
    """Each generated example starts from the fixture's data."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def event(value: str, payload: str = "") -> None:
    """Hypothesis's statistics, when under Hypothesis (the helpers serve plain tests too)."""
    if currently_in_test_context():
        hypothesis.event(value, ascii(payload))  # the statistics take no lone surrogate
