"""Health checks beyond the database: can we hand work to Celery?"""

import dataclasses
import datetime

from celery.app import app_or_default
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning

from programs.models import WorkerHeartbeat


@dataclasses.dataclass
class Broker(HealthCheck):
    """Connect to the Celery broker (Redis, RabbitMQ, or the embedded filesystem queue)."""

    timeout: datetime.timedelta = dataclasses.field(
        default=datetime.timedelta(seconds=3), repr=False
    )

    def run(self) -> None:
        app = app_or_default()
        try:
            with app.connection_for_write() as connection:
                connection.ensure_connection(max_retries=1, timeout=self.timeout.total_seconds())
        except Exception as error:  # kombu raises transport-specific errors
            raise ServiceUnavailable(f"Broker unreachable: {type(error).__name__}") from error


@dataclasses.dataclass
class WorkerAlive(HealthCheck):
    """A worker ran the heartbeat task recently (beat schedules it every minute)."""

    max_silence: datetime.timedelta = datetime.timedelta(minutes=5)

    def run(self) -> None:
        last = (
            WorkerHeartbeat.objects.order_by("-seen_at").values_list("seen_at", flat=True).first()
        )
        if last is None:
            raise ServiceUnavailable("No worker has reported yet")
        silence = timezone.now() - last
        if silence > self.max_silence:
            raise ServiceWarning(f"No worker heartbeat for {int(silence.total_seconds())} s")
