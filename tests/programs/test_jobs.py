"""The one job lifecycle (programs/jobs.py; issue 19, item 6): one status vocabulary that
the database enforces on every job table, one claim that only one worker wins, one way to
record a failure."""

import threading

import pytest
from django.db import IntegrityError, connection, transaction

from blueprints.models import PropensityRun, SimulationBatch
from programs.jobs import JobStatus, job_claim, job_fail, job_succeed
from results.models import Pull
from segments.models import ClusterRun, CustomerTable

pytestmark = pytest.mark.django_db

CONSTRAINTS = {
    Pull: "pull_status_known",
    CustomerTable: "customer_table_status_known",
    ClusterRun: "cluster_run_status_known",
    SimulationBatch: "simulation_batch_status_known",
    PropensityRun: "propensity_run_status_known",
}


@pytest.mark.parametrize("model", CONSTRAINTS, ids=lambda m: m.__name__)
def test_every_job_table_has_the_one_vocabulary_and_the_database_refuses_another(model):
    status = model._meta.get_field("status")
    assert list(status.choices) == list(JobStatus.choices)
    assert status.default == JobStatus.QUEUED
    assert CONSTRAINTS[model] in {c.name for c in model._meta.constraints}
    with connection.cursor() as cursor:  # the constraint is in the database itself
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = %s",
            [CONSTRAINTS[model]],
        )
        (definition,) = cursor.fetchone()
    for value in JobStatus.values:
        assert f"'{value}'" in definition


@pytest.fixture
def table(world):
    return CustomerTable.objects.create(organization=world.acme, name="customers.csv")


def test_a_status_outside_the_vocabulary_is_refused_by_the_database(table):
    with pytest.raises(IntegrityError), transaction.atomic():
        CustomerTable.objects.filter(pk=table.pk).update(status="done")
    table.refresh_from_db()
    assert table.status == JobStatus.QUEUED


def test_a_queued_job_is_claimed_once_then_ends_once(table):
    assert job_claim(CustomerTable.objects, pk=table.pk) is True
    assert job_claim(CustomerTable.objects, pk=table.pk) is False  # the second worker
    read = {"rows": 3, "data": "customer-tables/customers.npz"}
    assert job_succeed(CustomerTable.objects, pk=table.pk, **read) is True
    assert job_fail(CustomerTable.objects, pk=table.pk, error="too late") is False
    table.refresh_from_db()
    assert (table.status, table.rows, table.error) == (JobStatus.SUCCEEDED, 3, "")


def test_a_failure_is_recorded_with_the_sentence_its_page_shows(table, world):
    from django.test import Client
    from django.urls import reverse

    assert job_fail(CustomerTable.objects, pk=table.pk, error="The file is not a table.")
    client = Client()
    client.force_login(world.user("manager"))
    page = client.get(
        reverse("segments:customer_table", kwargs={"org": "acme", "table_pk": table.pk})
    )
    assert "The file is not a table." in page.content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_workers_claiming_one_job_at_once_one_wins(django_db_blocker):
    """Real PostgreSQL, two connections, released together: the conditional update lets
    exactly one of them take the job."""
    from programs.models import Organization

    organization = Organization.objects.create(name="Racing", slug="racing")
    job = CustomerTable.objects.create(organization=organization, name="t.csv")
    start, results = threading.Barrier(2), []

    def worker():
        try:
            start.wait()
            results.append(job_claim(CustomerTable.objects, pk=job.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [False, True]
