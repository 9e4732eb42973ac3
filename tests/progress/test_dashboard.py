"""The executive dashboard: one card per KPI, in a fixed number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kpis.models import Measurement
from kpis.services import goal_save, kpi_save

pytestmark = pytest.mark.django_db


def add_kpis(world, count, with_results=True):
    cycle = world.program.cycles.get()
    goal = goal_save(cycle=cycle, by=world.user("manager"), title=f"Goal of {count}")
    today = timezone.localdate()
    rows = []
    for n in range(count):
        kpi = kpi_save(
            goal=goal,
            by=world.user("manager"),
            name=f"KPI {count}.{n}",
            unit="count",
            direction="higher",
            baseline=Decimal(100),
            baseline_date=cycle.starts_on,
            target=Decimal(120),
            target_date=cycle.ends_on,
        )
        if with_results:
            rows += [
                Measurement(
                    kpi=kpi,
                    period_start=today - datetime.timedelta(days=d),
                    value=Decimal(110),
                    loaded_at=timezone.now(),
                )
                for d in range(1, 15)
            ]
    Measurement.objects.bulk_create(rows)


def test_dashboard_shows_a_card_per_kpi_with_its_status(world, as_user):
    add_kpis(world, 3)
    body = (
        as_user("executive")
        .get(reverse("progress:dashboard", kwargs={"pk": world.program.pk}))
        .content.decode()
    )
    assert body.count('data-testid="kpi-card"') == 4  # three here, and the world's KPI
    assert "No data" in body and ("On track" in body or "Achieved" in body)
    assert "<polyline" in body


def test_dashboard_queries_are_the_same_for_5_and_50_kpis(world, as_user):
    client = as_user("executive")
    url = reverse("progress:dashboard", kwargs={"pk": world.program.pk})
    client.get(url)  # the first visit is recorded once
    add_kpis(world, 5)
    with CaptureQueriesContext(connection) as five_cold:  # snapshots computed on the way
        client.get(url)
    with CaptureQueriesContext(connection) as five:
        client.get(url)
    add_kpis(world, 45)
    with CaptureQueriesContext(connection) as fifty_cold:
        client.get(url)
    with CaptureQueriesContext(connection) as fifty:
        response = client.get(url)
    assert response.content.decode().count('data-testid="kpi-card"') == 51
    assert len(fifty) == len(five)
    assert len(fifty_cold) == len(five_cold)
