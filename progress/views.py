"""What the results mean, for the people who check them: the dashboard (its chart,
filters, saved views and the visit it records), the portfolio, the e-mail settings, and the
progress, chart and realized ROI that question 2's KPI and ROI pages load as fragments."""

from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from initiatives.models import Status
from initiatives.selectors import open_collision_count
from kpis import selectors as kpi_selectors
from programs import calendar_text, calendars
from programs import selectors as program_selectors
from programs.access import Need, cycle_for, membership_for, program_for
from programs.http import HtmxHttpRequest
from progress import charts, periods, selectors, services
from progress.forms import DashboardFilterForm, NotificationsForm, SavedFilterForm
from progress.models import ProgressStatus
from progress.pace import progress
from progress.snapshots import snapshots_refresh_if_stale


@login_required
@require_GET
def dashboard(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The executive's page: is every KPI on track, what does it return, what changed since
    the last visit; filtered by segment, goal and period in the URL, filters savable."""
    access = program_for(request.user, pk)
    cycle = program_selectors.program_open_cycle(program=access.program)
    if cycle is None:
        raise Http404
    today = timezone.localdate()
    updating = snapshots_refresh_if_stale(cycle=cycle, today=today)
    filters = DashboardFilterForm(request.GET, cycle=cycle)
    chosen = filters.choices()
    cards = selectors.dashboard_cards(
        cycle=cycle, period=chosen["period"], segment=chosen["segment"], goal=chosen["goal"]
    )
    statuses = Counter(card.overall.status for card in cards)
    template = "progress/dashboard.html"
    context = {
        **access.page_context(cycle=cycle, section=_("Dashboard"), edit=Need.VIEW),
        "cards": cards,
        "updating": updating,
        "statuses": [
            (s, ProgressStatus(s).label, statuses[s]) for s in ProgressStatus if statuses[s]
        ],
        "filters": filters,
        "chosen": chosen,
        "query": filters.query(),
        "saved_filters": access.program.saved_filters.filter(user=request.user),
        "save_form": SavedFilterForm(),
    }
    if request.htmx and not request.htmx.boosted:
        return render(request, template + "#dashboard-body", context)
    roi = kpi_selectors.roi_target(cycle=cycle)
    since = selectors.dashboard_visit_since(user=request.user, program=access.program)
    return render(
        request,
        template,
        {
            **context,
            **_dashboard_plan_context(cycle),
            "roi": roi,
            "roi_figures": roi.figures() if roi else None,
            "realized": _realized(roi, cards, today),
            "changes": selectors.changes_since(cycle=cycle, since=since) if since else None,
        },
    )


def _realized(roi, cards, today):
    if roi is None:
        return None
    snapshot = next((c.overall for c in cards if c.kpi.pk == roi.attribution_kpi_id), None)
    return selectors.roi_realized(roi=roi, today=today, snapshot=snapshot)


def _dashboard_plan_context(cycle) -> dict:
    """Initiatives by status and open collisions (the wheel beside them is cycles/' fragment)."""

    counted = dict(
        cycle.initiatives.values_list("status").annotate(n=Count("pk")).values_list("status", "n")
    )
    return {
        "initiative_counts": [
            (status.label, counted[status]) for status in Status if counted.get(status)
        ],
        "open_collisions": open_collision_count(cycle=cycle),
    }


@login_required
@require_POST
def dashboard_seen(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The dashboard, once loaded, records the visit: the next one shows what changed since
    (a page that only reads never writes)."""
    access = program_for(request.user, pk)
    services.dashboard_visit_record(user=request.user, program=access.program)
    return HttpResponse(status=204)


@login_required
@require_GET
def dashboard_chart(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The dashboard's progress chart, loaded as a fragment after the page."""
    access = program_for(request.user, pk)
    cycle = program_selectors.program_open_cycle(program=access.program)
    if cycle is None:
        raise Http404
    chosen = DashboardFilterForm(request.GET, cycle=cycle).choices()
    cards = selectors.dashboard_cards(cycle=cycle, period=chosen["period"], goal=chosen["goal"])
    return render(
        request,
        "progress/_dashboard_chart.html",
        {"chart": charts.program_progress(cards=cards) if cards else None},
    )


@login_required
@require_POST
def dashboard_filter_save(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Keep the current filters under a name (any role: it changes nothing shared)."""
    access = program_for(request.user, pk)
    cycle = program_selectors.program_open_cycle(program=access.program)
    if cycle is None:
        raise Http404
    query = DashboardFilterForm(request.POST, cycle=cycle).query()
    form = SavedFilterForm(request.POST)
    url = reverse("progress:dashboard", kwargs={"pk": pk}) + (f"?{query}" if query else "")
    if not form.is_valid():
        messages.error(request, _("Give the view a name of at most 80 characters."))
        return redirect(url)
    try:
        services.saved_filter_create(
            user=request.user, program=access.program, name=form.cleaned_data["name"], query=query
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(url)
    messages.success(request, _("View “%(name)s” saved.") % {"name": form.cleaned_data["name"]})
    return redirect(url)


@login_required
@require_POST
def dashboard_filter_delete(request: HtmxHttpRequest, pk: int, filter_pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    saved = get_object_or_404(access.program.saved_filters, pk=filter_pk, user=request.user)
    services.saved_filter_delete(saved=saved)
    messages.success(request, _("View “%(name)s” removed.") % {"name": saved.name})
    return redirect("progress:dashboard", pk=pk)


@login_required
@require_GET
def portfolio(request: HtmxHttpRequest, org: str) -> HttpResponse:
    """Every program of the organization on one page, from the snapshots."""
    membership = membership_for(request.user, org)
    rows = selectors.portfolio(organization=membership.organization, today=timezone.localdate())
    return render(
        request,
        "progress/portfolio.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "rows": rows,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def notifications(request: HtmxHttpRequest, org: str) -> HttpResponse:
    """Each person's own e-mail settings: alerts and the weekly digest."""
    membership = membership_for(request.user, org)
    form = NotificationsForm(request.POST or None, instance=membership)
    if request.method == "POST" and form.is_valid():
        services.notifications_save(
            membership=membership,
            alert_emails=form.cleaned_data["alert_emails"],
            digest_emails=form.cleaned_data["digest_emails"],
        )
        messages.success(request, _("Your e-mail settings are saved."))
        return redirect("progress:notifications", org=org)
    return render(
        request,
        "progress/notifications.html",
        {"membership": membership, "organization": membership.organization, "form": form},
    )


# --- One KPI and the ROI target: the fragments question 2's pages load ------------------


def _fragment(
    request: HtmxHttpRequest,
    access,
    *,
    cycle,
    section: str,
    back: str,
    template: str,
    context: dict,
) -> HttpResponse:
    """htmx gets the fragment; a browser without JavaScript (the slot's link) gets it as a
    page of its own, with the program's header and a way back."""
    if request.htmx:
        return render(request, f"progress/{template}", context)
    return render(
        request,
        "progress/fragment_page.html",
        {
            **access.page_context(cycle=cycle, section=section, edit=Need.VIEW),
            **context,
            "back": back,
            "fragment": f"progress/{template}",
        },
    )


@login_required
@require_GET
def kpi_progress(request: HtmxHttpRequest, pk: int, kpi_pk: int) -> HttpResponse:
    """The KPI page's progress in words (from its snapshots), by segment, and personalized
    against control; its chart arrives as a fragment of its own (kpi_chart)."""
    access = program_for(request.user, pk)
    kpi = kpi_selectors.kpi_of(program=access.program, pk=kpi_pk)
    updating = snapshots_refresh_if_stale(cycle=kpi.goal.cycle, today=timezone.localdate())
    snapshots = list(kpi.snapshots.select_related("segment").order_by("segment__name"))
    return _fragment(
        request,
        access,
        cycle=kpi.goal.cycle,
        section=kpi.name,
        back=reverse("kpis:kpi", kwargs={"pk": pk, "kpi_pk": kpi.pk}),
        template="_kpi_progress.html",
        context={
            "program": access.program,
            "kpi": kpi,
            "updating": updating,
            # None until the worker's first refresh of a new KPI (the page says updating)
            "result": next((s for s in snapshots if s.segment_id is None), None),
            "lift": selectors.kpi_lift(kpi=kpi),
            "segment_rows": [s for s in snapshots if s.segment_id is not None],
        },
    )


PERIOD_GRAINS = (calendars.WEEK, calendars.MONTH, calendars.QUARTER)


@login_required
@require_GET
def kpi_chart(request: HtmxHttpRequest, pk: int, kpi_pk: int) -> HttpResponse:
    """The KPI's chart as a fragment: by day, the whole series against baseline, expected
    path, target and projection; by week, month or quarter of its calendar (?by=), each
    period's total or mean against what the plan expected. Both mark the driver's breaks
    in comparability, its switch of calendar among them."""
    access = program_for(request.user, pk)
    kpi = kpi_selectors.kpi_of(program=access.program, pk=kpi_pk)
    grain = request.GET.get("by", "day")
    grain = grain if grain in PERIOD_GRAINS else "day"
    today = timezone.localdate()
    series = selectors.kpi_series(kpi=kpi)
    plan = selectors.kpi_plan(kpi, kpi.period_targets.all())
    changes = (
        [(c.changed_on, f"{c.get_kind_display()}: {c.text[:40]}") for c in kpi.driver.changes.all()]
        if kpi.driver
        else []
    )
    suffix = "%" if kpi.unit in ("percent", "percent_change") else ""
    calendar = kpi_selectors.kpi_calendar(kpi=kpi, organization=access.program.organization)
    chart = None
    if series and grain == "day":
        chart = charts.kpi_progress(
            series=series,
            plan=plan,
            result=progress(plan, series, today),
            changes=changes,
            today=today,
            unit_suffix=suffix,
        )
    elif series:
        values = periods.by_period(
            series=series, plan=plan, calendar=calendar, grain=grain, unit=kpi.unit, today=today
        )
        chart = charts.kpi_periods(
            values=values,
            labels=[calendar_text.period_label(v.period, calendar) for v in values],
            total=periods.summed(kpi.unit),
            changes=changes,
            unit_suffix=suffix,
        )
    return render(
        request,
        "progress/_kpi_chart.html",
        {
            "chart": chart,
            "program": access.program,
            "kpi": kpi,
            "by": grain,
            "grains": [
                ("day", _("Days")),
                *((g, calendar_text.grain_name(g)) for g in PERIOD_GRAINS),
            ],
            "summed": periods.summed(kpi.unit),
            "calendar_text": calendar_text.name(calendar),
        },
    )


@login_required
@require_GET
def roi_realized(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The ROI page's "Realized so far": the attribution KPI's extra conversions since the
    cycle began, against what was spent."""
    access = program_for(request.user, pk)
    cycle = cycle_for(access.program, request.GET.get("cycle"))
    roi = kpi_selectors.roi_target(cycle=cycle)
    updating = bool(roi and roi.attribution_kpi_id) and snapshots_refresh_if_stale(
        cycle=cycle, today=timezone.localdate()
    )
    realized = selectors.roi_realized(roi=roi, today=timezone.localdate()) if roi else None
    return _fragment(
        request,
        access,
        cycle=cycle,
        section=_("ROI target"),
        back=reverse("kpis:roi", kwargs={"pk": pk}) + f"?cycle={cycle.number}",
        template="_roi_realized.html",
        context={"roi": roi, "realized": realized, "updating": updating},
    )
