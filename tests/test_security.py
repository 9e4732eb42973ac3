"""Login rate limiting and the Content-Security-Policy."""

import pytest
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def test_five_wrong_passwords_pause_logins_for_that_username(world, client):
    url = reverse("login")
    for _ in range(4):
        response = client.post(url, {"username": "mia", "password": "guess"})
        assert "do not match" in response.content.decode()
    response = client.post(url, {"username": "mia", "password": "guess"})  # the fifth
    assert response.status_code == 429
    response = client.post(url, {"username": "mia", "password": PASSWORD})
    assert response.status_code == 429  # even the right password, for now
    assert "logging in is paused for fifteen minutes" in response.content.decode()
    # Another person logs in as usual.
    response = client.post(url, {"username": "tom", "password": PASSWORD})
    assert response.status_code == 302


def test_a_right_password_resets_the_count(world, client):
    url = reverse("login")
    for _ in range(4):
        client.post(url, {"username": "mia", "password": "guess"})
    assert client.post(url, {"username": "mia", "password": PASSWORD}).status_code == 302
    client.logout()
    for _ in range(4):
        client.post(url, {"username": "mia", "password": "guess"})
    assert client.post(url, {"username": "mia", "password": PASSWORD}).status_code == 302


def test_pages_forbid_inline_and_foreign_scripts(world, as_user):
    response = as_user("executive").get(
        reverse("progress:dashboard", kwargs={"pk": world.program.pk})
    )
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if d.strip())
    assert directives["script-src"] == "'self'"
    assert directives["default-src"] == "'self'"
    assert directives["frame-ancestors"] == "'none'"
    body = response.content.decode()
    # Every script is a file of this site or a JSON data block, never inline code.
    import re

    for tag in re.findall(r"<script[^>]*>", body):
        assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
