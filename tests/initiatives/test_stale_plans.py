"""Issue 18, item 11: an initiative whose end date has passed while it is still Planned or
In progress is flagged; collisions between initiatives that are both over are not open."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from initiatives import selectors
from initiatives.services import plan_defaults_ensure
from tests.initiatives.test_plan import make, url

pytestmark = pytest.mark.django_db

DAY = datetime.timedelta(days=1)


@pytest.fixture
def plan(world):
    plan_defaults_ensure(organization=world.acme)
    world.website = world.acme.channels.get(name="Website")
    world.email = world.acme.channels.get(name="E-mail")
    world.marketing = world.acme.departments.get(name="Marketing")
    return world


def test_an_initiative_ended_yesterday_and_still_planned_is_flagged_overdue(plan, as_user):
    today = timezone.localdate()
    make(plan, "Old hero", today - 30 * DAY, today - DAY, [plan.website], status="planned")
    make(plan, "Running", today - 30 * DAY, today + 30 * DAY, [plan.email], status="in_progress")
    make(plan, "Finished", today - 30 * DAY, today - DAY, [plan.email], status="done")
    client = as_user("team")
    for page in ("map", "backlog"):
        body = client.get(url(page, plan)).content.decode()
        assert body.count('data-testid="overdue"') == 1, page
        assert "Overdue" in body
        yesterday = (today - DAY).strftime("%-d %b %Y")
        assert f"ended {yesterday}, still Planned" in body, page


def test_collisions_of_initiatives_both_over_are_not_open(plan, as_user):
    today = timezone.localdate()
    cycle = plan.program.cycles.get()
    make(plan, "Hero", today - 40 * DAY, today - 10 * DAY, [plan.website], status="in_progress")
    make(plan, "Banner", today - 30 * DAY, today - 2 * DAY, [plan.website], status="planned")
    client = as_user("team")
    # Nothing else is missing from question 3 but this collision: no gap, no KPI without
    # an initiative.
    cycle.gaps.all().delete()
    plan.kpi.delete()

    assert selectors.open_collision_count(cycle=cycle) == 0
    shown = selectors.collisions(cycle=cycle, initiatives=selectors.initiative_list(cycle=cycle))
    assert len(shown) == 1 and shown[0].over  # still listed, as history

    map_page = client.get(url("map", plan)).content.decode()
    assert 'data-testid="collision-over"' in map_page
    assert "Both have ended" in map_page
    assert "Why it is acceptable" not in map_page  # nothing left to accept
    assert "ff-colliding" not in map_page

    backlog = client.get(url("backlog", plan)).content.decode()
    assert "Resolve or accept" not in backlog
    assert 'data-testid="completeness">100%<' in backlog
    home = client.get(reverse("cycles:program_home", kwargs={"pk": plan.program.pk}))
    assert 'data-testid="collision-count">1 collision<' not in home.content.decode()


def test_a_collision_with_one_initiative_still_running_stays_open(plan):
    today = timezone.localdate()
    cycle = plan.program.cycles.get()
    make(plan, "Hero", today - 40 * DAY, today - 10 * DAY, [plan.website], status="in_progress")
    make(plan, "Banner", today - 30 * DAY, None, [plan.website], status="in_progress")
    assert selectors.open_collision_count(cycle=cycle) == 1
    assert "Resolve or accept 1 collision" in selectors.completeness(cycle=cycle).missing
