"""Act: the cycle review, starting the next cycle, and cycles compared."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpis.snapshots import snapshots_ensure
from programs import charts, selectors
from programs import review as act
from programs.access import Need, cycle_for, program_for
from programs.forms import (
    CountermeasureForm,
    CycleReviewForm,
    InitiativeReviewFormSet,
    KpiReviewFormSet,
)
from programs.http import HtmxHttpRequest
from programs.models import CycleReview, InitiativeReview, KpiReview


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The open cycle's review (managers write it), or a closed cycle's (?cycle=N)."""
    posting = request.method == "POST"
    access = program_for(request.user, pk, need=Need.MANAGE if posting else Need.VIEW)
    cycle = cycle_for(access.program, None if posting else request.GET.get("cycle"))
    can_edit = cycle.is_open and access.membership.can_manage
    current = act.review_open(cycle=cycle) if can_edit else None
    current = current or CycleReview.objects.filter(cycle=cycle).first()
    if current is None:
        return render(
            request,
            "programs/review.html",
            {**access.page_context(cycle=cycle, section=_("Review"), edit=Need.MANAGE)},
        )
    kpi_rows = KpiReview.objects.filter(review=current).select_related("kpi__goal")
    initiative_rows = InitiativeReview.objects.filter(review=current).select_related("initiative")
    data = request.POST if posting else None
    form = CycleReviewForm(data, instance=current)
    kpis = KpiReviewFormSet(data, queryset=kpi_rows, prefix="kpi")
    initiatives = InitiativeReviewFormSet(data, queryset=initiative_rows, prefix="initiative")
    status = 200
    if posting:
        if form.is_valid() and kpis.is_valid() and initiatives.is_valid():
            try:
                act.review_save(
                    review=current,
                    by=request.user,
                    **form.cleaned_data,
                    kpi_rows={f.instance.pk: f.cleaned_data for f in kpis.forms},
                    initiative_rows={f.instance.pk: f.cleaned_data for f in initiatives.forms},
                )
            except ValidationError as error:
                by_row = {f"kpi-{f.instance.pk}": f for f in kpis.forms}
                for key, problems in error.message_dict.items():
                    by_row[key].add_error("new_target", problems)
            else:
                messages.success(request, _("Review saved."))
                return redirect("programs:review", pk=pk)
        status = 422
    return render(
        request,
        "programs/review.html",
        {
            **access.page_context(cycle=cycle, section=_("Review"), edit=Need.MANAGE),
            "review": current,
            "form": form,
            "kpis": kpis,
            "initiatives": initiatives,
            "countermeasures": current.countermeasures.all(),
            "countermeasure_form": CountermeasureForm(),
            "cycles": selectors.cycle_history(program=access.program),
        },
        status=status,
    )


@login_required
@require_POST
def countermeasure_add(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = cycle_for(access.program)
    current = act.review_open(cycle=cycle)
    form = CountermeasureForm(request.POST)
    if form.is_valid():
        act.countermeasure_add(review=current, by=request.user, **form.cleaned_data)
        messages.success(request, _("Countermeasure added."))
    else:
        messages.error(
            request,
            _("A countermeasure needs what, who and by when: %(e)s")
            % {"e": " ".join(e for errors in form.errors.values() for e in errors)},
        )
    return redirect("programs:review", pk=pk)


@login_required
@require_POST
def countermeasure_delete(request: HtmxHttpRequest, pk: int, measure_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = cycle_for(access.program)
    measure = get_object_or_404(
        act.Countermeasure.objects.filter(review__cycle=cycle), pk=measure_pk
    )
    act.countermeasure_delete(measure=measure, by=request.user)
    return redirect("programs:review", pk=pk)


@login_required
@require_POST
def cycle_start_next(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Close the open cycle and start the next one from its review."""
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = selectors.program_open_cycle(program=access.program)
    if cycle is None:
        raise Http404
    try:
        following = act.cycle_start_next(cycle=cycle, by=request.user)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
        return redirect("programs:review", pk=pk)
    messages.success(
        request,
        _("Cycle %(old)s is closed; cycle %(new)s has begun from its review.")
        % {"old": cycle.number, "new": following.number},
    )
    return redirect("programs:program_home", pk=pk)


@login_required
@require_GET
def cycle_compare(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every cycle side by side: maturity, KPIs planned and reached, initiatives."""
    access = program_for(request.user, pk)
    current = selectors.program_open_cycle(program=access.program)
    if current is not None:
        snapshots_ensure(cycle=current, today=timezone.localdate())  # a new cycle's KPIs too
    comparison = selectors.cycle_comparison(program=access.program)
    return render(
        request,
        "programs/cycle_compare.html",
        {
            **access.page_context(
                cycle=comparison.cycles[-1] if comparison.cycles else None,
                section=_("Cycles compared"),
                edit=Need.VIEW,
            ),
            "comparison": comparison,
            "radar": charts.maturity_by_cycle(comparison=comparison),
            "kpi_charts": charts.kpis_by_cycle(comparison=comparison),
        },
    )
