"""A manager answers "Where are we?" in the browser; an executive only reads it."""

import re

import pytest
from playwright.sync_api import Page, expect

from assessments.models import MaturityScore
from assessments.services import maturity_score_save
from tests.browser.test_program_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SAVED = re.compile(r"^\s*Saved")


def dimension_card(page: Page, name: str):
    return page.get_by_test_id("dimension-form").filter(
        has=page.get_by_role("heading", name=name, exact=True)
    )


def test_manager_fills_in_dimensions_and_a_driver_and_sees_the_radar(live_server, page, world):
    log_in(page, live_server.url, "mia")
    page.goto(f"{live_server.url}/programs/{world.program.pk}/where-are-we/assessment/")
    completeness = page.get_by_test_id("completeness")
    start = int(completeness.inner_text().rstrip("%"))

    for name, score in [("Strategy & vision", "3"), ("Data", "2"), ("Decisioning", "4")]:
        card = dimension_card(page, name)
        card.locator("label", has_text=score).first.click()
        card.get_by_label("Evidence").fill(f"Evidence for {name}")
        expect(card.locator("[data-save-status]")).to_have_text(SAVED)

    expect(completeness).not_to_have_text(f"{start}%")
    assert int(completeness.inner_text().rstrip("%")) > start
    expect(page.get_by_test_id("dimension-form").first.get_by_label("Evidence")).to_have_value(
        "Evidence for Strategy & vision"
    )

    page.get_by_role("link", name="Measurement drivers").click()
    form = page.get_by_test_id("driver-form")
    form.get_by_label("Name").fill("Revenue per visit")
    form.get_by_label("Source system").fill("Adobe Analytics")
    form.get_by_role("button", name="Add driver").click()
    expect(page.get_by_test_id("driver-table")).to_contain_text("Revenue per visit")

    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_test_id("radar").locator(".main-svg").first).to_be_visible()
    expect(page.get_by_test_id("drivers-flagged")).to_have_text("2")
    expect(page.get_by_text("Raise Data maturity (scored 2 of 5)")).to_be_visible()


def test_typed_text_survives_a_lost_connection_and_is_saved_when_it_returns(
    live_server, page, context, world
):
    log_in(page, live_server.url, "mia")
    page.goto(f"{live_server.url}/programs/{world.program.pk}/where-are-we/assessment/")
    card = dimension_card(page, "Process")

    context.set_offline(True)
    card.get_by_label("Evidence").fill("Typed on a train")
    expect(card.get_by_text("Not saved: the connection is lost")).to_be_visible()
    expect(card.get_by_label("Evidence")).to_have_value("Typed on a train")

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    expect(card.locator("[data-save-status]")).to_have_text(SAVED)
    assert MaturityScore.objects.get(dimension__name="Process").evidence == "Typed on a train"


def test_executive_reads_the_assessment_without_edit_controls(live_server, page, world):
    log_in(page, live_server.url, "eve")
    page.goto(f"{live_server.url}/programs/{world.program.pk}/where-are-we/assessment/")
    expect(page.get_by_role("heading", name="Strategy & vision")).to_be_visible()
    expect(page.get_by_test_id("dimension-form")).to_have_count(0)
    expect(page.locator("textarea")).to_have_count(0)
    page.get_by_role("link", name="Measurement drivers").click()
    expect(page.get_by_test_id("driver-form")).to_have_count(0)


def test_carried_answers_are_confirmed_one_by_one_or_all_at_once(live_server, page, world):
    """Issue 18, item 12: the next cycle's assessment is not done on day one."""
    from assessments.services import driver_delete
    from cycles.review import cycle_start_next, review_open
    from tests.cycles.test_review import save

    cycle = world.program.cycles.get()
    driver_delete(driver=world.driver, by=world.user("manager"))
    for n, dimension in enumerate(world.acme.dimensions.all()):
        maturity_score_save(
            cycle=cycle,
            dimension=dimension,
            score=1 + n % 5,
            evidence=f"Evidence {n}: " + "a long sentence that needs more than two lines " * 3,
            opportunity="",
            by=world.user("admin"),
        )
    save(review_open(cycle=cycle), world)
    cycle_start_next(cycle=cycle, by=world.user("manager"))

    log_in(page, live_server.url, "mia")
    page.goto(f"{live_server.url}/programs/{world.program.pk}/where-are-we/assessment/")
    completeness = page.get_by_test_id("completeness")
    expect(completeness).to_have_text("0%")
    expect(page.get_by_test_id("carried")).to_have_count(8)
    expect(page.get_by_text("by Mia")).to_have_count(0)
    # A long evidence text is shown whole, not cut at two lines.
    box = dimension_card(page, "Data").get_by_label("Evidence")
    assert box.evaluate("e => e.scrollHeight <= e.clientHeight + 2")

    card = dimension_card(page, "Strategy & vision")
    card.get_by_test_id("confirm").click()
    expect(card.locator("[data-save-status]")).to_contain_text("Confirmed")
    expect(completeness).to_have_text("10%")
    expect(page.get_by_test_id("confirm")).to_have_count(7)

    page.get_by_test_id("confirm-all").click()
    expect(page.get_by_text("7 answers confirmed as they stand.")).to_be_visible()
    expect(completeness).to_have_text("80%")
    expect(page.get_by_test_id("carried")).to_have_count(0)
