import datetime
import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from kpis import selectors, services
from kpis.models import Goal, Kpi, RoiTarget, StrategicAnswer
from segments.models import SegmentCondition
from tests.conftest import shown

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"kpis:{name}", kwargs={"pk": world.program.pk, **kwargs})


def kpi_data(world, **changes):
    cycle = world.program.cycles.get()
    data = {
        "name": "Average order value",
        "definition": "",
        "unit": "currency",
        "currency_code": "eur",
        "direction": "higher",
        "baseline": "64",
        "baseline_date": cycle.starts_on.isoformat(),
        "target": "70",
        "target_date": cycle.ends_on.isoformat(),
        "segments": [world.segment.pk],
        "driver": "",
    }
    return {**data, **changes}


def test_manager_adds_a_kpi_from_the_library(world, as_user):
    client = as_user("manager")
    page = client.get(url("kpi_create", world, goal_pk=world.goal.pk) + "?library=bounce_rate")
    form = page.context["form"]
    assert (form.initial["name"], form.initial["unit"], form.initial["direction"]) == (
        "Bounce rate",
        "percent",
        "lower",
    )
    response = client.post(
        url("kpi_create", world, goal_pk=world.goal.pk),
        kpi_data(
            world,
            name="Bounce rate",
            unit="percent",
            direction="lower",
            baseline="48",
            target="42",
            currency_code="",
            library_key="bounce_rate",
        ),
    )
    assert response.status_code == 302
    kpi = Kpi.objects.get(name="Bounce rate")
    assert (kpi.library_key, kpi.direction, kpi.target) == ("bounce_rate", "lower", Decimal("42"))
    assert list(kpi.segments.all()) == [world.segment]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"target": "60"}, "target", "must be above the baseline"),
        ({"direction": "lower"}, "target", "must be below the baseline"),
        ({"target_date": "2020-01-01"}, "target_date", "after the baseline date"),
        ({"unit": "percent", "target": "120"}, "target", "between 0 and 100"),
        ({"currency_code": ""}, "currency_code", "ISO code"),
        ({"baseline": "abc"}, "baseline", "“abc” is not a number."),
    ],
    ids=["not-better", "wrong-direction", "date-before", "percent-over-100", "no-currency", "nan"],
)
def test_bad_kpi_input_is_refused_at_the_field_and_nothing_is_written(
    world, as_user, changes, field, message
):
    before = Kpi.objects.count()
    response = as_user("manager").post(
        url("kpi_create", world, goal_pk=world.goal.pk), kpi_data(world, **changes)
    )
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert Kpi.objects.count() == before


def test_a_driver_of_another_program_is_refused(world, as_user):
    from assessments.services import driver_save

    foreign = driver_save(program=world.foreign_program, by=world.user("outsider"), name="Theirs")
    response = as_user("manager").post(
        url("kpi_create", world, goal_pk=world.goal.pk), kpi_data(world, driver=foreign.pk)
    )
    assert response.status_code == 422
    assert "driver" in response.context["form"].errors


def test_a_segment_of_another_organization_is_refused(world, as_user):
    from segments.services import segment_save

    foreign = segment_save(organization=world.globex, by=world.user("outsider"), name="Theirs")
    response = as_user("manager").post(
        url("goal_create", world),
        {
            "title": "Mine",
            "why": "",
            "line": "top",
            "horizon": "short",
            "owner": "",
            "segments": [foreign.pk],
        },
    )
    assert response.status_code == 422
    assert not Goal.objects.filter(title="Mine").exists()


def test_every_change_of_a_target_is_kept_with_who_and_the_old_value(world, as_user):
    client = as_user("manager")
    cycle = world.program.cycles.get()
    client.post(
        url("kpi_edit", world, kpi_pk=world.kpi.pk),
        {
            "name": "Conversion rate",
            "definition": "",
            "unit": "percent",
            "currency_code": "",
            "direction": "higher",
            "baseline": "2.0",
            "baseline_date": cycle.starts_on.isoformat(),
            "target": "2.6",
            "target_date": cycle.ends_on.isoformat(),
            "driver": "",
        },
    )
    latest = world.kpi.history.latest("history_date")
    assert latest.history_user.username == "mia"
    assert latest.target == Decimal("2.6")
    assert latest.prev_record.target == Decimal("2.4")

    page = shown(as_user("executive"), url("kpi", world, kpi_pk=world.kpi.pk))
    assert "Target:" in page and "2.4000" in page and "2.6000" in page


def roi_data(**changes):
    data = {
        "currency_code": "EUR",
        "one_off_investment": "60000",
        "running_cost_per_month": "4000",
        "return_basis": "margin",
        "expected_return_per_month": "14000",
        "horizon_months": "12",
        "acceptable_roi_percent": "100",
    }
    return {**data, **changes}


def test_roi_target_shows_expected_roi_payback_and_a_warning_under_the_acceptable_one(
    world, as_user
):
    client = as_user("manager")
    response = client.post(url("roi", world), roi_data(), follow=True)
    body = response.content.decode()
    assert "55.6%" in body and "6.0" in body
    assert 'data-testid="roi-warning"' in body  # 55.6% < 100% acceptable

    client.post(url("roi", world), roi_data(acceptable_roi_percent="50"))
    body = client.get(url("roi", world)).content.decode()
    assert 'data-testid="roi-warning"' not in body
    roi = RoiTarget.objects.get()
    assert [h.acceptable_roi_percent for h in roi.history.order_by("history_date")] == [100, 50]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"one_off_investment": "-1"}, "one_off_investment"),
        ({"currency_code": "euro"}, "currency_code"),
        ({"horizon_months": "0"}, "horizon_months"),
    ],
)
def test_bad_roi_input_is_refused_at_the_field(world, as_user, changes, field):
    response = as_user("manager").post(url("roi", world), roi_data(**changes))
    assert response.status_code == 422
    assert field in response.context["form"].errors
    assert not RoiTarget.objects.exists()


def test_strategic_answers_save_as_you_type_and_count_toward_completeness(world, as_user):
    cycle = world.program.cycles.get()
    before = selectors.completeness(cycle=cycle)
    response = as_user("manager").post(
        url("question_save", world, question="competition"),
        {"answer": "Two rivals personalize already.", "confidence": "medium"},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="question-status-competition"' in body and "Saved" in body
    assert 'id="q2-completeness" class="ff-card p-4" hx-swap-oob="true"' in body
    assert selectors.completeness(cycle=cycle).done == before.done + 1
    assert StrategicAnswer.objects.get(question="competition").confidence == "medium"


def test_an_unknown_confidence_is_refused(world, as_user):
    response = as_user("manager").post(
        url("question_save", world, question="goals"),
        {"answer": "x", "confidence": "total"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert not StrategicAnswer.objects.exists()


def test_segment_conditions_are_checked_against_the_attribute_type(world, as_user):
    from segments.services import attribute_save

    cart = attribute_save(
        organization=world.acme,
        key="cart_value",
        label="Cart value",
        type="number",
        allowed_values=[],
    )
    client = as_user("manager")
    segment_url = reverse(
        "segments:segment_condition_add", kwargs={"org": "acme", "segment_pk": world.segment.pk}
    )
    bad = client.post(segment_url, {"attribute": cart.pk, "operator": "at_least", "value": "lots"})
    assert bad.status_code == 422 and "needs a number" in bad.content.decode()
    assert not SegmentCondition.objects.exists()
    client.post(segment_url, {"attribute": cart.pk, "operator": "at_least", "value": "50"})
    assert str(SegmentCondition.objects.get()) == "Cart value is at least 50"

    foreign = attribute_save(
        organization=world.globex, key="x", label="X", type="text", allowed_values=[]
    )
    response = client.post(segment_url, {"attribute": foreign.pk, "operator": "is", "value": "y"})
    assert response.status_code == 422
    assert SegmentCondition.objects.count() == 1


def test_a_category_attribute_needs_its_values(world, as_user):
    response = as_user("manager").post(
        reverse("segments:attributes", kwargs={"org": "acme"}),
        {"key": "visitor_type", "label": "Visitor type", "type": "category", "allowed_values": ""},
    )
    assert response.status_code == 422
    assert "needs its allowed values" in response.content.decode()


def test_summary_shows_goals_kpis_roi_segments_and_open_questions(world, as_user):
    body = as_user("executive").get(url("summary", world)).content.decode()
    assert "Convert more visitors" in body
    assert "2% → <strong>2.4%</strong>" in body
    assert "Returning visitors" in body
    assert "Are we targeting the right audience segments?" in body
    assert "Add KPI" not in body and "Add a goal" not in body


def test_summary_query_count_is_fixed(world, as_user):
    client = as_user("executive")
    client.get(url("summary", world))
    with CaptureQueriesContext(connection) as few:
        client.get(url("summary", world))
    cycle = world.program.cycles.get()
    for n in range(6):
        goal = services.goal_save(
            cycle=cycle, by=world.user("manager"), title=f"Goal {n}", segments=[world.segment]
        )
        for m in range(3):
            services.kpi_save(
                goal=goal,
                by=world.user("manager"),
                name=f"KPI {n}.{m}",
                unit="count",
                direction="higher",
                baseline=Decimal(10),
                baseline_date=cycle.starts_on,
                target=Decimal(20),
                target_date=cycle.ends_on,
                segments=[world.segment],
            )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("summary", world))
    assert response.content.decode().count('data-testid="kpi-row"') == 19
    assert len(many) == len(few) <= 16


def test_program_home_shows_question_two_completeness(world, as_user):
    body = (
        as_user("team")
        .get(reverse("cycles:program_home", kwargs={"pk": world.program.pk}))
        .content.decode()
    )
    assert reverse("kpis:summary", kwargs={"pk": world.program.pk}) in body
    # One goal with a KPI (2 of 11 steps): 18%.
    assert "18% complete" in body


def test_a_closed_cycle_refuses_goal_edits(world, as_user):
    from django.utils import timezone

    world.program.cycles.update(closed_at=timezone.now())
    with pytest.raises(Exception, match="closed"):
        services.goal_save(cycle=world.program.cycles.get(), by=world.user("manager"), title="Late")


def test_the_kpi_page_tells_its_progress_and_draws_it(world, as_user):
    from django.utils import timezone

    from assessments.services import driver_change_add
    from results.models import Measurement

    today = timezone.localdate()
    for back in range(1, 15):
        Measurement.objects.create(
            kpi=world.kpi,
            period_start=today - datetime.timedelta(days=back),
            value=Decimal("2.2"),
            loaded_at=timezone.now(),
        )
    Kpi.objects.filter(pk=world.kpi.pk).update(driver=world.driver)
    driver_change_add(
        driver=world.driver,
        changed_on=today - datetime.timedelta(days=5),
        kind="tool_switch",
        description="Moved to GA4",
        by=world.user("manager"),
    )
    client = as_user("executive")
    body = shown(client, url("kpi", world, kpi_pk=world.kpi.pk))
    assert 'data-testid="status"' in body and 'data-testid="kpi-chart-slot"' in body
    assert "Latest 2.2%" in body
    body = client.get(
        reverse("progress:kpi_chart", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk}),
        headers={"HX-Request": "true"},
    ).content.decode()
    assert "<html" not in body  # a fragment, loaded into the page by htmx
    figure = json.loads(
        body.split('id="kpi-figure" type="application/json">')[1].split("</script>")[0]
    )
    assert [t["name"] for t in figure["data"]][:3] == ["Actual", "Expected path", "Target"]
    assert any("Moved to GA4" in a.get("text", "") for a in figure["layout"]["annotations"])


def test_a_kpi_whose_change_history_is_missing_still_opens(world, as_user):
    """A KPI restored from a backup that carried no history rows for it (or created by a
    bulk load that keeps none) has an empty history: its page opens without a history list
    instead of failing (found by tests/backups/test_backup_fuzz.py)."""
    world.kpi.history.all().delete()
    response = as_user("executive").get(url("kpi", world, kpi_pk=world.kpi.pk))
    assert response.status_code == 200
    assert world.kpi.name in response.content.decode()


def test_the_kpi_page_without_results_says_so(world, as_user):
    body = shown(as_user("executive"), url("kpi", world, kpi_pk=world.kpi.pk))
    assert "No measurements yet" in body and 'data-testid="kpi-chart-slot"' not in body


def add_arms(world, personalized_visits, control_visits, days=28):
    from django.utils import timezone

    from results.models import Measurement

    today = timezone.localdate()
    for back in range(1, days + 1):
        for variant, visits, rate in (
            ("personalized", personalized_visits, 0.024),
            ("control", control_visits, 0.02),
        ):
            Measurement.objects.create(
                kpi=world.kpi,
                period_start=today - datetime.timedelta(days=back),
                variant=variant,
                value=Decimal(str(100 * rate)),
                numerator=int(visits * rate),
                denominator=visits,
                loaded_at=timezone.now(),
            )


def test_the_kpi_page_shows_the_lift_of_personalized_over_control(world, as_user):
    add_arms(world, 5000, 5000)
    body = shown(as_user("executive"), url("kpi", world, kpi_pk=world.kpi.pk))
    assert "Personalized converts 20.0% better (95% CI" in body
    assert "The difference is significant." in body and 'data-testid="srm"' not in body


def test_a_broken_traffic_split_is_flagged(world, as_user):
    add_arms(world, 5000, 5600)
    body = shown(as_user("executive"), url("kpi", world, kpi_pk=world.kpi.pk))
    assert 'data-testid="srm"' in body and "Sample-ratio mismatch" in body


def test_the_kpi_page_breaks_results_down_by_segment(world, as_user):
    from django.utils import timezone

    from results.models import Measurement

    today = timezone.localdate()
    for back in range(1, 10):
        Measurement.objects.create(
            kpi=world.kpi,
            segment=world.segment,
            period_start=today - datetime.timedelta(days=back),
            value=Decimal("2.6"),
            loaded_at=timezone.now(),
        )
    body = shown(as_user("executive"), url("kpi", world, kpi_pk=world.kpi.pk))
    section = body[body.index('data-testid="segment-breakdown"') :]
    assert "Returning visitors" in section and "2.6%" in section and "at target" in section
