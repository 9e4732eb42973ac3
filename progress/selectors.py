import datetime

from django.db.models import Q
from django.utils import timezone

from initiatives.models import Status
from kpis.models import KpiSnapshot, ProgressStatus, RoiTarget
from kpis.selectors import roi_realized, status_counts
from programs.models import Cycle, Organization, Program
from programs.selectors import program_list
from progress.models import DashboardVisit


def portfolio(*, organization: Organization, today) -> list[dict]:
    """Every program of the organization with its open cycle's KPI statuses, realized ROI
    and initiatives in progress, from the snapshots: five queries whatever the number of
    programs and KPIs."""

    from django.db.models import Count

    programs = program_list(organization=organization)
    cycles = [p.open_cycle for p in programs if p.open_cycle]
    counts, as_of = status_counts(cycles=cycles)
    rois = {
        r.cycle_id: r
        for r in RoiTarget.objects.filter(cycle__in=cycles).select_related(
            "cycle", "attribution_kpi"
        )
    }
    attribution = {
        s.kpi_id: s
        for s in KpiSnapshot.objects.filter(
            kpi_id__in=[r.attribution_kpi_id for r in rois.values() if r.attribution_kpi_id],
            segment__isnull=True,
        )
    }
    active = dict(
        Cycle.objects.filter(pk__in=[c.pk for c in cycles])
        .annotate(n=Count("initiatives", filter=Q(initiatives__status=Status.IN_PROGRESS)))
        .values_list("pk", "n")
    )
    rows = []
    for program in programs:
        cycle = program.open_cycle
        roi = rois.get(cycle.pk) if cycle else None
        rows.append(
            {
                "program": program,
                "cycle": cycle,
                "counts": [
                    (status.value, status.label, counts[cycle.pk][status])
                    for status in ProgressStatus
                    if cycle and counts.get(cycle.pk, {}).get(status)
                ],
                "as_of": as_of.get(cycle.pk) if cycle else None,
                "roi": roi,
                "roi_figures": roi.figures() if roi else None,
                "realized": roi_realized(
                    roi=roi, today=today, snapshot=attribution.get(roi.attribution_kpi_id)
                )
                if roi and roi.attribution_kpi_id in attribution
                else None,
                "in_progress": active.get(cycle.pk, 0) if cycle else 0,
            }
        )
    return rows


def dashboard_visit_since(*, user, program: Program) -> datetime.datetime | None:
    """When the visit before this one began: the moment "what changed" counts from (None on
    a first visit). Read only: the page records the visit with a POST once it has loaded
    (dashboard_visit_record), and answers the same until then; visits closer together than
    DashboardVisit.VISIT_GAP are one visit, so reloading keeps the list."""
    visit = DashboardVisit.objects.filter(user=user, program=program).first()
    return visit.since(timezone.now()) if visit else None
