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


def readers_answer(program, user) -> None:
    """After an accepted load: run the follow-up work (the progress refresh) and open every
    reader of the results as a member would: each KPI's page and its measurements export
    (CSV), the dashboard and the program's backup (TESTING.md, 3). Each must answer 200."""
    from django.test import Client
    from django.urls import reverse

    from kpis.models import Kpi
    from progress.snapshots import progress_refresh

    cycle = program.cycles.filter(closed_at__isnull=True).first()
    if cycle is not None:
        progress_refresh(cycle=cycle)
    client = Client(raise_request_exception=False)
    client.force_login(user)
    pk = {"pk": program.pk}
    urls = [reverse("progress:dashboard", kwargs=pk), reverse("backups:program_backup", kwargs=pk)]
    kpis = Kpi.objects.filter(goal__cycle__program=program).values_list("pk", flat=True)
    urls.append(reverse("cycles:program_home", kwargs=pk))
    for kpi in kpis:
        urls.append(reverse("kpis:kpi", kwargs={**pk, "kpi_pk": kpi}))
        urls.append(reverse("results:measurements", kwargs={**pk, "kpi_pk": kpi}) + "?format=csv")
    answers = {url: client.get(url).status_code for url in urls}
    assert {url: code for url, code in answers.items() if code != 200} == {}


def pages_answer(user, urls: list[str]) -> None:
    """Each page answers 200 for the member (a failing one is listed with its status)."""
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(user)
    answers = {url: client.get(url).status_code for url in urls}
    assert {url: code for url, code in answers.items() if code != 200} == {}
