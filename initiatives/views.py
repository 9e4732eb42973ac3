from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from initiatives import charts, selectors, services
from initiatives.forms import (
    AcknowledgeForm,
    EffectForm,
    ImportForm,
    InitiativeForm,
    OverloadForm,
    PieForm,
    VocabularyForm,
)
from initiatives.models import Channel, Department, ExpectedEffect, Initiative, Status
from kpis.models import Kpi
from programs import numbers
from programs.access import Need, ProgramAccess, cycle_for, membership_for, program_for
from programs.http import HtmxHttpRequest, wants_excel
from programs.models import Cycle

MAX_IMPORT_BYTES = 5 * 1024 * 1024


def _context(access: ProgramAccess, cycle: Cycle, section: str) -> dict:
    return access.page_context(cycle=cycle, section=section, edit=Need.PLAN)


def _initiative(access: ProgramAccess, initiative_pk: int) -> Initiative:
    return get_object_or_404(
        Initiative.objects.select_related("cycle__program__organization", "owner_department"),
        pk=initiative_pk,
        cycle__program=access.program,
    )


# --- The map --------------------------------------------------------------------------


@login_required
@require_GET
def in_flight(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """The card question 1's page loads: what was already changing when the cycle began
    (in progress since before its start), as new work must not pile onto it."""
    access = program_for(request.user, pk)
    cycle = cycle_for(access.program, request.GET.get("cycle"))
    return render(
        request,
        "initiatives/_in_flight.html",
        {
            "program": access.program,
            "cycle": cycle,
            "in_flight": selectors.initiatives_in_flight(cycle=cycle),
        },
    )


@login_required
@require_GET
def initiative_map(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    """Departments x channels, the timeline and the collisions; filters stay in the URL."""
    access = program_for(request.user, pk)
    cycle = cycle_for(access.program, request.GET.get("cycle"))
    organization = access.program.organization
    filters = selectors.Filters.from_query(request.GET)
    everything = selectors.initiative_list(cycle=cycle)
    shown = (
        selectors.initiative_list(cycle=cycle, filters=filters) if filters.active else everything
    )
    shown_ids = {i.pk for i in shown}
    all_collisions = selectors.collisions(cycle=cycle, initiatives=everything)
    visible_collisions = [c for c in all_collisions if shown_ids & set(c.collision.initiative_ids)]
    departments = list(organization.departments.all())
    channels = list(organization.channels.all())
    cells = {(d.pk, c.pk): [] for d in departments for c in channels}
    for initiative in shown:
        involved = {initiative.owner_department_id} | {d.pk for d in initiative.departments.all()}
        for channel in initiative.channels.all():
            for department_pk in involved:
                if (department_pk, channel.pk) in cells:
                    cells[(department_pk, channel.pk)].append(initiative)
    colliding = {i for c in all_collisions if c.is_open for i in c.collision.initiative_ids}
    matrix = [
        (d, [(c, cells[(d.pk, c.pk)]) for c in channels])
        for d in departments
        if any(cells[(d.pk, c.pk)] for c in channels) or not filters.active
    ]
    context = {
        **_context(access, cycle, _("Initiative map")),
        "filters": filters,
        "query": urlencode({k: v for k, v in request.GET.items() if k != "cycle"}),
        "departments": departments,
        "channels": channels,
        "statuses": Status.choices,
        "kpis": Kpi.objects.filter(goal__cycle=cycle).order_by("name"),
        "initiatives": shown,
        "matrix": matrix,
        "colliding": colliding,
        "overdue": [i for i in shown if i.is_overdue],
        "collisions": visible_collisions,
        "timeline": charts.timeline(
            initiatives=sorted(shown, key=lambda i: (i.starts_on, i.pk)),
            cycle_start=cycle.starts_on,
            cycle_end=cycle.ends_on,
            today=timezone.localdate(),
        )
        if shown
        else None,
        "ack_form": AcknowledgeForm(),
    }
    template = "initiatives/map.html"
    if request.htmx and request.htmx.target == "map-body":
        template += "#map-body"
    return render(request, template, context)


# --- The backlog and one initiative ---------------------------------------------------


@login_required
@require_GET
def backlog(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    cycle = cycle_for(access.program, request.GET.get("cycle"))
    initiatives = selectors.initiative_list(cycle=cycle)
    shown = selectors.collisions(cycle=cycle, initiatives=initiatives)
    coverage = selectors.plan_coverage(cycle=cycle)
    return render(
        request,
        "initiatives/backlog.html",
        {
            **_context(access, cycle, _("Initiatives")),
            "initiatives": initiatives,
            "coverage": coverage,
            "completeness": selectors.completeness(
                cycle=cycle, initiatives=initiatives, shown=shown, coverage=coverage
            ),
            "import_form": ImportForm(),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def initiative_form(
    request: HtmxHttpRequest, pk: int, initiative_pk: int | None = None
) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    cycle = cycle_for(access.program)
    initiative = _initiative(access, initiative_pk) if initiative_pk else None
    if initiative is not None and not initiative.cycle.is_open:
        # A closed cycle's initiatives are its record: no form that would be refused.
        messages.info(
            request,
            _("Cycle %(n)s is closed: its initiatives can be read, not changed.")
            % {"n": initiative.cycle.number},
        )
        return redirect("initiatives:initiative", pk=pk, initiative_pk=initiative.pk)
    initial = {} if initiative else {"starts_on": timezone.localdate()}
    form = InitiativeForm(request.POST or None, instance=initiative, initial=initial, cycle=cycle)
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.initiative_save(
                cycle=cycle, initiative=initiative, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Initiative “%(name)s” saved.") % {"name": saved.name})
            return redirect("initiatives:initiative", pk=pk, initiative_pk=saved.pk)
    return render(
        request,
        "initiatives/initiative_form.html",
        {**_context(access, cycle, _("Initiative")), "form": form, "initiative": initiative},
        status=422 if form.errors else 200,
    )


@login_required
@require_GET
def initiative_detail(request: HtmxHttpRequest, pk: int, initiative_pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    initiative = _initiative(access, initiative_pk)
    return _detail(request, access, initiative)


def _detail(request, access, initiative, *, effect_form=None, pie_form=None, status=200):
    cycle = initiative.cycle
    everything = selectors.initiative_list(cycle=cycle)
    this = next(i for i in everything if i.pk == initiative.pk)
    own = [
        c
        for c in selectors.collisions(cycle=cycle, initiatives=everything)
        if initiative.pk in c.collision.initiative_ids
    ]
    mine = initiative.pie_scores.filter(rater=request.user).first()
    return render(
        request,
        "initiatives/initiative_detail.html",
        {
            **_context(access, cycle, initiative.name),
            "initiative": this,
            "collisions": own,
            "effect_form": effect_form or EffectForm(cycle=cycle),
            "pie_form": pie_form
            or PieForm(
                initial={
                    "potential": mine.potential,
                    "importance": mine.importance,
                    "ease": mine.ease,
                }
                if mine
                else None
            ),
            "ack_form": AcknowledgeForm(),
            "history": initiative.history.select_related("history_user")[:15],
        },
        status=status,
    )


@login_required
@require_POST
def initiative_delete(request: HtmxHttpRequest, pk: int, initiative_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    initiative = _initiative(access, initiative_pk)
    try:
        services.initiative_delete(initiative=initiative, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Initiative “%(name)s” deleted.") % {"name": initiative.name})
    return redirect("initiatives:backlog", pk=pk)


@login_required
@require_POST
def effect_add(request: HtmxHttpRequest, pk: int, initiative_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    initiative = _initiative(access, initiative_pk)
    form = EffectForm(request.POST, cycle=initiative.cycle)
    if form.is_valid():
        try:
            services.effect_add(initiative=initiative, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Expected effect recorded."))
            return redirect("initiatives:initiative", pk=pk, initiative_pk=initiative.pk)
    return _detail(request, access, initiative, effect_form=form, status=422)


@login_required
@require_POST
def effect_delete(
    request: HtmxHttpRequest, pk: int, initiative_pk: int, effect_pk: int
) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    initiative = _initiative(access, initiative_pk)
    effect = get_object_or_404(ExpectedEffect, pk=effect_pk, initiative=initiative)
    try:
        services.effect_delete(effect=effect, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Expected effect removed."))
    return redirect("initiatives:initiative", pk=pk, initiative_pk=initiative.pk)


@login_required
@require_POST
def pie_score(request: HtmxHttpRequest, pk: int, initiative_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    initiative = _initiative(access, initiative_pk)
    form = PieForm(request.POST)
    if form.is_valid():
        try:
            services.pie_score_save(initiative=initiative, rater=request.user, **form.cleaned_data)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(request, _("Your rating is in."))
        return redirect("initiatives:initiative", pk=pk, initiative_pk=initiative.pk)
    return _detail(request, access, initiative, pie_form=form, status=422)


@login_required
@require_POST
def collision_acknowledge(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    cycle = cycle_for(access.program)
    form = AcknowledgeForm(request.POST)
    if form.is_valid():
        known = {
            c.collision.key
            for c in selectors.collisions(
                cycle=cycle, initiatives=selectors.initiative_list(cycle=cycle)
            )
        }
        if form.cleaned_data["key"] not in known:
            messages.error(request, _("That collision no longer exists."))
        else:
            try:
                services.collision_acknowledge(cycle=cycle, by=request.user, **form.cleaned_data)
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request, _("Collision accepted; it stays on the map, marked as accepted.")
                )
    else:
        messages.error(request, _("Say why this collision is acceptable."))
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(next_url, allowed_hosts={request.get_host()}):
        next_url = reverse("initiatives:map", kwargs={"pk": pk})
    return redirect(next_url)


# --- CSV ------------------------------------------------------------------------------


@login_required
@require_GET
def export_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    cycle = cycle_for(access.program, request.GET.get("cycle"))
    body = services.initiatives_export_csv(
        initiatives=selectors.initiative_list(cycle=cycle),
        excel_decimal=numbers.decimal_separator() if wants_excel(request) else None,
    )
    response = HttpResponse("\ufeff" + body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="initiatives-{access.program.pk}-cycle-{cycle.number}.csv"'
    )
    return response


@login_required
@require_POST
def import_csv(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    cycle = cycle_for(access.program)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        problems = form.errors.get("file", [_("Choose a CSV file to import.")])
        messages.error(request, " ".join(problems))
    elif form.cleaned_data["file"].size > MAX_IMPORT_BYTES:
        messages.error(request, _("The file is larger than 5 MB; split it."))
    else:
        try:
            count = services.initiatives_import_csv(
                cycle=cycle, data=form.cleaned_data["file"].read(), by=request.user
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            messages.success(request, _("%(n)s initiatives imported.") % {"n": count})
    return redirect("initiatives:backlog", pk=pk)


# --- Departments, channels, overload limit (organization admins) ----------------------


@login_required
@require_http_methods(["GET", "POST"])
def plan_settings(request: HtmxHttpRequest, org: str) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.ADMINISTER)
    organization = membership.organization
    form = VocabularyForm(request.POST if request.POST.get("action") == "add" else None)
    limit_form = OverloadForm(
        request.POST if request.POST.get("action") == "limit" else None,
        initial={"overload_limit": organization.overload_limit},
    )
    status = 200
    if request.method == "POST":
        if request.POST.get("action") == "limit" and limit_form.is_valid():
            services.overload_limit_set(
                organization=organization,
                limit=limit_form.cleaned_data["overload_limit"],
                by=request.user,
            )
            messages.success(request, _("Overload limit saved."))
            return redirect("initiatives:settings", org=org)
        if request.POST.get("action") == "add" and form.is_valid():
            try:
                services.plan_vocabulary_add(organization=organization, **form.cleaned_data)
            except ValidationError as error:
                form.add_error("name", error.messages[0])
            else:
                messages.success(request, _("Added."))
                return redirect("initiatives:settings", org=org)
        status = 422
    return render(
        request,
        "initiatives/settings.html",
        {
            "membership": membership,
            "organization": organization,
            "departments": organization.departments.all(),
            "channels": organization.channels.all(),
            "form": form,
            "limit_form": limit_form,
        },
        status=status,
    )


@login_required
@require_POST
def plan_vocabulary_delete(
    request: HtmxHttpRequest, org: str, kind: str, item_pk: int
) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.ADMINISTER)
    model = {"department": Department, "channel": Channel}.get(kind)
    if model is None:
        return redirect("initiatives:settings", org=org)
    item = get_object_or_404(model, pk=item_pk, organization=membership.organization)
    try:
        services.plan_vocabulary_delete(item=item)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("“%(name)s” removed.") % {"name": item.name})
    return redirect("initiatives:settings", org=org)
