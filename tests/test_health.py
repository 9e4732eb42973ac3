import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from programs.models import WorkerHeartbeat

pytestmark = pytest.mark.django_db


def test_health_reports_database_and_broker(client):
    response = client.get("/health/?format=json")
    assert response.status_code == 200
    checks = response.json()
    assert any("Database" in name for name in checks)
    assert any("Broker" in name for name in checks)
    assert set(checks.values()) == {"OK"}


def test_health_fails_when_the_broker_is_unreachable(client, monkeypatch):
    from celery import Celery

    from programs import health

    # Celery lets CELERY_BROKER_URL in the environment win over the constructor.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")
    unreachable = Celery("unreachable", set_as_current=False)  # the tasks keep their app
    monkeypatch.setattr(health, "app_or_default", lambda: unreachable)
    response = client.get("/health/?format=json")
    assert response.status_code == 500, response.json()
    assert any("Broker unreachable" in value for value in response.json().values())


# The checks run in threads with their own connections: they see committed rows only.
@pytest.mark.django_db(transaction=True)
def test_worker_health_tells_a_silent_worker(client):
    assert client.get("/health/worker/?format=json").status_code == 500
    WorkerHeartbeat.objects.create(hostname="w1", seen_at=timezone.now())
    assert client.get("/health/worker/?format=json").status_code == 200
    WorkerHeartbeat.objects.filter(hostname="w1").update(
        seen_at=timezone.now() - datetime.timedelta(minutes=10)
    )
    response = client.get("/health/worker/?format=json")
    assert response.status_code == 500
    assert "No worker heartbeat for" in " ".join(response.json().values())


@pytest.mark.django_db(transaction=True)
def test_pages_answer_503_while_the_database_refuses_connections_then_recover(world):
    """PostgreSQL refusing new connections (as while it restarts): the request gets a
    clean 503 page; once it accepts them again, the next request succeeds."""
    import psycopg
    from django.db import connection
    from django.test import Client

    client = Client(raise_request_exception=False)  # answer as the server would
    client.force_login(world.user("executive"))
    url = reverse("cycles:program_home", kwargs={"pk": world.program.pk})
    assert client.get(url).status_code == 200
    name = connection.settings_dict["NAME"]
    connection.close()
    admin = psycopg.connect(
        host=connection.settings_dict["HOST"] or "127.0.0.1",
        port=connection.settings_dict["PORT"] or 5432,
        user=connection.settings_dict["USER"],
        dbname="postgres",
        autocommit=True,
    )
    try:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [name],
        )
        response = client.get(url)
        assert response.status_code == 503
        assert "cannot reach its database" in response.content.decode()
        assert response["Retry-After"] == "30"
    finally:
        admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        admin.close()
    assert client.get(url).status_code == 200


def test_the_health_page_answers_in_html_too(client, db):
    response = client.get("/health/", headers={"Accept": "text/html"})
    assert response.status_code == 200 and b"<html" in response.content.lower()
