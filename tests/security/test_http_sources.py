"""Issue 17, items 2 and 3: an HTTP source reaches only what it may (every spelling of an
internal address refused before connecting, on redirects too, DNS pinned between check and
connect), sends no header that speaks for Fourfold, keeps its secrets with the host they
were entered for, and says nothing about the other side that tells a port scan anything.

Every server here is the test's own, on 127.0.0.x; addresses elsewhere (169.254.169.254,
10.x, 192.168.x) are refused before any packet is sent.
"""

import http.server
import json
import socket
import threading

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from results import sources
from results.models import Pull, ResultSource, SourceKind

pytestmark = pytest.mark.django_db

YESTERDAY_ROWS = [{"kpi": "Conversion rate", "period": "2026-01-05", "value": 2.5}]


class Server:
    """An HTTP server on one loopback address that records what it was sent."""

    def __init__(self, address: str, port: int = 0, answer=None):
        self.requests: list[dict] = []
        self.answer = answer or (lambda path: (200, {"Content-Type": "application/json"}, b"[]"))
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                recorder.requests.append({"path": self.path, "headers": dict(self.headers)})
                status, headers, body = recorder.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer((address, port), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://{address}:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def servers():
    started: list[Server] = []

    def start(address="127.0.0.1", port=0, answer=None) -> Server:
        server = Server(address, port, answer)
        started.append(server)
        return server

    yield start
    for server in started:
        server.close()


def http_source(world, url: str, *, by="admin", headers=None) -> ResultSource:
    return sources.source_save(
        program=world.program,
        by=world.user(by),
        name="Feed",
        kind=SourceKind.HTTP,
        url=url,
        headers=headers or {},
        mapping={"kpi": "kpi", "period": "period", "value": "value"},
    )


def run(source: ResultSource) -> Pull:
    pull = Pull.objects.create(source=source, trigger="manual")
    sources.pull_execute(pull_id=pull.pk, final_attempt=True)
    pull.refresh_from_db()
    return pull


def pointed_at(source: ResultSource, url: str) -> ResultSource:
    """The source's URL as stored, whatever the form's validator would have said of it."""
    ResultSource.objects.filter(pk=source.pk).update(url=url)
    return ResultSource.objects.get(pk=source.pk)


@pytest.mark.parametrize(
    "host",
    [
        "127.0.0.1",
        "127.1",
        "localhost",
        "LOCALHOST",
        "0.0.0.0",  # noqa: S104 (an address a source names)
        "[::1]",
        "[::ffff:127.0.0.1]",
        "2130706433",
        "0x7f000001",
        "0177.0.0.1",
        "[::]",
    ],
)
def test_every_spelling_of_this_machine_is_refused_before_connecting(world, servers, host):
    server = servers()
    source = pointed_at(http_source(world, "https://feed.example/results"), "")
    source = pointed_at(source, f"http://{host}:{server.port}/results")
    pull = run(source)
    assert pull.status == "failed"
    assert "inside the network Fourfold runs in" in pull.error, pull.error
    assert server.requests == []


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",  # the cloud's metadata service
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://10.0.0.1/",
        "http://172.16.0.1/",
        "http://192.168.1.1/admin",
        "http://100.64.0.1/",
        "http://[fe80::1]/",
        "http://224.0.0.1/",
        "http://[::ffff:10.0.0.1]/",
        "http://[64:ff9b::a00:1]/",  # 10.0.0.1 through NAT64
    ],
)
def test_internal_networks_are_refused_before_any_packet_is_sent(world, url, monkeypatch):
    def no_connection(*args, **kwargs):
        raise AssertionError("a connection was attempted")

    monkeypatch.setattr(socket, "create_connection", no_connection)
    pull = run(pointed_at(http_source(world, "https://feed.example/results"), url))
    assert pull.status == "failed" and "inside the network" in pull.error, pull.error


def test_an_operator_can_allow_a_named_internal_host(world, servers, settings):
    server = servers(answer=lambda path: (200, {}, json.dumps(YESTERDAY_ROWS).encode()))
    settings.FOURFOLD_SOURCE_ALLOWED_HOSTS = ["127.0.0.1/32"]
    pull = run(http_source(world, f"{server.url}/results"))
    assert len(server.requests) == 1
    assert pull.status != "failed" or "inside the network" not in pull.error


def test_a_redirect_to_an_internal_address_is_refused(world, servers, settings):
    inside = servers("127.0.0.1")
    allowed = servers(
        "127.0.0.2", answer=lambda path: (302, {"Location": f"{inside.url}/secret"}, b"")
    )
    settings.FOURFOLD_SOURCE_ALLOWED_HOSTS = ["127.0.0.2"]
    pull = run(http_source(world, f"{allowed.url}/results"))
    assert len(allowed.requests) == 1 and inside.requests == []
    assert pull.status == "failed" and "inside the network" in pull.error


def test_credentials_never_cross_a_redirect_to_another_host(world, servers, settings):
    other = servers("127.0.0.3")
    home = servers("127.0.0.2", answer=lambda path: (307, {"Location": f"{other.url}/x"}, b""))
    settings.FOURFOLD_SOURCE_ALLOWED_HOSTS = ["127.0.0.0/8"]
    run(http_source(world, f"{home.url}/results", headers={"Authorization": "Bearer s3cret"}))
    assert home.requests[0]["headers"]["Authorization"] == "Bearer s3cret"
    assert len(other.requests) == 1
    assert "Authorization" not in other.requests[0]["headers"]


def test_dns_cannot_answer_differently_between_the_check_and_the_connect(
    world, servers, settings, monkeypatch
):
    """A name that resolves to an allowed address when checked and to an internal one a
    moment later (DNS rebinding): the connection goes to the address that was checked."""
    checked = servers("127.0.0.2")
    inside = servers("127.0.0.1", port=checked.port)
    settings.FOURFOLD_SOURCE_ALLOWED_HOSTS = ["127.0.0.2"]
    answers = iter(["127.0.0.2", "127.0.0.1", "127.0.0.1", "127.0.0.1"])
    real = socket.getaddrinfo

    def rebinding(host, port, *args, **kwargs):
        if host == "rebind.example":
            address = next(answers)
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebinding)
    run(
        pointed_at(
            http_source(world, "https://feed.example/"), f"http://rebind.example:{checked.port}/"
        )
    )
    assert len(checked.requests) == 1 and inside.requests == []
    assert checked.requests[0]["headers"]["Host"] == f"rebind.example:{checked.port}"


@pytest.mark.parametrize(
    "name",
    [
        "Host",
        "Cookie",
        "Connection",
        "Transfer-Encoding",
        "X-Forwarded-For",
        "X-Forwarded-Host",
        "Forwarded",
        "Proxy-Authorization",
        "Content-Length",
    ],
)
def test_headers_that_would_speak_for_fourfold_are_refused(world, name):
    with pytest.raises(ValidationError) as refused:
        http_source(world, "https://feed.example/", headers={name: "value"})
    assert name in " ".join(refused.value.message_dict["header_names"])


def test_a_header_value_with_a_line_break_is_refused(world):
    with pytest.raises(ValidationError) as refused:
        http_source(world, "https://feed.example/", headers={"X-Api-Key": "a\r\nHost: evil"})
    assert "line break" in " ".join(refused.value.message_dict["header_names"])


def test_closed_and_open_ports_fail_with_the_same_words(world, settings):
    """A port scan through the error messages learns nothing: a closed port and one that
    accepts and hangs up read the same."""
    settings.FOURFOLD_SOURCE_ALLOWED_HOSTS = ["127.0.0.1/32"]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed = probe.getsockname()[1]
    listener = socket.create_server(("127.0.0.1", 0))

    def hang_up():
        connection, _ = listener.accept()
        connection.close()

    threading.Thread(target=hang_up, daemon=True).start()
    opened = listener.getsockname()[1]
    source = http_source(world, "https://feed.example/")
    closed_error = run(pointed_at(source, f"http://127.0.0.1:{closed}/")).error
    open_error = run(pointed_at(source, f"http://127.0.0.1:{opened}/")).error
    listener.close()
    assert closed_error == open_error == "Gave up after 1 attempts: cannot reach 127.0.0.1"


def test_an_answer_larger_than_allowed_is_cut_off_with_a_message(
    world, servers, settings, monkeypatch
):
    monkeypatch.setattr(sources, "MAX_BYTES", 2**20)
    body = b"[" + b",".join([b'{"kpi":"x"}'] * 200_000) + b"]"  # 2.4 MB
    server = servers(answer=lambda path: (200, {"Content-Type": "application/json"}, body))
    settings.FOURFOLD_SOURCE_ALLOWED_HOSTS = ["127.0.0.1/32"]
    pull = run(http_source(world, f"{server.url}/results"))
    assert pull.status == "failed" and "larger than 1 MB" in pull.error


def test_error_answers_name_the_status_never_the_servers_words(world, servers, settings):
    server = servers(answer=lambda path: (403, {}, b"internal admin console, token abc123"))
    settings.FOURFOLD_SOURCE_ALLOWED_HOSTS = ["127.0.0.1/32"]
    pull = run(http_source(world, f"{server.url}/results"))
    assert pull.error.startswith("The server answered 403 Forbidden.")
    assert "abc123" not in pull.error


# --- Secrets follow their host (item 3) ------------------------------------------------


def source_form(**values) -> dict:
    return {"name": "Feed", "kind": "http", "schedule": "", **values}


def test_a_manager_who_moves_the_url_cannot_take_the_admins_token_along(
    world, servers, settings, as_user
):
    settings.FOURFOLD_SOURCE_ALLOWED_HOSTS = ["127.0.0.0/8"]
    shop = servers("127.0.0.2")
    attacker = servers("127.0.0.3")
    sources_url = reverse("results:sources", kwargs={"pk": world.program.pk})
    response = as_user("admin").post(
        sources_url,
        source_form(url=f"{shop.url}/results", header_names="Authorization: Bearer admin-token"),
    )
    assert response.status_code == 302
    source = ResultSource.objects.get(name="Feed")
    assert source.headers == {"Authorization": "Bearer admin-token"}
    page = reverse("results:source", kwargs={"pk": world.program.pk, "source_pk": source.pk})
    manager = as_user("manager")
    moved = manager.post(
        page, source_form(url=f"{attacker.url}/collect", header_names="Authorization:"), follow=True
    )
    text = moved.content.decode()
    assert "No longer stored: Authorization." in text
    source.refresh_from_db()
    assert source.headers == {"Authorization": ""}
    run(source)
    assert attacker.requests and "Authorization" not in attacker.requests[0]["headers"]
    # The change is in the source's history, with who made it.
    history = text[text.index('data-testid="source-history"') :]
    assert "URL" in history and "Mia" in history and "Alice" in history


def test_a_manager_cannot_enter_header_values(world, as_user):
    response = as_user("manager").post(
        reverse("results:sources", kwargs={"pk": world.program.pk}),
        source_form(url="https://feed.example/", header_names="Authorization: Bearer mine"),
    )
    assert response.status_code == 302  # the secrets field is the admin's: ignored
    assert ResultSource.objects.get(name="Feed").headers == {}
    with pytest.raises(ValidationError) as refused:
        http_source(world, "https://feed.example/x", by="manager", headers={"X-Key": "v"})
    assert "Only an organization admin" in refused.value.message_dict["header_names"][0]


def warehouse_source(world) -> ResultSource:
    return sources.source_save(
        program=world.program,
        by=world.user("admin"),
        name="Warehouse",
        kind=SourceKind.SQL,
        db_host="warehouse.example",
        db_name="dw",
        db_user="reader",
        db_password="admin-entered",
        query="SELECT 1",
        headers={},
    )


def test_the_database_password_stays_with_its_server_and_login(world):
    source = warehouse_source(world)
    sources.source_save(
        program=world.program, source=source, by=world.user("manager"), query="SELECT 2"
    )
    source.refresh_from_db()
    assert source.db_password == "admin-entered"  # the same server and login
    sources.source_save(
        program=world.program, source=source, by=world.user("manager"), db_host="evil.example"
    )
    source.refresh_from_db()
    assert source.db_password == ""
    assert source.secrets_changed_at is not None
    with pytest.raises(ValidationError):
        sources.source_save(
            program=world.program,
            source=source,
            by=world.user("manager"),
            db_password="the-managers-guess",
        )


def test_a_manager_moves_a_sql_source_through_its_page_and_the_password_stays_behind(
    world, as_user
):
    source = warehouse_source(world)
    url = reverse("results:source", kwargs={"pk": world.program.pk, "source_pk": source.pk})
    form = {
        "name": "Warehouse",
        "kind": "sql",
        "db_host": "warehouse.example",
        "db_port": "5432",
        "db_name": "dw",
        "db_user": "reader",
        "query": "SELECT 2",
        "schedule": "",
    }
    manager = as_user("manager")
    assert manager.post(url, form).status_code == 302  # another query, same server
    source.refresh_from_db()
    assert (source.query, source.db_password) == ("SELECT 2", "admin-entered")
    moved = manager.post(url, {**form, "db_host": "evil.example"}, follow=True).content.decode()
    source.refresh_from_db()
    assert (source.db_host, source.db_password) == ("evil.example", "")
    assert "No longer stored: password." in moved
