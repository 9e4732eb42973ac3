"""Issue 18, items 5 and 16 in a browser: an admin connects an HTTP source, the form
showing only the fields of the kind chosen; presses Test, sees the columns, maps them and
reads the number on the KPI page."""

import datetime
import os

import pytest
from playwright.sync_api import expect

from tests.browser.test_program_flow import log_in
from tests.results.test_pulled_source_journey import CsvServer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tasks_run_here", "local_sources_allowed"),
]


def shot(page, name: str) -> None:
    """With FOURFOLD_SHOTS_DIR set, keep a screenshot for a person to look at."""
    if folder := os.environ.get("FOURFOLD_SHOTS_DIR"):
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


@pytest.fixture
def csv_server():
    server = CsvServer("127.0.0.8")
    yield server
    server.close()


def test_admin_connects_tests_maps_and_loads_an_http_source(live_server, page, world, csv_server):
    day = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
    csv_server.body = f"kpi,period,value,channel\nConversion rate,{day},2.37,web\n".encode()
    log_in(page, live_server.url, "alice")
    page.goto(f"{live_server.url}/programs/{world.program.pk}/are-we-getting-closer/sources/")
    form = page.get_by_test_id("source-form")
    form.get_by_label("Kind").select_option("upload")
    expect(form.get_by_label("URL")).to_be_hidden()
    expect(form.get_by_label("SQL query")).to_be_hidden()
    expect(form.get_by_label("Schedule", exact=True)).to_be_hidden()
    form.get_by_label("Kind").select_option("http")
    expect(form.get_by_label("URL")).to_be_visible()
    expect(form.get_by_label("SQL query")).to_be_hidden()
    expect(form.get_by_label("Schedule", exact=True)).to_be_visible()
    form.get_by_label("Name").fill("Shop feed")
    form.get_by_label("URL").fill(csv_server.url)
    form.get_by_role("button", name="Connect").click()

    expect(page.get_by_test_id("mapping")).to_contain_text("No column mapping yet")
    shot(page, "flow-source-new")
    page.get_by_test_id("test-source").click()
    expect(page.get_by_test_id("columns-found")).to_have_text(
        "Columns found: kpi, period, value, channel"
    )
    shot(page, "flow-run-columns")
    page.get_by_role("link", name="Choose the column mapping").click()
    mapping = page.get_by_test_id("mapping-form")
    expect(mapping.get_by_label("kpi")).to_have_value("kpi")
    expect(mapping.get_by_label("value")).to_have_value("value")
    shot(page, "flow-mapping-desktop")
    page.set_viewport_size({"width": 390, "height": 844})
    shot(page, "flow-mapping-phone")
    page.set_viewport_size({"width": 1280, "height": 900})
    mapping.get_by_role("button", name="Load").click()
    expect(page.get_by_test_id("pull-status")).to_contain_text("Succeeded")

    page.goto(
        f"{live_server.url}/programs/{world.program.pk}/where-are-we-going/kpis/{world.kpi.pk}/"
    )
    expect(page.get_by_text("Latest 2.37")).to_be_visible()
