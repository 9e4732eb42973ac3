"""Issue 18, item 3: one KPI whose results cannot be computed (conversions above visits,
stored before the entries refused them) froze every KPI's status: the refresh raised and
the KPI page answered 500. Now that KPI says why on its card and page, and every other KPI
refreshes."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from kpis.services import kpi_save
from progress.models import KpiSnapshot
from progress.snapshots import progress_refresh
from results.models import Measurement
from tests.conftest import shown

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken(world):
    """The world's conversion rate with personalized conversions above their visits, as a
    database from before the check holds them; and a second KPI that is fine."""
    cycle = world.program.cycles.get()
    today = timezone.localdate()
    other = kpi_save(
        goal=world.goal,
        by=world.user("manager"),
        name="Order value",
        unit="currency",
        currency_code="EUR",
        direction="higher",
        baseline=Decimal(40),
        baseline_date=cycle.starts_on,
        target=Decimal(50),
        target_date=cycle.ends_on,
    )
    rows = []
    for d in range(1, 8):
        day = today - datetime.timedelta(days=d)
        rows.append(Measurement(kpi=other, period_start=day, value=45, loaded_at=timezone.now()))
        for variant, num in (("personalized", 150), ("control", 20)):
            rows.append(
                Measurement(
                    kpi=world.kpi,
                    period_start=day,
                    variant=variant,
                    value=Decimal(num),
                    numerator=num,
                    denominator=100,
                    loaded_at=timezone.now(),
                )
            )
    Measurement.objects.bulk_create(rows)
    return other


def test_a_kpi_that_cannot_be_computed_does_not_stop_the_others(world, broken):
    progress_refresh(cycle=world.program.cycles.get())
    fine = KpiSnapshot.objects.get(kpi=broken, segment=None)
    assert fine.status and fine.actual == 45
    stuck = KpiSnapshot.objects.get(kpi=world.kpi, segment=None)
    assert "cannot be computed" in stuck.problem


def test_the_dashboard_and_the_kpi_page_say_why(world, broken, as_user):
    progress_refresh(cycle=world.program.cycles.get())
    client = as_user("executive")
    dashboard = client.get(reverse("progress:dashboard", kwargs={"pk": world.program.pk}))
    assert dashboard.status_code == 200
    assert "cannot be computed" in dashboard.content.decode()
    page = shown(
        client, reverse("kpis:kpi", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk})
    )
    assert "cannot be computed" in page
