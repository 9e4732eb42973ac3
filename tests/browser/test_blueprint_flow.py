"""A team member builds a two-stage blueprint and sees propensity beat first match."""

import pytest
from playwright.sync_api import expect

from kpis.services import attribute_save
from tests.browser.test_program_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def add_offer(page, stage_name, name, propensity, value, condition=None):
    stage = (
        page.get_by_test_id("stages")
        .locator("section")
        .filter(has=page.get_by_role("heading", name=stage_name))
    )
    stage.get_by_role("link", name="Add offer").click()
    form = page.get_by_test_id("offer-form")
    form.get_by_label("Name").fill(name)
    form.get_by_label("Propensity").fill(propensity)
    form.get_by_label("Value to the business").fill(value)
    form.get_by_role("button", name="Save offer").click()
    if condition:
        offer = page.get_by_test_id("offer").filter(has_text=name)
        offer.get_by_placeholder("e.g. visitor type is returning").fill(condition)
        offer.get_by_role("button", name="Add", exact=True).click()
        expect(page.get_by_test_id("offer").filter(has_text=name)).to_contain_text(
            "Visitor type is returning"
        )


def test_team_member_builds_a_blueprint_and_simulates_a_returning_visitor(live_server, page, world):
    attribute_save(
        organization=world.acme,
        key="visitor_type",
        label="Visitor type",
        type="category",
        allowed_values=["new", "returning"],
    )
    log_in(page, live_server.url, "tom")
    page.goto(f"{live_server.url}/programs/{world.program.pk}/how-do-we-get-there/blueprints/")
    form = page.get_by_test_id("blueprint-form")
    form.get_by_label("Name").fill("Web shop")
    form.get_by_role("button", name="Create blueprint").click()

    # Two stages: drop the last three of the defaults.
    for stage in ("Loyalty", "Service", "Purchase"):
        page.once("dialog", lambda dialog: dialog.accept())
        page.get_by_role("button", name=f"Delete {stage}").click()
        expect(page.get_by_role("heading", name=stage)).to_have_count(0)

    add_offer(page, "Discover", "Welcome hero", "0.03", "40")
    add_offer(page, "Consider", "Bestsellers", "0.02", "40")
    add_offer(
        page, "Consider", "Pick up where you left off", "0.06", "45", "visitor type is returning"
    )

    page.get_by_role("link", name="Decision simulator").click()
    page.get_by_label("Visitor type").select_option("returning")
    page.get_by_role("button", name="Decide").click()

    consider = page.get_by_test_id("stage-decision").filter(has_text="Consider")
    expect(consider.get_by_test_id("chosen")).to_have_text("Pick up where you left off")
    expect(consider.get_by_test_id("first-match")).to_contain_text(
        "First match would have shown “Bestsellers”"
    )
    expect(
        page.get_by_test_id("stage-decision").filter(has_text="Discover").get_by_test_id("chosen")
    ).to_have_text("Welcome hero")
