import datetime

import pytest
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
    unreachable = Celery("unreachable")
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
