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
