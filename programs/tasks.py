import socket

from celery import shared_task
from django.utils import timezone

from programs.models import WorkerHeartbeat


@shared_task(name="programs.tasks.record_heartbeat", ignore_result=True)
def record_heartbeat(*, hostname: str = "") -> None:
    """Record that a worker is alive and can write to the database. Safe to run twice."""
    WorkerHeartbeat.objects.update_or_create(
        hostname=hostname or socket.gethostname(), defaults={"seen_at": timezone.now()}
    )


def enqueue_on_commit(task, *, on_failure, **kwargs) -> None:
    """Send a task once the current transaction commits (so the worker sees its rows).

    If the broker cannot be reached, `on_failure(error)` records that nothing will run,
    instead of leaving work that looks queued forever.
    """
    from django.db import transaction
    from kombu.exceptions import OperationalError

    def send() -> None:
        try:
            task.delay(**kwargs)
        except OperationalError as error:
            on_failure(error)

    transaction.on_commit(send)
