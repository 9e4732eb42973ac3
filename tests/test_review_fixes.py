"""Bad input and edge cases found in review: each answers with a message, never a 500,
and writes nothing it should not."""

import datetime
import json

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from results import sources
from results.ingest import KpiInfo, check_rows
from results.models import Measurement, ResultSource, SourceKind

pytestmark = pytest.mark.django_db
YESTERDAY = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    "query",
    [
        "select 1; commit; begin; set transaction read write; delete from kpis_measurement",
        "delete from x",
    ],
)
def test_a_sql_source_takes_one_read_only_select(world, query):
    with pytest.raises(ValidationError) as refused:
        sources.source_save(
            program=world.program,
            by=world.user("manager"),
            name="W",
            kind="sql",
            db_host="warehouse.example",
            db_name="dw",
            db_user="someone",
            query=query,
            headers={},
        )
    assert "query" in refused.value.message_dict


def test_fourfolds_own_database_is_not_a_source(world):
    from django.db import connection

    own = connection.settings_dict
    with pytest.raises(ValidationError) as refused:
        sources.source_save(
            program=world.program,
            by=world.user("admin"),
            name="W",
            kind="sql",
            db_host="127.0.0.1",
            db_port=int(own["PORT"] or 5432),
            db_name=own["NAME"],
            db_user=own["USER"],
            query="select 1",
            headers={},
        )
    assert "own database" in refused.value.message_dict["db_host"][0]


def test_values_too_large_for_the_database_are_row_errors():
    checked = check_rows(
        [
            (2, {"kpi": "orders", "period": "2026-01-01", "value": "1e13"}),
            (3, {"kpi": "orders", "period": "2026-01-02", "value": "5", "denominator": "1e15"}),
        ],
        {"kpi": "kpi", "period": "period", "value": "value", "denominator": "denominator"},
        kpis={"orders": KpiInfo(1, "count")},
        segments={},
        today=datetime.date(2026, 6, 1),
    )
    assert [(e.line, e.column, e.reason.endswith("too large")) for e in checked.errors] == [
        (2, "value", True),
        (3, "denominator", True),
    ]


def test_push_works_when_another_source_is_called_push_api(world):
    sources.source_save(
        program=world.program, by=world.user("manager"), name="push api", kind=SourceKind.UPLOAD
    )
    _token, secret = sources.token_create(program=world.program, name="W", by=world.user("admin"))
    response = Client().post(
        "/api/measurements",
        json.dumps({"measurements": [{"kpi": "Conversion rate", "period": YESTERDAY, "value": 2}]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 200
    assert ResultSource.objects.filter(program=world.program, kind=SourceKind.PUSH).count() == 1


def test_a_push_while_another_loads_is_told_to_wait(world):
    _token, secret = sources.token_create(program=world.program, name="W", by=world.user("admin"))
    push = sources._push_source(world.program)
    push.pulls.create(status="running")
    response = Client().post(
        "/api/measurements",
        json.dumps({"measurements": [{"kpi": "Conversion rate", "period": YESTERDAY, "value": 2}]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )
    assert response.status_code == 409
    assert not Measurement.objects.exists()


def test_an_initiative_of_a_closed_cycle_cannot_be_edited(world, as_user):
    from initiatives.services import initiative_save, plan_defaults_ensure
    from programs.services import cycle_open

    plan_defaults_ensure(organization=world.acme)
    old_cycle = world.program.cycles.get()
    initiative = initiative_save(
        cycle=old_cycle,
        by=world.user("team"),
        name="Old",
        owner_department=world.acme.departments.first(),
        starts_on=old_cycle.starts_on,
    )
    old_cycle.closed_at = timezone.now()
    old_cycle.save()
    cycle_open(
        program=world.program,
        starts_on=old_cycle.ends_on,
        ends_on=old_cycle.ends_on + datetime.timedelta(days=90),
    )
    url = reverse(
        "initiatives:initiative_edit",
        kwargs={"pk": world.program.pk, "initiative_pk": initiative.pk},
    )
    response = as_user("team").post(
        url,
        {
            "name": "Rewritten",
            "kind": "main",
            "status": "done",
            "owner_department": world.acme.departments.first().pk,
            "starts_on": "2026-01-01",
            "cost": "0",
        },
        follow=True,
    )
    # Refused before any form: the initiative's read-only page says why (issue 18, item 13).
    assert response.redirect_chain[-1][0].endswith(f"/initiatives/{initiative.pk}/")
    assert "Cycle 1 is closed: its initiatives can be read, not changed." in (
        response.content.decode()
    )
    initiative.refresh_from_db()
    assert (initiative.name, initiative.cycle_id) == ("Old", old_cycle.pk)
    rate = reverse(
        "initiatives:pie_score", kwargs={"pk": world.program.pk, "initiative_pk": initiative.pk}
    )
    as_user("team").post(rate, {"potential": 5, "importance": 5, "ease": 5})
    assert not initiative.pie_scores.exists()


def test_a_segment_with_measurements_is_not_deleted(world, as_user):
    Measurement.objects.create(
        kpi=world.kpi,
        period_start=datetime.date(2026, 1, 1),
        segment=world.segment,
        value=2,
        loaded_at=timezone.now(),
    )
    url = reverse("segments:segment_delete", kwargs={"org": "acme", "segment_pk": world.segment.pk})
    response = as_user("manager").post(url, follow=True)
    assert "has measurements" in response.content.decode()
    assert (
        Measurement.objects.count() == 1
        and world.acme.segments.filter(pk=world.segment.pk).exists()
    )


@pytest.mark.parametrize("raw", ["NaN", "Infinity", "1e20"])
def test_impossible_monthly_targets_are_refused_with_a_message(world, as_user, raw):
    first = world.kpi.baseline_date.replace(day=1)
    url = reverse(
        "kpis:kpi_period_targets", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk}
    )
    response = as_user("manager").post(
        url, {"grain": "month", f"period-{first.isoformat()}": raw}, follow=True
    )
    assert response.status_code == 200 and "Nothing was saved." in response.content.decode()
    assert not world.kpi.period_targets.exists()


def test_a_blueprint_import_with_two_stages_of_one_name_writes_nothing(world, as_user):
    from blueprints.models import Blueprint

    document = {"format": "fourfold.blueprint/1", "stages": [{"name": "Buy"}, {"name": "buy"}]}
    response = as_user("team").post(
        reverse("blueprints:import", kwargs={"pk": world.program.pk}),
        {"file": SimpleUploadedFile("b.json", json.dumps(document).encode())},
        follow=True,
    )
    assert "a second stage named" in response.content.decode()
    assert not Blueprint.objects.exists()


@pytest.mark.parametrize("query", ["?cycle=²", "?department=²&channel=³"])
def test_odd_digits_in_addresses_are_not_a_crash(world, as_user, query):
    page = "assessments:summary" if "cycle" in query else "initiatives:map"
    response = as_user("team").get(reverse(page, kwargs={"pk": world.program.pk}) + query)
    assert response.status_code in (200, 404)


def test_an_unreadable_initiatives_csv_is_explained(world, as_user):
    data = b'name,owner_department,starts_on\n"unclosed,' + b"x" * 200_000 + b"\n"
    response = as_user("team").post(
        reverse("initiatives:import_csv", kwargs={"pk": world.program.pk}),
        {"file": SimpleUploadedFile("i.csv", data)},
        follow=True,
    )
    assert "cannot be read" in response.content.decode()
