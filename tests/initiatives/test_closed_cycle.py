"""Issue 18, item 13 (question 3's pages): the map, backlog and initiatives of a closed
cycle are read-only views, with no form that would be refused on submit."""

import datetime

import pytest
from django.urls import reverse

from cycles.review import cycle_start_next, review_open
from initiatives.services import initiative_save, plan_defaults_ensure
from tests.cycles.test_review import save

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"initiatives:{name}", kwargs={"pk": world.program.pk, **kwargs})


@pytest.fixture
def closed(world):
    plan_defaults_ensure(organization=world.acme)
    cycle = world.program.cycles.get()
    website = world.acme.channels.get(name="Website")
    start = cycle.starts_on
    world.initiatives = [
        initiative_save(
            cycle=cycle,
            by=world.user("team"),
            name=name,
            owner_department=world.acme.departments.first(),
            channels=[website],
            starts_on=start,
            ends_on=start + datetime.timedelta(days=400),
            status="in_progress",
        )
        for name in ("Hero", "Banner")
    ]
    save(review_open(cycle=cycle), world)
    cycle_start_next(cycle=cycle, by=world.user("manager"))
    return world


def test_a_closed_cycle_s_map_and_backlog_are_read_only(closed, as_user):
    client = as_user("team")
    map_page = client.get(url("map", closed) + "?cycle=1").content.decode()
    assert "which is closed: it can be read, not changed" in map_page
    assert 'data-testid="collision"' in map_page  # its collisions stay visible
    assert "Why it is acceptable" not in map_page and ">Accept<" not in map_page

    backlog = client.get(url("backlog", closed) + "?cycle=1").content.decode()
    assert "Hero" in backlog
    assert "New initiative" not in backlog and "Import from CSV" not in backlog
    assert "Left open when cycle 1 closed:" in backlog


def test_a_closed_cycle_s_initiative_opens_no_edit_form(closed, as_user):
    client = as_user("team")
    hero = closed.initiatives[0]
    detail = client.get(url("initiative", closed, initiative_pk=hero.pk)).content.decode()
    assert ">Edit<" not in detail and ">Delete<" not in detail
    assert 'data-testid="pie-form"' not in detail and "Add effect" not in detail
    response = client.get(url("initiative_edit", closed, initiative_pk=hero.pk), follow=True)
    body = response.content.decode()
    assert "Cycle 1 is closed: its initiatives can be read, not changed." in body
    assert 'name="starts_on"' not in body
