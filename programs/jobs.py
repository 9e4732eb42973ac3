"""The one lifecycle of every background job: result pulls, customer-table reads, cluster
runs, simulation batches and propensity training (ARCHITECTURE.md).

A job row is queued, then one worker claims it (running), and it ends succeeded or failed
with the error its page shows. Each status field has these choices and a database
CheckConstraint; a claim is a conditional update whose row count says who won it.
"""

from django.db import models, transaction
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


ACTIVE = (JobStatus.QUEUED, JobStatus.RUNNING)  # not finished: a page follows it


def job_status_constraint(name: str) -> models.CheckConstraint:
    """The database refuses a status outside the vocabulary, whoever writes it."""
    return models.CheckConstraint(condition=Q(status__in=JobStatus.values), name=name)


def job_claim(jobs: QuerySet, *, pk: int, mine: Q | None = None, **values) -> bool:
    """Take job `pk` for this worker: one conditional update from a status it may be taken
    in (`mine`; default queued) to running, with `values` (started_at, task_id, ...). True
    only for the one caller whose update changed the row: two workers handed the same job
    cannot both run it."""
    claimable = Q(status=JobStatus.QUEUED) if mine is None else mine
    return jobs.filter(claimable, pk=pk).update(status=JobStatus.RUNNING, **values) == 1


def job_succeed(jobs: QuerySet, *, pk: int, **values) -> bool:
    """End the running job `pk` as succeeded, with its results in `values`."""
    return (
        jobs.filter(pk=pk, status=JobStatus.RUNNING).update(status=JobStatus.SUCCEEDED, **values)
        == 1
    )


def job_fail(jobs: QuerySet, *, pk: int, error: str, statuses=ACTIVE, **values) -> bool:
    """End job `pk` as failed with `error`, the sentence its page shows, unless it already
    ended (or is not in `statuses`). False when there was nothing to fail."""
    return (
        jobs.filter(pk=pk, status__in=statuses).update(
            status=JobStatus.FAILED, error=error, **values
        )
        == 1
    )


def enqueue_on_commit(task, *, on_failure, **kwargs) -> None:
    """Send a task once the current transaction commits (so the worker sees its rows).

    If the broker cannot be reached, `on_failure(error)` records that nothing will run,
    instead of leaving work that looks queued forever.
    """

    def send() -> None:
        try:
            task.delay(**kwargs)
        except OperationalError as error:
            on_failure(error)

    transaction.on_commit(send)
