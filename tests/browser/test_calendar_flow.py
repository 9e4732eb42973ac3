"""The demo organization's retail calendar, in a browser (issue 20, item 7): the admin checks
the fiscal year on its page, then reads Average order value (measured by Net
revenue, which reports in the fiscal calendar) by fiscal month and gives it a quarterly
target, in Danish (an admin manages programs too). With FOURFOLD_SHOTS_DIR set, each
step keeps a screenshot."""

import re

import pytest
from playwright.sync_api import Page, expect

from kpis.models import Kpi, KpiPeriodTarget
from tests.browser.test_language_flow import check
from tests.browser.test_program_flow import log_in

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("tasks_run_here"),
]


def test_a_retail_calendar_cuts_a_kpis_targets_and_chart_in_danish(live_server, page: Page, demo):
    base = live_server.url
    page.set_viewport_size({"width": 1366, "height": 900})
    log_in(page, base, "admin")
    page.get_by_test_id("language-switch").locator('button[value="da"]').click()
    page.goto(f"{base}/o/demo/settings/files/")
    year = page.get_by_test_id("fiscal-year")
    expect(year).to_contain_text(re.compile(r"RÅ\d{4}, .*: 5[23] uger"))
    expect(year.locator("tbody tr")).to_have_count(12)
    check(page, "da", "calendar-settings")

    kpi = Kpi.objects.get(
        goal__cycle__program=demo, goal__cycle__closed_at__isnull=True, name="Average order value"
    )
    page.goto(f"{base}/programs/{demo.pk}/where-are-we-going/kpis/{kpi.pk}/?grain=quarter")
    expect(page.get_by_test_id("kpi-calendar")).to_contain_text("detailhandelsuger 4-4-5")
    targets = page.get_by_test_id("period-targets")
    first = targets.locator("input[name^=period-]").first
    first.fill("65,5")
    page.get_by_role("button", name="Gem periodemål").click()
    expect(page.locator(".alert-success")).to_contain_text("1 periodemål gemt.")
    saved = KpiPeriodTarget.objects.get(kpi=kpi)
    assert saved.grain == "quarter" and str(saved.target) == "65.5000"
    assert saved.starts_on.weekday() == 0 and (saved.ends_on - saved.starts_on).days + 1 in (91, 98)

    chart = page.get_by_test_id("kpi-chart-box")
    chart.get_by_role("link", name="Måneder").click()
    expect(page.get_by_test_id("kpi-chart-calendar")).to_contain_text("gennemsnit pr. periode")
    expect(page.locator("[data-testid=kpi-chart] .main-svg").first).to_be_visible()
    expect(page.locator("[data-testid=kpi-chart]")).to_contain_text(re.compile(r"RÅ\d{4} P\d+"))
    check(page, "da", "kpi-by-fiscal-month")
