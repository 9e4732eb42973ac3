"""The cycle as a whole: the program home with its wheel, the phase, the question pages,
the review, starting the next cycle, and cycles compared."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.selectors import completeness as assessment_completeness
from cycles import charts
from cycles import review as act
from cycles import selectors as cycles_selectors
from cycles.forms import (
    CountermeasureForm,
    CycleReviewForm,
    PhaseForm,
    initiative_review_forms,
    kpi_review_forms,
)
from cycles.models import CycleReview
from cycles.wheel import QUESTIONS_BY_PHASE, wheel
from initiatives.selectors import completeness as plan_completeness
from initiatives.selectors import open_collision_count
from kpis.selectors import completeness as goals_completeness
from programs import selectors, services
from programs.access import Need, cycle_for, program_for
from programs.http import HtmxHttpRequest
from programs.models import Phase
from progress import selectors as progress_selectors
from progress.snapshots import snapshots_refresh_if_stale


@login_required
@require_http_methods(["GET", "POST"])
def review(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The open cycle's review (managers write it), or a closed cycle's (?cycle=N). A save
    that is refused (422) writes nothing, not even the rows a first save makes."""
    if request.method != "POST":
        return _review(request, pk)
    with transaction.atomic():
        response = _review(request, pk)
        if response.status_code == 422:
            transaction.set_rollback(True)
    return response


def _review(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    posting = request.method == "POST"
    access = program_for(request.user, pk, need=Need.MANAGE if posting else Need.VIEW)
    cycle = cycle_for(access.program, None if posting else request.GET.get("cycle"))
    can_edit = cycle.is_open and access.membership.can_manage
    # The KPIs' actuals come from the snapshots: stale ones are queued for the worker.
    updating = snapshots_refresh_if_stale(cycle=cycle, today=timezone.localdate())
    # ?close=1: the review was just saved by "Close cycle"; the page asks to confirm,
    # read-only, so that nothing typed on it can be lost by closing.
    closing, closing_error = None, None
    if can_edit and not posting and request.GET.get("close"):
        try:
            closing = act.close_plan(cycle=cycle)
        except ValidationError as error:
            closing_error = " ".join(error.messages)
    # The page shows the review as it would be saved; the first save makes its rows.
    if can_edit and posting:
        rows = act.review_rows(review=act.review_open(cycle=cycle))
    elif can_edit:
        rows = act.review_draft(cycle=cycle)
    else:
        saved = CycleReview.objects.filter(cycle=cycle).first()
        rows = act.review_rows(review=saved) if saved else None
    if rows is None:
        return render(
            request,
            "cycles/review.html",
            {**access.page_context(cycle=cycle, section=_("Review"), edit=Need.MANAGE)},
        )
    current = rows.review
    data = request.POST if posting else None
    form = CycleReviewForm(data, instance=current)
    kpis = kpi_review_forms(data, rows.kpis)
    initiatives = initiative_review_forms(data, rows.initiatives)
    # A countermeasure typed beside the review is sent with it (Add, Save, Close) and added.
    countermeasure = CountermeasureForm(data)
    adding = posting and (request.POST.get("then") == "add" or countermeasure.has_changed())
    if not adding:
        countermeasure = CountermeasureForm()
    # Remove is a button of the review form too, so edits typed beside it are saved with it.
    removing = None
    if posting and "remove" in request.POST:
        removing = get_object_or_404(
            act.Countermeasure.objects.filter(review=current),
            pk=request.POST["remove"] if request.POST["remove"].isdigit() else None,
        )
    if not posting and can_edit:  # dates proposed for the next cycle until saved
        for f in initiatives.forms:
            if f.instance.next_starts_on is None:
                starts, ends = act.initiative_next_dates(f.instance)
                f.initial |= {"next_starts_on": starts, "next_ends_on": ends}
    status = 200
    if posting:
        valid = [f.is_valid() for f in (form, kpis, initiatives)]
        if all(valid) and (not adding or countermeasure.is_valid()):
            try:
                act.review_save(
                    review=current,
                    by=request.user,
                    **form.cleaned_data,
                    kpi_rows={f.instance.pk: f.cleaned_data for f in kpis.forms},
                    initiative_rows={f.instance.pk: f.cleaned_data for f in initiatives.forms},
                    countermeasure=countermeasure.cleaned_data if adding else None,
                    remove=removing,
                )
            except ValidationError as error:
                by_row = {f"kpi-{f.instance.pk}": (f, "new_target") for f in kpis.forms}
                by_row |= {
                    f"initiative-{f.instance.pk}": (f, "next_ends_on") for f in initiatives.forms
                }
                for key, problems in error.message_dict.items():
                    row_form, field = by_row[key]
                    row_form.add_error(field, problems)
            else:
                messages.success(request, _("Review saved."))
                if adding:
                    messages.success(request, _("Countermeasure added."))
                if removing:
                    messages.success(request, _("Countermeasure removed."))
                url = reverse("cycles:review", kwargs={"pk": pk})
                return redirect(f"{url}?close=1" if request.POST.get("then") == "close" else url)
        status = 422
    context = access.page_context(cycle=cycle, section=_("Review"), edit=Need.MANAGE)
    if closing is not None or closing_error:
        context["can_edit"] = False  # the confirmation shows the saved review, read-only
    return render(
        request,
        "cycles/review.html",
        {
            **context,
            "updating": updating,
            "closing": closing,
            "closing_error": closing_error,
            "may_close": can_edit,
            "next_cycle": _next_cycle_preview(cycle) if can_edit else None,
            "review": current,
            "form": form,
            "kpis": kpis,
            # each KPI's quarters of its calendar: a total or a mean as its unit says
            "quarters": progress_selectors.periods_by_kpi(
                kpis=[f.instance.kpi_id for f in kpis.forms], grain="quarter"
            ),
            "initiatives": initiatives,
            "countermeasures": current.countermeasures.all() if current.pk else [],
            "countermeasure_form": countermeasure,
            "cycles": selectors.cycle_history(program=access.program),
        },
        status=status,
    )


@login_required
@require_POST
def cycle_start_next(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Close the open cycle and start the next one from its review, once confirmed: the
    confirmation names the closing day (posted as `closes_on`); a request without it, or
    with another day than today, is sent to the confirmation instead."""
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = selectors.program_open_cycle(program=access.program)
    if cycle is None:
        raise Http404
    confirm = reverse("cycles:review", kwargs={"pk": pk}) + "?close=1"
    confirmed = request.POST.get("closes_on", "")
    if not confirmed:
        return redirect(confirm)
    if confirmed != timezone.localdate().isoformat():
        messages.error(request, _("The confirmation was for another day. Look at the dates again."))
        return redirect(confirm)
    try:
        following = act.cycle_start_next(cycle=cycle, by=request.user)
    except ValidationError as error:
        for problem in error.messages:
            messages.error(request, problem)
        return redirect("cycles:review", pk=pk)
    messages.success(
        request,
        _(
            "Cycle %(old)s is closed; it ended on %(ended)s. Cycle %(new)s has begun from "
            "its review and runs from %(start)s to %(end)s."
        )
        % {
            "old": cycle.number,
            "new": following.number,
            "ended": date_format(following.starts_on - datetime.timedelta(days=1), "DATE_FORMAT"),
            "start": date_format(following.starts_on, "DATE_FORMAT"),
            "end": date_format(following.ends_on, "DATE_FORMAT"),
        },
    )
    return redirect("cycles:program_home", pk=pk)


def _next_cycle_preview(cycle) -> act.ClosePlan | None:
    """What closing today would do, for the review's "Close cycle" card."""
    try:
        return act.close_plan(cycle=cycle)
    except ValidationError:
        return None


@login_required
@require_GET
def cycle_compare(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Every cycle side by side: maturity, KPIs planned and reached, initiatives."""
    access = program_for(request.user, pk)
    current = selectors.program_open_cycle(program=access.program)
    updating = current is not None and snapshots_refresh_if_stale(
        cycle=current, today=timezone.localdate()
    )
    comparison = cycles_selectors.cycle_comparison(program=access.program)
    return render(
        request,
        "cycles/cycle_compare.html",
        {
            **access.page_context(
                cycle=comparison.cycles[-1] if comparison.cycles else None,
                section=_("Cycles compared"),
                edit=Need.VIEW,
            ),
            "updating": updating,
            "comparison": comparison,
            "radar": charts.maturity_by_cycle(comparison=comparison),
            "kpi_charts": charts.kpis_by_cycle(comparison=comparison),
        },
    )


def _wheel_completeness(cycle) -> dict[str, int]:
    """Percent answered per question, from each question's app."""

    return {
        Phase.WHERE_ARE_WE.value: assessment_completeness(cycle=cycle).percent,
        Phase.WHERE_ARE_WE_GOING.value: goals_completeness(cycle=cycle).percent,
        Phase.HOW_DO_WE_GET_THERE.value: plan_completeness(cycle=cycle).percent,
    }


def _program_home_context(access, cycle) -> dict:
    return {
        "program": access.program,
        "membership": access.membership,
        "organization": access.program.organization,
        "cycle": cycle,
        "wheel": wheel(
            phase=cycle.phase, is_open=cycle.is_open, completeness=_wheel_completeness(cycle)
        )
        if cycle
        else [],
        "phase_form": PhaseForm(initial={"phase": cycle.phase}) if cycle else None,
        "open_collisions": open_collision_count(cycle=cycle) if cycle else 0,
    }


@login_required
@require_GET
def program_home(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    number = request.GET.get("cycle")  # a closed cycle, read-only
    cycle = (
        cycle_for(access.program, number)
        if number
        else selectors.program_open_cycle(program=access.program)
    )
    return render(request, "cycles/program_home.html", _program_home_context(access, cycle))


@login_required
@require_GET
def mini_wheel(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The four questions in a line and where the open cycle stands, for the dashboard;
    how complete each question is, the program home says."""
    access = program_for(request.user, pk)
    cycle = cycle_for(access.program, request.GET.get("cycle"))
    return render(
        request,
        "cycles/_mini_wheel.html",
        {"wheel": wheel(phase=cycle.phase, is_open=cycle.is_open)},
    )


@login_required
@require_POST
def cycle_phase(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Move the open cycle to another question; htmx gets the redrawn wheel back."""
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = selectors.program_open_cycle(program=access.program)
    if cycle is None:
        raise Http404
    form = PhaseForm(request.POST)
    if form.is_valid():
        try:
            services.cycle_set_phase(cycle=cycle, phase=form.cleaned_data["phase"], by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
    else:
        messages.error(request, _("Choose one of the four questions or the review."))
    if request.htmx:
        context = _program_home_context(access, cycle)
        return render(request, "cycles/program_home.html#wheel", context)
    return redirect("cycles:program_home", pk=pk)


@login_required
@require_GET
def cycle_history(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    return render(
        request,
        "cycles/cycle_history.html",
        {
            "program": access.program,
            "membership": access.membership,
            "organization": access.program.organization,
            "cycles": selectors.cycle_history(program=access.program),
        },
    )


@login_required
@require_GET
def question(request: HtmxHttpRequest, pk: int, phase: str) -> HttpResponse:
    access = program_for(request.user, pk)
    if phase not in QUESTIONS_BY_PHASE:
        raise Http404
    number = request.GET.get("cycle")  # a closed cycle, read-only
    cycle = (
        cycle_for(access.program, number)
        if number
        else selectors.program_open_cycle(program=access.program)
    )
    return render(
        request,
        "cycles/question.html",
        {
            **_program_home_context(access, cycle),
            "question": QUESTIONS_BY_PHASE[phase],
        },
    )
