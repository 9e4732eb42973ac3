"""The demo executive reads the dashboard, filters it to one segment, saves that view and
opens it again later."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.test_program_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_executive_filters_the_dashboard_saves_the_view_and_reopens_it(live_server, page, demo):
    errors = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    log_in(page, live_server.url, "executive")
    page.get_by_role("link", name="Web shop").click()
    page.get_by_role("link", name="Dashboard", exact=True).click()

    cards = page.get_by_test_id("kpi-card")
    expect(cards).to_have_count(4)
    expect(page.get_by_test_id("status-summary")).to_contain_text("1 at risk")
    expect(page.get_by_test_id("card-lift").first).to_contain_text("Personalized converts")
    expect(page.get_by_test_id("changes")).to_contain_text("Bounce rate")
    expect(page.get_by_test_id("progress-chart")).to_be_visible()  # loaded by htmx
    expect(page.get_by_test_id("progress-chart").locator(".main-svg").first).to_be_visible()
    expect(page.get_by_test_id("roi-realized")).to_be_visible()

    page.get_by_label("Segment").select_option(label="Loyal customers")
    loyal = demo.organization.segments.get(name="Loyal customers")
    expect(page).to_have_url(re.compile(rf"/dashboard/\?segment={loyal.pk}&"))  # in the URL
    expect(page.get_by_text("Values and trends for Loyal customers")).to_be_visible()
    expect(cards).to_have_count(3)

    page.get_by_label("Name this view").fill("Loyal customers")
    page.get_by_role("button", name="Save view").click()
    expect(page.get_by_text("View “Loyal customers” saved.")).to_be_visible()

    # Later: back to the plain dashboard, then the saved view from the menu.
    page.goto(f"{live_server.url}/programs/{demo.pk}/dashboard/")
    expect(cards).to_have_count(4)
    page.get_by_test_id("saved-filters").click()
    page.get_by_role("link", name="Loyal customers", exact=True).click()
    expect(page.get_by_text("Values and trends for Loyal customers")).to_be_visible()
    expect(cards).to_have_count(3)
    expect(page.get_by_label("Segment")).to_have_value(str(loyal.pk))
    # The Content-Security-Policy let everything the page needs run.
    assert not [e for e in errors if "Content Security Policy" in e], errors


def test_on_a_phone_the_first_kpi_card_is_on_the_first_screen(live_server, page, demo):
    """Issue 18, item 18: on a phone the filters took the whole first screen above the KPI
    cards. They fold under a summary that says the current filter in words."""
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, "executive")
    page.goto(f"{live_server.url}/programs/{demo.pk}/dashboard/?period=28")
    card = page.get_by_test_id("kpi-card").first
    expect(card).to_be_visible()
    box = card.bounding_box()
    # All of it, not just its top edge peeking in: its name, status and value.
    assert box["y"] < 844 and box["y"] + box["height"] < 844, box
    panel = page.get_by_test_id("filter-panel")
    expect(panel).to_contain_text("Filter and save this view")
    expect(panel).to_contain_text("All traffic · Every goal · 4 weeks")
    expect(page.get_by_label("Segment")).to_be_hidden()
    page.get_by_text("Filter and save this view").click()
    page.get_by_label("Segment").select_option(label="Loyal customers")
    expect(page.get_by_text("Values and trends for Loyal customers")).to_be_visible()
    expect(panel).to_contain_text("Loyal customers · Every goal · 4 weeks")
    expect(page.get_by_label("Name this view")).to_be_visible()  # still open while filtering


def test_on_a_wide_screen_the_filters_are_open(live_server, page, demo):
    page.set_viewport_size({"width": 1280, "height": 900})
    log_in(page, live_server.url, "executive")
    page.goto(f"{live_server.url}/programs/{demo.pk}/dashboard/")
    expect(page.get_by_label("Segment")).to_be_visible()
    expect(page.get_by_role("button", name="Save view")).to_be_visible()
