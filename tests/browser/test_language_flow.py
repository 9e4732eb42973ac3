"""Issue 20 in a browser: a manager switches the top bar to Danish (or Slovenian) with one
click and walks a cycle in it: scores a dimension, adds a KPI typed with decimal commas,
plans an initiative, types a condition in the language, uploads a semicolon file with
decimal commas and reads the dashboard. Every page says its language, numbers are written
its way, and no button, tab or card runs over its edge.

With FOURFOLD_SHOTS_DIR set, each step keeps a screenshot (desktop and phone width)."""

import datetime
import os
import re
from decimal import Decimal

import pytest
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import Page, expect

from blueprints import services as blueprint_services
from results import sources
from results.models import Measurement, SourceKind
from segments.services import attribute_save
from tests.browser.test_program_flow import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tasks_run_here"),
]

# The attribute label as an organization in that country names it, and a condition on it.
WORDS = {
    "da": ("Kurvens værdi", "kurvens værdi er mindst 49,5", "Kurvens værdi er mindst 49,5"),
    "sl": ("Vrednost košarice", "vrednost košarice je vsaj 49,5", "Vrednost košarice je vsaj 49,5"),
}


def shot(page: Page, name: str) -> None:
    if folder := os.environ.get("FOURFOLD_SHOTS_DIR"):
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)
        page.set_viewport_size({"width": 390, "height": 844})
        page.screenshot(path=f"{folder}/{name}-phone.png", full_page=True)
        page.set_viewport_size({"width": 1366, "height": 900})


def assert_nothing_overflows(page: Page) -> None:
    """No button, tab, badge or card is wider than what holds it (a long word runs out)."""
    page.wait_for_timeout(400)  # charts redraw to a new width (Plotly's responsive resize)
    over = page.evaluate(
        """() => [...document.querySelectorAll('.btn, .nav-link, .badge, .ff-card, th, label')]
            .filter(el => el.offsetParent !== null && el.scrollWidth > el.clientWidth + 2
                     && getComputedStyle(el).overflowX === 'visible'
                     && !el.closest('.table-responsive, [data-ff-scrollbox]'))
            .map(el => el.className + ': ' + el.textContent.trim().slice(0, 40))"""
    )
    assert over == []


def check(page: Page, language: str, name: str) -> None:
    expect(page.locator("html")).to_have_attribute("lang", language)
    shot(page, f"lang-{language}-{name}")
    assert_nothing_overflows(page)
    page.set_viewport_size({"width": 390, "height": 844})
    assert_nothing_overflows(page)
    page.set_viewport_size({"width": 1366, "height": 900})


@pytest.mark.parametrize("language", ["da", "sl"])
def test_a_manager_walks_a_cycle_in_danish_and_in_slovenian(live_server, page, world, language):
    label, typed, shown = WORDS[language]
    attribute_save(
        organization=world.acme, key="cart_value", label=label, type="number", allowed_values=[]
    )
    blueprint = blueprint_services.blueprint_create(
        cycle=world.program.cycles.get(), name="Web shop", by=world.user("team")
    )
    offer = blueprint_services.offer_save(
        stage=blueprint.stages.first(),
        by=world.user("team"),
        name="Free shipping",
        propensity="0.03",
        value="40",
    )
    upload_source = sources.source_save(
        program=world.program, by=world.user("manager"), name="Export", kind=SourceKind.UPLOAD
    )
    base, pk = live_server.url, world.program.pk
    with translation.override(language):
        words = {
            w: gettext(w) for w in ("Save KPI", "Preview", "Load", "Save initiative", "Succeeded")
        }

    log_in(page, base, "mia")
    page.set_viewport_size({"width": 1366, "height": 900})
    page.get_by_test_id("language-switch").locator(f'button[value="{language}"]').click()
    expect(page.locator("html")).to_have_attribute("lang", language)
    check(page, language, "programs")

    # Where are we: a score for the first dimension, saved as it is chosen.
    page.goto(f"{base}/programs/{pk}/where-are-we/assessment/")
    card = page.get_by_test_id("dimension-form").first
    card.locator("label[for$='-3']").click()
    expect(card.locator("[data-save-status]")).not_to_have_text("")
    check(page, language, "assessment")

    # Where are we going: a KPI typed the language's way.
    page.goto(f"{base}/programs/{pk}/where-are-we-going/goals/{world.goal.pk}/kpis/new/")
    form = page.get_by_test_id("kpi-form")
    form.locator("#id_name").fill("Add-to-cart rate")
    form.locator("#id_unit").select_option("percent")
    form.locator("#id_direction").select_option("higher")
    form.locator("#id_baseline").fill("12,5")
    form.locator("#id_target").fill("14,75")
    cycle = world.program.cycles.get()
    form.locator("#id_baseline_date").fill(cycle.starts_on.isoformat())
    form.locator("#id_target_date").fill(cycle.ends_on.isoformat())
    form.get_by_role("button", name=words["Save KPI"]).click()
    shot(page, f"lang-{language}-kpi-saved")
    row = page.get_by_test_id("kpi-row").filter(has_text="Add-to-cart rate")
    expect(row).to_contain_text(re.compile(r"12,5\s%\s→\s14,75\s%"))
    check(page, language, "goals")

    # How do we get there: an initiative, and a condition typed in the language.
    page.goto(f"{base}/programs/{pk}/how-do-we-get-there/initiatives/new/")
    form = page.get_by_test_id("initiative-form")
    form.locator("#id_name").fill("Landing pages per segment")
    form.locator("#id_status").select_option("planned")
    form.locator("#id_owner_department").select_option(index=1)
    form.locator("input[name='channels']").first.check()
    today = datetime.date.today()
    form.locator("#id_starts_on").fill(today.isoformat())
    form.locator("#id_ends_on").fill((today + datetime.timedelta(days=30)).isoformat())
    form.get_by_role("button", name=words["Save initiative"]).click()
    expect(page.get_by_role("heading", name="Landing pages per segment")).to_be_visible()
    check(page, language, "initiative")

    page.goto(f"{base}/programs/{pk}/how-do-we-get-there/blueprints/{blueprint.pk}/")
    card = page.get_by_test_id("offer").filter(has_text="Free shipping")
    card.locator(f"#cond-{offer.pk}").fill(typed)
    card.get_by_test_id("condition-form").locator("button[type=submit]").click()
    expect(page.get_by_test_id("offer").filter(has_text="Free shipping")).to_contain_text(shown)
    check(page, language, "blueprint")

    # Are we getting closer: a file from Excel in that language, then the dashboard.
    days = [(today - datetime.timedelta(days=n)).isoformat() for n in (3, 2, 1)]
    csv = "kpi;period;value\n" + "".join(
        f"Conversion rate;{day};2,{n}5\n" for n, day in enumerate(days, start=1)
    )
    page.goto(f"{base}/programs/{pk}/are-we-getting-closer/sources/{upload_source.pk}/")
    upload = page.get_by_test_id("upload-form")
    upload.locator("input[type=file]").set_input_files(
        {"name": "excel.csv", "mimeType": "text/csv", "buffer": csv.encode()}
    )
    upload.locator("select[name=delimiter]").select_option(";")
    upload.locator("select[name=decimal]").select_option(",")
    check(page, language, "source")
    upload.get_by_role("button", name=words["Preview"]).click()
    mapping = page.get_by_test_id("mapping-form")
    expect(mapping).to_be_visible()
    check(page, language, "preview")
    mapping.get_by_role("button", name=words["Load"]).click()
    expect(page.get_by_test_id("pull-status")).to_contain_text(words["Succeeded"])
    check(page, language, "run")
    values = Measurement.objects.values_list("value", flat=True)
    assert sorted(values) == [Decimal("2.15"), Decimal("2.25"), Decimal("2.35")]

    page.goto(f"{base}/programs/{pk}/dashboard/")
    cards = page.get_by_test_id("kpi-card")
    expect(cards.filter(has_text="Conversion rate")).to_contain_text(re.compile(r"2,\d+\s%"))
    check(page, language, "dashboard")


def test_the_top_bar_stays_one_line_in_every_language(live_server, page, demo):
    """The admin's top bar (the most entries, staff's admin link too) at laptop widths: one
    line, nothing past the window's edge, in the language with the longest words too."""
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.get(username="admin")
    admin.is_staff = True
    admin.save()
    page.set_viewport_size({"width": 1200, "height": 400})
    log_in(page, live_server.url, "admin")
    for language in ("en", "da", "sl", "nl"):
        page.get_by_test_id("language-switch").locator(f'button[value="{language}"]').click()
        for width in (1200, 1280, 1366):
            page.set_viewport_size({"width": width, "height": 400})
            page.goto(f"{live_server.url}/o/demo/")
            assert page.evaluate("document.documentElement.scrollWidth") == width, language
            assert page.evaluate("document.querySelector('nav').offsetHeight") < 70, language
            shot(page, f"lang-{language}-top-bar-{width}")
        page.set_viewport_size({"width": 1200, "height": 400})
