"""A manager uploads a customer table, lets K-means find its groups, and saves one as a
segment whose conditions she then edits, watching whom they reach."""

import pytest
from playwright.sync_api import expect

from segments import discovery
from segments.tasks import read_customer_table
from tests.browser.test_program_flow import log_in
from tests.segments.test_discovery import planted

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tasks_run_here"),
]


def test_manager_discovers_segments_and_saves_one(live_server, page, world, tmp_path, monkeypatch):
    frame, _truth = planted(800)
    customers = tmp_path / "customers.csv"
    frame.to_csv(customers, index=False)
    held = []  # the reading job waits here until the test plays the worker
    monkeypatch.setattr(read_customer_table, "delay", lambda **kwargs: held.append(kwargs))

    log_in(page, live_server.url, "mia")
    page.goto(f"{live_server.url}/o/{world.acme.slug}/segments/")
    page.get_by_role("link", name="Discover segments in data").click()
    page.get_by_label("Customer table (CSV or Excel)").set_input_files(customers)
    page.get_by_role("button", name="Upload and read").click()
    expect(page.get_by_test_id("table-reading")).to_contain_text("Reading the file")
    expect(page.get_by_test_id("run-form")).to_have_count(0)
    discovery.customer_table_read(**held.pop())
    expect(page.get_by_text("800 customers, 6 columns")).to_be_visible()  # the page polled
    key_column = page.get_by_test_id("columns").locator("tr").filter(has_text="customer_id")
    expect(key_column).to_contain_text("id or text")
    expect(key_column).to_contain_text("not used")

    form = page.get_by_test_id("run-form")
    choice = form.get_by_role("group", name="Number of clusters")
    expect(choice.get_by_label("Choose by silhouette")).to_be_checked()
    choice.get_by_label("to", exact=True).fill("6")
    form.get_by_label("Random seed").fill("5")
    form.get_by_role("button", name="Run clustering").click()

    expect(page.get_by_role("heading", name="Run 1: 4 clusters")).to_be_visible()
    expect(page.get_by_test_id("cluster-map").locator(".main-svg").first).to_be_visible()
    german = (
        page.get_by_test_id("clusters")
        .locator("section")
        .filter(has_text="Country is one of AT, DE")
    )
    expect(german).to_have_count(1)
    german.get_by_label("Segment name").fill("German-speaking big baskets")
    german.get_by_role("button", name="Save as segment").click()

    expect(page.get_by_role("heading", name="German-speaking big baskets")).to_be_visible()
    reach = page.get_by_test_id("segment-reach")
    expect(reach).to_contain_text("100%")  # of those reached are from the cluster
    conditions = page.get_by_test_id("conditions")
    expect(conditions).to_contain_text("Country is one of AT, DE")

    # Dropping the country condition widens the segment beyond its cluster.
    conditions.locator("li").filter(has_text="Country").get_by_role("button", name="Remove").click()
    expect(page.get_by_test_id("conditions")).not_to_contain_text("Country")
    expect(page.get_by_test_id("segment-reach")).to_be_visible()
