"""Carried-over initiatives keep dates in the new cycle (issue 18, item 10): the review
proposes them moved into the next cycle, the manager may change them, and the carried
initiative keeps both."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cycles.models import InitiativeReview
from cycles.review import carried_dates, cycle_start_next, review_open
from initiatives.models import Initiative
from initiatives.services import initiative_save, plan_defaults_ensure
from programs.models import Cycle

pytestmark = pytest.mark.django_db

D = datetime.date


def test_dates_are_moved_into_the_next_cycle():
    nxt = {"next_starts_on": D(2027, 1, 1), "next_ends_on": D(2027, 3, 31)}
    # Ran over: started and ended before the next cycle; as long again (60 days) from its start.
    assert carried_dates(starts_on=D(2026, 10, 1), ends_on=D(2026, 11, 30), **nxt) == (
        D(2027, 1, 1),
        D(2027, 3, 2),
    )
    # Still to end: keeps its end.
    assert carried_dates(starts_on=D(2026, 12, 1), ends_on=D(2027, 2, 1), **nxt) == (
        D(2027, 1, 1),
        D(2027, 2, 1),
    )
    # Open-ended: runs with the cycle.
    assert carried_dates(starts_on=D(2026, 9, 1), ends_on=None, **nxt) == (
        D(2027, 1, 1),
        D(2027, 3, 31),
    )
    # Longer than the cycle: ends with it.
    assert carried_dates(starts_on=D(2026, 1, 1), ends_on=D(2026, 12, 1), **nxt)[1] == D(
        2027, 3, 31
    )


@pytest.fixture
def cycle(world):
    cycle = world.program.cycles.get()
    start = timezone.localdate() - datetime.timedelta(days=60)
    Cycle.objects.filter(pk=cycle.pk).update(
        starts_on=start, ends_on=start + datetime.timedelta(days=91)
    )
    cycle.refresh_from_db()
    plan_defaults_ensure(organization=world.acme)
    initiative_save(
        cycle=cycle,
        by=world.user("manager"),
        name="Welcome e-mails",
        owner_department=world.acme.departments.first(),
        starts_on=start + datetime.timedelta(days=5),
        ends_on=start + datetime.timedelta(days=35),  # ran over, 30 days long
        status="planned",
    )
    return cycle


def test_the_review_proposes_the_dates_and_carrying_over_keeps_what_was_saved(
    world, as_user, cycle
):
    client = as_user("manager")
    url = reverse("cycles:review", kwargs={"pk": world.program.pk})
    body = client.get(url).content.decode()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    proposed_end = tomorrow + datetime.timedelta(days=30)
    assert f'value="{tomorrow.isoformat()}"' in body  # moved into the next cycle
    assert f'value="{proposed_end.isoformat()}"' in body
    assert not InitiativeReview.objects.exists()  # the page wrote nothing
    k, i = world.kpi.pk, Initiative.objects.get(cycle=cycle).pk
    data = {
        f"kpi-{k}-decision": "keep",
        f"initiative-{i}-outcome": "not_finished",
        f"initiative-{i}-decision": "continue",
        f"initiative-{i}-next_starts_on": (tomorrow + datetime.timedelta(days=7)).isoformat(),
        f"initiative-{i}-next_ends_on": tomorrow.isoformat(),
        "what_worked": "x",
        "what_did_not": "",
        "lessons": "",
    }
    response = client.post(url, data)
    assert response.status_code == 422 and "It cannot end before it starts." in (
        response.content.decode()
    )
    data[f"initiative-{i}-next_ends_on"] = (tomorrow + datetime.timedelta(days=50)).isoformat()
    assert client.post(url, data).status_code == 302
    following = cycle_start_next(cycle=cycle, by=world.user("manager"))
    carried = Initiative.objects.get(cycle=following)
    assert (carried.starts_on, carried.ends_on) == (
        tomorrow + datetime.timedelta(days=7),
        tomorrow + datetime.timedelta(days=50),
    )


def test_a_review_saved_without_dates_carries_them_moved_into_the_new_cycle(world, cycle):
    from tests.cycles.test_review import save

    save(review_open(cycle=cycle), world)
    following = cycle_start_next(cycle=cycle, by=world.user("manager"))
    carried = Initiative.objects.get(cycle=following)
    assert carried.starts_on == following.starts_on
    assert carried.ends_on == following.starts_on + datetime.timedelta(days=30)
