"""Helpers of the Hypothesis tests that feed importers bad files."""

from contextlib import contextmanager

import hypothesis
from django.db import transaction
from hypothesis import strategies as st
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


# Any character, lone surrogates too (JSON escapes them); and some that break things.
any_text = st.one_of(
    st.text(st.characters(exclude_categories=[]), max_size=20),
    st.sampled_from(["\x00", "a\x00", "\ud800", "\udfff", "İ", "\ufeff", "\u2028", " ", "x" * 300]),
)
# Any JSON value, nested a little.
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | any_text,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(any_text, children, max_size=4)
    ),
    max_leaves=12,
)
