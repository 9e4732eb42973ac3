"""Issue 17, "Also": API tokens made on the sources page may carry a last day; from then on
the API refuses them with 401 saying so. The page lists who made each token, when, when it
was last used and until when it is valid."""

import datetime
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

pytestmark = pytest.mark.django_db

YESTERDAY = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


def sources_url(world):
    return reverse("results:sources", kwargs={"pk": world.program.pk})


def make_token(client, world, **fields) -> str:
    """Through the form, as an admin does; the secret as the page shows it once."""
    url = reverse("results:token_create", kwargs={"pk": world.program.pk})
    page = client.post(url, fields, follow=True).content.decode()
    return re.search(r'user-select-all">(ff_[^<]+)<', page)[1]


def push(secret):
    return Client().post(
        "/api/measurements",
        json.dumps({"measurements": [{"kpi": "Conversion rate", "period": YESTERDAY, "value": 1}]}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {secret}",
    )


def travel_to(monkeypatch, moment: datetime.datetime) -> None:
    """Move the clocks the API and the page read: Django's, and the {% now %} tag's."""
    from django.template import defaulttags

    class Clock(datetime.datetime):
        @classmethod
        def now(cls, tz=None):
            return moment.astimezone(tz)

    monkeypatch.setattr(timezone, "now", lambda: moment)
    monkeypatch.setattr(defaulttags, "datetime", Clock)


def token_rows(page: str) -> list[str]:
    rows = re.findall(r'<tr data-testid="token">(.*?)</tr>', page, re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row)).strip() for row in rows]


def test_a_token_valid_until_a_day_works_through_it_then_is_refused(world, as_user, monkeypatch):
    admin = as_user("admin")
    last_day = timezone.localdate() + datetime.timedelta(days=3)
    secret = make_token(admin, world, name="Campaign feed", expires_at=last_day.isoformat())

    (row,) = token_rows(admin.get(sources_url(world)).content.decode())
    assert "Campaign feed" in row and "Alice" in row  # who made it
    assert timezone.localdate().strftime("%-d %b %Y") in row  # created
    assert "never" in row  # not used yet
    assert last_day.strftime("%-d %b %Y") in row  # valid until

    assert push(secret).status_code == 200
    (row,) = token_rows(admin.get(sources_url(world)).content.decode())
    assert "never" not in row  # the last use is shown instead

    # The last day, late in the evening: it still works.
    end_of_day = datetime.datetime.combine(last_day, datetime.time(23, 59), datetime.UTC)
    travel_to(monkeypatch, end_of_day)
    assert push(secret).status_code == 200
    (row,) = token_rows(admin.get(sources_url(world)).content.decode())
    assert "expired" not in row

    # The next morning it is refused, saying why.
    travel_to(monkeypatch, end_of_day + datetime.timedelta(hours=8))
    refused = push(secret)
    assert refused.status_code == 401
    assert refused.json() == {
        "detail": f"This token expired on {last_day.isoformat()}; an admin can make a new one."
    }
    assert refused["WWW-Authenticate"] == "Bearer"
    (row,) = token_rows(admin.get(sources_url(world)).content.decode())
    assert f"expired {last_day.strftime('%-d %b %Y')}" in row


def test_a_token_without_a_day_does_not_expire(world, as_user, monkeypatch):
    admin = as_user("admin")
    secret = make_token(admin, world, name="Warehouse", expires_at="")
    (row,) = token_rows(admin.get(sources_url(world)).content.decode())
    assert "no expiry" in row
    travel_to(monkeypatch, timezone.now() + datetime.timedelta(days=3650))
    assert push(secret).status_code == 200


def test_a_day_in_the_past_is_refused_with_a_message(world, as_user):
    admin = as_user("admin")
    url = reverse("results:token_create", kwargs={"pk": world.program.pk})
    response = admin.post(url, {"name": "Old", "expires_at": YESTERDAY}, follow=True)
    page = response.content.decode()
    assert "No token made. Valid until: Choose today or a later day." in page
    assert "user-select-all" not in page
    assert not world.program.api_tokens.exists()


def test_an_unknown_token_gets_401_with_the_bearer_challenge(world):
    refused = push("ff_not-a-token")
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"] == "Bearer"
    assert set(refused.json()) == {"detail"}


def test_a_revoked_token_is_listed_as_revoked(world, as_user):
    admin = as_user("admin")
    make_token(admin, world, name="Old feed")
    token = world.program.api_tokens.get()
    admin.post(
        reverse("results:token_revoke", kwargs={"pk": world.program.pk, "token_pk": token.pk})
    )
    (row,) = token_rows(admin.get(sources_url(world)).content.decode())
    assert "revoked" in row and "Revoke" not in row
