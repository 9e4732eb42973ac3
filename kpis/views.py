import itertools

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from kpis import selectors, services
from kpis.forms import GoalForm, KpiForm, RoiForm, StrategicAnswerForm
from kpis.library import LIBRARY, LIBRARY_BY_KEY
from kpis.models import Confidence, Goal, Kpi, StrategicQuestion, TargetGrain
from programs.access import Need, ProgramAccess, cycle_for, program_for
from programs.forms import LocalDecimalField, form_save
from programs.http import HtmxHttpRequest
from programs.models import Cycle
from segments import selectors as segments_selectors


def _context(access: ProgramAccess, cycle: Cycle, section: str) -> dict:
    return access.page_context(cycle=cycle, section=section, edit=Need.MANAGE)


# --- Summary --------------------------------------------------------------------------


@login_required
@require_GET
def summary(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    cycle = cycle_for(access.program, request.GET.get("cycle"))
    goals = selectors.goals_with_kpis(cycle=cycle)
    roi = selectors.roi_target(cycle=cycle)
    rows = selectors.strategic_rows(cycle=cycle)
    return render(
        request,
        "kpis/summary.html",
        {
            **_context(access, cycle, _("Where are we going?")),
            "goals": goals,
            "roi": roi,
            "roi_figures": roi.figures() if roi else None,
            "open_questions": [r for r in rows if not (r.answer and r.answer.is_answered)],
            "segments": segments_selectors.segment_list(organization=access.program.organization),
            "completeness": selectors.completeness(cycle=cycle, goals=goals, roi=roi, rows=rows),
            "today": timezone.localdate(),
            "library": LIBRARY,
        },
    )


# --- Goals ----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def goal_form(request: HtmxHttpRequest, pk: int, goal_pk: int | None = None) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = cycle_for(access.program)
    goal = get_object_or_404(Goal, pk=goal_pk, cycle=cycle) if goal_pk else None
    form = GoalForm(request.POST or None, instance=goal, cycle=cycle)
    if request.method == "POST" and form_save(
        form, lambda data: services.goal_save(cycle=cycle, goal=goal, by=request.user, **data)
    ):
        messages.success(request, _("Goal saved."))
        return redirect("kpis:summary", pk=pk)
    return render(
        request,
        "kpis/goal_form.html",
        {**_context(access, cycle, _("Goal")), "form": form, "goal": goal},
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def goal_delete(request: HtmxHttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    goal = get_object_or_404(Goal, pk=goal_pk, cycle__program=access.program)
    try:
        services.goal_delete(goal=goal, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Goal “%(title)s” deleted.") % {"title": goal.title})
    return redirect("kpis:summary", pk=pk)


# --- KPIs -----------------------------------------------------------------------------


def _kpi(access: ProgramAccess, kpi_pk: int) -> Kpi:
    return selectors.kpi_of(program=access.program, pk=kpi_pk)


@login_required
@require_http_methods(["GET", "POST"])
def kpi_create(request: HtmxHttpRequest, pk: int, goal_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = cycle_for(access.program)
    goal = get_object_or_404(Goal, pk=goal_pk, cycle=cycle)
    template = LIBRARY_BY_KEY.get(request.GET.get("library", ""))
    initial = {"baseline_date": timezone.localdate(), "target_date": cycle.ends_on}
    if template:
        initial |= {
            "name": template.name,
            "definition": template.definition,
            "unit": template.unit,
            "direction": template.direction,
        }
    form = KpiForm(request.POST or None, initial=initial, cycle=cycle)
    library_key = request.POST.get("library_key", template.key if template else "")
    if request.method == "POST" and form_save(
        form,
        lambda data: services.kpi_save(
            goal=goal,
            by=request.user,
            library_key=library_key if library_key in LIBRARY_BY_KEY else "",
            **data,
        ),
    ):
        messages.success(request, _("KPI added to “%(goal)s”.") % {"goal": goal.title})
        return redirect("kpis:summary", pk=pk)
    return render(
        request,
        "kpis/kpi_form.html",
        {
            **_context(access, cycle, _("New KPI")),
            "form": form,
            "goal": goal,
            "library": LIBRARY,
            "library_key": library_key,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def kpi_edit(request: HtmxHttpRequest, pk: int, kpi_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    kpi = _kpi(access, kpi_pk)
    cycle = kpi.goal.cycle
    if not cycle.is_open:  # no form that would be refused on submit: the KPI as it was
        messages.info(
            request,
            _("Cycle %(n)s is closed: its KPIs can be read, not changed.") % {"n": cycle.number},
        )
        return redirect("kpis:kpi", pk=pk, kpi_pk=kpi.pk)
    form = KpiForm(request.POST or None, instance=kpi, cycle=cycle)
    if request.method == "POST" and form_save(
        form, lambda data: services.kpi_save(goal=kpi.goal, kpi=kpi, by=request.user, **data)
    ):
        messages.success(request, _("KPI saved; the change is in its history."))
        return redirect("kpis:kpi", pk=pk, kpi_pk=kpi.pk)
    kpi.refresh_from_db()
    return render(
        request,
        "kpis/kpi_form.html",
        {**_context(access, cycle, kpi.name), "form": form, "goal": kpi.goal, "kpi": kpi},
        status=422 if form.errors else 200,
    )


TRACKED_FIELDS = {
    "baseline": _("baseline"),
    "baseline_date": _("baseline date"),
    "target": _("target"),
    "target_date": _("target date"),
    "direction": _("direction"),
    "unit": _("unit"),
    "name": _("name"),
}


def _history_rows(kpi: Kpi) -> list[dict]:
    """Each saved change of the KPI: who, when, and old → new for the fields that moved."""
    records = list(kpi.history.select_related("history_user").order_by("-history_date"))
    rows = []
    for newer, older in itertools.zip_longest(records, records[1:]):
        changes = []
        if older is not None:
            delta = newer.diff_against(older, included_fields=list(TRACKED_FIELDS))
            changes = [(TRACKED_FIELDS[c.field], c.old, c.new) for c in delta.changes]
        rows.append({"record": newer, "changes": changes, "created": older is None})
    return rows


@login_required
@require_GET
def kpi_detail(request: HtmxHttpRequest, pk: int, kpi_pk: int) -> HttpResponse:
    """The KPI, its per-period targets (?grain=week|month|quarter shows them in another
    grain) and history; its progress, lift and chart arrive as progress' fragment
    (progress:kpi_progress) once the page is up."""
    access = program_for(request.user, pk)
    kpi = _kpi(access, kpi_pk)
    cycle = kpi.goal.cycle
    organization = access.program.organization
    return render(
        request,
        "kpis/kpi_detail.html",
        {
            **_context(access, cycle, kpi.name),
            "kpi": kpi,
            "history": _history_rows(kpi),
            "targets": selectors.period_targets(
                kpi=kpi, organization=organization, grain=request.GET.get("grain")
            ),
            "target_history": selectors.period_target_history(kpi=kpi, organization=organization),
            "grains": TargetGrain.choices,
            "segments": kpi.segments.all(),
        },
    )


@login_required
@require_POST
def kpi_period_targets(request: HtmxHttpRequest, pk: int, kpi_pk: int) -> HttpResponse:
    """Save the per-period targets of the grain the form shows; nothing is saved when one
    of them is refused."""
    access = program_for(request.user, pk, need=Need.MANAGE)
    kpi = _kpi(access, kpi_pk)
    organization = access.program.organization
    grain = request.POST.get("grain", "")
    shown = selectors.period_targets(kpi=kpi, organization=organization, grain=grain)
    targets, errors = {}, []
    field = LocalDecimalField(max_digits=16, decimal_places=4, required=False)
    for row in shown.rows:
        raw = request.POST.get(row.field, "").strip()
        try:
            targets[row.period.start] = field.clean(raw)
        except forms.ValidationError as error:
            errors.append(f"{row.label}: {' '.join(error.messages)}")
    if not errors:
        try:
            count = services.kpi_period_targets_save(
                kpi=kpi, organization=organization, grain=grain, targets=targets, by=request.user
            )
        except ValidationError as error:
            labels = {r.period.start.isoformat(): r.label for r in shown.rows}
            errors = (
                [
                    f"{labels.get(key, key)}: {' '.join(msgs)}"
                    for key, msgs in error.message_dict.items()
                ]
                if hasattr(error, "error_dict")
                else error.messages
            )
        else:
            messages.success(
                request,
                ngettext("%(n)s period target saved.", "%(n)s period targets saved.", count)
                % {"n": count},
            )
    for error in errors:
        messages.error(request, error)
    if errors:
        messages.error(request, _("Nothing was saved."))
    url = reverse("kpis:kpi", kwargs={"pk": pk, "kpi_pk": kpi.pk})
    return redirect(f"{url}?grain={shown.grain}" if shown.grain != "month" else url)


@login_required
@require_POST
def kpi_delete(request: HtmxHttpRequest, pk: int, kpi_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    kpi = _kpi(access, kpi_pk)
    try:
        services.kpi_delete(kpi=kpi, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("KPI “%(name)s” deleted.") % {"name": kpi.name})
    return redirect("kpis:summary", pk=pk)


# --- ROI target -----------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def roi(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    need = Need.MANAGE if request.method == "POST" else Need.VIEW
    access = program_for(request.user, pk, need=need)
    cycle = cycle_for(
        access.program, None if request.method == "POST" else request.GET.get("cycle")
    )
    current = selectors.roi_target(cycle=cycle)
    form = RoiForm(request.POST or None, instance=current, cycle=cycle)
    if request.method == "POST" and form_save(
        form, lambda data: services.roi_target_save(cycle=cycle, by=request.user, **data)
    ):
        messages.success(request, _("ROI target saved."))
        return redirect("kpis:roi", pk=pk)
    history = (
        current.history.select_related("history_user").order_by("-history_date")[:20]
        if current
        else []
    )
    return render(
        request,
        "kpis/roi.html",
        {
            **_context(access, cycle, _("ROI target")),
            "form": form,
            "roi": current,
            "figures": current.figures() if current else None,
            "history": history,
        },
        status=422 if form.errors else 200,
    )


# --- Strategic questions --------------------------------------------------------------


@login_required
@require_GET
def questions(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    cycle = cycle_for(access.program, request.GET.get("cycle"))
    return render(
        request,
        "kpis/questions.html",
        {
            **_context(access, cycle, _("Strategic questions")),
            "rows": selectors.strategic_rows(cycle=cycle),
            "completeness": selectors.completeness(cycle=cycle),
            "confidence_choices": Confidence.choices,
        },
    )


@login_required
@require_POST
def question_save(request: HtmxHttpRequest, pk: int, question: str) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = cycle_for(access.program)
    if question not in StrategicQuestion.values:
        raise Http404
    form = StrategicAnswerForm(request.POST)
    error, saved = None, False
    if form.is_valid():
        try:
            services.strategic_answer_save(
                cycle=cycle, question=question, by=request.user, **form.cleaned_data
            )
            saved = True
        except ValidationError as e:
            error = " ".join(e.messages)
    else:
        error = " ".join(m for ms in form.errors.values() for m in ms)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("kpis:questions", pk=pk)
    row = next(r for r in selectors.strategic_rows(cycle=cycle) if r.question.value == question)
    return render(
        request,
        "kpis/_question_status.html",
        {
            "row": row,
            "saved": saved,
            "save_error": error,
            "completeness": selectors.completeness(cycle=cycle),
            "oob": True,
        },
        status=422 if error else 200,
    )


# --- Segments and attributes (of the organization) ------------------------------------
