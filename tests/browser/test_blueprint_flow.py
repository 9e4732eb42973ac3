"""A team member builds a two-stage blueprint and sees propensity beat first match; types
conditions on a card (a refused one is explained at its field, only that card redrawn);
and simulates a segment's customer with a field changed."""

import pytest
from playwright.sync_api import expect

from blueprints import services
from segments.services import attribute_save, segment_condition_add, segment_save
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
        offer.get_by_label(f"New condition for {name}").fill(condition)
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


def two_offer_blueprint(world):
    """A blueprint with "Bestsellers" and "Pick up where you left off" (returning visitors
    only) in its purchase stage, on a category and a number attribute."""
    team = world.user("team")
    world.visitor = attribute_save(
        organization=world.acme,
        key="visitor_type",
        label="Visitor type",
        type="category",
        allowed_values=["new", "returning"],
    )
    world.cart = attribute_save(
        organization=world.acme,
        key="cart_value",
        label="Cart value",
        type="number",
        allowed_values=[],
    )
    cycle = world.program.cycles.get()
    blueprint = services.blueprint_create(cycle=cycle, name="Web shop", by=team)
    purchase = blueprint.stages.get(name="Purchase")
    services.offer_save(stage=purchase, by=team, name="Bestsellers", propensity="0.02", value="40")
    resume = services.offer_save(
        stage=purchase, by=team, name="Pick up where you left off", propensity="0.06", value="45"
    )
    services.condition_add(offer=resume, sentence="visitor type is returning", by=team)
    return blueprint


def test_a_refused_condition_is_explained_at_its_field_and_the_board_stays(
    live_server, page, world
):
    blueprint = two_offer_blueprint(world)
    log_in(page, live_server.url, "tom")
    page.goto(
        f"{live_server.url}/programs/{world.program.pk}/how-do-we-get-there/blueprints/"
        f"{blueprint.pk}/"
    )
    # Marks that a reload or a redrawn board would wipe out.
    page.evaluate("window.notReloaded = true")
    other = page.get_by_test_id("offer").filter(has_text="Pick up where you left off")
    other.evaluate("card => card.dataset.untouched = 'yes'")
    page.get_by_test_id("coverage").evaluate("grid => grid.dataset.untouched = 'yes'")

    card = page.get_by_test_id("offer").filter(has_text="Bestsellers")
    field = card.get_by_label("New condition for Bestsellers")
    field.fill("visitor type is not new")
    card.get_by_role("button", name="Add", exact=True).click()

    error = card.get_by_test_id("condition-error")
    expect(error).to_contain_text("Conditions are positive statements")
    expect(error).to_contain_text("Write “Visitor type is returning” instead.")
    field = page.get_by_label("New condition for Bestsellers")
    expect(field).to_have_value("visitor type is not new")
    expect(field).to_have_attribute("aria-invalid", "true")
    expect(field).to_be_focused()
    # The message sits at the field: just below it, in the same card.
    field_box, error_box = field.bounding_box(), error.bounding_box()
    assert 0 <= error_box["y"] - (field_box["y"] + field_box["height"]) < 20
    assert page.evaluate("window.notReloaded") is True
    expect(other).to_have_attribute("data-untouched", "yes")
    expect(page.get_by_test_id("coverage")).to_have_attribute("data-untouched", "yes")

    # Corrected, it lands on the card; the field is empty for the next one.
    field.fill("cart value is at least 50.00")
    card.get_by_role("button", name="Add", exact=True).click()
    expect(card).to_contain_text("Cart value is at least 50")
    expect(card.get_by_test_id("condition-error")).to_have_count(0)
    expect(page.get_by_label("New condition for Bestsellers")).to_have_value("")
    assert page.evaluate("window.notReloaded") is True
    expect(other).to_have_attribute("data-untouched", "yes")


def test_a_segment_chosen_after_typing_fills_the_fields_and_decides_for_its_customer(
    live_server, page, world
):
    blueprint = two_offer_blueprint(world)
    regulars = segment_save(
        organization=world.acme, by=world.user("manager"), name="Regulars", estimated_size=12000
    )
    segment_condition_add(
        segment=regulars,
        attribute=world.visitor,
        operator="is",
        value="returning",
        by=world.user("manager"),
    )
    log_in(page, live_server.url, "tom")
    page.goto(
        f"{live_server.url}/programs/{world.program.pk}/how-do-we-get-there/blueprints/"
        f"{blueprint.pk}/"
    )
    expect(page.get_by_test_id("segment-size")).to_have_text("12,000 customers")
    page.get_by_role("link", name="Decision simulator").click()

    page.get_by_label("Visitor type").select_option("new")
    page.get_by_label("Cart value").fill("20")
    page.get_by_role("button", name="Decide").click()
    purchase = page.get_by_test_id("stage-decision").filter(has_text="Purchase")
    expect(purchase.get_by_test_id("chosen")).to_have_text("Bestsellers")
    expect(purchase).to_contain_text("out: needs Visitor type is returning (Visitor type is new)")

    # The segment fills in the fields with its customer, and the decision follows it.
    page.get_by_label("Start from a segment").select_option(label="Regulars")
    expect(purchase.get_by_test_id("chosen")).to_have_text("Pick up where you left off")
    expect(page.get_by_label("Visitor type")).to_have_value("returning")
    expect(page.get_by_label("Cart value")).to_have_value("")
    expect(page.get_by_test_id("decided-profile")).to_contain_text(
        "Decided for a customer of “Regulars”: Visitor type returning (from the segment)"
    )

    # A field changed after that wins, and the page says so.
    page.get_by_label("Visitor type").select_option("new")
    page.get_by_role("button", name="Decide").click()
    expect(purchase.get_by_test_id("chosen")).to_have_text("Bestsellers")
    expect(page.get_by_test_id("decided-profile")).to_contain_text(
        "Visitor type new (typed; the segment has returning)"
    )
