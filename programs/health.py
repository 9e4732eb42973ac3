"""Health checks beyond the database: can we hand work to Celery?

Anyone (a load balancer, a monitor) may ask whether Fourfold is up; which check failed and
why (a broker's error, how long the worker has been silent) is shown to staff users only,
or to everyone with FOURFOLD_HEALTH_DETAILS_PUBLIC.
"""

import asyncio
import contextlib
import dataclasses
import datetime
from concurrent.futures import ThreadPoolExecutor

from celery.app import app_or_default
from django.conf import settings
from django.db import connections
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from health_check.base import HealthCheck
from health_check.exceptions import ServiceUnavailable, ServiceWarning
from health_check.views import HealthCheckView

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


class HealthView(HealthCheckView):
    """The library's view, running the checks in one thread of its own whose database
    connection is closed afterwards (the default executor's threads would keep theirs).
    Without the right to details it answers only "up" or "down", with the same status."""

    async def get(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if settings.FOURFOLD_HEALTH_DETAILS_PUBLIC or (await request.auser()).is_staff:
            return await super().get(request, *args, **kwargs)
        with self.get_executor() as executor:
            results = await asyncio.gather(
                *(check.get_result(executor) for check in self.get_checks())
            )
        up = not any(result.error for result in results)
        status = 200 if up else 500  # as the detailed answer's
        word = "up" if up else "down"
        wants_json = request.GET.get("format") == "json" or (
            "format" not in request.GET and "json" in request.headers.get("accept", "")
        )
        if wants_json:
            return JsonResponse({"status": word}, status=status)
        return HttpResponse(f"{word}\n", content_type="text/plain; charset=utf-8", status=status)

    @contextlib.contextmanager
    def get_executor(self):
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="health") as executor:
            try:
                yield executor
            finally:
                executor.submit(connections.close_all).result()
