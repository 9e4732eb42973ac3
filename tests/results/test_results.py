"""Result sources end to end: uploads, the push API, loading the same data twice."""

import datetime
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from results import sources
from results.models import Measurement, Pull, ResultSource, SourceKind

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("jobs_run_now")]

YESTERDAY = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


@pytest.fixture
def upload_source(world):
    return sources.source_save(
        program=world.program, by=world.user("manager"), name="Export", kind=SourceKind.UPLOAD
    )


def url(name, world, **kwargs):
    return reverse(f"results:{name}", kwargs={"pk": world.program.pk, **kwargs})


def http_source(world, **settings) -> ResultSource:
    """An HTTP source "Feed" of the program, saved by its admin (who may enter headers)."""
    return sources.source_save(
        program=world.program,
        by=world.user("admin"),
        name="Feed",
        kind=SourceKind.HTTP,
        url="https://example.invalid/feed",
        **{"headers": {}, **settings},
    )


def csv_bytes(rows, header="kpi,period,value"):
    return (header + "\n" + "".join(",".join(map(str, r)) + "\n" for r in rows)).encode()


def days(n):
    return [
        (datetime.date.today() - datetime.timedelta(days=d)).isoformat() for d in range(1, n + 1)
    ]


def upload_and_load(client, world, source, data, name="results.csv", mapping=None):
    response = client.post(
        url("upload", world, source_pk=source.pk), {"file": SimpleUploadedFile(name, data)}
    )
    if response.status_code != 302 or "/upload/" not in response["Location"]:
        return client.get(response["Location"])
    preview_url = response["Location"]
    preview = client.get(preview_url)
    if preview.status_code == 302:  # the job could not read the file: its run says why
        return client.get(preview["Location"])
    assert preview.status_code == 200
    fields = {"kpi": "kpi", "period": "period", "value": "value", **(mapping or {})}
    return client.post(preview_url, fields, follow=True)


def test_an_upload_is_previewed_then_loaded_and_the_mapping_is_kept(world, upload_source, as_user):
    client = as_user("manager")
    data = csv_bytes([("Conversion rate", d, "2.2") for d in days(5)], header="Metric,Date,Rate")
    response = client.post(
        url("upload", world, source_pk=upload_source.pk),
        {"file": SimpleUploadedFile("r.csv", data)},
    )
    preview = client.get(response["Location"]).content.decode()
    assert "Metric" in preview and "Conversion rate" in preview and not Measurement.objects.exists()
    client.post(response["Location"], {"kpi": "Metric", "period": "Date", "value": "Rate"})
    assert Measurement.objects.count() == 5
    upload_source.refresh_from_db()
    assert upload_source.mapping == {"kpi": "Metric", "period": "Date", "value": "Rate"}


def test_loading_the_same_file_twice_changes_nothing(world, upload_source, as_user):
    client = as_user("manager")
    data = csv_bytes([("Conversion rate", d, "2.2") for d in days(30)])
    upload_and_load(client, world, upload_source, data)
    before = list(Measurement.objects.order_by("pk").values_list("pk", "value", "loaded_at"))
    upload_and_load(client, world, upload_source, data)
    again = upload_source.pulls.order_by("-pk").first()
    assert (again.status, again.inserted, again.updated, again.unchanged) == ("succeeded", 0, 0, 30)
    assert (
        list(Measurement.objects.order_by("pk").values_list("pk", "value", "loaded_at")) == before
    )
    changed = csv_bytes([("Conversion rate", days(1)[0], "2.5")])
    upload_and_load(client, world, upload_source, changed)
    assert Measurement.objects.count() == 30
    assert str(Measurement.objects.get(period_start=days(1)[0]).value).startswith("2.5")


def test_one_bad_row_among_1000_loads_nothing_and_is_reported(world, upload_source, as_user):
    rows = [("Conversion rate", d, "2.1") for d in days(1000)]
    rows[636] = ("Conversion rate", rows[636][1], "two")
    page = upload_and_load(
        as_user("manager"), world, upload_source, csv_bytes(rows)
    ).content.decode()
    assert not Measurement.objects.exists()
    assert "1 of 1000 rows are wrong; nothing was loaded." in page
    assert "<td>638</td><td><code>value</code></td><td>not a number: “two”</td>" in page.replace(
        "&ldquo;", "“"
    ).replace("&rdquo;", "”")


def test_an_xlsx_upload_loads(world, upload_source, as_user):
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["kpi", "period", "value"])
    for d in days(3):
        sheet.append(["Conversion rate", datetime.date.fromisoformat(d), 2.3])
    buffer = io.BytesIO()
    book.save(buffer)
    upload_and_load(as_user("manager"), world, upload_source, buffer.getvalue(), name="r.xlsx")
    assert Measurement.objects.count() == 3


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The submitted file is empty."),
        ("kpi,period,value\nCaf\xe9,2026-01-01,1\n".encode("latin-1"), "not UTF-8"),
        (b"kpi,kpi\n1,2\n", "Two columns have the same name"),
    ],
)
def test_unreadable_uploads_say_why(world, upload_source, as_user, data, message):
    page = upload_and_load(as_user("manager"), world, upload_source, data).content.decode()
    assert message in page
    assert not Measurement.objects.exists()


def test_a_mapping_to_missing_columns_fails_with_the_columns_found(world, upload_source, as_user):
    page = upload_and_load(
        as_user("manager"),
        world,
        upload_source,
        csv_bytes([("Conversion rate", days(1)[0], "2")]),
        mapping={"value": ""},
    ).content.decode()
    assert "The mapping names columns the data does not have: value" in page.replace(
        "&ldquo;", "“"
    ).replace("&rdquo;", "”")


bad_cells = st.one_of(
    st.text(max_size=12), st.sampled_from(["", "NaN", "-1", "1e999", "2099-01-01", "x" * 50])
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    rows=st.lists(st.tuples(bad_cells, bad_cells, bad_cells), min_size=1, max_size=6),
    seed=st.integers(0, 5),
)
def test_generated_bad_files_leave_the_database_unchanged(world, upload_source, rows, seed):
    """Any file with at least one bad row loads nothing and says why."""
    good = [("Conversion rate", d, "2") for d in days(seed)]
    bad = [("Conversion rate", "yesterday-ish", r[2]) for r in rows]  # a period that never parses
    data = csv_bytes(good + bad)
    before = Measurement.objects.count()
    pull = sources.upload_receive(
        source=upload_source, file_name="f.csv", data=data, by=world.user("manager")
    )
    pull.refresh_from_db()
    if pull.status == "failed":  # unreadable as a whole: said when it is read
        assert pull.error
    else:
        sources.upload_load(
            pull=pull,
            mapping={"kpi": "kpi", "period": "period", "value": "value"},
            by=world.user("manager"),
        )
        pull.refresh_from_db()
        assert pull.status == "failed" and pull.error
    assert Measurement.objects.count() == before


# --- Push API -------------------------------------------------------------------------


@pytest.fixture
def token(world):
    _token, secret = sources.token_create(
        program=world.program, name="Warehouse", by=world.user("admin")
    )
    return secret


def push(secret, items, client=None):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {secret}"} if secret else {}
    return (client or Client()).post(
        "/api/measurements",
        json.dumps({"measurements": items}),
        content_type="application/json",
        **headers,
    )


def test_push_loads_and_answers_with_counts(world, token):
    items = [
        {
            "kpi": "Conversion rate",
            "period": d,
            "value": 2.3,
            "variant": "personalized",
            "numerator": 23,
            "denominator": 1000,
        }
        for d in days(4)
    ]
    first = push(token, items)
    assert first.status_code == 200
    assert {k: first.json()[k] for k in ("rows", "inserted", "updated", "unchanged")} == {
        "rows": 4,
        "inserted": 4,
        "updated": 0,
        "unchanged": 0,
    }
    again = push(token, items).json()
    assert (again["inserted"], again["unchanged"]) == (0, 4)
    assert Measurement.objects.count() == 4


def test_push_with_a_bad_item_loads_nothing_and_names_it(world, token):
    items = [{"kpi": "Conversion rate", "period": d, "value": 2} for d in days(3)]
    items.append({"kpi": "Conversion rate", "period": "tomorrow", "value": 2})
    response = push(token, items)
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {"item": 4, "field": "period", "reason": "not a date, week or month: “tomorrow”"}
    ]
    assert not Measurement.objects.exists()


def test_push_refuses_bad_tokens(world, token):
    items = [{"kpi": "Conversion rate", "period": YESTERDAY, "value": 2}]
    assert push(None, items).status_code == 401
    assert push("ff_not-a-token", items).status_code == 401
    api_token = world.program.api_tokens.get()
    sources.token_revoke(token=api_token, by=world.user("admin"))
    assert push(token, items).status_code == 403
    assert not Measurement.objects.exists()


def test_a_token_only_reaches_its_own_program(world, token):
    """KPIs are looked up in the token's program: another program's KPI name is unknown."""
    response = push(token, [{"kpi": "Globex KPI", "period": YESTERDAY, "value": 1}])
    assert response.status_code == 400 and "no KPI" in response.json()["errors"][0]["reason"]


def test_malformed_json_is_a_400(world, token):
    response = Client().post(
        "/api/measurements",
        "{not json",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )
    assert response.status_code in (400, 422)


def test_the_openapi_schema_is_served(client):
    schema = client.get("/api/openapi.json").json()
    operation = schema["paths"]["/api/measurements"]["post"]
    assert set(operation["responses"]) >= {"200", "400", "401", "403"}


def test_tokens_are_shown_once_and_stored_hashed(world, as_user):
    client = as_user("admin")
    client.post(url("token_create", world), {"name": "Warehouse"})
    page = client.get(url("sources", world)).content.decode()
    secret = page.split('user-select-all">')[1].split("<")[0]
    assert secret.startswith("ff_")
    assert secret not in client.get(url("sources", world)).content.decode()
    assert not world.program.api_tokens.filter(token_hash=secret).exists()


# --- Sources and schedules ------------------------------------------------------------


def test_a_scheduled_source_is_kept_by_beat_and_pausing_disables_it(world):
    source = http_source(world, schedule="daily", schedule_time=datetime.time(6, 30))
    task = source.periodic_task
    assert (task.task, task.enabled, task.crontab.hour, task.crontab.minute) == (
        "kpis.tasks.pull_source",
        True,
        "6",
        "30",
    )
    assert json.loads(task.kwargs) == {"source_id": source.pk}
    sources.source_save(program=world.program, source=source, by=world.user("manager"), paused=True)
    task.refresh_from_db()
    assert not task.enabled
    sources.source_save(program=world.program, source=source, by=world.user("manager"), schedule="")
    from django_celery_beat.models import PeriodicTask

    assert not PeriodicTask.objects.filter(pk=task.pk).exists()


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"kind": "http", "url": ""}, "url"),
        (
            {"kind": "sql", "db_host": "", "db_name": "dw", "db_user": "r", "query": "select 1"},
            "db_host",
        ),
        ({"kind": "sql", "db_host": "dw.example", "db_user": "r", "query": "select 1"}, "db_name"),
        ({"kind": "sql", "db_host": "dw.example", "db_name": "dw", "query": "select 1"}, "db_user"),
        (
            {
                "kind": "sql",
                "db_host": "h",
                "db_name": "d",
                "db_user": "u",
                "query": "delete from x",
            },
            "query",
        ),
        ({"kind": "upload", "schedule": "hourly"}, "schedule"),
        ({"kind": "http", "url": "https://x.invalid", "schedule": "daily"}, "schedule_time"),
    ],
)
def test_bad_source_settings_are_refused_at_the_field(world, values, field):
    with pytest.raises(Exception) as refused:
        sources.source_save(program=world.program, by=world.user("manager"), name="S", **values)
    assert field in refused.value.message_dict
    assert not ResultSource.objects.filter(name="S").exists()


def test_header_secrets_are_never_shown_back(world, as_user):
    source = http_source(world, headers={"Authorization": "Bearer s3cret-value"})
    page = as_user("admin").get(url("source", world, source_pk=source.pk)).content.decode()
    assert "s3cret-value" not in page and "Authorization:" in page
    # Saving the form without a value keeps the secret.
    sources.source_save(
        program=world.program,
        source=source,
        by=world.user("admin"),
        headers={"Authorization": ""},
    )
    source.refresh_from_db()
    assert source.headers == {"Authorization": "Bearer s3cret-value"}


def test_measurements_page_filters_and_exports(world, upload_source, as_user):
    client = as_user("executive")
    rows = [("Conversion rate", d, "2.2") for d in days(10)]
    upload_and_load(as_user("manager"), world, upload_source, csv_bytes(rows))
    page = client.get(
        url("measurements", world, kpi_pk=world.kpi.pk), {"from": days(3)[-1]}
    ).content.decode()
    assert page.count("<td>20") == 3
    export = client.get(
        url("measurements", world, kpi_pk=world.kpi.pk), {"format": "csv"}
    ).content.decode("utf-8-sig")
    assert len(export.splitlines()) == 11


def test_loading_uses_the_staging_copy_on_postgresql(world, upload_source):
    assert connection.vendor == "postgresql"
    from results.ingest import Record
    from results.loading import measurements_load

    record = Record(
        world.kpi.pk,
        "day",
        datetime.date(2026, 1, 1),
        None,
        "",
        __import__("decimal").Decimal("2"),
        None,
        None,
    )
    counts = measurements_load(
        records=[
            record,
            record._replace(period_start=datetime.date(2026, 1, 2))
            if hasattr(record, "_replace")
            else Record(
                world.kpi.pk,
                "day",
                datetime.date(2026, 1, 2),
                None,
                "",
                __import__("decimal").Decimal("2"),
                None,
                None,
            ),
        ],
        source_id=upload_source.pk,
    )
    assert (counts.inserted, counts.updated, counts.unchanged) == (2, 0, 0)
    assert Pull.objects.count() == 0


def test_pull_now_with_the_broker_down_says_nothing_ran(
    world, as_user, monkeypatch, django_capture_on_commit_callbacks
):
    from kombu.exceptions import OperationalError

    from results.tasks import run_pull

    def unreachable(**kwargs):
        raise OperationalError("Connection refused")

    monkeypatch.setattr(run_pull, "delay", unreachable)
    source = http_source(world)
    client = as_user("manager")
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("pull_now", world, source_pk=source.pk))
    body = client.get(response["Location"]).content.decode()
    assert "The job queue could not be reached, so nothing ran." in body
    pull = source.pulls.get()
    assert pull.status == "failed"
    # Nothing is left looking queued: the next press can queue a run.
    monkeypatch.undo()
    monkeypatch.setattr(run_pull, "delay", lambda **kwargs: None)
    assert sources.pull_queue(source=source, by=world.user("manager")).status == "queued"


def test_a_token_pushes_only_into_its_own_programs_kpis(world, client):
    """Globex's token names Acme's KPI: the item is refused and Acme's results are
    untouched."""
    import json as _json

    from results.models import Measurement
    from results.sources import token_create

    _token, secret = token_create(
        program=world.foreign_program, name="Globex CI", by=world.outsider.user
    )
    response = client.post(
        "/api/measurements",
        data=_json.dumps(
            {"measurements": [{"kpi": "Conversion rate", "period": "2026-01-05", "value": 9}]}
        ),
        content_type="application/json",
        headers={"Authorization": f"Bearer {secret}"},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["reason"].startswith("no KPI “Conversion rate”")
    assert not Measurement.objects.exists()


def test_a_run_with_fewer_rejected_rows_than_the_limit_says_all_of_them(
    world, upload_source, as_user
):
    """Not "Rejected rows (the first 100 of 4)" (issue 18, item 16)."""
    data = csv_bytes([("Conversion rate", "not a day", "2.2")] * 4)
    page = upload_and_load(as_user("manager"), world, upload_source, data).content.decode()
    assert "Rejected rows (all 4)" in page
    assert "the first 100" not in page
