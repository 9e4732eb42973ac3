"""A real Celery worker, consuming from Redis, writes to PostgreSQL."""

import time

import pytest
from celery.contrib.testing.worker import start_worker

from config.celery import app
from programs.models import WorkerHeartbeat
from programs.tasks import record_heartbeat

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def redis_worker():
    assert app.conf.broker_url.startswith("redis://"), "worker tests need the Redis broker"
    app.control.purge()
    with start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING") as worker:
        yield worker


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_a_real_worker_runs_a_task_that_writes_to_the_database(redis_worker):
    record_heartbeat.delay(hostname="worker-under-test")
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(hostname="worker-under-test").exists())


def test_running_the_heartbeat_twice_keeps_one_row(redis_worker):
    record_heartbeat.delay(hostname="twice")
    assert wait_for(lambda: WorkerHeartbeat.objects.filter(hostname="twice").exists())
    first = WorkerHeartbeat.objects.get(hostname="twice").seen_at
    record_heartbeat.delay(hostname="twice")
    assert wait_for(lambda: WorkerHeartbeat.objects.get(hostname="twice").seen_at > first)
    assert WorkerHeartbeat.objects.filter(hostname="twice").count() == 1
