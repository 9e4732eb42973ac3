"""Issue 17, item 8: lock-outs behind a reverse proxy.

Every request reaches the app from the proxy's address (REMOTE_ADDR); the client is in
X-Forwarded-For. Behind a proxy, five wrong passwords from one client lock that client
only; without the proxy setting the header is ignored, so rotating it escapes nothing.
"""

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from programs.ratelimit import client_ip
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
CLIENT_X = "203.0.113.5"
CLIENT_Y = "198.51.100.7"

behind_one_proxy = override_settings(FOURFOLD_PROXY_COUNT=1)
no_proxy = override_settings(FOURFOLD_PROXY_COUNT=0)


def login(username: str, password: str, forwarded_for: str | None = None):
    meta = {"REMOTE_ADDR": PROXY}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return Client().post(reverse("login"), {"username": username, "password": password}, **meta)


@behind_one_proxy
def test_behind_the_proxy_five_wrong_passwords_lock_that_client_only(world):
    for _ in range(5):
        login("alice", "guess", CLIENT_X)
    locked = login("alice", PASSWORD, CLIENT_X)
    assert locked.status_code == 429
    assert "logging in is paused for fifteen minutes" in locked.content.decode()
    # The admin, from anywhere else behind the same proxy, logs in as usual.
    assert login("alice", PASSWORD, CLIENT_Y).status_code == 302
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {CLIENT_X}


@behind_one_proxy
def test_behind_the_proxy_a_forged_left_entry_does_not_free_the_client(world):
    """The proxy appends the address it saw; what the client wrote stays to its left."""
    for _ in range(5):
        login("alice", "guess", CLIENT_X)
    for forged in (CLIENT_Y, "1.2.3.4", "garbage", f"{CLIENT_Y}, 5.6.7.8"):
        assert login("alice", PASSWORD, f"{forged}, {CLIENT_X}").status_code == 429


@no_proxy
def test_without_the_proxy_setting_a_forged_header_does_not_escape_the_lock(world):
    for n in range(5):
        login("alice", "guess", f"192.0.2.{n}")  # a new "client" every time
    for forged in (CLIENT_Y, f"{CLIENT_Y}, {CLIENT_X}", "192.0.2.99"):
        response = login("alice", PASSWORD, forged)
        assert response.status_code == 429
        assert "logging in is paused" in response.content.decode()
    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == {PROXY}


@behind_one_proxy
def test_the_admin_login_is_locked_per_client_too(world):
    get_user_model().objects.filter(username="alice").update(is_staff=True, is_superuser=True)
    url = reverse("admin:login")
    for _ in range(5):
        Client().post(
            url,
            {"username": "alice", "password": "guess"},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=CLIENT_X,
        )
    ok = Client().post(
        url,
        {"username": "alice", "password": PASSWORD, "next": "/admin/"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR=CLIENT_Y,
    )
    assert ok.status_code == 302
    assert AccessAttempt.objects.get().ip_address == CLIENT_X


# --- which address counts --------------------------------------------------------------


def address(forwarded_for=None, remote=PROXY):
    meta = {"REMOTE_ADDR": remote}
    if forwarded_for is not None:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client_ip(RequestFactory().get("/", **meta))


@pytest.mark.parametrize(
    ("proxies", "forwarded_for", "expected"),
    [
        (0, f"{CLIENT_X}", PROXY),  # not behind a proxy: never read
        (0, None, PROXY),
        (1, CLIENT_X, CLIENT_X),
        (1, f"{CLIENT_Y}, {CLIENT_X}", CLIENT_X),  # the left one is the client's own text
        (1, f"{CLIENT_Y},,{CLIENT_X}", CLIENT_X),
        (1, f"{CLIENT_Y}, {CLIENT_X}:51234", CLIENT_X),  # a port after it
        (1, "[2001:db8::7]:443", "2001:db8::7"),
        (1, "::ffff:203.0.113.5", CLIENT_X),  # IPv4-mapped is the IPv4 address
        (1, None, PROXY),  # a request that came around the proxy
        (1, "unknown", PROXY),
        (2, f"{CLIENT_Y}, {CLIENT_X}, 10.0.0.9", CLIENT_X),  # CDN, then nginx
        (2, CLIENT_X, PROXY),  # fewer entries than proxies: not to be trusted
    ],
)
def test_the_client_address(proxies, forwarded_for, expected):
    with override_settings(FOURFOLD_PROXY_COUNT=proxies):
        assert address(forwarded_for) == expected


def test_axes_asks_the_same_function(settings):
    from axes.helpers import get_client_ip_address

    settings.FOURFOLD_PROXY_COUNT = 1
    request = RequestFactory().get("/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=CLIENT_X)
    assert get_client_ip_address(request) == CLIENT_X
