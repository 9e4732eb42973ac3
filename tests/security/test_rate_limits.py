"""Issue 17, items 8 and 9: logins and the API are limited per client address, pushes per
token, in a store that every web process shares; over a limit the answer is 429 with
Retry-After (a page for people, `{"detail": ...}` for the API)."""

import datetime
import json
import os
import subprocess
import sys
import types
from pathlib import Path

import pytest
from django.core.cache import caches
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse

from programs import ratelimit
from results import sources
from results.models import Measurement
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2]
YESTERDAY = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


@pytest.fixture
def clock(monkeypatch):
    """The limiter's clock, 30 s into a minute, so no test straddles a window's end."""
    now = types.SimpleNamespace(value=1_800_000_030.0)  # a multiple of 60, plus 30
    monkeypatch.setattr(ratelimit, "time", types.SimpleNamespace(time=lambda: now.value))
    return now


def login(username="nobody", password=None, **meta):
    """A login attempt; a wrong one unless a password is given."""
    data = {"username": username, "password": password or "guess"}
    return Client().post(reverse("login"), data, **meta)


# --- logins ---------------------------------------------------------------------------


@override_settings(FOURFOLD_LOGIN_RATE="3/minute")
def test_a_client_that_posts_too_many_logins_gets_429_with_retry_after(world, clock):
    for n in range(3):
        assert login(f"user{n}", REMOTE_ADDR="203.0.113.5").status_code == 200  # wrong, shown
    refused = login("mia", PASSWORD, REMOTE_ADDR="203.0.113.5")
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    page = refused.content.decode()
    assert "Too many requests" in page and "Try again in 30 seconds." in page
    # Seeing the form is not a login attempt; another address logs in as usual.
    assert Client().get(reverse("login"), REMOTE_ADDR="203.0.113.5").status_code == 200
    assert login("mia", PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 302
    clock.value += 30  # the next minute
    assert login("mia", PASSWORD, REMOTE_ADDR="203.0.113.5").status_code == 302


@override_settings(FOURFOLD_LOGIN_RATE="3/minute")
def test_the_admin_login_counts_with_the_login_page(world, clock):
    for n in range(2):
        login(f"user{n}", REMOTE_ADDR="203.0.113.5")
    admin_login = reverse("admin:login")
    assert Client().post(admin_login, {}, REMOTE_ADDR="203.0.113.5").status_code == 200
    refused = Client().post(admin_login, {}, REMOTE_ADDR="203.0.113.5")
    assert refused.status_code == 429 and refused["Retry-After"] == "30"


@override_settings(FOURFOLD_LOGIN_RATE="3/minute", FOURFOLD_PROXY_COUNT=0)
def test_without_the_proxy_setting_rotating_x_forwarded_for_does_not_reset_the_limit(world, clock):
    for n in range(3):
        login(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=f"192.0.2.{n}")
    refused = login(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.200")
    assert refused.status_code == 429


@override_settings(FOURFOLD_LOGIN_RATE="3/minute", FOURFOLD_PROXY_COUNT=1)
def test_behind_the_proxy_each_client_has_its_own_limit(world, clock):
    for _ in range(3):
        login(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5")
    assert login(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="203.0.113.5").status_code == 429
    forged = "198.51.100.7, 203.0.113.5"  # the client's own text, then the proxy's entry
    assert login(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR=forged).status_code == 429
    assert login(REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 200


@override_settings(FOURFOLD_LOGIN_RATE="3/minute")
def test_an_ipv6_client_is_counted_by_its_64_network(world, clock):
    for n in range(3):
        login(REMOTE_ADDR=f"2001:db8:1:2::{n + 1}")
    assert login(REMOTE_ADDR="2001:db8:1:2:ffff::9").status_code == 429
    assert login(REMOTE_ADDR="2001:db8:1:3::1").status_code == 200


# --- the API --------------------------------------------------------------------------


def push(secret, items=(), **meta):
    if secret:
        meta["HTTP_AUTHORIZATION"] = f"Bearer {secret}"
    return Client().post(
        "/api/measurements",
        json.dumps({"measurements": list(items)}),
        content_type="application/json",
        **meta,
    )


def item(value=1.0):
    return {"kpi": "Conversion rate", "period": YESTERDAY, "value": value}


@pytest.fixture
def token(world):
    return sources.token_create(program=world.program, name="Warehouse", by=world.user("admin"))[1]


@override_settings(FOURFOLD_PUSH_RATE="3/minute")
def test_a_burst_of_pushes_gets_429_after_the_limit_and_another_token_is_not_affected(
    world, token, clock
):
    for n in range(3):
        assert push(token, [item(n)]).status_code == 200
    refused = push(token, [item(9)])
    assert refused.status_code == 429
    assert refused["Retry-After"] == "30"
    assert refused.json() == {"detail": "Too many requests; try again in 30 seconds."}
    assert Measurement.objects.get().value == 2  # the refused batch loaded nothing
    other = sources.token_create(program=world.program, name="CRM", by=world.user("admin"))[1]
    assert push(other, [item(5)]).status_code == 200
    clock.value += 30
    assert push(token, [item(6)]).status_code == 200


def test_the_default_push_rate_is_sixty_a_minute(world, token, clock):
    """A real burst at the default rate; empty batches (400) cost no load but count."""
    answers = [push(token).status_code for _ in range(61)]
    assert answers == [400] * 60 + [429]


@override_settings(FOURFOLD_API_RATE="3/minute")
def test_the_api_is_limited_per_client_address_before_the_token_is_looked_up(world, token, clock):
    for n in range(3):
        assert push(f"ff_guess{n}", REMOTE_ADDR="203.0.113.5").status_code == 401
    refused = push(token, [item()], REMOTE_ADDR="203.0.113.5")  # even with a good token
    assert refused.status_code == 429 and refused["Retry-After"] == "30"
    assert set(refused.json()) == {"detail"}
    assert push(token, [item()], REMOTE_ADDR="198.51.100.7").status_code == 200


def test_the_schema_documents_429_with_retry_after(client):
    operation = client.get("/api/openapi.json").json()["paths"]["/api/measurements"]["post"]
    answer = operation["responses"]["429"]
    assert "Retry-After" in answer["headers"]
    assert answer["content"]["application/json"]["schema"]["$ref"].endswith("/Message")
    assert "WWW-Authenticate" in operation["responses"]["401"]["headers"]


# --- the store ------------------------------------------------------------------------


def test_the_counters_are_in_a_store_every_process_shares():
    from django.core.cache.backends.db import DatabaseCache

    assert isinstance(caches["ratelimit"], DatabaseCache)  # no FOURFOLD_CACHE_URL here
    with connection.cursor() as cursor:  # the test database was given its table
        cursor.execute("SELECT count(*) FROM fourfold_cache")


@pytest.mark.django_db(transaction=True)
def test_another_process_counts_into_the_same_window():
    """Another web process (here: a Python process on the same database) takes the
    client's allowance; this process then refuses the client."""
    caches["ratelimit"].clear()
    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:"
        f"{db['PORT'] or 5432}/{db['NAME']}",
    }
    script = (
        "import django; django.setup()\n"
        "from programs.ratelimit import hit\n"
        "print([hit('login', '203.0.113.5', '3/day') for _ in range(3)])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[None, None, None]"
    try:
        assert ratelimit.hit("login", "203.0.113.5", "3/day") is not None
        assert ratelimit.hit("login", "198.51.100.7", "3/day") is None
    finally:
        caches["ratelimit"].clear()


def test_a_store_that_cannot_be_reached_lets_logins_through(world, monkeypatch):
    def broken(*args, **kwargs):
        raise ConnectionError("store down")

    monkeypatch.setattr(caches["ratelimit"], "incr", broken)
    with override_settings(FOURFOLD_LOGIN_RATE="1/minute"):
        for _ in range(3):
            assert login("mia", PASSWORD).status_code == 302


@pytest.mark.parametrize("rate", ["60", "60/fortnight", "many/minute", "/minute"])
def test_a_rate_that_is_not_one_is_refused(rate):
    with pytest.raises(ValueError, match="Not a rate"):
        ratelimit.parse_rate(rate)


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"FOURFOLD_LOGIN_RATE": "lots"}, "FOURFOLD_LOGIN_RATE"),
        ({"FOURFOLD_PUSH_RATE": "60/fortnight"}, "FOURFOLD_PUSH_RATE"),
        ({"DJANGO_BEHIND_PROXY": "true", "DJANGO_PROXY_COUNT": "0"}, "DJANGO_PROXY_COUNT"),
        ({"FOURFOLD_CACHE_URL": "carrier-pigeon://x"}, "FOURFOLD_CACHE_URL"),
    ],
)
def test_unusable_limit_settings_stop_start_up_with_a_message(env, message):
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "FOURFOLD_"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env={**clean, "DJANGO_DEBUG": "true", "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert f'Fourfold cannot start: Environment variable "{message}"' in result.stderr
