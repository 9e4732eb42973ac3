"""The jobs that bring results in: a pull, an upload's reading, scheduled pulls, expiring
stuck runs. Their Celery names are the ones they had in kpis/tasks.py: the periodic tasks
users scheduled are stored under them."""

import structlog
from celery import shared_task
from django.conf import settings

from programs.jobs import ACTIVE, JobStatus
from results import sources
from results.models import ResultSource, UploadStage

log = structlog.get_logger(__name__)


@shared_task(
    name="kpis.tasks.run_pull",
    bind=True,
    autoretry_for=(sources.TransientPullError,),
    retry_backoff=settings.FOURFOLD_PULL_RETRY_BACKOFF,
    retry_backoff_max=600,
    retry_jitter=False,
    max_retries=settings.FOURFOLD_PULL_MAX_RETRIES,
    acks_late=True,
)
def run_pull(self, *, pull_id: int) -> None:
    """Run one queued pull (or the load of an upload). Network trouble and 5xx answers are
    retried with exponential backoff; a 4xx answer or a wrong mapping fails at once. Safe
    to deliver twice."""
    sources.pull_execute(
        pull_id=pull_id,
        final_attempt=self.request.retries >= self.max_retries,
        task_id=self.request.id or "",
    )


@shared_task(
    name="kpis.tasks.read_upload",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=120,
    time_limit=150,
)
def read_upload(*, pull_id: int) -> None:
    """Read an uploaded file's header and first rows for its preview, within the time
    limit and the job memory limit; a file that cannot be read fails its run."""
    sources.upload_read(pull_id=pull_id)


@shared_task(name="kpis.tasks.expire_pulls", ignore_result=True)
def expire_pulls() -> None:
    """Beat's entry every minute: runs past their lease, lost in the queue or waiting for
    a mapping too long end failed, so no source stays held."""
    sources.pulls_expire()


@shared_task(name="kpis.tasks.pull_source", ignore_result=True)
def pull_source(*, source_id: int) -> None:
    """Beat's entry point for a scheduled source: queue a pull unless one is under way."""
    source = ResultSource.objects.filter(pk=source_id, paused=False).first()
    if source is None:
        return
    busy = source.pulls.filter(status__in=ACTIVE)
    if source.mapping:  # a Test left waiting for its mapping does not hold the schedule up
        busy = busy.exclude(status=JobStatus.QUEUED, stage=UploadStage.MAPPING)
    if busy.exists():
        log.info("pull_skipped_busy", source=source_id)
        return
    sources.pull_queue(source=source, by=None, trigger="schedule")
