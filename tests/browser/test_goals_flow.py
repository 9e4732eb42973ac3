"""A manager sets a goal with two library KPIs and an ROI target, and reads the summary."""

import pytest
from playwright.sync_api import expect

from tests.browser.test_program_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_sets_goal_kpis_and_roi(live_server, page, world):
    log_in(page, live_server.url, "mia")
    page.goto(f"{live_server.url}/programs/{world.program.pk}/where-are-we-going/")
    page.get_by_role("link", name="Add a goal").click()
    form = page.get_by_test_id("goal-form")
    form.get_by_label("Title").fill("Keep loyal customers coming back")
    form.get_by_label("Top or bottom line").select_option("bottom")
    form.get_by_label("Returning visitors").check()
    form.get_by_role("button", name="Save goal").click()

    goal = page.get_by_test_id("goal").filter(has_text="Keep loyal customers coming back")
    expect(goal.get_by_text("This goal has no KPI yet")).to_be_visible()

    for library_name, baseline, target in [
        ("Retention", "35", "40"),
        ("Average order value", "64", "70"),
    ]:
        goal.get_by_role("button", name="Add KPI").click()
        goal.get_by_role("link", name=library_name, exact=True).click()
        kpi_form = page.get_by_test_id("kpi-form")
        expect(kpi_form.get_by_label("Name")).to_have_value(library_name)
        if library_name == "Average order value":
            kpi_form.get_by_label("Currency").fill("EUR")
        kpi_form.locator("#id_baseline").fill(baseline)
        kpi_form.locator("#id_target").fill(target)
        kpi_form.get_by_role("button", name="Save KPI").click()
        goal = page.get_by_test_id("goal").filter(has_text="Keep loyal customers coming back")

    expect(goal.get_by_test_id("kpi-row")).to_have_count(2)
    expect(goal).to_contain_text("35% → 40%")
    expect(goal).to_contain_text("EUR 64.00 → EUR 70.00")

    page.get_by_role("link", name="ROI target").first.click()
    roi = page.get_by_test_id("roi-form")
    roi.get_by_label("One-off investment").fill("60000")
    roi.get_by_label("Running cost per month").fill("4000")
    roi.get_by_label("Expected incremental return per month").fill("14000")
    roi.get_by_label("Acceptable ROI (%)").fill("50")
    roi.get_by_role("button", name="Save ROI target").click()
    expect(page.get_by_test_id("expected-roi")).to_have_text("55.6%")

    page.get_by_role("link", name="Goals & KPIs").click()
    expect(page.get_by_test_id("expected-roi")).to_have_text("55.6%")
    expect(page.get_by_test_id("roi-warning")).to_have_count(0)
