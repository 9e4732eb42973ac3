"""The executive dashboard: one card per KPI, in a fixed number of queries."""

import datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kpis.services import goal_save, kpi_save
from results.models import Measurement

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


def test_the_dashboard_shows_where_the_cycle_stands_from_the_cycles_wheel(world, as_user):
    """The plan panel's four questions come from cycles/ as a fragment (progress sits below
    cycles); the page links to the program home for browsers without JS."""
    import html
    import re

    from programs.models import Phase
    from programs.services import cycle_set_phase

    cycle = world.program.cycles.get()
    cycle_set_phase(cycle=cycle, phase=Phase.HOW_DO_WE_GET_THERE, by=world.user("manager"))
    client = as_user("executive")
    page = client.get(reverse("progress:dashboard", kwargs={"pk": world.program.pk}))
    body = page.content.decode()
    slot = re.search(r'hx-get="([^"]+)"[^>]*data-testid="mini-wheel-slot"', body).group(1)
    assert reverse("cycles:program_home", kwargs={"pk": world.program.pk}) in body

    wheel = client.get(html.unescape(slot)).content.decode()

    items = re.findall(r"<li class=\"is-(\w+)\">.*?</li>", wheel, re.S)
    assert items == ["done", "done", "current", "upcoming"]
    current = re.search(r'<li class="is-current">(.*?)</li>', wheel, re.S).group(1)
    assert re.sub(r"<[^>]+>", "", current) == "3. How do we get there? · in progress"
