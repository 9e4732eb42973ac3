"""Progress' background jobs: the refresh after a load and every night, the alerts and the
weekly digest. Their Celery names are the ones they had in kpis/tasks.py: beat's stored
entries and queued messages name them so (ARCHITECTURE.md, moving a model)."""

from celery import shared_task

from programs.models import Cycle
from progress.models import RefreshRequest


@shared_task(name="kpis.tasks.refresh_progress", ignore_result=True)
def refresh_progress(*, program_id: int) -> None:
    """Recompute the snapshots of the program's open cycle (after a load of results).
    Loads that finish from here on queue the next refresh (their request is taken)."""
    from progress.snapshots import progress_refresh

    RefreshRequest.objects.filter(program_id=program_id).delete()

    cycle = Cycle.objects.filter(program_id=program_id, closed_at__isnull=True).first()
    if cycle is not None:
        progress_refresh(cycle=cycle)


@shared_task(name="progress.tasks.refresh_cycle", ignore_result=True)
def refresh_cycle(*, cycle_id: int) -> None:
    """Recompute one cycle's snapshots that a page found stale (an open cycle's as of
    today, a closed one's as of its closing day)."""
    from progress.snapshots import page_refresh_run

    page_refresh_run(cycle_id=cycle_id)


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
    from progress.alerts import weekly_digest_send

    weekly_digest_send()


@shared_task(name="kpis.tasks.send_status_alerts", ignore_result=True)
def send_status_alerts(*, change_ids: list[int]) -> None:
    """E-mail the managers about KPIs that worsened (each change once)."""
    from progress.alerts import status_alerts_send

    status_alerts_send(change_ids=change_ids)
