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


def test_a_real_worker_decides_a_batch_of_profiles(redis_worker):
    from decimal import Decimal

    from blueprints import services
    from blueprints.models import SimulationBatch
    from programs.services import program_create
    from segments.services import attribute_save
    from tests.factories import OrganizationFactory, UserFactory

    user = UserFactory()
    program = program_create(organization=OrganizationFactory(), name="Shop", by=user)
    attribute_save(
        organization=program.organization,
        key="visitor_type",
        label="Visitor type",
        type="category",
        allowed_values=["new", "returning"],
    )
    blueprint = services.blueprint_create(cycle=program.cycles.get(), name="Web", by=user)
    offer = services.offer_save(
        stage=blueprint.stages.first(),
        by=user,
        name="Welcome",
        propensity=Decimal("0.1"),
        value=Decimal(10),
    )
    services.condition_add(offer=offer, sentence="visitor type is new", by=user)
    rows = "visitor_type\n" + "new\nreturning\n" * 6000
    batch = services.batch_create(
        blueprint=blueprint, file_name="p.csv", data=rows.encode(), by=user
    )

    assert wait_for(
        lambda: SimulationBatch.objects.get(pk=batch.pk).status == "succeeded", timeout=60
    )
    done = SimulationBatch.objects.get(pk=batch.pk)
    assert (done.rows_done, done.wins) == (12000, {"Welcome": 6000})
