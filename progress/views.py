"""What the results mean, for the people who check them: the dashboard (its chart,
filters, saved views and the visit it records), the portfolio and the e-mail settings."""

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
from kpis import charts as kpi_charts
from kpis import selectors as kpi_selectors
from kpis.models import ProgressStatus
from kpis.snapshots import snapshots_ensure
from programs import selectors as program_selectors
from programs.access import Need, membership_for, program_for
from programs.http import HtmxHttpRequest
from progress import selectors, services
from progress.forms import DashboardFilterForm, NotificationsForm, SavedFilterForm


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
    snapshots_ensure(cycle=cycle, today=today)
    filters = DashboardFilterForm(request.GET, cycle=cycle)
    chosen = filters.choices()
    cards = kpi_selectors.dashboard_cards(
        cycle=cycle, period=chosen["period"], segment=chosen["segment"], goal=chosen["goal"]
    )
    statuses = Counter(card.overall.status for card in cards)
    template = "progress/dashboard.html"
    context = {
        **access.page_context(cycle=cycle, section=_("Dashboard"), edit=Need.VIEW),
        "cards": cards,
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
            "changes": kpi_selectors.changes_since(cycle=cycle, since=since) if since else None,
        },
    )


def _realized(roi, cards, today):
    if roi is None:
        return None
    snapshot = next((c.overall for c in cards if c.kpi.pk == roi.attribution_kpi_id), None)
    return kpi_selectors.roi_realized(roi=roi, today=today, snapshot=snapshot)


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
    cards = kpi_selectors.dashboard_cards(cycle=cycle, period=chosen["period"], goal=chosen["goal"])
    return render(
        request,
        "progress/_dashboard_chart.html",
        {"chart": kpi_charts.program_progress(cards=cards) if cards else None},
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
