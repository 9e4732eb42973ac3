"""Issue 17, "Also": the health endpoints tell anyone whether Fourfold is up, and only staff
(or everyone, with FOURFOLD_HEALTH_DETAILS_PUBLIC) which check failed and why."""

import pytest
from celery import Celery
from django.contrib.auth import get_user_model
from django.test import Client, override_settings

from programs import health

pytestmark = pytest.mark.django_db

details_private = override_settings(FOURFOLD_HEALTH_DETAILS_PUBLIC=False)


@pytest.fixture
def broker_down(monkeypatch):
    # Celery lets CELERY_BROKER_URL in the environment win over the constructor.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    unreachable = Celery("unreachable", set_as_current=False)  # the tasks keep their app
    monkeypatch.setattr(health, "app_or_default", lambda: unreachable)


def staff_client() -> Client:
    user = get_user_model().objects.create_user("ops", password="x", is_staff=True)
    client = Client()
    client.force_login(user)
    return client


@details_private
@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        ("?format=json", "*/*", b'{"status": "up"}'),
        ("", "application/json", b'{"status": "up"}'),
        ("", "text/html", b"up\n"),
        ("?format=text", "*/*", b"up\n"),
        ("?format=openmetrics", "*/*", b"up\n"),
    ],
)
def test_anonymous_gets_up_and_nothing_more(client, query, accept, expected):
    response = client.get(f"/health/{query}", headers={"Accept": accept})
    assert response.status_code == 200
    assert response.content == expected


@details_private
def test_anonymous_learns_that_it_is_down_but_not_why(client, broker_down):
    response = client.get("/health/?format=json")
    assert response.status_code == 500
    assert response.json() == {"status": "down"}
    text = client.get("/health/", headers={"Accept": "text/plain"})
    assert (text.status_code, text.content) == (500, b"down\n")


@details_private
def test_a_member_who_is_not_staff_gets_no_details(world, as_user, broker_down):
    response = as_user("admin").get("/health/?format=json")  # an organization's admin
    assert response.status_code == 500 and response.json() == {"status": "down"}


@details_private
def test_staff_see_each_check_and_its_error(broker_down):
    response = staff_client().get("/health/?format=json")
    assert response.status_code == 500
    checks = response.json()
    assert any("Database" in name for name in checks)
    assert any("Broker unreachable" in value for value in checks.values())


@details_private
@pytest.mark.django_db(transaction=True)  # the checks' thread sees committed rows only
def test_the_worker_endpoint_hides_its_details_too(client):
    response = client.get("/health/worker/?format=json")
    assert response.status_code == 500 and response.json() == {"status": "down"}
    assert b"worker" not in response.content
    assert "No worker has reported yet" in " ".join(
        staff_client().get("/health/worker/?format=json").json().values()
    )


@override_settings(FOURFOLD_HEALTH_DETAILS_PUBLIC=True)
def test_the_setting_shows_details_to_everyone(client, broker_down):
    checks = client.get("/health/?format=json").json()
    assert any("Broker unreachable" in value for value in checks.values())


@details_private
def test_the_answer_is_not_cached_and_varies_by_login(client):
    response = client.get("/health/")
    assert "no-cache" in response["Cache-Control"]
    assert "Cookie" in response["Vary"]
