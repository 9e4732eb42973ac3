"""A team member plans two website initiatives in overlapping weeks and sees the collision."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_program_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_initiative(page, base, program_pk, name, start, end):
    page.goto(f"{base}/programs/{program_pk}/how-do-we-get-there/initiatives/new/")
    form = page.get_by_test_id("initiative-form")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Status").select_option("planned")
    form.get_by_label("Owner department").select_option(label="E-commerce")
    form.get_by_label("Website").check()
    form.locator("#id_starts_on").fill(start)
    form.locator("#id_ends_on").fill(end)
    form.get_by_role("button", name="Save initiative").click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()


def test_team_member_sees_the_collision_of_two_website_initiatives(live_server, page, world):
    log_in(page, live_server.url, "tom")
    add_initiative(
        page, live_server.url, world.program.pk, "New homepage hero", "2026-12-07", "2026-12-27"
    )
    add_initiative(
        page, live_server.url, world.program.pk, "Free-shipping banner", "2026-12-21", "2027-01-10"
    )

    page.get_by_role("link", name="Initiative map").click()
    matrix = page.get_by_test_id("matrix")
    expect(matrix.locator(".ff-colliding", has_text="New homepage hero")).to_be_visible()
    collision = page.get_by_test_id("collision")
    expect(collision).to_have_count(1)
    expect(collision).to_contain_text("Interference")
    expect(collision).to_contain_text("both change Website 2026-12-21 to 2026-12-27")
    expect(page.get_by_test_id("timeline").locator(".main-svg").first).to_be_visible()

    # Filtering by another channel redraws the map in place and keeps the filter in the URL.
    page.get_by_label("Channel").select_option(label="E-mail")
    expect(page.get_by_test_id("collision")).to_have_count(0)
    expect(page).to_have_url(
        f"{live_server.url}/programs/{world.program.pk}/how-do-we-get-there/map/?department=&channel={world.acme.channels.get(name='E-mail').pk}&status=&kpi="
    )


def test_an_overdue_initiative_is_flagged_until_it_is_marked_done(live_server, page, world):
    """Issue 18, item 11, and item 16's timeline label: walked as a team member would."""
    import datetime

    from django.utils import timezone

    from initiatives.services import initiative_save, plan_defaults_ensure

    plan_defaults_ensure(organization=world.acme)
    cycle = world.program.cycles.get()
    today = timezone.localdate()
    initiative_save(
        cycle=cycle,
        by=world.user("team"),
        name="Old banner",
        owner_department=world.acme.departments.get(name="E-commerce"),
        channels=[world.acme.channels.get(name="Website")],
        starts_on=today - datetime.timedelta(days=30),
        ends_on=today - datetime.timedelta(days=1),
        status="planned",
    )
    log_in(page, live_server.url, "tom")
    page.goto(f"{live_server.url}/programs/{world.program.pk}/how-do-we-get-there/map/")
    stale = page.get_by_test_id("stale-plans")
    expect(stale).to_contain_text("Old banner")
    expect(stale).to_contain_text("still Planned")

    # The timeline's "cycle start" label is above the bars, not drawn over the first one.
    timeline = page.get_by_test_id("timeline")
    label = timeline.locator(".annotation-text", has_text="cycle start").bounding_box()
    bar = timeline.locator(".bars .point path").first.bounding_box()
    assert label["y"] + label["height"] <= bar["y"] + 1, (label, bar)

    stale.get_by_role("link", name="Old banner").click()
    expect(page.get_by_test_id("overdue")).to_be_visible()
    page.get_by_role("link", name="Edit").click()
    page.get_by_test_id("initiative-form").get_by_label("Status").select_option("done")
    page.get_by_role("button", name="Save initiative").click()
    expect(page.get_by_test_id("overdue")).to_have_count(0)
    page.get_by_role("link", name="Initiative map").click()
    expect(page.get_by_test_id("stale-plans")).to_have_count(0)
