"""A team member uploads an exposure history, reads what was learned, switches an offer to
learned propensity and sees the simulator explain it; the executive reads the results."""

import re

import pytest
from playwright.sync_api import expect

from blueprints import services
from tests.blueprints.histories import make_shop, shop_history
from tests.browser.test_program_flow import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tasks_run_here"),
]


@pytest.fixture
def shop(world):
    return make_shop(world)


def test_team_member_switches_an_offer_to_learned_propensity(live_server, page, shop, tmp_path):
    history = tmp_path / "exposures.csv"
    history.write_bytes(shop_history())
    base = f"{live_server.url}/programs/{shop.program.pk}/how-do-we-get-there/blueprints/"

    log_in(page, live_server.url, "tom")
    page.goto(f"{base}{shop.blueprint.pk}/")
    page.get_by_role("link", name="Propensity from history").click()
    form = page.get_by_test_id("history-form")
    form.get_by_label("Exposure history (CSV or Excel)").set_input_files(history)
    form.get_by_label("Value column (optional)").fill("value")
    form.get_by_role("button", name="Check and train").click()

    expect(page.get_by_role("heading", name="Version 1")).to_be_visible()
    expect(page.get_by_test_id("run-summary")).to_contain_text("18,000 exposures")
    rows = page.get_by_test_id("learned-offer")
    expect(rows).to_have_count(3)
    expect(page.get_by_test_id("reliability-charts").locator(".main-svg").first).to_be_visible()

    shipping = rows.filter(has_text="Free shipping")
    shipping.get_by_role("button", name="Use learned").click()
    expect(
        page.get_by_text("“Free shipping” is scored with its learned propensity")
    ).to_be_visible()
    expect(
        page.get_by_test_id("learned-offer")
        .filter(has_text="Free shipping")
        .get_by_test_id("in-use")
    ).to_be_visible()

    page.goto(f"{base}{shop.blueprint.pk}/")
    offer = page.get_by_test_id("offer").filter(has_text="Free shipping")
    expect(offer.get_by_test_id("offer-learning")).to_contain_text(
        "Uses learned propensity (v1: AUC"
    )

    page.get_by_role("link", name="Decision simulator").click()
    page.get_by_label("Visitor type").select_option("new")
    page.get_by_label("Cart value").fill("120")
    page.get_by_role("button", name="Decide").click()
    purchase = page.get_by_test_id("stage-decision").filter(has_text="Purchase")
    expect(purchase.get_by_test_id("chosen")).to_have_text("Free shipping")
    row = purchase.locator("tr").filter(has_text="Free shipping")
    expect(row.get_by_test_id("propensity-note")).to_have_text(
        re.compile(r"learned: \d+\.\d% for this profile")
    )


def test_the_executive_reads_a_version_without_changing_it(live_server, page, shop):
    run = services.propensity_run_create(
        blueprint=shop.blueprint,
        file_name="exposures.csv",
        data=shop_history(),
        columns=services.propensity.Columns("offer", "converted", ()),
        by=shop.user("team"),
    )
    log_in(page, live_server.url, "eve")
    page.goto(
        f"{live_server.url}/programs/{shop.program.pk}/how-do-we-get-there/blueprints/"
        f"{shop.blueprint.pk}/propensity/"
    )
    expect(page.get_by_test_id("history-form")).to_have_count(0)
    page.get_by_role("link", name=f"v{run.version}").click()
    expect(page.get_by_test_id("learned-offer")).to_have_count(3)
    expect(page.get_by_role("button", name="Use learned")).to_have_count(0)


def test_a_file_that_cannot_be_used_ends_its_version_failed_with_the_reason(
    live_server, page, shop, tmp_path
):
    thin = tmp_path / "exposures.csv"
    thin.write_text("offer,converted,visitor_type\n" + "Bestsellers,1,new\n" * 5)
    log_in(page, live_server.url, "tom")
    page.goto(
        f"{live_server.url}/programs/{shop.program.pk}/how-do-we-get-there/blueprints/"
        f"{shop.blueprint.pk}/propensity/"
    )
    form = page.get_by_test_id("history-form")
    form.get_by_label("Exposure history (CSV or Excel)").set_input_files(thin)
    form.get_by_role("button", name="Check and train").click()

    expect(page.get_by_role("heading", name="Version 1")).to_be_visible()
    expect(page.get_by_test_id("run-error")).to_contain_text("No model was trained.")
    expect(page.get_by_test_id("run-error")).to_contain_text("“converted” says yes on every row")
