"""Each organization's calendar (issue 20, item 7): its fiscal year and retail weeks, targets
per week, month or quarter of a KPI's calendar with their history, the KPI in its periods
on the chart, the dashboard and the review, and a driver's switch of calendar marked where
it happened."""

import datetime
import json
import re
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.models import DriverChange
from backups import backup
from kpis.models import Kpi, KpiPeriodTarget
from programs.calendars import MONTH, PLAIN, QUARTER, WEEK, Calendar
from programs.models import Organization
from results.models import Measurement

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
RETAIL = {
    "form": "calendar",
    "calendar-fiscal_year_start": "2",
    "calendar-fiscal_calendar": "445",
    "calendar-week_start": "0",
}


def kpi_url(world, **query) -> str:
    url = reverse("kpis:kpi", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def targets_url(world) -> str:
    return reverse(
        "kpis:kpi_period_targets", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk}
    )


def chart(client, world, by: str) -> dict:
    url = reverse("progress:kpi_chart", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk})
    body = client.get(f"{url}?by={by}", HTTP_HX_REQUEST="true").content.decode()
    found = re.search(r'<script id="kpi-figure" type="application/json">(.*?)</script>', body, re.S)
    assert found, body
    return json.loads(found.group(1))


def plan_from(world, first: datetime.date, last: datetime.date) -> Kpi:
    Kpi.objects.filter(pk=world.kpi.pk).update(baseline_date=first, target_date=last)
    world.kpi.refresh_from_db()
    return world.kpi


def fiscal_driver(world, client) -> None:
    """The KPI's driver reports in the organization's fiscal calendar, set on its page."""
    response = client.post(
        reverse(
            "assessments:driver_edit", kwargs={"pk": world.program.pk, "driver_pk": world.driver.pk}
        ),
        {
            "name": world.driver.name,
            "calendar": "fiscal",
            "frequency": "daily",
            "owner": "Analytics",
        },
    )
    assert response.status_code == 302
    Kpi.objects.filter(pk=world.kpi.pk).update(driver=world.driver)
    world.kpi.refresh_from_db()


def test_weekly_targets_are_iso_weeks_kept_with_their_history(world, as_user):
    kpi = plan_from(world, TODAY - datetime.timedelta(days=30), TODAY + datetime.timedelta(days=60))
    weeks = PLAIN.periods(kpi.baseline_date, kpi.target_date, WEEK)
    manager = as_user("manager")
    page = manager.get(kpi_url(world, grain="week")).content.decode()
    first, second = weeks[1], weeks[2]
    assert f"Week {first.number}, {first.year}" in page and "ISO weeks" in page
    response = manager.post(
        targets_url(world),
        {"grain": "week", f"period-{first.start}": "2.1", f"period-{second.start}": "2.15"},
        follow=True,
    )
    assert "2 period targets saved." in response.content.decode()
    kept = list(KpiPeriodTarget.objects.values_list("grain", "starts_on", "ends_on", "target"))
    assert kept == [
        ("week", first.start, first.end, Decimal("2.1")),
        ("week", second.start, second.end, Decimal("2.15")),
    ]
    assert first.start.weekday() == 0 and first.end.weekday() == 6
    # Changed, emptied and kept again: the history says each, with who did it.
    manager.post(targets_url(world), {"grain": "week", f"period-{first.start}": "2.2"})
    page = manager.get(kpi_url(world, grain="week")).content.decode()
    history = page.split('data-testid="period-target-history"')[1].split("</details>")[0]
    assert history.count("Mia") == 4
    assert "set to" in history and "removed" in history and "→" in history
    assert 'value="2.2"' in page


def test_a_bad_period_target_saves_nothing_and_names_its_period(world, as_user):
    kpi = plan_from(world, TODAY - datetime.timedelta(days=30), TODAY + datetime.timedelta(days=60))
    months = PLAIN.periods(kpi.baseline_date, kpi.target_date, MONTH)
    manager = as_user("manager")
    manager.post(targets_url(world), {"grain": "month", f"period-{months[0].start}": "2.1"})
    response = manager.post(
        targets_url(world),
        {"grain": "month", f"period-{months[0].start}": "2.3", f"period-{months[1].start}": "250"},
        follow=True,
    )
    body = response.content.decode()
    assert "between 0 and 100" in body and "Nothing was saved." in body
    assert months[1].start.strftime("%b %Y") in body
    assert list(KpiPeriodTarget.objects.values_list("target", flat=True)) == [Decimal("2.1")]


def test_the_calendar_page_sets_a_retail_year_and_shows_its_weeks(world, as_user):
    admin = as_user("admin")
    response = admin.post(f"/o/{world.acme.slug}/settings/files/", RETAIL, follow=True)
    body = response.content.decode()
    assert "KPIs that report in the fiscal calendar follow it" in body
    year = Calendar("445", 2).period_of(TODAY, "year")
    weeks = Calendar("445", 2).weeks_in_year(year.year)
    table = body.split('data-testid="fiscal-year"')[1].split("</table>")[0]
    assert f"FY{year.year}" in table and f"{weeks} weeks" in table
    assert table.count("FY") == 13  # the year and its twelve months
    # A month the calendar cannot have is refused, and nothing is written.
    bad = admin.post(
        f"/o/{world.acme.slug}/settings/files/", {**RETAIL, "calendar-fiscal_year_start": "13"}
    )
    assert bad.status_code == 422 and "Select a valid choice" in bad.content.decode()
    for who in ("manager", "team", "executive"):
        assert as_user(who).post(f"/o/{world.acme.slug}/settings/files/", RETAIL).status_code == 403
    assert Organization.objects.get(pk=world.acme.pk).fiscal == Calendar("445", 2)


def test_quarterly_targets_follow_the_fiscal_calendar_of_the_kpis_driver(world, as_user):
    as_user("admin").post(f"/o/{world.acme.slug}/settings/files/", RETAIL)
    manager = as_user("manager")
    fiscal_driver(world, manager)
    kpi = plan_from(
        world, TODAY - datetime.timedelta(days=100), TODAY + datetime.timedelta(days=200)
    )
    retail = Calendar("445", 2)
    quarters = retail.periods(kpi.baseline_date, kpi.target_date, QUARTER)
    page = manager.get(kpi_url(world, grain="quarter")).content.decode()
    assert "Fiscal year from February, retail 4-4-5 weeks starting on Monday" in page
    assert f"FY{quarters[1].year} Q{quarters[1].number}" in page
    manager.post(targets_url(world), {"grain": "quarter", f"period-{quarters[1].start}": "2.2"})
    target = KpiPeriodTarget.objects.get()
    assert (target.grain, target.starts_on, target.ends_on) == (
        "quarter",
        quarters[1].start,
        quarters[1].end,
    )
    assert target.starts_on.weekday() == 0 and (target.ends_on - target.starts_on).days + 1 in (
        91,
        98,
    )
    # The calendar changes: the target keeps its days, and the page says it is no period now.
    as_user("admin").post(
        f"/o/{world.acme.slug}/settings/files/", {**RETAIL, "calendar-fiscal_calendar": "months"}
    )
    page = manager.get(kpi_url(world, grain="quarter")).content.decode()
    assert 'data-testid="targets-elsewhere"' in page
    assert KpiPeriodTarget.objects.get().ends_on == quarters[1].end


def test_the_chart_weighs_a_rate_by_its_visits_in_each_period(world, as_user):
    kpi = plan_from(world, TODAY - datetime.timedelta(days=60), TODAY + datetime.timedelta(days=60))
    # Two days of one ISO week: 10 of 1,000 and 60 of 2,000 visits: 70 of 3,000 is 2.333%,
    # where the mean of the two rates would be 2.0%.
    week = PLAIN.period_of(TODAY - datetime.timedelta(days=21), WEEK)
    for day, conversions, visits in (
        (week.start, 10, 1000),
        (week.start + datetime.timedelta(days=1), 60, 2000),
    ):
        Measurement.objects.create(
            kpi=kpi,
            period_start=day,
            value=Decimal(conversions) / visits,
            numerator=conversions,
            denominator=visits,
            loaded_at=timezone.now(),
        )
    figure = chart(as_user("executive"), world, "week")
    label = f"Week {week.number}, {week.year}"
    bars = dict(zip(figure["data"][0]["x"], figure["data"][0]["y"], strict=True))
    assert bars[label] == pytest.approx(100 * 70 / 3000)
    row = next(r for r in figure["numbers"]["rows"] if r[0] == label)
    assert row[1] == "2.333%" and row[3] == "2"
    assert figure["numbers"]["columns"][1] == "Average"


def test_a_count_is_the_total_of_its_period(world, as_user):
    Kpi.objects.filter(pk=world.kpi.pk).update(unit="count", baseline=100, target=150)
    kpi = plan_from(world, TODAY - datetime.timedelta(days=60), TODAY + datetime.timedelta(days=60))
    month = PLAIN.period_of(TODAY - datetime.timedelta(days=40), MONTH)
    for offset, orders in ((0, 120), (1, 130), (2, 125)):
        Measurement.objects.create(
            kpi=kpi,
            period_start=month.start + datetime.timedelta(days=offset),
            value=orders,
            loaded_at=timezone.now(),
        )
    figure = chart(as_user("executive"), world, "month")
    bars = dict(zip(figure["data"][0]["x"], figure["data"][0]["y"], strict=True))
    assert bars[month.start.strftime("%b %Y")] == 375
    assert figure["numbers"]["columns"][1] == "Total"


def test_a_drivers_switch_to_fiscal_reporting_is_marked_where_it_happened(world, as_user):
    kpi = plan_from(world, TODAY - datetime.timedelta(days=90), TODAY + datetime.timedelta(days=60))
    Kpi.objects.filter(pk=kpi.pk).update(driver=world.driver)
    for back in range(1, 80):
        Measurement.objects.create(
            kpi=kpi,
            period_start=TODAY - datetime.timedelta(days=back),
            value=Decimal("2.2"),
            loaded_at=timezone.now(),
        )
    since = TODAY - datetime.timedelta(days=30)
    edit = reverse(
        "assessments:driver_edit", kwargs={"pk": world.program.pk, "driver_pk": world.driver.pk}
    )
    manager = as_user("manager")
    future = manager.post(
        edit,
        {
            "name": "Conversion rate",
            "calendar": "fiscal",
            "frequency": "daily",
            "calendar_since": (TODAY + datetime.timedelta(days=3)).isoformat(),
        },
    )
    assert future.status_code == 422 and "cannot be dated in the future" in future.content.decode()
    assert not DriverChange.objects.exists()
    response = manager.post(
        edit,
        {
            "name": "Conversion rate",
            "calendar": "fiscal",
            "frequency": "daily",
            "calendar_since": since.isoformat(),
        },
    )
    assert response.status_code == 302
    change = DriverChange.objects.get()
    assert (change.kind, change.changed_on) == ("calendar_change", since)
    by_day = chart(as_user("executive"), world, "day")
    marks = [a["text"] for a in by_day["layout"]["annotations"]]
    assert "Calendar change: Calendar months → Fiscal calendar" in marks
    assert change.description == "calendar → fiscal"  # kept without language
    assert any(s.get("x0") == since.isoformat() for s in by_day["layout"]["shapes"])
    by_month = chart(as_user("executive"), world, "month")
    assert "Calendar change: Calendar months → Fiscal calendar" in [
        a["text"] for a in by_month["layout"]["annotations"]
    ]


def test_the_dashboard_and_the_review_show_the_kpi_in_its_periods(world, as_user):
    kpi = plan_from(
        world, TODAY - datetime.timedelta(days=120), TODAY + datetime.timedelta(days=60)
    )
    for back in range(0, 100):
        Measurement.objects.create(
            kpi=kpi,
            period_start=TODAY - datetime.timedelta(days=back),
            value=Decimal("2.2"),
            loaded_at=timezone.now(),
        )
    as_user("admin").post(
        f"/o/{world.acme.slug}/settings/files/", {**RETAIL, "calendar-fiscal_calendar": "months"}
    )
    fiscal_driver(world, as_user("manager"))  # the refresh runs after the driver's save
    from progress.snapshots import progress_refresh

    progress_refresh(cycle=world.program.cycles.get())
    month = Calendar(start_month=2).period_of(TODAY, MONTH)
    dashboard = (
        as_user("executive")
        .get(reverse("progress:dashboard", kwargs={"pk": world.program.pk}))
        .content.decode()
    )
    card = dashboard.split('data-testid="card-period"')[1].split("</div>")[0]
    assert f"FY{month.year} P{month.number} to date" in card and "2.2%" in card
    review = (
        as_user("manager")
        .get(reverse("cycles:review", kwargs={"pk": world.program.pk}))
        .content.decode()
    )
    quarters = review.split('data-testid="kpi-quarters"')[1].split("</ul>")[0]
    quarter = Calendar(start_month=2).period_of(TODAY, QUARTER)
    assert f"FY{quarter.year} Q{quarter.number} (to date):</span> 2.2%" in quarters


def test_a_backup_from_before_the_calendars_restores_its_monthly_targets(world, as_user):
    from programs.models import Organization as Org
    from tests.factories import OrganizationFactory

    kpi = plan_from(world, TODAY - datetime.timedelta(days=30), TODAY + datetime.timedelta(days=90))
    months = PLAIN.periods(kpi.baseline_date, kpi.target_date, MONTH)
    as_user("manager").post(
        targets_url(world), {"grain": "month", f"period-{months[1].start}": "2.25"}
    )
    document = backup.program_export(program=world.program)
    # As version 2 wrote it: a month's first day, the driver's own fiscal month.
    document["version"] = 2
    models = document["models"]
    models.pop("kpis.historicalkpiperiodtarget")
    for row in models["kpis.kpiperiodtarget"]:
        row["period"] = row.pop("starts_on")
        del row["ends_on"], row["grain"]
    for row in models["assessments.measurementdriver"]:
        row["fiscal_start_month"] = None
    elsewhere = OrganizationFactory(name="Elsewhere", slug="elsewhere")
    restored = backup.program_import(organization=elsewhere, data=json.dumps(document))
    targets = KpiPeriodTarget.objects.filter(kpi__goal__cycle__program=restored.program)
    assert list(targets.values_list("grain", "starts_on", "ends_on", "target")) == [
        ("month", months[1].start, months[1].end, Decimal("2.25"))
    ]
    assert Org.objects.filter(slug="elsewhere").exists()
