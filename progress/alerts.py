"""E-mails about progress: alerts to managers when a KPI's status worsens or its trend
crosses the threshold they set, and a weekly digest to executives. Each person can switch
either off (Membership.alert_emails, Membership.digest_emails)."""

import datetime
from collections import defaultdict

import structlog
from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from programs.languages import emails_by_language, mail_in_their_languages
from programs.messages import Message
from programs.models import Cycle, Membership, Organization, Role
from progress.models import KpiSnapshot, ProgressStatus, StatusChange
from progress.selectors import status_counts

log = structlog.get_logger(__name__)


def _link(name: str, **kwargs) -> str:
    return settings.FOURFOLD_BASE_URL + reverse(name, kwargs=kwargs)


def status_alerts_send(*, change_ids: list[int]) -> int:
    """E-mail each manager (and admin) of the organization who wants alerts about the
    changes that worsened a status or crossed a threshold. A change is claimed before it
    is sent, so running this twice sends nothing twice. Returns the e-mails sent."""
    with transaction.atomic():
        changes = list(
            StatusChange.objects.select_for_update(skip_locked=True, of=("self",))
            .filter(pk__in=change_ids, notified=0)
            .filter(Q(threshold_crossed=True) | ~Q(before=F("after")))
            .select_related("kpi__goal__cycle__program__organization")
        )
        changes = [c for c in changes if c.worsened or c.threshold_crossed]
        if not changes:
            return 0
        by_program = defaultdict(list)
        for change in changes:
            by_program[change.kpi.goal.cycle.program].append(change)
        sent = 0
        for program, program_changes in by_program.items():
            by_language = emails_by_language(
                Membership.objects.filter(
                    organization=program.organization,
                    role__in=[Role.MANAGER, Role.ADMIN],
                    alert_emails=True,
                )
            )
            if not by_language:
                continue
            context = {
                "program": program,
                "changes": program_changes,
                "dashboard_url": _link("progress:dashboard", pk=program.pk),
                "settings_url": _link("progress:notifications", org=program.organization.slug),
            }
            n = len(program_changes)
            recipients = mail_in_their_languages(
                by_language,
                subject=lambda program=program, n=n: (
                    ngettext(
                        "%(program)s: %(n)s KPI needs attention",
                        "%(program)s: %(n)s KPIs need attention",
                        n,
                    )
                    % {"program": program.name, "n": n}
                ),
                template="kpis/email/alert.txt",
                context=context,
            )
            sent += recipients
            StatusChange.objects.filter(pk__in=[c.pk for c in program_changes]).update(
                notified=recipients
            )
    log.info("status_alerts_sent", emails=sent, changes=len(changes))
    return sent


def weekly_digest_send(*, today: datetime.date | None = None) -> int:
    """Monday's e-mail to every executive who wants it: each program's status counts, the
    week's status changes and its significant lifts. Returns the e-mails sent."""
    today = today or timezone.localdate()
    week_ago = timezone.now() - datetime.timedelta(days=7)
    sent = 0
    for organization in Organization.objects.all():
        by_language = emails_by_language(
            Membership.objects.filter(
                organization=organization, role=Role.EXECUTIVE, digest_emails=True
            )
        )
        if not by_language:
            continue
        programs = programs_digest(organization=organization, since=week_ago)
        if not programs:
            continue
        context = {
            "organization": organization,
            "programs": programs,
            "today": today,
            "portfolio_url": _link("progress:portfolio", org=organization.slug),
            "settings_url": _link("progress:notifications", org=organization.slug),
        }
        sent += mail_in_their_languages(
            by_language,
            subject=lambda name=organization.name: _("Fourfold weekly: %(org)s") % {"org": name},
            template="kpis/email/digest.txt",
            context=context,
        )
    log.info("weekly_digest_sent", emails=sent)
    return sent


def programs_digest(*, organization: Organization, since: datetime.datetime) -> list[dict]:
    """Per program with an open cycle: status counts, status changes since `since`, and
    the KPIs with a significant lift. Three queries whatever the size."""

    cycles = {
        c.program_id: c
        for c in Cycle.objects.filter(
            program__organization=organization, closed_at__isnull=True
        ).select_related("program")
    }
    by_cycle, _as_of = status_counts(cycles=list(cycles.values()))
    counts = defaultdict(dict, {c.program_id: by_cycle.get(c.pk, {}) for c in cycles.values()})
    lifts = defaultdict(list)
    for snap in KpiSnapshot.objects.filter(
        kpi__goal__cycle__in=cycles.values(), segment__isnull=True, lift__significant=True
    ).select_related("kpi__goal__cycle"):
        lifts[snap.kpi.goal.cycle.program_id].append(
            (snap.kpi.name, Message.from_json(snap.lift["sentence"]))
        )
    changes = defaultdict(list)
    for change in (
        StatusChange.objects.filter(kpi__goal__cycle__in=cycles.values(), changed_at__gte=since)
        .select_related("kpi__goal__cycle")
        .order_by("changed_at")
    ):
        changes[change.kpi.goal.cycle.program_id].append(change)
    return [
        {
            "program": cycle.program,
            "cycle": cycle,
            "counts": [
                (ProgressStatus(s).label, counts[pid][s])
                for s in ProgressStatus.values
                if counts[pid].get(s)
            ],
            "changes": changes[pid],
            "lifts": lifts[pid],
            "url": _link("progress:dashboard", pk=cycle.program.pk),
        }
        for pid, cycle in sorted(cycles.items(), key=lambda item: item[1].program.name)
    ]
