"""The executive dashboard's filters, saved views, "what changed", its chart fragment, the
organization portfolio and each person's e-mail settings."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kpis.services import goal_save, kpi_save
from progress.models import DashboardVisit, SavedFilter
from progress.snapshots import progress_refresh
from results.models import Pull
from tests.progress.test_snapshots import daily, push

pytestmark = pytest.mark.django_db


def dashboard(world, query=""):
    return reverse("progress:dashboard", kwargs={"pk": world.program.pk}) + query


@pytest.fixture
def second_goal(world):
    """A goal with a KPI that neither targets the world's segment nor has results for it."""
    goal = goal_save(cycle=world.program.cycles.get(), by=world.user("manager"), title="Keep them")
    kpi = kpi_save(
        goal=goal,
        by=world.user("manager"),
        name="Repeat-purchase rate",
        unit="percent",
        direction="higher",
        baseline=Decimal("20"),
        baseline_date=world.program.cycles.get().starts_on,
        target=Decimal("25"),
        target_date=world.program.cycles.get().ends_on,
    )
    push(world, daily("Repeat-purchase rate", [21 + n / 10 for n in range(100)]))
    return goal, kpi


def test_filtering_to_a_segment_shows_its_values_and_only_its_kpis(world, as_user, second_goal):
    push(world, daily("Conversion rate", [2.2] * 30))
    push(world, daily("Conversion rate", [3.4] * 30, segment="Returning visitors"))
    body = as_user("executive").get(dashboard(world, f"?segment={world.segment.pk}")).content
    body = body.decode()
    assert body.count('data-testid="kpi-card"') == 1
    assert "3.4%" in body and "Repeat-purchase rate" not in body
    assert "Values and trends for Returning visitors" in body


def test_filtering_to_a_goal_and_a_period(world, as_user, second_goal):
    goal, _kpi = second_goal
    client = as_user("executive")
    body = client.get(dashboard(world, f"?goal={goal.pk}&period=28")).content.decode()
    assert body.count('data-testid="kpi-card"') == 1 and "Repeat-purchase rate" in body
    # 28 days of a line rising 0.1 a day: +2.7 points over the period.
    assert "+2.7 pts over 4 weeks" in body
    body = client.get(dashboard(world, f"?goal={goal.pk}")).content.decode()
    assert "+9 pts over 13 weeks" in body


def test_a_wrong_filter_is_named_and_the_default_shown(world, as_user):
    body = as_user("executive").get(dashboard(world, "?segment=999999&period=7")).content
    body = body.decode()
    assert 'data-testid="filter-errors"' in body and "Showing the default instead" in body
    assert body.count('data-testid="kpi-card"') == 1


def test_an_htmx_filter_request_gets_only_the_cards(world, as_user):
    response = as_user("executive").get(
        dashboard(world, f"?segment={world.segment.pk}"), headers={"HX-Request": "true"}
    )
    body = response.content.decode()
    assert body.startswith('\n<div id="dashboard-body">') or body.lstrip().startswith(
        '<div id="dashboard-body">'
    )
    assert "<html" not in body and 'data-testid="changes"' not in body


def test_an_executive_saves_a_view_and_reopens_it(world, as_user):
    client = as_user("executive")
    response = client.post(
        reverse("progress:dashboard_filter_save", kwargs={"pk": world.program.pk}),
        {"name": "Returning, 4 weeks", "segment": world.segment.pk, "period": "28"},
    )
    saved = SavedFilter.objects.get()
    assert saved.query == f"segment={world.segment.pk}&period=28"
    assert response["Location"] == dashboard(world, f"?{saved.query}")
    body = client.get(dashboard(world)).content.decode()
    assert "Returning, 4 weeks" in body and f'?segment={world.segment.pk}&amp;period=28"' in body
    # Nobody else sees it, or can remove it.
    assert "Returning, 4 weeks" not in as_user("manager").get(dashboard(world)).content.decode()
    delete = reverse(
        "progress:dashboard_filter_delete", kwargs={"pk": world.program.pk, "filter_pk": saved.pk}
    )
    assert as_user("manager").post(delete).status_code == 404
    assert client.post(delete).status_code == 302
    assert not SavedFilter.objects.exists()


def test_a_view_name_is_needed_and_unique(world, as_user):
    client = as_user("executive")
    url = reverse("progress:dashboard_filter_save", kwargs={"pk": world.program.pk})
    client.post(url, {"name": "Mine", "period": "28"})
    response = client.post(url, {"name": "mine", "period": "365"}, follow=True)
    assert "You already have a saved filter with this name." in response.content.decode()
    response = client.post(url, {"name": "  ", "period": "365"}, follow=True)
    assert "Give the view a name" in response.content.decode()
    assert list(SavedFilter.objects.values_list("query", flat=True)) == ["period=28"]


def visit(client, url: str) -> str:
    """Open the dashboard as a browser does: the page, then the visit it records once loaded."""
    body = client.get(url).content.decode()
    seen = re.search(r'hx-post="([^"]+)"[^>]*data-testid="dashboard-seen"', body).group(1)
    assert client.post(seen).status_code == 204
    return body


def test_what_changed_since_the_last_visit(world, as_user):
    client = as_user("executive")
    cycle = world.program.cycles.get()
    cycle.starts_on = timezone.localdate() - datetime.timedelta(days=50)
    cycle.ends_on = timezone.localdate() + datetime.timedelta(days=50)
    cycle.save()
    kpi_save(
        goal=world.goal,
        by=world.user("manager"),
        kpi=world.kpi,
        baseline_date=cycle.starts_on,
        target_date=cycle.ends_on,
    )
    push(world, daily("Conversion rate", [2.25] * 7))
    body = visit(client, dashboard(world))
    assert 'data-testid="changes"' not in body  # a first visit has nothing to compare with

    # The executive comes back five hours later: what happened before stays out.
    hours_ago = timezone.now() - datetime.timedelta(hours=5)
    DashboardVisit.objects.update(seen_at=hours_ago - datetime.timedelta(minutes=1))
    Pull.objects.update(finished_at=hours_ago - datetime.timedelta(minutes=2))
    world.kpi.history.update(history_date=hours_ago - datetime.timedelta(minutes=3))
    push(world, daily("Conversion rate", [2.05] * 7))
    progress_refresh(cycle=cycle)
    kpi_save(goal=world.goal, by=world.user("manager"), kpi=world.kpi, target=Decimal("2.5"))
    body = visit(client, dashboard(world))
    assert 'data-testid="changes"' in body
    assert "1 load of results brought 7 new or changed measurements" in body
    assert body.count('data-testid="status-change"') == 1 and "At risk" in body
    assert "target 2.4 → 2.5" in body and "Mia" in body

    # Reloading within the visit keeps the list; no change is lost by looking twice.
    assert "target 2.4 → 2.5" in visit(client, dashboard(world))


def test_the_progress_chart_is_a_fragment_with_a_bar_per_kpi(world, as_user, second_goal):
    push(world, daily("Conversion rate", [2.2] * 10))
    client = as_user("executive")
    body = client.get(dashboard(world)).content.decode()
    chart_url = reverse("progress:dashboard_chart", kwargs={"pk": world.program.pk})
    assert f'hx-get="{chart_url}"' in body
    fragment = client.get(chart_url, headers={"HX-Request": "true"}).content.decode()
    figure = json.loads(
        fragment.split('id="progress-figure" type="application/json">')[1].split("</script>")[0]
    )
    bars = figure["data"][0]
    assert sorted(bars["y"]) == ["Conversion rate", "Repeat-purchase rate"]
    assert bars["x"][bars["y"].index("Conversion rate")] == pytest.approx(50.0)


def test_the_portfolio_lists_every_program_with_its_statuses(world, as_user):
    from programs.services import program_create

    program_create(organization=world.acme, name="App", by=world.user("manager"))
    push(world, daily("Conversion rate", [2.2] * 10))
    progress_refresh(cycle=world.program.cycles.get())
    body = as_user("executive").get(reverse("progress:portfolio", kwargs={"org": "acme"}))
    body = body.content.decode()
    assert body.count('data-testid="portfolio-row"') == 2
    assert "1 on track" in body and "Globex shop" not in body


def test_the_portfolio_queries_do_not_grow_with_programs(
    world, as_user, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from programs.services import program_create

    client = as_user("executive")
    url = reverse("progress:portfolio", kwargs={"org": "acme"})
    with CaptureQueriesContext(connection) as two:
        client.get(url)
    for n in range(8):
        program_create(organization=world.acme, name=f"Program {n}", by=world.user("manager"))
    with CaptureQueriesContext(connection) as ten:
        client.get(url)
    assert len(ten) == len(two)


def test_everyone_sets_their_own_emails(world, as_user):
    url = reverse("progress:notifications", kwargs={"org": "acme"})
    client = as_user("executive")
    assert 'data-testid="notifications-form"' in client.get(url).content.decode()
    client.post(url, {"alert_emails": "on"})
    world.members["executive"].refresh_from_db()
    assert world.members["executive"].alert_emails and not world.members["executive"].digest_emails
    world.members["manager"].refresh_from_db()
    assert world.members["manager"].digest_emails  # only one's own settings change
