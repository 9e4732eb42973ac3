"""Issue 18, item 9: a card said "Behind" beside "reaches target Jan 2027", before its Feb
target date. One rule decides both, and the dashboard card and the KPI page say which."""

import datetime

import pytest
from django.urls import reverse

from kpis.models import Kpi
from progress.snapshots import progress_refresh
from tests.conftest import shown
from tests.results.test_results import push, token  # noqa: F401 (fixture)

pytestmark = pytest.mark.django_db

TODAY = datetime.date.today()


def load_rising(world, token, last_value, slope, days=28):  # noqa: F811
    # Baseline 2.0 sixty days ago, target 2.4 in 120 days: a third of the way is expected.
    Kpi.objects.filter(pk=world.kpi.pk).update(
        baseline_date=TODAY - datetime.timedelta(days=60),
        target_date=TODAY + datetime.timedelta(days=120),
    )
    items = [
        {
            "kpi": "Conversion rate",
            "period": (TODAY - datetime.timedelta(days=n)).isoformat(),
            "value": round(last_value - slope * (n - 1), 4),
        }
        for n in range(1, days + 1)
    ]
    assert push(token, items).status_code == 200
    progress_refresh(cycle=world.program.cycles.get())


def text(page) -> str:
    """A response's words, or a page's as shown, spaces folded."""
    if not isinstance(page, str):
        assert page.status_code == 200
        page = page.content.decode()
    return " ".join(page.split())


def test_behind_the_straight_line_but_reaching_the_target_in_time_reads_on_track(
    world,
    token,  # noqa: F811
    as_user,
):
    # The last week averages 2.115: 86% of the expected way, which the pace called
    # "Behind"; the line of +0.005 a day reaches 2.4 in 54 days, before the target date.
    load_rising(world, token, 2.13, 0.005)
    client = as_user("executive")
    target = (TODAY + datetime.timedelta(days=120)).strftime("%-d %b %Y")
    reached = TODAY - datetime.timedelta(days=1) + datetime.timedelta(days=54)
    card = text(client.get(reverse("progress:dashboard", kwargs={"pk": world.program.pk})))
    assert "Behind" not in card
    assert f"reaches target {reached.strftime('%b %Y')}, by the target date {target}" in card
    page = text(
        shown(client, reverse("kpis:kpi", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk}))
    )
    assert ">On track<" in page
    assert f"the target is reached on {reached.strftime('%-d %b %Y')}, by the target date" in page
    assert "The status follows this projection" in page


def test_a_flat_trend_says_its_status_comes_from_the_pace(world, token, as_user):  # noqa: F811
    load_rising(world, token, 2.05, 0.0)
    client = as_user("executive")
    card = text(client.get(reverse("progress:dashboard", kwargs={"pk": world.program.pk})))
    assert "not at this pace; status by pace (33% of the way expected by today)" in card
    page = text(
        shown(client, reverse("kpis:kpi", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk}))
    )
    assert "so the status follows the pace" in page
