"""The demo manager reviews the open cycle, starts cycle 4 from the review, and compares
it with the three before."""

import datetime

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone
from playwright.sync_api import expect

from cycles.models import KpiReview
from programs.models import Cycle, Program
from tests.browser.test_program_flow import log_in
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_manager_reviews_the_cycle_starts_the_next_and_compares(live_server, page, demo):
    manager = get_user_model().objects.get(username="manager")
    manager.set_password(PASSWORD)
    manager.save()
    log_in(page, live_server.url, "manager")
    page.get_by_role("link", name="Web shop").click()
    page.get_by_test_id("review-link").click()
    expect(page.get_by_role("heading", name="Review of cycle 3")).to_be_visible()
    rows = page.get_by_test_id("kpi-review")
    expect(rows).to_have_count(4)

    # Raise the conversion target, first forgetting the new value.
    conversion = rows.filter(has_text="Conversion rate")
    conversion.get_by_role("combobox").select_option("raise")
    page.get_by_label("What worked").fill("Recommendations in the cart.")
    page.get_by_role("button", name="Save review").click()
    expect(page.get_by_text("Give the new target.")).to_be_visible()
    conversion = page.get_by_test_id("kpi-review").filter(has_text="Conversion rate")
    conversion.locator("input[name$=new_target]").fill("3.2")
    page.get_by_role("button", name="Save review").click()
    expect(page.get_by_text("Review saved.")).to_be_visible()

    page.get_by_label("What", exact=True).fill("Landing pages per segment")
    page.get_by_label("Who").fill("Content team")
    page.get_by_label("By when").fill("2027-03-31")
    page.get_by_role("button", name="Add", exact=True).click()
    expect(page.get_by_test_id("countermeasures")).to_contain_text("Landing pages per segment")

    # Edit, then press it: a note typed and not saved is saved by "Close cycle", which
    # then asks to confirm the dates.
    conversion = page.get_by_test_id("kpi-review").filter(has_text="Conversion rate")
    conversion.locator("input[name$=note]").fill("Typed, then closed at once")
    page.get_by_test_id("start-next").click()
    today = timezone.localdate()
    tomorrow = today + datetime.timedelta(days=1)
    confirmation = page.get_by_test_id("close-confirmation")
    expect(confirmation).to_contain_text(f"Close cycle 3 today, {today:%-d %b %Y}?")
    cycle = Cycle.objects.get(program__name="Web shop", number=3)
    early = (cycle.ends_on - today).days
    expect(confirmation).to_contain_text(f"{early} days before its planned end")
    expect(confirmation).to_contain_text(f"Cycle 4 starts on {tomorrow:%-d %b %Y}")
    expect(page.get_by_test_id("kpi-review").first).to_contain_text("Typed, then closed at once")
    page.get_by_test_id("confirm-close").click()
    expect(page.get_by_text("Cycle 3 is closed; it ended on")).to_be_visible()
    assert KpiReview.objects.get(review__cycle=cycle, kpi__name="Conversion rate").note == (
        "Typed, then closed at once"
    )

    page.get_by_role("link", name="Cycle history").click()
    expect(page.get_by_role("row", name="Cycle 3")).to_contain_text(
        f"{cycle.starts_on:%-d %b %Y} \N{EN DASH} {today:%-d %b %Y}"
    )
    expect(page.get_by_role("row", name="Cycle 3")).to_contain_text(f"{early} days early")
    page.get_by_test_id("compare-link").click()
    expect(page.get_by_test_id("cycle-row").nth(2)).to_contain_text(
        f"{cycle.starts_on:%b %Y} \N{EN DASH} {today:%b %Y}"
    )
    expect(page.get_by_test_id("cycle-row")).to_have_count(4)
    expect(page.get_by_test_id("compare-radar")).to_be_visible()
    expect(page.get_by_test_id("compare-kpi").first).to_be_visible()


def test_a_countermeasure_typed_and_not_added_is_kept_by_closing(live_server, page, demo):
    manager = get_user_model().objects.get(username="manager")
    manager.set_password(PASSWORD)
    manager.save()
    log_in(page, live_server.url, "manager")
    page.get_by_role("link", name="Web shop").click()
    page.get_by_test_id("review-link").click()
    page.get_by_label("What", exact=True).fill("Retag the checkout")
    page.get_by_label("Who").fill("Analytics")
    page.get_by_label("By when").fill("2030-01-31")
    page.get_by_test_id("start-next").click()  # without pressing Add
    expect(page.get_by_test_id("countermeasures")).to_contain_text("Retag the checkout")
    page.get_by_test_id("confirm-close").click()
    expect(page.get_by_text("Cycle 3 is closed; it ended on")).to_be_visible()
    program = Program.objects.get(name="Web shop")
    page.goto(live_server.url + reverse("cycles:review", kwargs={"pk": program.pk}) + "?cycle=3")
    expect(page.get_by_test_id("countermeasures")).to_contain_text(
        "Retag the checkout · Analytics · by 31 Jan 2030"
    )
