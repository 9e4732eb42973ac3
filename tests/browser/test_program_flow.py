"""A manager creates a program and sees its wheel; an executive finds nothing to edit."""

import re

import pytest
from playwright.sync_api import Page, expect

from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page: Page, base_url: str, username: str) -> None:
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="Programs")).to_be_visible()


def test_manager_creates_a_program_and_sees_the_four_question_wheel(live_server, page, world):
    log_in(page, live_server.url, "mia")

    page.get_by_role("link", name="New program").click()
    page.get_by_label("Name").fill("Mobile app")
    page.get_by_label("Context or channel").fill("iOS and Android")
    page.get_by_role("button", name="Create program").click()

    expect(page.get_by_role("heading", name="Mobile app")).to_be_visible()
    expect(page.get_by_text("Program “Mobile app” created; cycle 1 is open.")).to_be_visible()
    wheel = page.get_by_test_id("wheel")
    expect(wheel.locator(".ff-q-title")).to_have_text(
        ["Where are we?", "Where are we going?", "How do we get there?", "Are we getting closer?"]
    )

    # Moving the cycle on redraws the wheel in place (htmx), without a page load.
    page.get_by_label("The team is working on").select_option("how-do-we-get-there")
    page.get_by_role("button", name="Set").click()
    current = wheel.locator("[aria-current=step]")
    expect(current).to_contain_text("How do we get there?")
    expect(wheel.get_by_text("Answered ✓")).to_have_count(2)


def test_executive_finds_no_edit_controls(live_server, page, world):
    log_in(page, live_server.url, "eve")

    expect(page.get_by_role("link", name="New program")).to_have_count(0)
    page.get_by_test_id("program-card").filter(has_text="Web shop").click()
    expect(page).to_have_url(re.compile(rf"/programs/{world.program.pk}/$"))
    expect(page.get_by_test_id("wheel")).to_be_visible()
    expect(page.get_by_role("link", name="Edit program")).to_have_count(0)
    expect(page.get_by_test_id("phase-form")).to_have_count(0)
    expect(page.get_by_role("link", name="Members")).to_have_count(0)
