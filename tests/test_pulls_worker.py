"""Pulls run by a real Celery worker against Redis, from a real HTTP server and PostgreSQL."""

import datetime
import http.server
import json
import threading
import time

import pytest

from programs.services import program_create
from results import sources
from results.models import Measurement, Pull, ResultSource, SourceKind
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory
from tests.test_celery_worker import redis_worker, wait_for  # noqa: F401 (fixture)

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    # The feed and the warehouse run on this machine, which sources may reach only when
    # the operator allows it.
    pytest.mark.usefixtures("local_sources_allowed"),
]

DAYS = [(datetime.date.today() - datetime.timedelta(days=d)).isoformat() for d in range(1, 8)]
ROWS = [{"kpi": "Orders", "period": d, "value": 100 + n} for n, d in enumerate(DAYS)]


class Feed(http.server.BaseHTTPRequestHandler):
    """Answers from a script: a list of (status, body) pairs, the last one repeated."""

    script: list = []
    calls = 0

    def do_GET(self):
        Feed.calls += 1
        status, body = Feed.script[min(Feed.calls, len(Feed.script)) - 1]
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def feed():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Feed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Feed.calls = 0
    yield f"http://127.0.0.1:{server.server_address[1]}/feed"
    server.shutdown()


@pytest.fixture
def program():
    from decimal import Decimal

    from kpis.services import goal_save, kpi_save
    from programs.models import Role

    user = UserFactory()
    organization = OrganizationFactory()
    MembershipFactory(organization=organization, user=user, role=Role.ADMIN)
    program = program_create(organization=organization, name="Shop", by=user)
    cycle = program.cycles.get()
    goal = goal_save(cycle=cycle, by=user, title="Sell more")
    kpi_save(
        goal=goal,
        by=user,
        name="Orders",
        unit="count",
        direction="higher",
        baseline=Decimal(100),
        baseline_date=cycle.starts_on,
        target=Decimal(120),
        target_date=cycle.ends_on,
    )
    program.user = user
    return program


def http_source(program, url):
    return sources.source_save(
        program=program,
        by=program.user,
        name="Feed",
        kind=SourceKind.HTTP,
        url=url,
        mapping={"kpi": "kpi", "period": "period", "value": "value"},
        headers={"X-Token": "s3cret"},
    )


def finished(pull_id):
    return lambda: Pull.objects.get(pk=pull_id).is_finished


def rows():
    return sorted(Measurement.objects.values_list("period_start", "value"))


def test_the_same_pull_twice_leaves_identical_rows(redis_worker, feed, program):  # noqa: F811
    Feed.script = [(200, {"results": ROWS})]
    source = http_source(program, feed)
    first = sources.pull_queue(source=source, by=program.user)
    assert wait_for(finished(first.pk))
    after_first = rows()
    second = sources.pull_queue(source=source, by=program.user)
    assert wait_for(finished(second.pk))
    second.refresh_from_db()
    assert (second.status, second.inserted, second.unchanged) == ("succeeded", 0, 7)
    assert rows() == after_first and len(after_first) == 7


def test_a_server_failing_twice_then_answering_succeeds_after_retries(redis_worker, feed, program):  # noqa: F811
    Feed.script = [(500, {"error": "boom"}), (503, {"error": "busy"}), (200, ROWS)]
    pull = sources.pull_queue(source=http_source(program, feed), by=program.user)
    assert wait_for(finished(pull.pk), timeout=40)
    pull.refresh_from_db()
    assert (pull.status, pull.attempts, pull.inserted) == ("succeeded", 3, 7)
    assert Feed.calls == 3


def test_a_404_fails_at_once_with_its_message(redis_worker, feed, program):  # noqa: F811
    Feed.script = [(404, {"error": "no such feed"})]
    pull = sources.pull_queue(source=http_source(program, feed), by=program.user)
    assert wait_for(finished(pull.pk))
    pull.refresh_from_db()
    assert pull.status == "failed" and pull.attempts == 1 and Feed.calls == 1
    assert "The server answered 404" in pull.error
    assert not Measurement.objects.exists()


@pytest.fixture
def warehouse(warehouse_server, local_sources_allowed):
    """The company's warehouse: a table on the run's own password-checking PostgreSQL."""
    with warehouse_server.admin() as conn:
        conn.execute("DROP TABLE IF EXISTS kpis_daily")
        conn.execute("CREATE TABLE kpis_daily (metric text, day date, amount numeric)")
        conn.execute("GRANT SELECT ON kpis_daily TO reader")
        for n, day in enumerate(DAYS):
            conn.execute("INSERT INTO kpis_daily VALUES ('Orders', %s, %s)", [day, 50 + n])
    return warehouse_server


def sql_source(program, warehouse, query):
    return sources.source_save(
        program=program,
        by=program.user,
        name="Warehouse",
        kind=SourceKind.SQL,
        db_host=warehouse.host,
        db_port=warehouse.port,
        db_name=warehouse.dbname,
        db_user=warehouse.user,
        db_password=warehouse.password,
        query=query,
        mapping={"kpi": "metric", "period": "day", "value": "amount"},
        headers={},
    )


def test_a_sql_pull_reads_from_postgresql(redis_worker, program, warehouse):  # noqa: F811
    source = sql_source(program, warehouse, "SELECT metric, day, amount FROM kpis_daily;")
    pull = sources.pull_queue(source=source, by=program.user)
    assert wait_for(finished(pull.pk))
    pull.refresh_from_db()
    assert (pull.status, pull.inserted) == ("succeeded", 7), pull.error
    assert rows()[0][1] == 56


def test_a_sql_source_cannot_write(redis_worker, program, warehouse):  # noqa: F811
    """Even a query that slipped past the form could not write: the session is read-only
    and the cursor takes one statement."""
    source = sql_source(program, warehouse, "SELECT 1")
    ResultSource.objects.filter(pk=source.pk).update(
        query="select 1; commit; begin; set transaction read write; delete from kpis_daily"
    )
    pull = sources.pull_queue(source=source, by=program.user)
    assert wait_for(finished(pull.pk))
    pull.refresh_from_db()
    assert pull.status == "failed" and "nothing was loaded" in pull.error, pull.error
    with warehouse.admin() as conn:
        assert conn.execute("SELECT count(*) FROM kpis_daily").fetchone()[0] == 7


def test_two_pulls_of_one_source_never_overlap(program):
    from django.core.exceptions import ValidationError

    source = http_source(program, "http://127.0.0.1:9/never")
    Pull.objects.create(source=source, status="running")
    with pytest.raises(ValidationError, match="already queued or running"):
        sources.pull_queue(source=source, by=program.user)


def test_a_pull_is_followed_by_a_refresh_of_the_kpis_progress(redis_worker, feed, program):  # noqa: F811
    """The worker that loads the results also recomputes the dashboard's snapshots."""
    from progress.models import KpiSnapshot

    Feed.script = [(200, {"results": ROWS})]
    pull = sources.pull_queue(source=http_source(program, feed), by=program.user)
    assert wait_for(finished(pull.pk))
    assert wait_for(lambda: KpiSnapshot.objects.filter(segment__isnull=True).exists())
    snapshot = KpiSnapshot.objects.get(segment__isnull=True)
    assert snapshot.kpi.name == "Orders" and snapshot.actual_day == max(d for d, _v in rows())


class SlowFeed(http.server.BaseHTTPRequestHandler):
    """Answers 200 and then a byte every half second for ten seconds: it keeps the
    connection alive (no read times out) but never finishes in time."""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        try:
            for _ in range(20):
                self.wfile.write(b" ")
                self.wfile.flush()
                time.sleep(0.5)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the pull gave up, as it should

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_feed():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowFeed)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/feed"
    server.shutdown()


def test_a_source_too_slow_fails_with_a_timeout_and_frees_the_source(
    redis_worker,  # noqa: F811
    slow_feed,
    program,
):
    source = http_source(program, slow_feed)
    started = time.monotonic()
    pull = sources.pull_queue(source=source, by=program.user)
    assert wait_for(finished(pull.pk), timeout=30)
    pull.refresh_from_db()
    assert pull.status == "failed" and pull.inserted == 0
    assert "answered too slowly" in pull.error and "within 3 seconds" in pull.error
    assert time.monotonic() - started < 10  # stopped at the deadline, not when the source was done
    # The source is free again: the next run can be queued.
    assert sources.pull_queue(source=source, by=program.user).status == "queued"
