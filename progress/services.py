"""What progress writes: the refresh requests that loads join, dashboard visits, saved views
and each person's e-mail settings."""

import datetime

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from programs.jobs import enqueue_on_commit
from programs.models import Membership, Program
from progress.models import DashboardVisit, RefreshRequest, SavedFilter

log = structlog.get_logger(__name__)


def dashboard_visit_record(*, user: AbstractBaseUser, program: Program) -> datetime.datetime | None:
    """Record a visit to the program's dashboard and return when the one before began (the
    moment "what changed" counts from); None on a first visit. Visits closer together than
    DashboardVisit.VISIT_GAP are one visit, so reloading keeps the list."""
    now = timezone.now()
    with transaction.atomic():
        visit, created = DashboardVisit.objects.select_for_update().get_or_create(
            user=user, program=program, defaults={"seen_at": now}
        )
        if created:
            return None
        visit.previous_seen_at, visit.seen_at = visit.since(now), now
        visit.save(update_fields=["seen_at", "previous_seen_at"])
    return visit.previous_seen_at


def saved_filter_create(
    *, user: AbstractBaseUser, program: Program, name: str, query: str
) -> SavedFilter:
    saved = SavedFilter(user=user, program=program, name=name.strip(), query=query)
    saved.full_clean()
    saved.save()
    log.info("saved_filter_created", program=program.pk, by=user.pk)
    return saved


def saved_filter_delete(*, saved: SavedFilter) -> None:
    saved.delete()


def notifications_save(*, membership: Membership, alert_emails: bool, digest_emails: bool) -> None:
    membership.alert_emails, membership.digest_emails = alert_emails, digest_emails
    membership.save(update_fields=["alert_emails", "digest_emails"])
    log.info("notifications_saved", membership=membership.pk)


# A queued refresh older than this is taken as lost (its worker died): the next load
# queues a new one.
REFRESH_LOST_AFTER = datetime.timedelta(minutes=15)


def progress_refresh_request(*, program_id: int) -> None:
    """Queue a refresh of the program's progress once this transaction commits, unless one
    is already queued and not started: loads that finish meanwhile join it."""
    from progress.tasks import refresh_progress

    now = timezone.now()
    pending = RefreshRequest.objects.filter(program_id=program_id)
    if not pending.filter(requested_at__lt=now - REFRESH_LOST_AFTER).update(requested_at=now):
        try:
            with transaction.atomic():
                RefreshRequest.objects.create(program_id=program_id, requested_at=now)
        except IntegrityError:
            return  # one is queued: it will read these results too

    def not_queued(error: Exception) -> None:
        RefreshRequest.objects.filter(program_id=program_id).delete()
        log.warning("progress_refresh_not_queued", error=str(error))

    enqueue_on_commit(refresh_progress, program_id=program_id, on_failure=not_queued)
