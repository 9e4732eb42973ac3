import structlog
from celery import shared_task
from django.conf import settings

from kpis import sources
from kpis.models import ResultSource, UploadStage
from programs.jobs import ACTIVE, JobStatus
from programs.models import Cycle

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


@shared_task(name="kpis.tasks.refresh_progress", ignore_result=True)
def refresh_progress(*, program_id: int) -> None:
    """Recompute the snapshots of the program's open cycle (after a load of results).
    Loads that finish from here on queue the next refresh (their request is taken)."""
    from kpis.models import RefreshRequest
    from kpis.snapshots import progress_refresh

    RefreshRequest.objects.filter(program_id=program_id).delete()

    cycle = Cycle.objects.filter(program_id=program_id, closed_at__isnull=True).first()
    if cycle is not None:
        progress_refresh(cycle=cycle)


@shared_task(name="kpis.tasks.refresh_all_progress", ignore_result=True)
def refresh_all_progress() -> None:
    """Beat's nightly entry: expected progress moves with the date, so every open cycle's
    snapshots are recomputed even when no results arrived."""

    for program_id in Cycle.objects.filter(closed_at__isnull=True).values_list(
        "program_id", flat=True
    ):
        refresh_progress.delay(program_id=program_id)


@shared_task(name="kpis.tasks.send_weekly_digest", ignore_result=True)
def send_weekly_digest() -> None:
    """Beat's Monday entry: the executives' digest."""
    from kpis.alerts import weekly_digest_send

    weekly_digest_send()


@shared_task(name="kpis.tasks.send_status_alerts", ignore_result=True)
def send_status_alerts(*, change_ids: list[int]) -> None:
    """E-mail the managers about KPIs that worsened (each change once)."""
    from kpis.alerts import status_alerts_send

    status_alerts_send(change_ids=change_ids)
