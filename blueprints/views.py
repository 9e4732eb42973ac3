import csv
import io
import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from blueprints import charts, engine, propensity, selectors, services
from blueprints.forms import (
    BlueprintForm,
    ConditionForm,
    FileForm,
    HistoryForm,
    OfferForm,
    StageForm,
)
from blueprints.models import (
    Blueprint,
    Offer,
    OfferCondition,
    PropensityModel,
    PropensityRun,
    SimulationBatch,
    Stage,
)
from blueprints.templatetags import blueprint_format
from programs.access import Need, ProgramAccess, cycle_for, program_for
from programs.http import HtmxHttpRequest, export_writer
from segments.models import Attribute

MAX_UPLOAD_BYTES = 20 * 1024 * 1024


def _context(access: ProgramAccess, blueprint: Blueprint | None, cycle, section: str) -> dict:
    return {
        **access.page_context(cycle=cycle, section=section, edit=Need.PLAN),
        "blueprint": blueprint,
    }


def _blueprint(access: ProgramAccess, blueprint_pk: int) -> Blueprint:
    return get_object_or_404(
        Blueprint.objects.select_related("cycle__program__organization"),
        pk=blueprint_pk,
        cycle__program=access.program,
    )


def _refused(request, error: ValidationError, blueprint: Blueprint):
    for message in error.messages:
        messages.error(request, message)
    return redirect(
        "blueprints:blueprint", pk=blueprint.cycle.program_id, blueprint_pk=blueprint.pk
    )


@login_required
@require_http_methods(["GET", "POST"])
def blueprint_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    need = Need.PLAN if request.method == "POST" else Need.VIEW
    access = program_for(request.user, pk, need=need)
    cycle = cycle_for(
        access.program, None if request.method == "POST" else request.GET.get("cycle")
    )
    form = BlueprintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            blueprint = services.blueprint_create(cycle=cycle, by=request.user, **form.cleaned_data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Blueprint created with the five default stages."))
            return redirect("blueprints:blueprint", pk=pk, blueprint_pk=blueprint.pk)
    return render(
        request,
        "blueprints/blueprint_list.html",
        {
            **_context(access, None, cycle, _("Blueprints")),
            "blueprints": cycle.blueprints.prefetch_related("stages__offers"),
            "form": form,
            "import_form": FileForm(),
        },
        status=422 if form.errors else 200,
    )


def _board(access: ProgramAccess, blueprint: Blueprint, *, chart: bool = True) -> dict:
    """What the board shows: its stages and offers with their flags, the coverage grid
    and (for the whole page) the chart."""
    structure = selectors.blueprint_structure(blueprint=blueprint)
    latest = selectors.latest_models(blueprint=blueprint)
    for view in structure:
        for offer_view in view.offers:
            offer_view.latest = latest.get(offer_view.offer.pk)
    return {
        **_context(access, blueprint, blueprint.cycle, blueprint.name),
        "structure": structure,
        "coverage": selectors.segment_coverage(blueprint=blueprint, structure=structure),
        "chart": (
            charts.expected_value(structure) if chart and any(v.offers for v in structure) else None
        ),
        "stage_form": StageForm(),
        "condition_form": ConditionForm(),
        "today": timezone.localdate(),
    }


@login_required
@require_GET
def blueprint_detail(request: HtmxHttpRequest, pk: int, blueprint_pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    blueprint = _blueprint(access, blueprint_pk)
    return render(
        request,
        "blueprints/blueprint_detail.html",
        {
            **_board(access, blueprint),
            "has_history": blueprint.propensity_runs.exists(),
        },
    )


def _condition_answer(
    request: HtmxHttpRequest,
    access: ProgramAccess,
    offer: Offer,
    *,
    sentence: str = "",
    error: str = "",
) -> HttpResponse:
    """The answer to a condition typed on an offer's card. Through htmx only that card is
    redrawn (a refused sentence stays in its field with the reason beside it; an added one
    shows on the card), with its stage's flags and the coverage grid swapped in beside it;
    without JavaScript the whole board, the refusal at the same field."""
    blueprint = offer.stage.blueprint
    context = {
        **_board(access, blueprint, chart=not request.htmx),
        "condition_offer": offer.pk,
        "condition_sentence": sentence,
        "condition_error": error,
    }
    status = 422 if error else 200
    template = "blueprints/blueprint_detail.html"
    if not request.htmx:
        return render(request, template, context, status=status)
    view = next(v for v in context["structure"] if v.stage.pk == offer.stage_id)
    position = next(i for i, o in enumerate(view.offers) if o.offer.pk == offer.pk)
    card = {
        **context,
        "view": view,
        "o": view.offers[position],
        "is_first": position == 0,
        "is_last": position == len(view.offers) - 1,
    }
    body = render_to_string(f"{template}#offer-card", card, request)
    if not error:
        oob = {**card, "oob": True}
        body += render_to_string(f"{template}#stage-flags", oob, request)
        body += render_to_string(f"{template}#coverage", oob, request)
    return HttpResponse(body, status=status)


def _stage(access, blueprint_pk, stage_pk) -> Stage:
    return get_object_or_404(
        Stage.objects.select_related("blueprint__cycle"),
        pk=stage_pk,
        blueprint_id=blueprint_pk,
        blueprint__cycle__program=access.program,
    )


def _offer(access, blueprint_pk, offer_pk) -> Offer:
    return get_object_or_404(
        Offer.objects.select_related("stage__blueprint__cycle"),
        pk=offer_pk,
        stage__blueprint_id=blueprint_pk,
        stage__blueprint__cycle__program=access.program,
    )


@login_required
@require_POST
def stage_add(request: HtmxHttpRequest, pk: int, blueprint_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    blueprint = _blueprint(access, blueprint_pk)
    form = StageForm(request.POST)
    try:
        if not form.is_valid():
            raise ValidationError(_("Give the stage a name."))
        services.stage_add(blueprint=blueprint, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        return _refused(request, error, blueprint)
    return redirect("blueprints:blueprint", pk=pk, blueprint_pk=blueprint.pk)


@login_required
@require_POST
def stage_action(
    request: HtmxHttpRequest, pk: int, blueprint_pk: int, stage_pk: int, action: str
) -> HttpResponse:
    """Rename, move earlier or later, or delete a stage."""
    access = program_for(request.user, pk, need=Need.PLAN)
    stage = _stage(access, blueprint_pk, stage_pk)
    try:
        if action in ("earlier", "later"):
            services.move(item=stage, step=-1 if action == "earlier" else 1, by=request.user)
        elif action == "rename":
            form = StageForm(request.POST)
            if not form.is_valid():
                raise ValidationError(_("Give the stage a name."))
            services.stage_rename(stage=stage, by=request.user, **form.cleaned_data)
        elif action == "delete":
            services.stage_delete(stage=stage, by=request.user)
        else:
            raise Http404
    except ValidationError as error:
        return _refused(request, error, stage.blueprint)
    return redirect("blueprints:blueprint", pk=pk, blueprint_pk=blueprint_pk)


@login_required
@require_http_methods(["GET", "POST"])
def offer_form(
    request: HtmxHttpRequest,
    pk: int,
    blueprint_pk: int,
    stage_pk: int | None = None,
    offer_pk: int | None = None,
) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    offer = _offer(access, blueprint_pk, offer_pk) if offer_pk else None
    stage = offer.stage if offer else _stage(access, blueprint_pk, stage_pk)
    cycle = stage.blueprint.cycle
    form = OfferForm(
        request.POST or None, instance=offer, cycle=cycle, initial=None if offer else {"weight": 1}
    )
    if request.method == "POST" and form.is_valid():
        try:
            saved = services.offer_save(
                stage=stage, offer=offer, by=request.user, **form.cleaned_data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Offer “%(name)s” saved.") % {"name": saved.name})
            return redirect("blueprints:blueprint", pk=pk, blueprint_pk=blueprint_pk)
    return render(
        request,
        "blueprints/offer_form.html",
        {
            **_context(access, stage.blueprint, cycle, _("Offer")),
            "form": form,
            "stage": stage,
            "offer": offer,
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def offer_action(
    request: HtmxHttpRequest, pk: int, blueprint_pk: int, offer_pk: int, action: str
) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    offer = _offer(access, blueprint_pk, offer_pk)
    try:
        if action in ("earlier", "later"):
            services.move(item=offer, step=-1 if action == "earlier" else 1, by=request.user)
        elif action == "delete":
            services.offer_delete(offer=offer, by=request.user)
        elif action == "condition":
            return _condition_add(request, access, offer)
        else:
            raise Http404
    except ValidationError as error:
        return _refused(request, error, offer.stage.blueprint)
    if action == "delete":
        return redirect("blueprints:blueprint", pk=pk, blueprint_pk=blueprint_pk)
    url = reverse("blueprints:blueprint", kwargs={"pk": pk, "blueprint_pk": blueprint_pk})
    return redirect(f"{url}#offer-{offer.pk}")


def _condition_add(request: HtmxHttpRequest, access: ProgramAccess, offer: Offer) -> HttpResponse:
    form = ConditionForm(request.POST)
    typed = request.POST.get("sentence", "")
    try:
        if not form.is_valid():
            raise ValidationError(_("Write a condition, e.g. “cart value is at least 50”."))
        services.condition_add(offer=offer, by=request.user, **form.cleaned_data)
    except ValidationError as error:
        return _condition_answer(
            request, access, offer, sentence=typed, error=" ".join(error.messages)
        )
    if request.htmx:
        return _condition_answer(request, access, offer)
    url = reverse(
        "blueprints:blueprint",
        kwargs={"pk": access.program.pk, "blueprint_pk": offer.stage.blueprint_id},
    )
    return redirect(f"{url}#offer-{offer.pk}")


@login_required
@require_POST
def condition_delete(
    request: HtmxHttpRequest, pk: int, blueprint_pk: int, condition_pk: int
) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    condition = get_object_or_404(
        OfferCondition.objects.select_related("offer__stage__blueprint__cycle"),
        pk=condition_pk,
        offer__stage__blueprint_id=blueprint_pk,
        offer__stage__blueprint__cycle__program=access.program,
    )
    try:
        services.condition_delete(condition=condition, by=request.user)
    except ValidationError as error:
        return _refused(request, error, condition.offer.stage.blueprint)
    return redirect("blueprints:blueprint", pk=pk, blueprint_pk=blueprint_pk)


# --- Simulator ------------------------------------------------------------------------


@login_required
@require_GET
def simulator(request: HtmxHttpRequest, pk: int, blueprint_pk: int) -> HttpResponse:
    """Pick a segment or type a profile; see each stage's decision and why."""
    access = program_for(request.user, pk)
    blueprint = _blueprint(access, blueprint_pk)
    organization = access.program.organization
    attributes = list(Attribute.objects.filter(organization=organization))
    segments = list(organization.segments.all())
    typed = {
        a.key: request.GET.get(a.key, "").strip()
        for a in attributes
        if request.GET.get(a.key, "").strip()
    }
    chosen_segment = None
    segment_param = request.GET.get("segment", "")
    if segment_param.isascii() and segment_param.isdigit():
        chosen_segment = next((s for s in segments if s.pk == int(segment_param)), None)
    # The segment fills in the fields; what is typed in a field wins.
    customer = selectors.simulator_profile(
        attributes=attributes, typed=typed, segment=chosen_segment
    )
    profile = customer.values
    structure = selectors.blueprint_structure(blueprint=blueprint)
    decisions = None
    if profile:
        compiled = engine.compile_blueprint(selectors.to_engine(structure, on=timezone.localdate()))
        notes = selectors.propensity_notes(
            structure=structure, profile=profile, labels={a.key: a.label for a in attributes}
        )
        decisions = [
            (decision, [(verdict, notes[verdict.offer.id]) for verdict in decision.verdicts])
            for decision in engine.decide(compiled, profile)
        ]
    context = {
        **_context(access, blueprint, blueprint.cycle, _("Decision simulator")),
        "attributes": attributes,
        "segments": segments,
        "chosen_segment": chosen_segment,
        "profile": profile,
        "customer": customer.shown,
        "decisions": decisions,
        "batch_form": FileForm(),
        "batches": blueprint.batches.all()[:5],
    }
    template = "blueprints/simulator.html"
    if request.htmx and request.htmx.target == "decisions":
        # The decisions, and the fields as the segment filled them in, swapped in beside.
        return HttpResponse(
            render_to_string(f"{template}#decisions", context, request)
            + render_to_string(f"{template}#profile-fields", {**context, "oob": True}, request)
        )
    return render(request, template, context)


@login_required
@require_POST
def batch_create(request: HtmxHttpRequest, pk: int, blueprint_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    blueprint = _blueprint(access, blueprint_pk)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("file", [_("Choose a CSV file.")])))
    elif form.cleaned_data["file"].size > MAX_UPLOAD_BYTES:
        messages.error(request, _("The file is larger than 20 MB."))
    else:
        upload = form.cleaned_data["file"]
        try:
            batch = services.batch_create(
                blueprint=blueprint, file_name=upload.name, data=upload.read(), by=request.user
            )
        except ValidationError as error:
            for message in error.messages:
                messages.error(request, message)
        else:
            return redirect("blueprints:batch", pk=pk, blueprint_pk=blueprint.pk, batch_pk=batch.pk)
    return redirect("blueprints:simulator", pk=pk, blueprint_pk=blueprint.pk)


@login_required
@require_GET
def batch_detail(
    request: HtmxHttpRequest, pk: int, blueprint_pk: int, batch_pk: int
) -> HttpResponse:
    access = program_for(request.user, pk)
    blueprint = _blueprint(access, blueprint_pk)
    batch = get_object_or_404(
        SimulationBatch.objects.defer("profiles_csv", "result_csv"),
        pk=batch_pk,
        blueprint=blueprint,
    )
    context = {
        **_context(access, blueprint, blueprint.cycle, _("Batch simulation")),
        "batch": batch,
        "chart": charts.wins(batch.wins) if batch.wins else None,
    }
    template = "blueprints/batch.html"
    if request.htmx:
        template += "#batch-status"
    return render(request, template, context)


@login_required
@require_GET
def batch_download(
    request: HtmxHttpRequest, pk: int, blueprint_pk: int, batch_pk: int
) -> HttpResponse:
    access = program_for(request.user, pk)
    blueprint = _blueprint(access, blueprint_pk)
    batch = get_object_or_404(SimulationBatch, pk=batch_pk, blueprint=blueprint, status="succeeded")
    response = HttpResponse("\ufeff", content_type="text/csv; charset=utf-8")
    # The stored result is the decisions as made; made safe for a spreadsheet here, where
    # it leaves, so batches decided before this was done are downloaded safe too.
    export_writer(request, response).writerows(
        csv.reader(io.StringIO(batch.result_csv, newline=""))
    )
    response["Content-Disposition"] = (
        f'attachment; filename="decisions-{slugify(blueprint.name)}-{batch.pk}.csv"'
    )
    return response


# --- JSON exchange --------------------------------------------------------------------


@login_required
@require_GET
def export_json(request: HtmxHttpRequest, pk: int, blueprint_pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    blueprint = _blueprint(access, blueprint_pk)
    body = json.dumps(services.blueprint_export(blueprint=blueprint), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="blueprint-{slugify(blueprint.name)}.json"'
    )
    return response


@login_required
@require_POST
def import_json(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    cycle = cycle_for(access.program)
    form = FileForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("file", [_("Choose a JSON file.")])))
        return redirect("blueprints:list", pk=pk)
    if form.cleaned_data["file"].size > MAX_UPLOAD_BYTES:
        messages.error(request, _("The file is larger than 20 MB."))
        return redirect("blueprints:list", pk=pk)
    try:
        blueprint = services.blueprint_import(
            cycle=cycle,
            data=form.cleaned_data["file"].read(),
            by=request.user,
            name=form.cleaned_data["name"],
        )
    except ValidationError as error:
        for message in error.messages:
            messages.error(request, message)
        return redirect("blueprints:list", pk=pk)
    messages.success(request, _("Blueprint “%(name)s” imported.") % {"name": blueprint.name})
    return redirect("blueprints:blueprint", pk=pk, blueprint_pk=blueprint.pk)


# --- Propensity from history ----------------------------------------------------------


def _run(blueprint: Blueprint, version: int) -> PropensityRun:
    return get_object_or_404(
        PropensityRun.objects.select_related("created_by"), blueprint=blueprint, version=version
    )


def _history_page(
    request: HtmxHttpRequest,
    access: ProgramAccess,
    blueprint: Blueprint,
    form: HistoryForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The versions and the upload form; a new form starts from the last version's columns."""
    last = blueprint.propensity_runs.first()
    if form is None:
        form = HistoryForm(
            initial={
                "offer_column": last.offer_column,
                "converted_column": last.converted_column,
                "value_column": last.value_column,
                "attribute_columns": ", ".join(last.feature_columns),
            }
            if last
            else {}
        )
    runs = (
        blueprint.propensity_runs.select_related("created_by")
        .annotate(
            trained=Count("models", filter=Q(models__auc__isnull=False)),
            too_little=Count("models", filter=Q(models__auc__isnull=True)),
        )
        .order_by("-version")  # Meta.ordering does not reach a GROUP BY query
    )
    attributes = list(Attribute.objects.filter(organization=access.program.organization))
    return render(
        request,
        "blueprints/propensity.html",
        {
            **_context(access, blueprint, blueprint.cycle, _("Propensity from history")),
            "runs": runs,
            "form": form,
            # The column fields start from the last version's: say so, a new file may differ.
            "columns_from": last.version if last else None,
            "attributes": attributes,
            "attribute_keys": ", ".join(a.key for a in attributes),
            "thresholds": {
                "exposures": propensity.MIN_EXPOSURES,
                "events": propensity.MIN_EVENTS,
                "per_parameter": propensity.EVENTS_PER_PARAMETER,
            },
            "offers": Offer.objects.filter(stage__blueprint=blueprint).order_by(
                "stage__position", "position"
            ),
        },
        status=status,
    )


@login_required
@require_GET
def propensity_runs(request: HtmxHttpRequest, pk: int, blueprint_pk: int) -> HttpResponse:
    """The blueprint's trained versions, and the form to upload an exposure history."""
    access = program_for(request.user, pk)
    blueprint = _blueprint(access, blueprint_pk)
    return _history_page(request, access, blueprint)


@login_required
@require_POST
def propensity_upload(request: HtmxHttpRequest, pk: int, blueprint_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.PLAN)
    blueprint = _blueprint(access, blueprint_pk)
    form = HistoryForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["file"]
        try:
            if upload.size > services.MAX_HISTORY_BYTES:
                raise ValidationError(_("The file is larger than 100 MB."))
            run = services.propensity_run_create(
                blueprint=blueprint,
                file_name=upload.name,
                data=upload.read(),
                columns=form.columns(),
                by=request.user,
                seed=form.cleaned_data["seed"],
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Version %(v)s is queued: the file is read and checked, then each offer trained.")
                % {"v": run.version},
            )
            return redirect(
                "blueprints:propensity_run", pk=pk, blueprint_pk=blueprint.pk, version=run.version
            )
    return _history_page(request, access, blueprint, form, status=422)


@login_required
@require_GET
def propensity_run(
    request: HtmxHttpRequest, pk: int, blueprint_pk: int, version: int
) -> HttpResponse:
    """A version's result per offer: AUC and calibration on held-out data, the volume
    behind each model, and the offers that had too little data. Polls while training."""
    access = program_for(request.user, pk)
    blueprint = _blueprint(access, blueprint_pk)
    run = _run(blueprint, version)
    trained, thin = selectors.run_models(run=run)
    attribute_keys = set(
        Attribute.objects.filter(organization=access.program.organization).values_list(
            "key", flat=True
        )
    )
    learned_offers = {m.offer_id for m in trained}
    context = {
        **_context(
            access, blueprint, blueprint.cycle, _("Propensity version %(v)s") % {"v": version}
        ),
        "run": run,
        "trained": trained,
        "thin": thin,
        "not_attributes": [c for c in run.feature_columns if c not in attribute_keys],
        "absent": Offer.objects.filter(stage__blueprint=blueprint)
        .exclude(pk__in=[m.offer_id for m in trained + thin if m.offer_id])
        .order_by("stage__position", "position"),
        "in_use": set(
            Offer.objects.filter(pk__in=learned_offers).values_list("learned_model_id", flat=True)
        ),
    }
    template = "blueprints/propensity_run.html"
    if request.htmx and request.htmx.target == "run-status":
        template += "#run-status"
    return render(request, template, context)


@login_required
@require_GET
def propensity_chart(
    request: HtmxHttpRequest, pk: int, blueprint_pk: int, version: int
) -> HttpResponse:
    """The reliability charts of a version's models, as a fragment."""
    access = program_for(request.user, pk)
    run = _run(_blueprint(access, blueprint_pk), version)
    trained, _thin = selectors.run_models(run=run)
    return render(
        request,
        "blueprints/_reliability.html",
        {"charts": [(m, charts.reliability(m), f"reliability-{m.pk}") for m in trained]},
    )


@login_required
@require_GET
def propensity_download(
    request: HtmxHttpRequest, pk: int, blueprint_pk: int, version: int
) -> HttpResponse:
    """The version as JSON: the columns, the seed and every offer's model and figures, so
    anyone can check a prediction or reproduce the run."""
    access = program_for(request.user, pk)
    blueprint = _blueprint(access, blueprint_pk)
    run = _run(blueprint, version)
    body = json.dumps(services.propensity_run_export(run=run), indent=2, ensure_ascii=False)
    response = HttpResponse(body, content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="propensity-{slugify(blueprint.name)}-v{run.version}.json"'
    )
    return response


@login_required
@require_POST
def offer_propensity(
    request: HtmxHttpRequest, pk: int, blueprint_pk: int, offer_pk: int
) -> HttpResponse:
    """Switch an offer between its estimated propensity and a learned model."""
    access = program_for(request.user, pk, need=Need.PLAN)
    offer = _offer(access, blueprint_pk, offer_pk)
    choice = request.POST.get("model", "")
    model = None
    if choice != "estimated":
        model = (
            PropensityModel.objects.select_related("run")
            .filter(pk=int(choice), run__blueprint_id=blueprint_pk)
            .first()
            if choice.isascii() and choice.isdigit()
            else None
        )
        if model is None:
            messages.error(request, _("Choose a learned model of this offer, or the estimate."))
            return redirect("blueprints:blueprint", pk=pk, blueprint_pk=blueprint_pk)
    try:
        services.offer_propensity_use(offer=offer, model=model, by=request.user)
    except ValidationError as error:
        return _refused(request, error, offer.stage.blueprint)
    if model is None:
        messages.success(
            request,
            _("“%(o)s” is scored with its estimated propensity (%(p)s) again.")
            % {"o": offer.name, "p": blueprint_format.percent(offer.propensity)},
        )
    else:
        messages.success(
            request,
            _("“%(o)s” is scored with its learned propensity (version %(v)s) from now on.")
            % {"o": offer.name, "v": model.run.version},
        )
    back = request.POST.get("next", "")
    if back and url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(back)
    url = reverse("blueprints:blueprint", kwargs={"pk": pk, "blueprint_pk": blueprint_pk})
    return redirect(f"{url}#offer-{offer.pk}")
