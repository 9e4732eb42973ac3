"""Issue 18, item 5: HTTP and SQL sources made in the pages load, with no shortcut.

The journey is a person's: connect the source through its form, press *Test* (or pull it
for the first time), see the columns the source answers with, map them in the same form an
upload has, load, open the KPI page and read the number; then the scheduled pull (beat's
own task) loads again with the mapping kept. The HTTP server is the test's own on
127.0.0.x, the database the suite's own password-checking PostgreSQL (tests/warehouse.py).
"""

import datetime
import http.server
import re
import threading

import pytest
from django.urls import reverse

from results import tasks
from results.models import Measurement, Pull, ResultSource
from tests.conftest import shown

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("jobs_run_now")]

YESTERDAY = datetime.date.today() - datetime.timedelta(days=1)
BEFORE = YESTERDAY - datetime.timedelta(days=1)


class CsvServer:
    """Answers every GET with the CSV it holds now (a test changes it between pulls)."""

    def __init__(self, address: str = "127.0.0.7"):
        self.body = b""
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                self.send_response(200)
                self.send_header("Content-Type", "text/csv; charset=utf-8")
                self.send_header("Content-Length", str(len(server.body)))
                self.end_headers()
                self.wfile.write(server.body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.url = f"http://{address}:{self.httpd.server_address[1]}/export.csv"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def csv_server():
    server = CsvServer()
    yield server
    server.close()


def page_url(name, world, **kwargs):
    return reverse(f"results:{name}", kwargs={"pk": world.program.pk, **kwargs})


def text(page) -> str:
    """The page's words (a response, or a page as shown), without tags, spaces folded: what
    a person reads."""
    body = page if isinstance(page, str) else page.content.decode()
    html = re.sub(r"</?(code|span|a|strong|b|em)\b[^>]*>", "", body)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


def source_form(**fields) -> dict:
    """What the *Connect a source* form posts: every field it has, most left empty."""
    empty = dict.fromkeys(
        [
            "url",
            "header_names",
            "db_host",
            "db_port",
            "db_name",
            "db_user",
            "db_password",
            "query",
            "schedule",
            "schedule_time",
        ],
        "",
    )
    return {**empty, **fields}


def connect(client, world, **fields) -> ResultSource:
    response = client.post(page_url("sources", world), source_form(**fields))
    assert response.status_code == 302, text(response)[:3000]
    source = ResultSource.objects.get(program=world.program, name=fields["name"])
    page = text(client.get(response["Location"]))
    assert "No column mapping yet" in page
    return source


def press_then_map(client, world, source, *, button: dict, expect_columns: list[str], mapping):
    """Press the button on the source's page, read the run page's columns, open the
    mapping form, check what it offers and load. Returns the run's page after loading."""
    before = list(Measurement.objects.filter(source=source).values_list("value", flat=True))
    run = client.post(page_url("pull_now", world, source_pk=source.pk), button)
    assert run.status_code == 302
    run_page = client.get(run["Location"])
    words = text(run_page)
    assert "Waiting for the column mapping" in words
    assert "Columns found: " + ", ".join(expect_columns) in words
    # Nothing loads before the mapping is confirmed.
    assert list(Measurement.objects.filter(source=source).values_list("value", flat=True)) == (
        before
    )
    link = re.search(r'href="([^"]+)">Choose the column mapping', run_page.content.decode())
    form_page = client.get(link.group(1))
    assert form_page.status_code == 200
    html = form_page.content.decode()
    for column in expect_columns:
        assert f"<code>{column}</code>" in html
        assert f"<option>{column}</option>" in html or f"<option selected>{column}</option>" in (
            html
        )
    loaded = client.post(link.group(1), mapping, follow=True)
    return text(loaded)


def kpi_page(client, world) -> str:
    return text(
        shown(client, reverse("kpis:kpi", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk}))
    )


def test_an_http_source_made_in_the_pages_is_tested_mapped_loaded_and_pulled_on_schedule(
    world, as_user, local_sources_allowed, csv_server
):
    csv_server.body = (
        "kpi,period,value,channel,visits\n"
        f"Conversion rate,{BEFORE},2.21,web,1000\n"
        f"Conversion rate,{YESTERDAY},2.37,web,1200\n"
    ).encode()
    admin = as_user("admin")
    source = connect(
        admin, world, name="Shop feed", kind="http", url=csv_server.url, schedule="hourly"
    )
    loaded = press_then_map(
        admin,
        world,
        source,
        button={"test": "1"},
        expect_columns=["kpi", "period", "value", "channel", "visits"],
        mapping={"kpi": "kpi", "period": "period", "value": "value"},
    )
    assert "Succeeded" in loaded and "2 rows read" in loaded
    assert Measurement.objects.filter(kpi=world.kpi).count() == 2
    assert "Latest 2.37" in kpi_page(admin, world)
    page = text(admin.get(page_url("source", world, source_pk=source.pk)))
    shown = re.search(r"Mapping: (.*?) ·", page).group(1)
    assert sorted(shown.split(", ")) == ["kpi ← kpi", "period ← period", "value ← value"]

    # The hourly pull (beat's own task) loads with the kept mapping: no mapping step.
    csv_server.body = csv_server.body.replace(b"2.37", b"2.45")
    tasks.pull_source(source_id=source.pk)
    scheduled = Pull.objects.filter(source=source, trigger="schedule").get()
    assert (scheduled.status, scheduled.updated, scheduled.unchanged) == ("succeeded", 1, 1)
    assert "Latest 2.45" in kpi_page(admin, world)


def test_the_first_pull_of_an_unmapped_source_shows_its_columns_rather_than_failing(
    world, as_user, local_sources_allowed, csv_server
):
    """The defect: columns named kpi, period and value, and still "The mapping names
    columns the data does not have". The form comes with them chosen."""
    csv_server.body = f"kpi,period,value\nConversion rate,{YESTERDAY},2.5\n".encode()
    manager = as_user("manager")
    source = connect(manager, world, name="Plain feed", kind="http", url=csv_server.url)
    run = manager.post(page_url("pull_now", world, source_pk=source.pk))
    pull = Pull.objects.get(source=source)
    assert (pull.status, pull.stage, pull.error) == ("queued", "mapping", "")
    form_page = manager.get(page_url("upload_preview", world, source_pk=source.pk, pull_pk=pull.pk))
    html = form_page.content.decode()
    for field in ("kpi", "period", "value"):
        select = re.search(rf'name="{field}">(.*?)</select>', html).group(1)
        assert f"<option selected>{field}</option>" in select
    assert run.status_code == 302
    manager.post(
        page_url("upload_preview", world, source_pk=source.pk, pull_pk=pull.pk),
        {"kpi": "kpi", "period": "period", "value": "value"},
    )
    assert "Latest 2.50" in kpi_page(manager, world) or "Latest 2.5" in kpi_page(manager, world)


def test_a_sql_source_made_in_the_pages_is_tested_mapped_loaded_and_pulled_on_schedule(
    world, as_user, local_sources_allowed, warehouse_server
):
    with warehouse_server.admin() as conn:
        conn.execute("DROP TABLE IF EXISTS daily_results")
        conn.execute(
            "CREATE TABLE daily_results (metric text, day date, amount numeric, note text)"
        )
        conn.execute("GRANT SELECT ON daily_results TO reader")
        conn.execute(
            "INSERT INTO daily_results VALUES (%s, %s, %s, 'web'), (%s, %s, %s, 'web')",
            ["Conversion rate", BEFORE, "2.11", "Conversion rate", YESTERDAY, "2.33"],
        )
    admin = as_user("admin")
    source = connect(
        admin,
        world,
        name="Warehouse",
        kind="sql",
        db_host=warehouse_server.host,
        db_port=str(warehouse_server.port),
        db_name=warehouse_server.dbname,
        db_user=warehouse_server.user,
        db_password=warehouse_server.password,
        query="SELECT metric, day, amount, note FROM daily_results",
        schedule="daily",
        schedule_time="06:00",
    )
    loaded = press_then_map(
        admin,
        world,
        source,
        button={"test": "1"},
        expect_columns=["metric", "day", "amount", "note"],
        mapping={"kpi": "metric", "period": "day", "value": "amount"},
    )
    assert "Succeeded" in loaded
    assert "Latest 2.33" in kpi_page(admin, world)

    with warehouse_server.admin() as conn:
        conn.execute("UPDATE daily_results SET amount = 2.41 WHERE day = %s", [YESTERDAY])
    tasks.pull_source(source_id=source.pk)
    scheduled = Pull.objects.filter(source=source, trigger="schedule").get()
    assert (scheduled.status, scheduled.updated, scheduled.unchanged) == ("succeeded", 1, 1)
    assert "Latest 2.41" in kpi_page(admin, world)


def test_a_pull_by_hand_whose_kept_mapping_no_longer_fits_shows_the_columns_again(
    world, as_user, local_sources_allowed, csv_server
):
    """The source renamed its columns: a scheduled pull fails saying what to do, a pull by
    hand asks for the mapping again."""
    csv_server.body = f"kpi,period,value\nConversion rate,{YESTERDAY},2.5\n".encode()
    admin = as_user("admin")
    source = connect(admin, world, name="Renaming feed", kind="http", url=csv_server.url)
    press_then_map(
        admin,
        world,
        source,
        button={},
        expect_columns=["kpi", "period", "value"],
        mapping={"kpi": "kpi", "period": "period", "value": "value"},
    )
    csv_server.body = f"metric,day,rate\nConversion rate,{YESTERDAY},2.6\n".encode()
    tasks.pull_source(source_id=source.pk)
    scheduled = Pull.objects.get(source=source, trigger="schedule")
    assert scheduled.status == "failed"
    assert "Columns found: metric, day, rate" in scheduled.error
    assert "Press Test on the source's page" in scheduled.error
    press_then_map(
        admin,
        world,
        source,
        button={},
        expect_columns=["metric", "day", "rate"],
        mapping={"kpi": "metric", "period": "day", "value": "rate"},
    )
    assert "Latest 2.6" in kpi_page(admin, world)


def test_a_test_left_at_its_mapping_does_not_hold_up_the_schedule(
    world, as_user, local_sources_allowed, csv_server
):
    csv_server.body = f"kpi,period,value\nConversion rate,{YESTERDAY},2.5\n".encode()
    admin = as_user("admin")
    source = connect(admin, world, name="Hourly feed", kind="http", url=csv_server.url)
    press_then_map(
        admin,
        world,
        source,
        button={},
        expect_columns=["kpi", "period", "value"],
        mapping={"kpi": "kpi", "period": "period", "value": "value"},
    )
    admin.post(page_url("pull_now", world, source_pk=source.pk), {"test": "1"})
    left = Pull.objects.get(source=source, trigger="test")
    assert (left.status, left.stage) == ("queued", "mapping")
    csv_server.body = csv_server.body.replace(b"2.5", b"2.7")
    tasks.pull_source(source_id=source.pk)
    assert Pull.objects.get(source=source, trigger="schedule").status == "succeeded"
    left.refresh_from_db()
    assert left.status == "failed"
    assert left.error == "Replaced by a later run before its columns were mapped."
    assert "Latest 2.7" in kpi_page(admin, world)
