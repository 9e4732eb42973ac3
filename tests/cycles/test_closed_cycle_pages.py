"""A closed cycle reads as closed (issue 18, item 13): no time left, nothing still to do,
no answer links and no edit forms that would be refused on submit; each closed cycle says
the day it closed and the phase it ended in."""

import datetime
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from cycles.review import cycle_start_next, review_open
from kpis.services import kpi_period_targets_save, roi_target_save
from programs.models import Cycle
from programs.services import cycle_set_phase
from tests.cycles.test_review import save

pytestmark = pytest.mark.django_db


@pytest.fixture
def closed(world):
    """Cycle 1, begun 30 days ago, left at question 3 and closed today with an ROI target
    and strategic questions unanswered; cycle 2 is open."""
    cycle = world.program.cycles.get()
    start = timezone.localdate() - datetime.timedelta(days=30)
    Cycle.objects.filter(pk=cycle.pk).update(
        starts_on=start, ends_on=start + datetime.timedelta(days=91)
    )
    cycle.refresh_from_db()
    manager = world.user("manager")
    roi_target_save(
        cycle=cycle,
        by=manager,
        one_off_investment=1000,
        running_cost_per_month=10,
        expected_return_per_month=500,
        horizon_months=12,
        acceptable_roi_percent=50,
    )
    cycle_set_phase(cycle=cycle, phase="how-do-we-get-there", by=manager)
    save(review_open(cycle=cycle), world)
    cycle_start_next(cycle=cycle, by=manager)
    cycle.refresh_from_db()
    return cycle


def page(client, name, world, query="?cycle=1", **kwargs):
    response = client.get(reverse(name, kwargs={"pk": world.program.pk, **kwargs}) + query)
    assert response.status_code == 200
    return " ".join(response.content.decode().split())


@pytest.mark.parametrize("role", ["manager", "executive"])
def test_the_program_home_of_a_closed_cycle_shows_no_time_left_and_no_phase_form(
    world, as_user, closed, role
):
    body = page(as_user(role), "cycles:program_home", world)
    assert "Cycle 1" in body and "days left" not in body and "ago" not in body
    assert 'data-testid="phase-form"' not in body
    today = timezone.localdate()
    assert f"closed {today:%-d %b %Y} (61 days before its planned end" in body
    assert "ended in: How do we get there?" in body
    assert "Closed while on this question" in body  # question 3, where it stopped
    assert "/where-are-we-going/?cycle=1" in body  # its questions, as they were
    # The open cycle's home still counts down.
    assert "days left" in page(as_user(role), "cycles:program_home", world, query="")


def test_the_goals_of_a_closed_cycle_show_no_time_left_nor_anything_to_do(world, as_user, closed):
    body = page(as_user("manager"), "kpis:summary", world)
    assert "You are looking at cycle 1, which is closed" in body
    assert " left<" not in body and "date passed" not in body
    assert "Still to do" not in body and ">Answer<" not in body
    assert "As it stood when cycle 1 closed." in body
    assert "/where-are-we-going/roi/?cycle=1" in body and ">Answers<" in body
    assert "Add a goal" not in body and "Add KPI" not in body


def test_the_roi_and_questions_of_a_closed_cycle_are_read_only(world, as_user, closed):
    client = as_user("manager")
    roi = page(client, "kpis:roi", world)
    assert 'data-testid="roi-form"' not in roi and "One-off investment" in roi
    questions = page(client, "kpis:questions", world)
    assert 'data-testid="question-form"' not in questions and "<textarea" not in questions
    assert "Still to do" not in questions and "Answer:" not in questions


def test_a_closed_cycles_kpi_offers_no_edit_form(world, as_user, closed):
    client = as_user("manager")
    kpi = world.kpi  # of cycle 1
    url = reverse("kpis:kpi_edit", kwargs={"pk": world.program.pk, "kpi_pk": kpi.pk})
    response = client.get(url, follow=True)
    body = response.content.decode()
    assert response.redirect_chain[-1][0].endswith(f"/kpis/{kpi.pk}/")
    assert "Cycle 1 is closed: its KPIs can be read, not changed." in body
    assert "<form" not in body.split('id="main"')[-1].split("Targets per period")[0]


def test_a_closed_cycles_kpi_shows_its_monthly_targets_as_text(world, as_user):
    kpi = world.kpi
    month = kpi.baseline_date.replace(day=1) + datetime.timedelta(days=32)
    month = month.replace(day=1)
    kpi_period_targets_save(
        kpi=kpi,
        organization=world.acme,
        grain="month",
        targets={month: Decimal("2.35")},
        by=world.user("manager"),
    )
    cycle = kpi.goal.cycle
    save(review_open(cycle=cycle), world)
    cycle_start_next(cycle=cycle, by=world.user("manager"))
    body = page(as_user("manager"), "kpis:kpi", world, query="", kpi_pk=kpi.pk)
    targets = body.split("Targets per period")[1].split("History")[0]
    assert "<input" not in targets and "<form" not in targets
    assert f'<th scope="row">{month:%b %Y}</th>' in targets
    assert '<td class="text-end">2.35%</td>' in targets


def test_a_question_page_shows_the_closed_cycle_asked_for(world, as_user, closed):
    client = as_user("team")
    today = timezone.localdate()
    ended = page(client, "cycles:question", world, phase="how-do-we-get-there")
    assert "Cycle 1" in ended and "Cycle 2" not in ended
    assert f"Cycle 1 was on this question when it closed on {today:%-d %b %Y}." in ended
    assert "working on this question now" not in ended and "Still to do" not in ended
    assert "Answer" not in ended.split('id="main"')[-1]
    pk = world.program.pk
    assert f'href="{reverse("initiatives:map", kwargs={"pk": pk})}?cycle=1"' in ended  # as it was
    assert f'href="{reverse("cycles:program_home", kwargs={"pk": pk})}?cycle=1">Back' in ended
    done = page(client, "cycles:question", world, phase="where-are-we-going")
    assert f"Cycle 1 closed on {today:%-d %b %Y}; its answers here are kept as they were." in done
    review = page(client, "cycles:question", world, phase="are-we-getting-closer")
    assert f'href="{reverse("cycles:review", kwargs={"pk": pk})}?cycle=1"' in review
    open_one = page(client, "cycles:question", world, query="", phase="where-are-we")
    assert "Cycle 2" in open_one and "The team is working on this question now." in open_one
    url = reverse("cycles:question", kwargs={"pk": world.program.pk, "phase": "where-are-we"})
    assert client.get(url + "?cycle=9").status_code == 404
    assert client.get(url + "?cycle=x").status_code == 404
