from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments import charts, selectors, services
from assessments.forms import (
    DimensionForm,
    DriverChangeForm,
    DriverForm,
    GapCreateForm,
    GapEditForm,
    MaturityAnswerForm,
    ValidationForm,
)
from assessments.models import Dimension, Gap, MeasurementDriver
from programs import calendar_text, csvsafe
from programs.access import Need, ProgramAccess, cycle_for, membership_for, program_for
from programs.http import HtmxHttpRequest, export_writer
from programs.models import Cycle
from programs.services import ensure_cycle_open


def _base_context(access: ProgramAccess, cycle: Cycle, section: str) -> dict:
    return access.page_context(cycle=cycle, section=section, edit=Need.MANAGE)


def _refuse_closed(request: HtmxHttpRequest, error: ValidationError, program_pk: int):
    messages.error(request, " ".join(error.messages))
    return redirect("assessments:summary", pk=program_pk)


# --- Summary --------------------------------------------------------------------------


@login_required
@require_GET
def summary(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    cycle = cycle_for(access.program, request.GET.get("cycle"))
    rows = selectors.assessment_rows(cycle=cycle)
    drivers = selectors.driver_table(program=access.program)
    radar = selectors.radar_data(cycle=cycle, rows=rows)
    return render(
        request,
        "assessments/summary.html",
        {
            **_base_context(access, cycle, _("Where are we?")),
            "completeness": selectors.completeness(cycle=cycle, rows=rows, drivers=drivers),
            "radar": charts.maturity_radar(radar) if radar else None,
            "drivers_total": len(drivers),
            "drivers_trusted": sum(1 for d in drivers if not d.flags),
            "drivers_flagged": [d for d in drivers if d.flags],
            "gaps": selectors.gap_list(cycle=cycle),
            "cycles": access.program.cycles.order_by("number"),
        },
    )


# --- The maturity assessment ----------------------------------------------------------


@login_required
@require_GET
def assessment_form(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    cycle = cycle_for(access.program, request.GET.get("cycle"))
    rows = selectors.assessment_rows(cycle=cycle)
    context = _base_context(access, cycle, _("Maturity assessment"))
    return render(
        request,
        "assessments/assessment_form.html",
        {
            **context,
            "rows": rows,
            "completeness": selectors.completeness(cycle=cycle, rows=rows),
            "can_copy": context["can_edit"]
            and not any(r.answer for r in rows)
            and selectors.has_earlier_assessment(cycle=cycle),
            "score_range": range(1, 6),
            "carried_count": sum(1 for r in rows if r.carried and r.dimension.is_active),
            "carried_from": selectors.carried_from_number(cycle=cycle),
        },
    )


@login_required
@require_POST
def answer_save(request: HtmxHttpRequest, pk: int, dimension_pk: int) -> HttpResponse:
    """Save one dimension's answer. htmx gets the row's save state and the new completeness."""
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = cycle_for(access.program)
    dimension = get_object_or_404(
        Dimension, pk=dimension_pk, organization=access.program.organization
    )
    form = MaturityAnswerForm(request.POST)
    error, answer = None, None
    if form.is_valid():
        try:
            answer = services.maturity_score_save(
                cycle=cycle, dimension=dimension, by=request.user, **form.cleaned_data
            )
        except ValidationError as e:
            error = " ".join(e.messages)
    else:
        error = " ".join(m for messages_ in form.errors.values() for m in messages_)
    if not request.htmx:
        if error:
            messages.error(request, error)
        return redirect("assessments:assessment", pk=pk)
    rows = selectors.assessment_rows(cycle=cycle)
    row = next(
        (r for r in rows if r.dimension.pk == dimension.pk),
        selectors.AssessmentRow(dimension=dimension, answer=None, previous_score=None),
    )
    return _answer_status(request, cycle, rows, row, error=error, saved=answer is not None)


def _answer_status(request, cycle, rows, row, *, error=None, saved=False, confirmed=False):
    """The row's save state and, out of band, the new completeness (htmx)."""
    context = {
        "row": row,
        "cycle": cycle,
        "can_edit": True,  # only managers of an open cycle get here
        "carried_from": selectors.carried_from_number(cycle=cycle),
        "save_error": error,
        "saved": saved,
        "confirmed_now": confirmed,
        "completeness": selectors.completeness(cycle=cycle, rows=rows),
        "oob": True,
    }
    return render(request, "assessments/_answer_status.html", context, status=422 if error else 200)


@login_required
@require_POST
def answer_confirm(request: HtmxHttpRequest, pk: int, dimension_pk: int) -> HttpResponse:
    """Confirm one carried answer as it stands. htmx gets the row's state and completeness."""
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = cycle_for(access.program)
    dimension = get_object_or_404(
        Dimension, pk=dimension_pk, organization=access.program.organization
    )
    try:
        services.maturity_scores_confirm(cycle=cycle, dimension=dimension, by=request.user)
    except ValidationError as error:
        if request.htmx:
            rows = selectors.assessment_rows(cycle=cycle)
            row = next(r for r in rows if r.dimension.pk == dimension.pk)
            return _answer_status(request, cycle, rows, row, error=" ".join(error.messages))
        return _refuse_closed(request, error, pk)
    if not request.htmx:
        messages.success(request, _("%(name)s confirmed.") % {"name": dimension.name})
        page = reverse("assessments:assessment", kwargs={"pk": pk})
        return redirect(f"{page}#dimension-{dimension.pk}")
    rows = selectors.assessment_rows(cycle=cycle)
    row = next(r for r in rows if r.dimension.pk == dimension.pk)
    return _answer_status(request, cycle, rows, row, confirmed=True)


@login_required
@require_POST
def assessment_confirm_all(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = cycle_for(access.program)
    try:
        count = services.maturity_scores_confirm(cycle=cycle, by=request.user)
    except ValidationError as error:
        return _refuse_closed(request, error, pk)
    messages.success(
        request,
        ngettext(
            "%(n)s answer confirmed as it stands.",
            "%(n)s answers confirmed as they stand.",
            count,
        )
        % {"n": count},
    )
    return redirect("assessments:assessment", pk=pk)


@login_required
@require_POST
def assessment_copy(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = cycle_for(access.program)
    try:
        copied = services.assessment_copy_previous(cycle=cycle, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request,
            _("Started from the last answers (%(n)s dimensions). Confirm or change each.")
            % {"n": copied},
        )
    return redirect("assessments:assessment", pk=pk)


def _csv_response(request, filename: str) -> tuple[HttpResponse, csvsafe.SafeWriter]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # spreadsheet programs then read the UTF-8 correctly
    return response, export_writer(request, response)  # no cell runs as a formula


@login_required
@require_GET
def assessment_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    cycle = cycle_for(access.program, request.GET.get("cycle"))
    response, writer = _csv_response(
        request, f"assessment-{access.program.pk}-cycle-{cycle.number}.csv"
    )
    writer.writerow(
        [
            "dimension",
            "score",
            "previous_score",
            "evidence",
            "opportunity",
            "updated_by",
            "updated_at",
        ]
    )
    for row in selectors.assessment_rows(cycle=cycle):
        answer = row.answer
        writer.writerow(
            [
                row.dimension.name,
                answer.score if answer and answer.score is not None else "",
                "" if row.previous_score is None else row.previous_score,
                answer.evidence if answer else "",
                answer.opportunity if answer else "",
                answer.updated_by.username if answer and answer.updated_by else "",
                answer.updated_at.isoformat() if answer else "",
            ]
        )
    return response


# --- Measurement drivers --------------------------------------------------------------


def _driver_page(request, access, cycle, form, status=200):
    return render(
        request,
        "assessments/driver_list.html",
        {
            **_base_context(access, cycle, _("Measurement drivers")),
            "drivers": selectors.driver_table(program=access.program),
            "fiscal_text": calendar_text.describe(access.program.organization.fiscal),
            "form": form,
            # Drivers belong to the program, not to a cycle: managers edit them any time.
            "can_edit": access.membership.can_manage,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def driver_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    need = Need.MANAGE if request.method == "POST" else Need.VIEW
    access = program_for(request.user, pk, need=need)
    cycle = cycle_for(access.program, request.GET.get("cycle"))
    form = DriverForm(request.POST or None, program=access.program)
    if request.method == "POST":
        if form.is_valid():
            try:
                driver = services.driver_save(
                    program=access.program, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Driver “%(name)s” added.") % {"name": driver})
                return redirect("assessments:drivers", pk=pk)
        return _driver_page(request, access, cycle, form, status=422)
    return _driver_page(request, access, cycle, form)


def _driver(access: ProgramAccess, driver_pk: int) -> MeasurementDriver:
    return get_object_or_404(MeasurementDriver, pk=driver_pk, program=access.program)


@login_required
@require_GET
def driver_detail(request: HtmxHttpRequest, pk: int, driver_pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    driver = _driver(access, driver_pk)
    table = {d.pk: d for d in selectors.driver_table(program=access.program)}
    return render(
        request,
        "assessments/driver_detail.html",
        {
            **_base_context(access, cycle_for(access.program), driver.name),
            "can_edit": access.membership.can_manage,
            "driver": table[driver.pk],
            "fiscal_text": calendar_text.describe(access.program.organization.fiscal),
            "validations": driver.validations.select_related("validated_by"),
            "history": driver.history.select_related("history_user")[:20],
            "change_form": DriverChangeForm(),
            "validation_form": ValidationForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def driver_edit(request: HtmxHttpRequest, pk: int, driver_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    driver = _driver(access, driver_pk)
    form = DriverForm(request.POST or None, instance=driver, program=access.program)
    if request.method == "POST" and form.is_valid():
        try:
            services.driver_save(
                program=access.program, driver=driver, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Driver saved."))
            return redirect("assessments:driver", pk=pk, driver_pk=driver.pk)
    driver.refresh_from_db(fields=["name"])
    return render(
        request,
        "assessments/driver_form.html",
        {
            **_base_context(access, cycle_for(access.program), driver.name),
            "form": form,
            "driver": driver,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def driver_delete(request: HtmxHttpRequest, pk: int, driver_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    driver = _driver(access, driver_pk)
    try:
        services.driver_delete(driver=driver, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("assessments:drivers", pk=pk)
    messages.success(request, _("Driver “%(name)s” deleted.") % {"name": driver.name})
    return redirect("assessments:drivers", pk=pk)


@login_required
@require_POST
def driver_validate(request: HtmxHttpRequest, pk: int, driver_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    driver = _driver(access, driver_pk)
    form = ValidationForm(request.POST)
    if form.is_valid():
        services.driver_validate(driver=driver, by=request.user, note=form.cleaned_data["note"])
        messages.success(request, _("Validation recorded: the driver is trusted."))
    else:
        messages.error(request, " ".join(form.errors.get("note", [])))
    return redirect("assessments:driver", pk=pk, driver_pk=driver.pk)


@login_required
@require_POST
def driver_change_add(request: HtmxHttpRequest, pk: int, driver_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    driver = _driver(access, driver_pk)
    form = DriverChangeForm(request.POST)
    if form.is_valid():
        try:
            services.driver_change_add(driver=driver, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Change recorded."))
            return redirect("assessments:driver", pk=pk, driver_pk=driver.pk)
    table = {d.pk: d for d in selectors.driver_table(program=access.program)}
    return render(
        request,
        "assessments/driver_detail.html",
        {
            **_base_context(access, cycle_for(access.program), driver.name),
            "can_edit": True,
            "driver": table[driver.pk],
            "fiscal_text": calendar_text.describe(access.program.organization.fiscal),
            "validations": driver.validations.select_related("validated_by"),
            "history": driver.history.select_related("history_user")[:20],
            "change_form": form,
            "validation_form": ValidationForm(),
        },
        status=422,
    )


@login_required
@require_GET
def driver_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    response, writer = _csv_response(request, f"measurement-drivers-{access.program.pk}.csv")
    writer.writerow(
        [
            "name",
            "definition",
            "source_system",
            "owner",
            "calendar",
            "fiscal_start_month",
            "frequency",
            "last_validated_on",
            "trusted",
            "flags",
            "changes",
        ]
    )
    for d in selectors.driver_table(program=access.program):
        writer.writerow(
            [
                d.name,
                d.definition,
                d.source_system,
                d.owner,
                d.calendar,
                access.program.organization.fiscal_year_start if d.calendar == "fiscal" else "",
                d.frequency,
                d.last_validated_on.isoformat() if d.last_validated_on else "",
                "no" if d.flags else "yes",
                "; ".join(str(flag) for flag in d.flags),
                "; ".join(f"{c.changed_on} {c.kind}: {c.description}" for c in d.changes_list),
            ]
        )
    return response


# --- Gaps -----------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def gap_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    need = Need.MANAGE if request.method == "POST" else Need.VIEW
    access = program_for(request.user, pk, need=need)
    cycle = cycle_for(
        access.program, None if request.method == "POST" else request.GET.get("cycle")
    )
    form = GapCreateForm(request.POST or None)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            try:
                services.gap_create(cycle=cycle, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Gap added."))
                return redirect("assessments:gaps", pk=pk)
        status = 422
    return render(
        request,
        "assessments/gap_list.html",
        {
            **_base_context(access, cycle, _("Gap list")),
            "gaps": selectors.gap_list(cycle=cycle),
            "form": form,
        },
        status=status,
    )


@login_required
@require_http_methods(["GET", "POST"])
def gap_edit(request: HtmxHttpRequest, pk: int, gap_pk: int) -> HttpResponse:
    """The gap's row as a form (GET), saved in place (POST); htmx swaps the row."""
    access = program_for(request.user, pk, need=Need.MANAGE)
    gap = get_object_or_404(
        Gap.objects.select_related("cycle"), pk=gap_pk, cycle__program=access.program
    )
    if not gap.cycle.is_open:
        # A closed cycle's gaps are its record: read them, no form to be refused.
        messages.info(
            request,
            _("Cycle %(n)s is closed: its gaps can be read, not changed.")
            % {"n": gap.cycle.number},
        )
        gaps = reverse("assessments:gaps", kwargs={"pk": pk})
        return redirect(f"{gaps}?cycle={gap.cycle.number}")
    form = GapEditForm(request.POST or None, instance=gap)
    editing = True
    if request.method == "POST" and form.is_valid():
        try:
            services.gap_update(gap=gap, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            editing = False
            if not request.htmx:
                messages.success(request, _("Gap saved."))
                return redirect("assessments:gaps", pk=pk)
    if request.GET.get("cancel"):
        editing = False
    if not editing:
        gap = selectors.gap_list(cycle=gap.cycle)
        gap = next(g for g in gap if g.pk == gap_pk)
    context = {
        **_base_context(access, gap.cycle, _("Gap list")),
        "gap": gap,
        "form": form,
        "editing": editing,
    }
    template = "assessments/gap_list.html#gap-row" if request.htmx else "assessments/gap_edit.html"
    return render(request, template, context, status=422 if form.errors else 200)


@login_required
@require_POST
def gaps_regenerate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    cycle = cycle_for(access.program)
    try:
        ensure_cycle_open(cycle)
    except ValidationError as error:
        return _refuse_closed(request, error, pk)
    plan = services.gaps_regenerate(cycle=cycle)
    messages.success(
        request,
        _("Gap list updated: %(new)s new, %(gone)s no longer needed, edited gaps kept.")
        % {"new": len(plan.create), "gone": len(plan.delete)},
    )
    return redirect("assessments:gaps", pk=pk)


# --- Dimensions (organization admins) -------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def dimension_list(request: HtmxHttpRequest, org: str) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.ADMINISTER)
    organization = membership.organization
    form = DimensionForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        try:
            services.dimension_save(organization=organization, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Dimension added."))
            return redirect("assessments:dimensions", org=org)
    return render(
        request,
        "assessments/dimension_list.html",
        {
            "membership": membership,
            "organization": organization,
            "dimensions": organization.dimensions.all(),
            "form": form,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def dimension_edit(request: HtmxHttpRequest, org: str, dimension_pk: int) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.ADMINISTER)
    dimension = get_object_or_404(Dimension, pk=dimension_pk, organization=membership.organization)
    form = DimensionForm(
        request.POST or None, instance=dimension, organization=membership.organization
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.dimension_save(
                organization=membership.organization,
                dimension=dimension,
                by=request.user,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Dimension saved; earlier answers keep their scores."))
            return redirect("assessments:dimensions", org=org)
    dimension.refresh_from_db(fields=["name"])
    return render(
        request,
        "assessments/dimension_form.html",
        {
            "membership": membership,
            "organization": membership.organization,
            "dimension": dimension,
            "form": form,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def dimension_retire(request: HtmxHttpRequest, org: str, dimension_pk: int) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.ADMINISTER)
    dimension = get_object_or_404(Dimension, pk=dimension_pk, organization=membership.organization)
    retire = dimension.is_active
    services.dimension_set_retired(dimension=dimension, retired=retire, by=request.user)
    messages.success(
        request,
        (
            _("“%(name)s” retired: new assessments leave it out, old answers stay.")
            if retire
            else _("“%(name)s” is back in new assessments.")
        )
        % {"name": dimension.name},
    )
    return redirect("assessments:dimensions", org=org)
