import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments import selectors, services
from assessments.charts import maturity_radar
from assessments.models import Gap, GapStatus, MaturityScore, MeasurementDriver
from programs.services import cycle_open

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"assessments:{name}", kwargs={"pk": world.program.pk, **kwargs})


def dims(world):
    return list(world.acme.dimensions.all())


def answer(world, dimension, score, evidence="", opportunity="", client=None, htmx=True):
    client = client or world.manager_client
    return client.post(
        url("answer_save", world, dimension_pk=dimension.pk),
        {
            "score": "" if score is None else str(score),
            "evidence": evidence,
            "opportunity": opportunity,
        },
        **({"HTTP_HX_REQUEST": "true"} if htmx else {}),
    )


@pytest.fixture
def world(world, as_user):
    world.manager_client = as_user("manager")
    return world


def test_an_organization_starts_with_the_eight_default_dimensions(world):
    assert [d.name for d in dims(world)] == [
        "Strategy & vision",
        "Data",
        "Decisioning",
        "Design & content",
        "Distribution & channels",
        "Process",
        "Technology & software",
        "Culture & resources",
    ]
    assert all(d.rubric_low and d.rubric_high for d in dims(world))


def test_an_answer_saves_as_it_is_given_and_returns_its_status_and_completeness(world):
    data = dims(world)[1]
    response = answer(world, data, 2, evidence="Joined by hand weekly")

    body = response.content.decode()
    assert response.status_code == 200
    assert f'id="status-{data.pk}"' in body and "Saved" in body
    assert 'id="q1-completeness" class="ff-card p-4" hx-swap-oob="true"' in body
    saved = MaturityScore.objects.get(dimension=data)
    assert (saved.score, saved.evidence, saved.updated_by.username) == (
        2,
        "Joined by hand weekly",
        "mia",
    )


def test_evidence_typed_before_a_score_is_kept(world):
    answer(world, dims(world)[0], None, evidence="Half a thought")
    assert MaturityScore.objects.get(dimension=dims(world)[0]).evidence == "Half a thought"


@pytest.mark.parametrize("score", ["0", "6", "13", "three"])
def test_a_score_out_of_range_is_refused_and_nothing_is_written(world, score):
    response = world.manager_client.post(
        url("answer_save", world, dimension_pk=dims(world)[0].pk),
        {"score": score, "evidence": "x", "opportunity": ""},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Choose a score from 1 to 5." in response.content.decode()
    assert not MaturityScore.objects.exists()


def test_completeness_rises_with_each_answer(world):
    cycle = world.program.cycles.get()
    start = selectors.completeness(cycle=cycle).percent
    for dimension in dims(world)[:3]:
        answer(world, dimension, 4)
    assert selectors.completeness(cycle=cycle).percent > start
    assert selectors.completeness(cycle=cycle).done == 3 + 1  # three scores, one driver


def test_low_scores_and_untrusted_drivers_become_gaps_once(world):
    data = dims(world)[1]
    answer(world, data, 1)
    answer(world, data, 1)
    cycle = world.program.cycles.get()
    services.gaps_regenerate(cycle=cycle)
    generated = cycle.gaps.exclude(origin_key="")
    assert sorted(generated.values_list("origin_key", flat=True)) == [
        f"dimension:{data.pk}",
        f"driver:{world.driver.pk}",
    ]
    assert generated.get(dimension=data).priority == "high"


def test_raising_a_score_removes_its_gap_unless_a_person_edited_it(world):
    data, process = dims(world)[1], dims(world)[5]
    answer(world, data, 1)
    answer(world, process, 2)
    cycle = world.program.cycles.get()
    edited = cycle.gaps.get(dimension=process)
    services.gap_update(
        gap=edited,
        title="Introduce a cycle review",
        priority="high",
        status="planned",
        deferred_reason="",
        by=world.user("manager"),
    )

    answer(world, data, 4)
    answer(world, process, 4)

    assert not cycle.gaps.filter(dimension=data).exists()
    kept = cycle.gaps.get(pk=edited.pk)
    assert (kept.title, kept.status) == ("Introduce a cycle review", GapStatus.PLANNED)
    assert cycle.gaps.filter(title="No control group").exists()  # added by hand


def test_typing_evidence_keeps_the_gap_list_and_costs_fewer_queries(
    world, django_assert_max_num_queries
):
    data = dims(world)[1]
    answer(world, data, 2, evidence="Half")
    cycle = world.program.cycles.get()
    gap = cycle.gaps.get(dimension=data)

    with CaptureQueriesContext(connection) as score_save:
        answer(world, data, 1, evidence="Half")
    with django_assert_max_num_queries(len(score_save) - 4):
        response = answer(world, data, 1, evidence="Half the reports")

    assert response.status_code == 200
    assert MaturityScore.objects.get(dimension=data).evidence == "Half the reports"
    gap.refresh_from_db()
    assert (gap.title, gap.priority) == ("Raise Data maturity (scored 1 of 5)", "high")


def test_validating_a_driver_closes_its_gap_and_a_later_change_reopens_it(world):
    cycle = world.program.cycles.get()
    services.gaps_regenerate(cycle=cycle)
    assert cycle.gaps.filter(driver=world.driver).exists()
    client = world.manager_client
    client.post(url("driver_validate", world, driver_pk=world.driver.pk), {"note": "Checked"})
    assert not cycle.gaps.filter(driver=world.driver).exists()

    # Validated a month ago; a tool switch yesterday breaks comparability again.
    world.driver.validations.all().delete()
    today = timezone.localdate()
    services.driver_validate(
        driver=world.driver, by=world.user("manager"), on=today - datetime.timedelta(days=30)
    )
    client.post(
        url("driver_change_add", world, driver_pk=world.driver.pk),
        {
            "changed_on": (today - datetime.timedelta(days=1)).isoformat(),
            "kind": "tool_switch",
            "description": "GA4",
        },
    )
    (driver,) = selectors.driver_table(program=world.program)
    assert driver.flags and "after its last validation" in str(driver.flags[0])
    assert cycle.gaps.filter(driver=world.driver).exists()


def test_a_change_dated_in_the_future_is_refused_at_the_field(world):
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    response = world.manager_client.post(
        url("driver_change_add", world, driver_pk=world.driver.pk),
        {"changed_on": tomorrow.isoformat(), "kind": "tool_switch", "description": "GA4"},
    )
    assert response.status_code == 422
    assert "cannot be dated in the future" in response.content.decode()
    assert not world.driver.changes.exists()


def driver_data(**overrides):
    data = {
        "name": "Revenue per visit",
        "definition": "",
        "source_system": "Adobe Analytics",
        "owner": "Finance",
        "calendar": "calendar",
        "frequency": "monthly",
    }
    return {**data, **overrides}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": ""}, "This field is required."),
        ({"name": "conversion RATE"}, "already has a driver with this name"),
        ({"calendar": "lunar"}, "Select a valid choice."),
        ({"frequency": "hourly"}, "Select a valid choice."),
    ],
    ids=["empty-name", "duplicate-name", "bad-calendar", "bad-frequency"],
)
def test_bad_driver_input_is_explained_and_nothing_is_written(world, data, message):
    response = world.manager_client.post(url("drivers", world), driver_data(**data))
    assert response.status_code == 422
    assert message in response.content.decode().replace("&#x27;", "'")
    assert MeasurementDriver.objects.count() == 1


def test_a_fiscal_driver_reports_in_the_organizations_fiscal_calendar(world):
    world.acme.fiscal_year_start, world.acme.fiscal_calendar = 4, "445"
    world.acme.save()
    response = world.manager_client.post(url("drivers", world), driver_data(calendar="fiscal"))
    assert response.status_code == 302
    driver = MeasurementDriver.objects.get(name="Revenue per visit")
    body = world.manager_client.get(url("driver", world, driver_pk=driver.pk)).content.decode()
    assert "Fiscal calendar" in body
    assert "Fiscal year from April, retail 4-4-5 weeks starting on Monday" in body


def test_every_driver_edit_records_who_and_when(world):
    client = world.manager_client
    client.post(
        url("driver_edit", world, driver_pk=world.driver.pk),
        driver_data(name="Conversion rate", owner="Web analytics"),
    )
    history = list(world.driver.history.order_by("history_date"))
    assert [h.history_type for h in history] == ["+", "~"]
    assert history[-1].history_user.username == "mia" and history[-1].owner == "Web analytics"
    page = client.get(url("driver", world, driver_pk=world.driver.pk)).content.decode()
    assert "edited" in page and "created" in page


def test_the_validation_history_is_visible(world, as_user):
    services.driver_validate(driver=world.driver, by=world.user("admin"), note="Matched orders")
    services.driver_validate(driver=world.driver, by=world.user("manager"), note="Re-checked")
    page = (
        as_user("executive").get(url("driver", world, driver_pk=world.driver.pk)).content.decode()
    )
    assert "Matched orders" in page and "Re-checked" in page


def test_deleting_a_driver_asks_first_and_removes_it(world):
    page = world.manager_client.get(
        url("driver", world, driver_pk=world.driver.pk)
    ).content.decode()
    assert "hx-confirm=" in page
    world.manager_client.post(url("driver_delete", world, driver_pk=world.driver.pk))
    assert not MeasurementDriver.objects.exists()


def test_deferring_a_gap_needs_a_reason(world):
    response = world.manager_client.post(
        url("gap_edit", world, gap_pk=world.gap.pk),
        {
            "title": "No control group",
            "priority": "high",
            "status": "deferred",
            "deferred_reason": "",
        },
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 422
    assert "Say why the gap is deferred." in response.content.decode()
    world.gap.refresh_from_db()
    assert world.gap.status == GapStatus.OPEN


def test_editing_a_gap_inline_returns_its_row(world):
    response = world.manager_client.post(
        url("gap_edit", world, gap_pk=world.gap.pk),
        {
            "title": "No control group",
            "priority": "low",
            "status": "deferred",
            "deferred_reason": "Next year",
        },
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="gap-{world.gap.pk}"')
    assert "Next year" in body and "<form" not in body


def test_a_gap_added_by_hand_needs_a_title(world):
    before = Gap.objects.count()
    response = world.manager_client.post(url("gaps", world), {"title": "", "priority": "high"})
    assert response.status_code == 422
    assert Gap.objects.count() == before


def previous_and_current(world):
    """Close cycle 1 with answers and open cycle 2."""
    cycle1 = world.program.cycles.get()
    manager = world.user("manager")
    for dimension, score in zip(dims(world)[:3], [2, 3, 4], strict=True):
        services.maturity_score_save(
            cycle=cycle1,
            dimension=dimension,
            score=score,
            evidence=f"e{score}",
            opportunity="",
            by=manager,
        )
    cycle1.closed_at = timezone.now()
    cycle1.save()
    cycle2 = cycle_open(
        program=world.program,
        starts_on=cycle1.ends_on,
        ends_on=cycle1.ends_on + datetime.timedelta(days=90),
    )
    return cycle1, cycle2


def test_a_new_cycle_starts_from_the_last_answers_and_shows_what_changed(world):
    cycle1, cycle2 = previous_and_current(world)
    form_page = world.manager_client.get(url("assessment", world)).content.decode()
    assert "Start from the last answers" in form_page

    world.manager_client.post(url("assessment_copy", world))
    assert cycle2.assessment.scores.count() == 3
    answer(world, dims(world)[0], 4)

    page = world.manager_client.get(url("assessment", world)).content.decode()
    assert f'data-testid="changed-{dims(world)[0].pk}"' in page and "was 2 in cycle 1" in page
    assert f'data-testid="changed-{dims(world)[1].pk}"' not in page
    # The old cycle is untouched and refuses edits.
    assert MaturityScore.objects.get(assessment__cycle=cycle1, dimension=dims(world)[0]).score == 2
    with pytest.raises(ValidationError, match="closed"):
        services.maturity_score_save(
            cycle=cycle1,
            dimension=dims(world)[0],
            score=5,
            evidence="",
            opportunity="",
            by=world.user("manager"),
        )


def test_radar_compares_this_cycle_with_the_previous_one(world):
    _cycle1, cycle2 = previous_and_current(world)
    services.assessment_copy_previous(cycle=cycle2, by=world.user("manager"))
    services.maturity_score_save(
        cycle=cycle2,
        dimension=dims(world)[0],
        score=3,
        evidence="",
        opportunity="",
        by=world.user("manager"),
    )
    data = selectors.radar_data(cycle=cycle2, rows=selectors.assessment_rows(cycle=cycle2))
    assert data.dimensions[:3] == ["Strategy & vision", "Data", "Decisioning"]
    assert data.current[:4] == [3, 3, 4, None]
    assert data.previous[:4] == [2, 3, 4, None]
    figure = maturity_radar(data)
    assert [trace["name"] for trace in figure["data"]] == ["Cycle 1", "Cycle 2"]
    assert figure["data"][1]["r"][0] == figure["data"][1]["r"][-1]  # closed polygon


def test_no_radar_before_any_score(world):
    cycle = world.program.cycles.get()
    assert selectors.radar_data(cycle=cycle, rows=selectors.assessment_rows(cycle=cycle)) is None
    page = world.manager_client.get(url("summary", world)).content.decode()
    assert "No dimension is scored yet." in page and 'data-testid="radar"' not in page


def test_summary_query_count_does_not_grow(world, as_user):
    client = as_user("executive")
    client.get(url("summary", world))
    with CaptureQueriesContext(connection) as few:
        client.get(url("summary", world))
    for n in range(10):
        driver = services.driver_save(
            program=world.program, by=world.user("manager"), name=f"Driver {n}"
        )
        services.driver_change_add(
            driver=driver,
            changed_on=datetime.date(2026, 1, n + 1),
            kind="tool_switch",
            description="x",
            by=world.user("manager"),
        )
    for dimension in dims(world):
        answer(world, dimension, 2, evidence="e")
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("summary", world))
    assert response.status_code == 200 and 'data-testid="radar"' in response.content.decode()
    assert len(many) == len(few) <= 16


def test_readers_see_no_edit_controls(world, as_user):
    answer(world, dims(world)[0], 3, evidence="Visible evidence")
    for page_name in ("assessment", "drivers", "gaps"):
        body = as_user("executive").get(url(page_name, world)).content.decode()
        assert "data-autosave" not in body and "<textarea" not in body
        assert "Add driver" not in body and "Add gap" not in body and ">Edit<" not in body
    assert "Visible evidence" in as_user("team").get(url("assessment", world)).content.decode()


def test_csv_exports(world):
    answer(world, dims(world)[0], 3, evidence="Plan, with a comma")
    assessment = world.manager_client.get(url("assessment_csv", world)).content.decode("utf-8-sig")
    lines = assessment.splitlines()
    assert lines[0].startswith("dimension,score,previous_score,evidence")
    assert lines[1].startswith('Strategy & vision,3,,"Plan, with a comma"')
    assert len(lines) == 1 + 8
    drivers = world.manager_client.get(url("drivers_csv", world)).content.decode("utf-8-sig")
    assert "Conversion rate" in drivers and ",no,not validated yet," in drivers


def test_renaming_and_retiring_a_dimension_keeps_old_answers(world, as_user):
    admin = as_user("admin")
    data = dims(world)[1]
    answer(world, data, 2, evidence="old answer")
    admin.post(
        reverse("assessments:dimension_edit", kwargs={"org": "acme", "dimension_pk": data.pk}),
        {"name": "Customer data", "rubric_low": "Silos", "rubric_high": "One view"},
    )
    admin.post(
        reverse("assessments:dimension_retire", kwargs={"org": "acme", "dimension_pk": data.pk})
    )
    cycle = world.program.cycles.get()
    rows = selectors.assessment_rows(cycle=cycle)
    retired = next(r for r in rows if r.dimension.pk == data.pk)
    assert (retired.dimension.name, retired.answer.evidence, retired.dimension.is_active) == (
        "Customer data",
        "old answer",
        False,
    )
    # A retired dimension no longer counts toward completeness and takes no answers.
    assert "Score Customer data" not in selectors.completeness(cycle=cycle).missing
    response = answer(world, data, 4)
    assert response.status_code == 422
    assert "not part of the assessment" in response.content.decode()


def test_a_duplicate_dimension_name_is_refused(world, as_user):
    response = as_user("admin").post(
        reverse("assessments:dimensions", kwargs={"org": "acme"}),
        {"name": "data", "rubric_low": "a", "rubric_high": "b"},
    )
    assert response.status_code == 422
    assert "already a dimension with this name" in response.content.decode()


def test_program_home_wheel_shows_question_one_completeness(world):
    answer(world, dims(world)[0], 3)
    page = world.manager_client.get(reverse("cycles:program_home", kwargs={"pk": world.program.pk}))
    body = page.content.decode()
    assert "20% complete" in body  # 1 of 8 dimensions + a driver recorded, of 8 + 2 steps
    assert reverse("assessments:summary", kwargs={"pk": world.program.pk}) in body


def test_another_organizations_dimension_cannot_be_answered(world):
    foreign = world.globex.dimensions.first()
    response = answer(world, foreign, 3)
    assert response.status_code == 404
    assert not MaturityScore.objects.exists()
