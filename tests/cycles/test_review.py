"""Act: the cycle review, the next cycle it starts, the ready-for-review job and the
comparison of cycles."""

import datetime
import threading
from decimal import Decimal

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Assessment, MaturityScore
from assessments.services import maturity_score_save
from blueprints.models import Blueprint, Offer
from blueprints.services import blueprint_create, offer_save
from cycles.models import KpiReview
from cycles.review import (
    cycle_start_next,
    cycles_mark_ready,
    review_open,
    review_save,
)
from initiatives.models import Initiative
from kpis.models import Goal, Kpi, RoiTarget, StrategicAnswer
from kpis.services import kpi_save, roi_target_save, strategic_answer_save
from programs.models import Cycle
from tests.conftest import shown
from tests.progress.test_snapshots import daily, push

pytestmark = pytest.mark.django_db


@pytest.fixture
def cycle(world):
    return world.program.cycles.get()


def add_initiative(world, cycle, name, status, effect_on=None):
    from initiatives.services import initiative_save, plan_defaults_ensure

    plan_defaults_ensure(organization=world.acme)
    initiative = initiative_save(
        cycle=cycle,
        by=world.user("manager"),
        name=name,
        owner_department=world.acme.departments.first(),
        starts_on=cycle.starts_on,
        status=status,
    )
    if effect_on is not None:
        from initiatives.services import effect_add

        effect_add(
            initiative=initiative, kpi=effect_on, direction="up", size="m", by=world.user("manager")
        )
    return initiative


def save(review, world, **kpi_decisions):
    """Save the review with a decision per KPI name: "keep", ("raise", "2.8"), "drop"."""
    rows = {}
    for row in review.kpis.select_related("kpi"):
        decision = kpi_decisions.get(row.kpi.name, "keep")
        decision, target = (decision, None) if isinstance(decision, str) else decision
        rows[row.pk] = {
            "decision": decision,
            "new_target": Decimal(target) if target else None,
            "note": "",
        }
    review_save(
        review=review,
        by=world.user("manager"),
        what_worked="Recommendations on the product page.",
        what_did_not="E-mail timing.",
        lessons="Test one change per channel at a time.",
        kpi_rows=rows,
        initiative_rows={
            r.pk: {"outcome": r.outcome, "decision": r.decision, "note": ""}
            for r in review.initiatives.all()
        },
    )


@pytest.fixture
def second_kpi(world, cycle):
    return kpi_save(
        goal=world.goal,
        by=world.user("manager"),
        name="Bounce rate",
        unit="percent",
        direction="lower",
        baseline=Decimal("48"),
        baseline_date=cycle.starts_on,
        target=Decimal("42"),
        target_date=cycle.ends_on,
    )


def test_the_review_lists_every_kpi_with_its_actual(world, cycle):
    push(world, daily("Conversion rate", [2.3] * 7))
    review = review_open(cycle=cycle)
    (row,) = review.kpis.all()
    assert (row.baseline, row.planned, row.actual) == (
        Decimal("2.0"),
        Decimal("2.4"),
        Decimal("2.3"),
    )


def test_a_raised_target_must_be_given_and_be_higher(world, cycle, second_kpi):
    review = review_open(cycle=cycle)
    with pytest.raises(ValidationError) as raised:
        save(review, world, **{"Conversion rate": "raise"})
    assert "Give the new target." in str(raised.value)
    with pytest.raises(ValidationError) as raised:
        save(review, world, **{"Bounce rate": ("raise", "45")})  # lower is better: 45 is worse
    assert "better than the current one" in str(raised.value)
    assert set(KpiReview.objects.values_list("decision", flat=True)) == {"keep"}


def test_starting_the_next_cycle_carries_over_what_the_review_decided(world, cycle, second_kpi):
    manager = world.user("manager")
    push(world, daily("Conversion rate", [2.3] * 7))
    roi_target_save(
        cycle=cycle,
        by=manager,
        one_off_investment=Decimal("1000"),
        running_cost_per_month=Decimal("10"),
        expected_return_per_month=Decimal("500"),
        horizon_months=12,
        acceptable_roi_percent=Decimal("50"),
        attribution_kpi=world.kpi,
        value_per_conversion=Decimal("20"),
    )
    strategic_answer_save(
        cycle=cycle, question="segments", answer="Returning visitors", confidence="high", by=manager
    )
    maturity_score_save(
        cycle=cycle, dimension=world.dimension, by=manager, score=3, evidence="", opportunity=""
    )
    running = add_initiative(world, cycle, "Product recommendations", "in_progress", world.kpi)
    stopped = add_initiative(world, cycle, "Exit pop-up", "stopped", second_kpi)
    blueprint = blueprint_create(cycle=cycle, name="Web", by=manager, stages=["Consider"])
    stage = blueprint.stages.get()
    offer_save(
        stage=stage,
        by=manager,
        name="Top sellers",
        kind="recommendation",
        kpi=second_kpi,
        value=Decimal("5"),
        propensity=Decimal("0.1"),
    )

    review = review_open(cycle=cycle)
    save(review, world, **{"Conversion rate": ("raise", "2.6"), "Bounce rate": "drop"})
    following = cycle_start_next(cycle=cycle, by=manager)

    cycle.refresh_from_db()
    assert not cycle.is_open and following.is_open
    assert (following.number, following.previous_id) == (2, cycle.pk)
    # Closed today: cycle 1 ends today and cycle 2 starts tomorrow, for as long as cycle 1
    # was planned to run.
    today = timezone.localdate()
    assert (cycle.ends_on, following.starts_on) == (today, today + datetime.timedelta(days=1))
    assert following.ends_on - following.starts_on == cycle.planned_ends_on - cycle.starts_on
    (kpi,) = Kpi.objects.filter(goal__cycle=following)  # bounce rate was dropped
    assert (kpi.name, kpi.baseline, kpi.target) == (
        "Conversion rate",
        Decimal("2.3"),
        Decimal("2.6"),
    )
    assert (kpi.baseline_date, kpi.target_date) == (following.starts_on, following.ends_on)
    goal = Goal.objects.get(cycle=following)
    assert list(goal.segments.all()) == [world.segment]
    roi = RoiTarget.objects.get(cycle=following)
    assert roi.attribution_kpi == kpi and roi.value_per_conversion == Decimal("20")
    assert StrategicAnswer.objects.get(cycle=following).answer == "Returning visitors"
    (carried,) = Initiative.objects.filter(cycle=following)
    assert carried.name == "Product recommendations" and carried.carried_from == running
    assert [e.kpi for e in carried.effects.all()] == [kpi]
    new_blueprint = Blueprint.objects.get(cycle=following)
    assert new_blueprint.pk != blueprint.pk
    new_offer = Offer.objects.get(stage__blueprint=new_blueprint)
    assert new_offer.name == "Top sellers" and new_offer.kpi is None  # its KPI was dropped
    assert MaturityScore.objects.get(assessment__cycle=following).score == 3
    assert Assessment.objects.get(cycle=following).copied_from.cycle == cycle
    # The old cycle keeps all of it, unchanged.
    assert Kpi.objects.filter(goal__cycle=cycle).count() == 2
    assert Initiative.objects.get(pk=stopped.pk).cycle == cycle
    assert Offer.objects.get(stage__blueprint=blueprint).kpi == second_kpi


def test_a_kept_target_the_actual_already_reached_must_be_raised_or_dropped(world, cycle):
    push(world, daily("Conversion rate", [2.5] * 7))  # beyond the target of 2.4
    save(review_open(cycle=cycle), world)
    with pytest.raises(ValidationError) as raised:
        cycle_start_next(cycle=cycle, by=world.user("manager"))
    assert "already reaches the target" in str(raised.value)
    cycle.refresh_from_db()
    assert cycle.is_open and Cycle.objects.count() == 2  # and the other organization's


def test_no_next_cycle_without_a_review(world, cycle):
    with pytest.raises(ValidationError, match="Write and save the review"):
        cycle_start_next(cycle=cycle, by=world.user("manager"))
    review_open(cycle=cycle)  # opened, never saved: still no review
    with pytest.raises(ValidationError, match="Write and save the review"):
        cycle_start_next(cycle=cycle, by=world.user("manager"))


def test_a_kpi_added_after_the_review_was_saved_is_carried_too(world, cycle, second_kpi):
    save(review_open(cycle=cycle), world, **{"Bounce rate": "drop"})
    kpi_save(
        goal=world.goal,
        by=world.user("manager"),
        name="Revenue per visit",
        unit="currency",
        currency_code="EUR",
        direction="higher",
        baseline=Decimal("1.20"),
        baseline_date=cycle.starts_on,
        target=Decimal("1.40"),
        target_date=cycle.ends_on,
    )
    following = cycle_start_next(cycle=cycle, by=world.user("manager"))
    names = sorted(Kpi.objects.filter(goal__cycle=following).values_list("name", flat=True))
    assert names == ["Conversion rate", "Revenue per visit"]


def test_the_open_cycle_is_counted_once_in_the_comparison(world, cycle):
    from cycles.selectors import cycle_comparison

    review_open(cycle=cycle)  # a manager looked at the open cycle's review
    (column,) = cycle_comparison(program=world.program).columns
    assert [k.name for k in column.kpis] == ["Conversion rate"]


def test_starting_twice_gives_one_next_cycle(world, cycle):
    save(review_open(cycle=cycle), world)
    first = cycle_start_next(cycle=cycle, by=world.user("manager"))
    again = cycle_start_next(cycle=cycle, by=world.user("manager"))
    assert first == again
    assert world.program.cycles.count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_tabs_starting_at_once_give_one_next_cycle(world, cycle):
    save(review_open(cycle=cycle), world)
    results, barrier = [], threading.Barrier(2)

    def start():
        try:
            barrier.wait()
            results.append(cycle_start_next(cycle=cycle, by=world.user("manager")).pk)
        finally:
            connection.close()

    threads = [threading.Thread(target=start) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 2 and results[0] == results[1]
    assert world.program.cycles.count() == 2


def test_a_closed_cycle_refuses_every_edit(world, cycle, as_user):
    """Every POST of the access matrix, as an admin, against a program whose cycle was just
    closed: the closed cycle's rows stay exactly as they were."""
    from tests.test_access_matrix import MATRIX

    def fingerprint():
        return (
            list(Goal.objects.filter(cycle=cycle).values()),
            list(Kpi.objects.filter(goal__cycle=cycle).values()),
            list(Initiative.objects.filter(cycle=cycle).values()),
            list(Blueprint.objects.filter(cycle=cycle).values()),
            list(StrategicAnswer.objects.filter(cycle=cycle).values()),
            list(MaturityScore.objects.filter(assessment__cycle=cycle).values()),
            list(cycle.gaps.values()),
            list(Cycle.objects.filter(pk=cycle.pk).values()),
        )

    kwargs = {name: rule.kwargs(world) for name, rule in MATRIX.items() if rule.method == "post"}
    save(review_open(cycle=cycle), world)
    cycle_start_next(cycle=cycle, by=world.user("manager"))
    before = fingerprint()
    client = as_user("admin")
    for name, rule in MATRIX.items():
        if rule.method != "post" or name == "cycles:cycle_start_next":
            continue
        response = client.post(reverse(name, kwargs=kwargs[name]), rule.data(world))
        assert response.status_code < 500, name
        assert fingerprint() == before, name


def test_the_ready_job_marks_a_cycle_past_its_end_and_tells_the_managers_once(world, cycle):
    for who in ("admin", "manager", "executive"):
        user = world.user(who)
        user.email = f"{user.username}@acme.test"
        user.save()
    assert cycles_mark_ready(today=cycle.ends_on) == []  # still running
    ready = cycles_mark_ready(today=cycle.ends_on + datetime.timedelta(days=1))
    assert cycle in ready  # (and the other organization's, which began the same day)
    ours = [m for m in mail.outbox if m.to[0].endswith("@acme.test")]
    assert sorted(m.to[0] for m in ours) == ["alice@acme.test", "mia@acme.test"]
    assert "Web shop: cycle 1 is ready for its review" in ours[0].subject
    sent = len(mail.outbox)
    assert cycles_mark_ready(today=cycle.ends_on + datetime.timedelta(days=2)) == []
    assert len(mail.outbox) == sent
    cycle.refresh_from_db()
    assert cycle.ready_at is not None


def test_ready_for_review_goes_out_in_each_managers_language(world, cycle):
    from programs.services import profile_set_language

    for who, language in (("admin", "nl"), ("manager", "")):
        user = world.user(who)
        user.email = f"{user.username}@acme.test"
        user.save()
        if language:
            profile_set_language(user=user, language=language)
    cycles_mark_ready(today=cycle.ends_on + datetime.timedelta(days=1))
    subjects = {m.to[0]: m.subject for m in mail.outbox if m.to[0].endswith("@acme.test")}
    assert subjects == {
        "alice@acme.test": "Web shop: cyclus 1 is klaar voor evaluatie",
        "mia@acme.test": "Web shop: cycle 1 is ready for its review",  # no choice: English
    }


def test_a_cycle_is_ready_once_every_kpi_has_results_through_its_target_date(world, cycle):
    end = cycle.ends_on
    cycle.ends_on = end + datetime.timedelta(days=30)
    cycle.save()
    from results.models import Measurement

    Measurement.objects.create(
        kpi=world.kpi,
        period_start=end - datetime.timedelta(days=1),
        value=2,
        loaded_at=timezone.now(),
    )
    assert cycle not in cycles_mark_ready(today=end)
    Measurement.objects.create(kpi=world.kpi, period_start=end, value=2, loaded_at=timezone.now())
    assert cycle in cycles_mark_ready(today=end)


def run_cycles(world, n):
    """Review and start the next cycle n times: the open cycle is moved to have begun n
    days ago, and each cycle is closed on its first day (a cycle cannot close before it
    starts, nor on a day still to come)."""
    cycle = world.program.cycles.get(closed_at__isnull=True)
    back = cycle.starts_on - (timezone.localdate() - datetime.timedelta(days=n))
    Cycle.objects.filter(pk=cycle.pk).update(
        starts_on=cycle.starts_on - back, ends_on=cycle.ends_on - back
    )
    cycle.refresh_from_db()
    for _ in range(n):
        review = review_open(cycle=cycle)
        rows = {
            r.pk: {"decision": "keep", "new_target": None, "note": ""} for r in review.kpis.all()
        }
        review_save(
            review=review,
            by=world.user("manager"),
            what_worked="",
            what_did_not="",
            lessons="",
            kpi_rows=rows,
            initiative_rows={},
        )
        cycle = cycle_start_next(cycle=cycle, by=world.user("manager"), closes_on=cycle.starts_on)
    return cycle


def test_the_comparison_page_queries_are_the_same_for_3_and_10_cycles(world, as_user):
    client = as_user("executive")
    url = reverse("cycles:cycle_compare", kwargs={"pk": world.program.pk})
    run_cycles(world, 2)
    with CaptureQueriesContext(connection) as three:
        body = client.get(url).content.decode()
    assert body.count('data-testid="cycle-row"') == 3
    run_cycles(world, 7)
    with CaptureQueriesContext(connection) as ten:
        body = client.get(url).content.decode()
    assert body.count('data-testid="cycle-row"') == 10
    assert len(ten) == len(three)


def test_managers_review_in_the_page_and_start_the_next_cycle(world, as_user, cycle):
    client = as_user("manager")
    url = reverse("cycles:review", kwargs={"pk": world.program.pk})
    body = client.get(url).content.decode()
    assert body.count('data-testid="kpi-review"') == 1
    assert not KpiReview.objects.exists()  # the page wrote nothing: rows come with the save
    k = world.kpi.pk
    data = {
        f"kpi-{k}-decision": "raise",
        f"kpi-{k}-new_target": "",
        "what_worked": "A/B discipline",
        "what_did_not": "",
        "lessons": "",
    }
    response = client.post(url, data)
    assert response.status_code == 422 and "Give the new target." in response.content.decode()
    assert not KpiReview.objects.exists()  # a refused save writes nothing
    response = client.post(url, {**data, f"kpi-{k}-new_target": "2.7"})
    assert response.status_code == 302
    response = client.post(
        reverse("cycles:cycle_start_next", kwargs={"pk": world.program.pk}),
        {"closes_on": timezone.localdate().isoformat()},
        follow=True,
    )
    assert "Cycle 1 is closed; it ended on " in response.content.decode()
    assert Kpi.objects.get(goal__cycle__number=2).target == Decimal("2.7")
    # Cycle 1's review stays readable, and no longer editable.
    body = client.get(url + "?cycle=1").content.decode()
    assert "A/B discipline" in body and 'data-testid="start-next"' not in body


def test_the_admin_shows_a_closed_cycles_objects_read_only(world, cycle):
    from django.test import Client

    save(review_open(cycle=cycle), world)
    cycle_start_next(cycle=cycle, by=world.user("manager"))
    admin_user = world.user("admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    url = reverse("admin:kpis_kpi_change", args=[world.kpi.pk])
    assert client.get(url).status_code == 200  # shown
    response = client.post(url, {"name": "Renamed", "target": "9"})
    assert response.status_code == 403
    delete = reverse("admin:kpis_kpi_delete", args=[world.kpi.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    world.kpi.refresh_from_db()
    assert world.kpi.name == "Conversion rate"
    new_kpi = Kpi.objects.get(goal__cycle__number=2)
    assert client.get(reverse("admin:kpis_kpi_change", args=[new_kpi.pk])).status_code == 200


def test_results_go_to_the_open_cycles_kpis_only(world, cycle, second_kpi):
    from results import sources

    save(review_open(cycle=cycle), world, **{"Bounce rate": "drop"})
    following = cycle_start_next(cycle=cycle, by=world.user("manager"))
    token, _secret = sources.token_create(program=world.program, name="t", by=world.user("admin"))
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    pull = sources.push_load(
        token=token,
        items=[
            {"kpi": "Bounce rate", "period": yesterday, "value": "44"},  # dropped
            {"kpi": "Conversion rate", "period": yesterday, "value": "2.2"},
        ],
    )
    assert (pull.status, pull.inserted, pull.skipped) == ("succeeded", 1, 1)
    pull = sources.push_load(
        token=token, items=[{"kpi": "Nonsense", "period": yesterday, "value": "1"}]
    )
    assert "no KPI “Nonsense” in this program's open cycle" in str(pull.rejected_rows)
    assert Kpi.objects.get(goal__cycle=following).measurements.count() == 1
    assert not world.kpi.measurements.exists()


def test_a_closed_cycles_progress_stays_as_it_was(world, cycle, as_user):
    from progress.models import KpiSnapshot, StatusChange

    push(world, daily("Conversion rate", [2.3] * 7))
    save(review_open(cycle=cycle), world)
    cycle_start_next(cycle=cycle, by=world.user("manager"))
    frozen = KpiSnapshot.objects.get(kpi=world.kpi, segment__isnull=True)
    KpiSnapshot.objects.filter(pk=frozen.pk).update(
        computed_at=frozen.computed_at - datetime.timedelta(days=3)
    )
    url = reverse("kpis:kpi", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk})
    assert as_user("executive").get(url).status_code == 200  # still shown
    assert KpiSnapshot.objects.get(kpi=world.kpi, segment__isnull=True).pk == frozen.pk
    assert not StatusChange.objects.exists()


def test_the_admin_adds_nothing_under_a_closed_cycle(world, cycle):
    from django.test import Client

    from cycles.models import Countermeasure

    review = review_open(cycle=cycle)
    save(review, world)
    cycle_start_next(cycle=cycle, by=world.user("manager"))
    admin_user = world.user("admin")
    admin_user.is_staff = admin_user.is_superuser = True
    admin_user.save()
    client = Client()
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:cycles_countermeasure_add"),
        {"review": review.pk, "what": "Too late", "who": "Someone", "due": "2030-01-31"},
    )
    assert response.status_code == 403
    assert not Countermeasure.objects.exists()


def test_the_kpi_page_states_a_p_value_that_is_not_tiny(world, as_user):
    from tests.kpis.test_goals import add_arms

    add_arms(world, 300, 300)  # 196 against 168 conversions: p about 0.13
    body = shown(
        as_user("executive"),
        reverse("kpis:kpi", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk}),
    )
    assert "p-value 0." in body
