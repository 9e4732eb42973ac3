"""Issue 17, item 1: a SQL source cannot reach Fourfold's own database, cannot log in with
anyone's credentials but its own, does not echo what the database says, and cannot bring
back more rows than a load takes.

The warehouse is a PostgreSQL server of the run's own that checks passwords
(tests/warehouse.py); Fourfold's own database is the machine's, which trusts local logins.
"""

import os
import socket
import tracemalloc

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from results import egress, sources
from results.models import Pull, ResultSource, SourceKind

pytestmark = pytest.mark.django_db

OWN = connection.settings_dict


def this_machine() -> list[str]:
    """Every address of this machine, as an operator who allowed them all would list them."""
    found = {"127.0.0.0/8", "::1", "0.0.0.0", "::"}  # noqa: S104 (addresses, not a bind)
    for address in egress.resolve(socket.gethostname(), 0):
        found.add(str(address))
    return sorted(found)


@pytest.fixture
def everything_local_allowed(settings):
    """Even an operator who lets sources reach every address of this machine does not let
    them reach Fourfold's own database."""
    settings.FOURFOLD_SOURCE_ALLOWED_HOSTS = this_machine()


def sql_source(world, *, by="admin", **values) -> ResultSource:
    return sources.source_save(
        program=world.program,
        by=world.user(by),
        name=values.pop("name", "Warehouse"),
        kind=SourceKind.SQL,
        query=values.pop("query", "SELECT kpi, period, value FROM results"),
        mapping={"kpi": "kpi", "period": "period", "value": "value"},
        headers={},
        **values,
    )


def login(warehouse) -> dict:
    """The warehouse's server and its read-only login, as an admin types them."""
    return {
        "db_host": warehouse.host,
        "db_port": warehouse.port,
        "db_name": warehouse.dbname,
        "db_user": warehouse.user,
        "db_password": warehouse.password,
    }


def run(source: ResultSource) -> Pull:
    """The pull as the worker runs it (last attempt: a failure is final)."""
    pull = Pull.objects.create(source=source, trigger="manual")
    sources.pull_execute(pull_id=pull.pk, final_attempt=True)
    pull.refresh_from_db()
    return pull


OWN_SPELLINGS = [
    "127.0.0.1",
    "127.1",
    "127.0.0.2",
    "localhost",
    "LOCALHOST",
    "0.0.0.0",  # noqa: S104 (an address a source names)
    "::1",
    "::ffff:127.0.0.1",
    "2130706433",
    "0x7f000001",
    socket.gethostname(),
]


@pytest.mark.parametrize("host", OWN_SPELLINGS)
def test_every_spelling_of_fourfolds_own_database_is_refused(world, everything_local_allowed, host):
    with pytest.raises(ValidationError) as refused:
        sql_source(
            world,
            db_host=host,
            db_port=int(OWN["PORT"] or 5432),
            db_name=OWN["NAME"],
            db_user=OWN["USER"],
            db_password="anything",
        )
    assert "own database" in refused.value.message_dict["db_host"][0]
    assert not ResultSource.objects.filter(name="Warehouse").exists()


@pytest.mark.parametrize("host", OWN_SPELLINGS)
def test_a_source_moved_onto_the_own_database_behind_the_forms_back_is_refused_when_it_pulls(
    world, everything_local_allowed, warehouse_server, host
):
    """What the pull connects to is checked again, whatever the row says."""
    source = sql_source(
        world,
        **login(warehouse_server),
    )
    ResultSource.objects.filter(pk=source.pk).update(
        db_host=host, db_port=int(OWN["PORT"] or 5432), db_name=OWN["NAME"]
    )
    pull = run(ResultSource.objects.get(pk=source.pk))
    assert pull.status == "failed"
    assert pull.error == "Fourfold's own database cannot be a result source."


@pytest.mark.parametrize(
    ("host", "why"),
    [
        ("127.0.0.1,127.0.0.1", "one server"),
        ("/var/run/postgresql", "one server"),
        ("", "Name the database server"),
    ],
)
def test_host_lists_socket_folders_and_missing_parts_are_refused(world, host, why):
    with pytest.raises(ValidationError) as refused:
        sql_source(world, db_host=host, db_name=OWN["NAME"], db_user=OWN["USER"])
    assert why in " ".join(refused.value.message_dict["db_host"])


def test_a_source_without_a_database_name_is_refused_rather_than_defaulted(world):
    """libpq would default the database to the user's name (fourfold → fourfold)."""
    with pytest.raises(ValidationError) as refused:
        sql_source(world, db_host="warehouse.example", db_user=OWN["NAME"])
    assert "db_name" in refused.value.message_dict


def test_internal_servers_are_refused_unless_the_operator_allows_them(world, warehouse_server):
    source = sql_source(
        world,
        **login(warehouse_server),
    )
    pull = run(source)
    assert pull.status == "failed"
    assert "inside the network Fourfold runs in" in pull.error
    assert "FOURFOLD_SOURCE_ALLOWED_HOSTS" in pull.error


def test_a_server_that_lets_the_user_in_without_the_password_is_refused(
    world, local_sources_allowed
):
    """The machine's own PostgreSQL trusts local logins: a source pointed at another of its
    databases as its superuser must not get in (pg_read_file would read the server's files)."""
    source = sql_source(
        world,
        db_host="127.0.0.1",
        db_port=int(OWN["PORT"] or 5432),
        db_name="postgres",
        db_user="postgres",
        db_password="not-checked-by-a-trusting-server",
        query="SELECT pg_read_file('/etc/passwd') AS kpi, current_date AS period, 1 AS value",
    )
    pull = run(source)
    assert pull.status == "failed"
    assert "without checking the source's password" in pull.error
    assert "root:" not in pull.error


def test_the_workers_own_passwords_are_never_used(
    world, warehouse_server, local_sources_allowed, monkeypatch, tmp_path
):
    """PGPASSWORD, a password file and PGUSER of the worker hold the right login; the
    source's own (wrong) password is what is tried, and it fails."""
    passfile = tmp_path / "pgpass"
    passfile.write_text(
        f"*:*:*:{warehouse_server.user}:{warehouse_server.password}\n*:*:*:postgres:x\n"
    )
    passfile.chmod(0o600)
    monkeypatch.setenv("PGPASSFILE", str(passfile))
    monkeypatch.setenv("PGPASSWORD", warehouse_server.password)
    monkeypatch.setenv("PGUSER", warehouse_server.user)
    source = sql_source(
        world,
        db_host=warehouse_server.host,
        db_port=warehouse_server.port,
        db_name=warehouse_server.dbname,
        db_user=warehouse_server.user,
        db_password="the-wrong-password",
        query="SELECT 'Conversion rate' AS kpi, current_date - 1 AS period, 2 AS value",
    )
    pull = run(source)
    assert (pull.status, pull.error) == ("failed", "The database refused the user or password.")
    assert os.environ["PGPASSWORD"] == warehouse_server.password  # nothing was changed


def test_the_databases_error_text_is_not_shown(
    world, warehouse_server, local_sources_allowed, as_user
):
    """A CAST of secret text into a number fails quoting the text: the run page names the
    kind of failure and its SQLSTATE, never the database's words."""
    source = sql_source(
        world,
        **login(warehouse_server),
        query=(
            "SELECT CAST((SELECT string_agg(rolname, ',') FROM pg_roles) AS int) AS kpi, "
            "current_date - 1 AS period, 1 AS value"
        ),
    )
    pull = run(source)
    page = as_user("manager").get(
        reverse(
            "results:pull",
            kwargs={"pk": world.program.pk, "source_pk": source.pk, "pull_pk": pull.pk},
        )
    )
    text = page.content.decode()
    assert "SQLSTATE 22P02" in text and "could not be computed or converted" in text
    assert "pg_read_all_data" not in text and "reader" not in pull.error


def test_a_query_returning_more_rows_than_a_load_takes_stops_without_reading_them(
    world, warehouse_server, local_sources_allowed, settings
):
    """Streamed through a server-side cursor: 50 million rows asked for, the run stops past
    the cap with a message, having held a few batches in memory at a time."""
    settings.FOURFOLD_LOAD_MAX_ROWS = 5_000
    source = sql_source(
        world,
        **login(warehouse_server),
        query=(
            "SELECT 'Conversion rate' AS kpi, current_date - 1 AS period, g AS value "
            "FROM generate_series(1, 50000000) AS g"
        ),
    )
    tracemalloc.start()
    try:
        pull = run(source)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert pull.status == "failed"
    assert "more than 5,000 rows" in pull.error
    assert peak < 50 * 2**20  # 50 million rows fetched at once would be gigabytes


def test_a_warehouse_source_made_in_the_page_loads(
    world, warehouse_server, local_sources_allowed, as_user
):
    """The whole way: the admin fills in the form, the pull reads the warehouse, the
    manager sees the numbers on the measurements page."""
    with warehouse_server.admin() as conn:
        conn.execute("DROP TABLE IF EXISTS results")
        conn.execute("CREATE TABLE results (kpi text, period date, value numeric)")
        conn.execute("GRANT SELECT ON results TO reader")
        conn.execute(
            "INSERT INTO results VALUES ('Conversion rate', current_date - 1, 2.75), "
            "('Conversion rate', current_date - 2, 2.5)"
        )
    response = as_user("admin").post(
        reverse("results:sources", kwargs={"pk": world.program.pk}),
        {
            "name": "Warehouse",
            "kind": "sql",
            "db_host": warehouse_server.host,
            "db_port": warehouse_server.port,
            "db_name": warehouse_server.dbname,
            "db_user": warehouse_server.user,
            "db_password": warehouse_server.password,
            "query": "SELECT kpi, period, value FROM results",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    source = ResultSource.objects.get(name="Warehouse")
    source.mapping = {"kpi": "kpi", "period": "period", "value": "value"}
    source.save(update_fields=["mapping"])  # the mapping step is issue 18's item 5
    pull = run(source)
    assert (pull.status, pull.inserted) == ("succeeded", 2), pull.error
    page = as_user("manager").get(
        reverse("results:measurements", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk})
    )
    assert "2.75" in page.content.decode()
