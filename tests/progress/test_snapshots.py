"""Precomputed progress: what a refresh stores, when the dashboards recompute it, the
lift it keeps, and realized ROI from it."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from kpis.services import kpi_save, roi_target_save
from programs.messages import Message
from programs.models import Cycle
from progress.models import KpiSnapshot, StatusChange
from progress.roi import realized_roi
from progress.selectors import lift_by_kpi
from progress.snapshots import LOAD_GRACE, progress_refresh, snapshots_stale, trail
from results import sources
from results.models import Pull
from tests.conftest import shown

pytestmark = pytest.mark.django_db


def push(world, items):
    """Load results the way the push API does (a pull records the load)."""
    token, _secret = sources.token_create(program=world.program, name="t", by=world.user("admin"))
    pull = sources.push_load(token=token, items=items)
    assert pull.status == "succeeded", (pull.error, pull.rejected_rows[:3])
    return pull


def daily(kpi_name, values, *, segment="", variant="", end=None, **extra):
    end = end or timezone.localdate() - datetime.timedelta(days=1)
    start = end - datetime.timedelta(days=len(values) - 1)
    return [
        {
            "kpi": kpi_name,
            "period": (start + datetime.timedelta(days=n)).isoformat(),
            "value": str(v),
            "segment": segment,
            "variant": variant,
            **{k: str(f(n)) for k, f in extra.items()},
        }
        for n, v in enumerate(values)
    ]


def test_trails_are_seven_day_means_daily_for_91_days_and_weekly_for_a_year():
    from progress.pace import Point

    day = datetime.date(2026, 1, 1)
    series = [Point(day + datetime.timedelta(days=n), float(n)) for n in range(400)]
    recent = trail(series)
    assert len(recent) == 91
    assert recent[-1] == pytest.approx(sum(range(393, 400)) / 7)  # the last 7 days
    assert recent[0] == pytest.approx(sum(range(303, 310)) / 7)
    year = trail(series, 365, step=7)
    assert len(year) == 53 and year[-1] == recent[-1]  # ends with the latest
    assert year[-2] == pytest.approx(sum(range(386, 393)) / 7)  # a week earlier
    assert trail([Point(day, 5.0)]) == [5.0]


def test_refresh_stores_the_status_and_the_segments_values(world):
    push(world, daily("Conversion rate", [2.3] * 14))
    push(world, daily("Conversion rate", [3.1] * 10, segment="Returning visitors"))
    progress_refresh(cycle=world.program.cycles.get())
    overall = KpiSnapshot.objects.get(kpi=world.kpi, segment=None)
    assert overall.status == "on_track"  # the cycle began today: nothing expected yet
    assert overall.trend == pytest.approx(2.3)
    assert overall.progress_pct == pytest.approx(75.0)  # 2.0 -> 2.4, at 2.3
    assert len(overall.trail) == 14
    segment = KpiSnapshot.objects.get(kpi=world.kpi, segment=world.segment)
    assert segment.trend == pytest.approx(3.1) and segment.status == ""


def test_refreshing_twice_changes_nothing_and_records_no_change(world):
    push(world, daily("Conversion rate", [2.3] * 14))
    cycle = world.program.cycles.get()
    progress_refresh(cycle=cycle)
    first = list(KpiSnapshot.objects.values_list("kpi_id", "segment_id", "status", "trend"))
    assert progress_refresh(cycle=cycle) == []
    assert list(KpiSnapshot.objects.values_list("kpi_id", "segment_id", "status", "trend")) == (
        first
    )
    assert not StatusChange.objects.exists()


def late(pull):
    """Make it as if the pull finished a while ago, after the last refresh, and its refresh
    job never came."""
    now = timezone.now()
    KpiSnapshot.objects.update(computed_at=now - 3 * LOAD_GRACE)
    Pull.objects.filter(pk=pull.pk).update(finished_at=now - 2 * LOAD_GRACE)


def test_snapshots_go_stale_on_new_results_kpi_edits_and_a_new_day(world):
    cycle = world.program.cycles.get()
    today = timezone.localdate()
    assert snapshots_stale(cycle=cycle, today=today)  # none yet
    progress_refresh(cycle=cycle, today=today)
    assert not snapshots_stale(cycle=cycle, today=today)
    assert snapshots_stale(cycle=cycle, today=today + datetime.timedelta(days=1))

    pull = push(world, daily("Conversion rate", [2.2] * 3))
    assert not snapshots_stale(cycle=cycle, today=today)  # its refresh job is on its way
    late(pull)
    assert snapshots_stale(cycle=cycle, today=today)  # ... and late
    progress_refresh(cycle=cycle, today=today)
    assert not snapshots_stale(cycle=cycle, today=today)

    kpi_save(goal=world.goal, by=world.user("manager"), kpi=world.kpi, target=Decimal("2.6"))
    assert snapshots_stale(cycle=cycle, today=today)


def test_the_dashboard_shows_results_whose_refresh_job_is_late(
    world, as_user, django_capture_on_commit_callbacks, tasks_run_here
):
    """A load's refresh job normally brings the numbers within seconds. When it is late (the
    worker was down), the page says its figures are being updated and queues the refresh
    itself, once however often it is opened, and writes nothing; the job brings them."""
    from django.core.cache import cache
    from django.urls import reverse

    cache.clear()
    url = reverse("progress:dashboard", kwargs={"pk": world.program.pk})
    client = as_user("executive")
    with django_capture_on_commit_callbacks(execute=True):
        push(world, daily("Conversion rate", [2.1] * 7))
    assert "2.1%" in client.get(url).content.decode()
    with django_capture_on_commit_callbacks(execute=False):  # the load's job never comes
        pull = push(world, daily("Conversion rate", [2.35] * 7))  # the same days, new values
    late(pull)
    computed = list(KpiSnapshot.objects.values_list("pk", "computed_at"))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        pages = [client.get(url).content.decode() for _ in range(3)]
    assert all('data-testid="updating"' in page and "2.35%" not in page for page in pages)
    assert list(KpiSnapshot.objects.values_list("pk", "computed_at")) == computed  # no write
    assert len(queued) == 1  # one refresh for three pages
    queued[0]()  # the worker runs it
    page = client.get(url).content.decode()
    assert "2.35%" in page and 'data-testid="updating"' not in page


def test_a_refresh_the_broker_refused_is_asked_again_by_the_next_page(
    world, as_user, django_capture_on_commit_callbacks, monkeypatch
):
    from django.core.cache import cache
    from django.urls import reverse
    from kombu.exceptions import OperationalError

    from progress import tasks

    cache.clear()
    sent = []

    def broker_down(**kwargs):
        sent.append(kwargs)
        raise OperationalError("connection refused")

    monkeypatch.setattr(tasks.refresh_cycle, "delay", broker_down)
    url = reverse("progress:dashboard", kwargs={"pk": world.program.pk})
    client = as_user("executive")
    for _ in range(2):  # no snapshots yet: stale; the broker refuses each refresh
        with django_capture_on_commit_callbacks(execute=True):
            assert client.get(url).status_code == 200
    assert sent == [{"cycle_id": world.program.cycles.get().pk}] * 2


@pytest.mark.django_db(transaction=True)
def test_a_page_does_not_wait_for_a_refresh_already_running(world):
    """A page finding a refresh of the cycle under way reads the snapshots as they are."""
    import threading

    from django.db import connection

    cycle = world.program.cycles.get()
    progress_refresh(cycle=cycle)
    holding, release = threading.Event(), threading.Event()

    def hold_the_lock():
        from django.db import transaction

        with transaction.atomic():
            Cycle.objects.select_for_update().get(pk=cycle.pk)
            holding.set()
            release.wait(10)
        connection.close()

    thread = threading.Thread(target=hold_the_lock)
    thread.start()
    holding.wait(10)
    try:
        assert progress_refresh(cycle=cycle, wait=False) == []  # at once, not after 10 s
    finally:
        release.set()
        thread.join()


def arms(world, *, visits_p, visits_c, rate_p, rate_c, days=28):
    items = []
    for variant, visits, rate in (
        ("personalized", visits_p, rate_p),
        ("control", visits_c, rate_c),
    ):
        conversions = round(visits * rate)
        items += daily(
            "Conversion rate",
            [round(100 * conversions / visits, 4)] * days,
            variant=variant,
            numerator=lambda n, c=conversions: c,
            denominator=lambda n, v=visits: v,
        )
    push(world, items)


def test_refresh_keeps_the_lift_and_the_extra_conversions_since_the_cycle_began(world):
    cycle = world.program.cycles.get()
    cycle.starts_on = timezone.localdate() - datetime.timedelta(days=10)
    cycle.save()
    arms(world, visits_p=5000, visits_c=5000, rate_p=0.03, rate_c=0.025)
    progress_refresh(cycle=cycle)
    lift = KpiSnapshot.objects.get(kpi=world.kpi, segment=None).lift
    assert lift["kind"] == "rate" and lift["significant"]
    assert lift["lift"] == pytest.approx(0.2)
    assert "personalized converts 20.0% better" in str(Message.from_json(lift["sentence"]))
    # The last 10 days fall in the cycle: 10 * 5000 visits * (3.0% - 2.5%) = 250 extra.
    assert lift["extra_conversions"] == pytest.approx(250)
    assert lift["extra_since"] == cycle.starts_on.isoformat()


def test_means_without_denominators_are_compared_with_welchs_t(world):
    items = daily(
        "Conversion rate", [2.4, 2.6, 2.5, 2.7, 2.5, 2.6, 2.4] * 4, variant="personalized"
    )
    items += daily("Conversion rate", [2.0, 2.2, 2.1, 2.3, 2.1, 2.2, 2.0] * 4, variant="control")
    push(world, items)
    summary = lift_by_kpi(kpis=[world.kpi], cycle_start=world.program.cycles.get().starts_on)[
        world.kpi.pk
    ]
    assert summary.kind == "mean" and summary.srm is None
    assert summary.result.significant
    assert summary.result.lift == pytest.approx(2.5286 / 2.1286 - 1, rel=1e-3)
    assert summary.extra_conversions is None


def test_no_lift_without_both_arms(world):
    push(world, daily("Conversion rate", [2.4] * 7, variant="personalized"))
    assert lift_by_kpi(kpis=[world.kpi], cycle_start=datetime.date(2020, 1, 1)) == {}


def test_realized_roi_by_hand():
    """250 extra orders at EUR 40 = EUR 10,000 over 30 days with results; the cycle has
    run 61 days: cost 20,000 + 1,000 * 61/30.4375 = 22,004.11."""
    result = realized_roi(
        extra_conversions=250.0,
        value_per_conversion=Decimal("40"),
        measured_since=datetime.date(2026, 3, 2),
        measured_until=datetime.date(2026, 3, 31),
        cycle_start=datetime.date(2026, 1, 30),
        today=datetime.date(2026, 3, 31),
        one_off=Decimal("20000"),
        running_per_month=Decimal("1000"),
        horizon_months=12,
        acceptable_roi_percent=Decimal("50"),
    )
    assert result.return_to_date == Decimal("10000.00")
    assert result.return_per_month == Decimal("10145.83")  # 10,000 / (30 / 30.4375)
    assert result.cost_to_date == Decimal("22004.11")
    assert result.roi_to_date_percent == Decimal("-54.6")
    # Over 12 months at that rate: return 121,749.96 against 32,000 invested.
    assert result.projected.roi_percent == Decimal("280.5")
    assert result.projected.acceptable is True


def test_realized_roi_is_shown_on_the_roi_page_and_the_dashboard(world, as_user):
    from django.urls import reverse

    cycle = world.program.cycles.get()
    cycle.starts_on = timezone.localdate() - datetime.timedelta(days=28)
    cycle.save()
    roi_target_save(
        cycle=cycle,
        by=world.user("manager"),
        currency_code="EUR",
        one_off_investment=Decimal("1000"),
        running_cost_per_month=Decimal("0"),
        return_basis="margin",
        expected_return_per_month=Decimal("2000"),
        horizon_months=12,
        acceptable_roi_percent=Decimal("50"),
        attribution_kpi=world.kpi,
        value_per_conversion=Decimal("10"),
    )
    arms(world, visits_p=1000, visits_c=1000, rate_p=0.03, rate_c=0.02)
    client = as_user("executive")
    for name in ("kpis:roi", "progress:dashboard"):
        body = shown(client, reverse(name, kwargs={"pk": world.program.pk}))
        assert 'data-testid="roi-realized"' in body
        # 28 days * 1000 visits * 1 point = 280 extra conversions at EUR 10.
        assert "280 extra conversions on Conversion rate" in body
        assert "EUR 2,800 returned" in body


def test_roi_form_needs_both_the_kpi_and_the_value(world, as_user):
    from django.urls import reverse

    response = as_user("manager").post(
        reverse("kpis:roi", kwargs={"pk": world.program.pk}),
        {
            "currency_code": "EUR",
            "one_off_investment": "1000",
            "running_cost_per_month": "0",
            "return_basis": "margin",
            "expected_return_per_month": "200",
            "horizon_months": "12",
            "acceptable_roi_percent": "50",
            "attribution_kpi": str(world.kpi.pk),
        },
    )
    assert response.status_code == 422
    assert "Say what one extra conversion is worth" in response.content.decode()
    from kpis.models import RoiTarget

    assert not RoiTarget.objects.exists()


def test_a_planned_90_10_split_against_a_holdout_is_no_mismatch(world):
    """A holdout stands in for the control group; the split is checked against the plan."""
    items = []
    for variant, visits in (("personalized", 9000), ("holdout", 1000)):
        items += daily(
            "Conversion rate",
            [2.5] * 28,
            variant=variant,
            numerator=lambda n, v=visits: round(v * 0.025),
            denominator=lambda n, v=visits: v,
        )
    push(world, items)
    start = world.program.cycles.get().starts_on
    summary = lift_by_kpi(kpis=[world.kpi], cycle_start=start)[world.kpi.pk]
    assert summary.srm.mismatch  # against the default 50/50 plan
    kpi_save(
        goal=world.goal, by=world.user("manager"), kpi=world.kpi, personalized_share=Decimal("0.9")
    )
    world.kpi.refresh_from_db()
    summary = lift_by_kpi(kpis=[world.kpi], cycle_start=start)[world.kpi.pk]
    assert not summary.srm.mismatch and summary.srm.planned_share == 0.9
    assert summary.result.lift == pytest.approx(0.0)
