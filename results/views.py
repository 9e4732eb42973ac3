"""Pages of question 4's data side: result sources, their runs, and the measurements."""

import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import OuterRef, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseClientRefresh

from kpis.models import Kpi
from programs.access import Need, ProgramAccess, cycle_for, program_for
from programs.http import HtmxHttpRequest, export_writer
from programs.jobs import JobStatus
from results import ingest, selectors, sources
from results.forms import SourceForm, TokenForm, UploadForm
from results.models import ApiToken, Measurement, Pull, ResultSource, UploadStage, Variant


def _context(access: ProgramAccess, section: str) -> dict:
    # Sources belong to the program, not to a cycle: managers edit them any time.
    return access.page_context(
        cycle=cycle_for(access.program), section=section, edit=Need.MANAGE, while_open=False
    )


def _source(access: ProgramAccess, source_pk: int) -> ResultSource:
    return get_object_or_404(
        ResultSource.objects.select_related("periodic_task__crontab"),
        pk=source_pk,
        program=access.program,
    )


@login_required
@require_http_methods(["GET", "POST"])
def source_list(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    need = Need.MANAGE if request.method == "POST" else Need.VIEW
    access = program_for(request.user, pk, need=need)
    form = SourceForm(
        request.POST or None,
        program=access.program,
        may_set_secrets=access.membership.can_administer,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["headers"] = data.pop("header_names")
        try:
            source = sources.source_save(program=access.program, by=request.user, **data)
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Source “%(name)s” connected.") % {"name": source.name})
            return redirect("results:source", pk=pk, source_pk=source.pk)
    latest = Pull.objects.filter(source=OuterRef("pk")).order_by("-queued_at").values("pk")[:1]
    listed = list(
        access.program.sources.select_related("periodic_task__crontab")
        .annotate(last_pull_id=Subquery(latest))
        .order_by("name")
    )
    last = Pull.objects.defer("payload").in_bulk([s.last_pull_id for s in listed if s.last_pull_id])
    rows = [(s, last.get(s.last_pull_id), sources.next_run(s)) for s in listed]
    return render(
        request,
        "results/source_list.html",
        {
            **_context(access, _("Result sources")),
            "rows": rows,
            "form": form,
            "tokens": access.program.api_tokens.select_related("created_by")
            if access.membership.can_administer
            else [],
            "token_form": TokenForm(),
            "new_token": request.session.pop("new_token", None),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def source_detail(request: HtmxHttpRequest, pk: int, source_pk: int) -> HttpResponse:
    need = Need.MANAGE if request.method == "POST" else Need.VIEW
    access = program_for(request.user, pk, need=need)
    source = _source(access, source_pk)
    if request.method == "POST" and source.kind == "push":
        messages.error(
            request, _("The push API source has no settings; manage its tokens instead.")
        )
        return redirect("results:source", pk=pk, source_pk=source.pk)
    form = SourceForm(
        request.POST or None,
        instance=source,
        program=access.program,
        may_set_secrets=access.membership.can_administer,
    )
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        data["headers"] = data.pop("header_names")
        had = sources.source_secrets(ResultSource.objects.get(pk=source.pk))
        try:
            saved = sources.source_save(
                program=access.program, source=source, by=request.user, **data
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(request, _("Source saved."))
            if dropped := had - sources.source_secrets(saved):
                messages.warning(
                    request,
                    _(
                        "No longer stored: %(names)s. Secrets stay with the server and login "
                        "they were entered for; an admin enters them again for the new one."
                    )
                    % {"names": ", ".join(sorted(dropped))},
                )
            return redirect("results:source", pk=pk, source_pk=source.pk)
    source.refresh_from_db()
    return render(
        request,
        "results/source_detail.html",
        {
            **_context(access, source.name),
            "source": source,
            "form": form,
            "upload_form": UploadForm(source=source),
            "pulls": source.pulls.defer("payload")[:25],
            "next_run": sources.next_run(source),
            "changes": selectors.source_changes(source=source),
        },
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def pull_now(request: HtmxHttpRequest, pk: int, source_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    source = _source(access, source_pk)
    try:
        # *Test* fetches and shows the columns found with the mapping form; loads nothing.
        trigger = "test" if request.POST.get("test") else "manual"
        pull = sources.pull_queue(source=source, by=request.user, trigger=trigger)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("results:source", pk=pk, source_pk=source.pk)
    # If the broker cannot be reached, the run's page says that nothing ran.
    return redirect("results:pull", pk=pk, source_pk=source.pk, pull_pk=pull.pk)


@login_required
@require_GET
def pull_detail(request: HtmxHttpRequest, pk: int, source_pk: int, pull_pk: int) -> HttpResponse:
    access = program_for(request.user, pk)
    source = _source(access, source_pk)
    pull = get_object_or_404(Pull.objects.defer("payload"), pk=pull_pk, source=source)
    template = "results/pull_detail.html"
    if request.htmx:
        template += "#pull-status"
    return render(request, template, {**_context(access, _("Run")), "source": source, "pull": pull})


@login_required
@require_POST
def upload(request: HtmxHttpRequest, pk: int, source_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.MANAGE)
    source = _source(access, source_pk)
    form = UploadForm(request.POST, request.FILES, source=source)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("file", [_("Choose a file.")])))
        return redirect("results:source", pk=pk, source_pk=source.pk)
    file = form.cleaned_data["file"]
    if file.size > sources.MAX_BYTES:
        messages.error(request, _("The file is larger than 50 MB."))
        return redirect("results:source", pk=pk, source_pk=source.pk)
    try:
        pull = sources.upload_receive(
            source=source,
            file_name=file.name,
            data=file.read(),
            by=request.user,
            delimiter=form.cleaned_data["delimiter"],
            decimal=form.cleaned_data["decimal"],
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("results:source", pk=pk, source_pk=source.pk)
    return redirect("results:upload_preview", pk=pk, source_pk=source.pk, pull_pk=pull.pk)


@login_required
@require_http_methods(["GET", "POST"])
def upload_preview(request: HtmxHttpRequest, pk: int, source_pk: int, pull_pk: int) -> HttpResponse:
    """While a job reads the file, a page that waits for it; then the first rows and the
    column mapping. Loading (another job) starts on confirmation. An HTTP or SQL run that
    stopped at its columns (a Test, or a source not mapped yet) is mapped here too."""
    access = program_for(request.user, pk, need=Need.MANAGE)
    source = _source(access, source_pk)
    pull = get_object_or_404(Pull.objects.defer("payload"), pk=pull_pk, source=source)
    waiting = pull.status == JobStatus.QUEUED and pull.stage in (
        UploadStage.READING,
        UploadStage.MAPPING,
    )
    run_page = reverse(
        "results:pull", kwargs={"pk": pk, "source_pk": source.pk, "pull_pk": pull.pk}
    )
    if not waiting:  # read and failed, loading, or loaded: the run's page says which
        return HttpResponseClientRedirect(run_page) if request.htmx else redirect(run_page)
    if pull.stage == UploadStage.READING:
        if request.method == "POST":
            messages.error(request, _("The file is still being read; choose the mapping then."))
        template = "results/upload_preview.html"
        if request.htmx:
            template += "#upload-reading"
        return render(
            request,
            template,
            {**_context(access, _("Check the upload")), "source": source, "pull": pull},
        )
    if request.htmx:  # the file was read while the page waited: show the mapping
        return HttpResponseClientRefresh()
    header = pull.preview["header"]
    if request.method == "POST":
        mapping = {f: request.POST.get(f, "") for f in ingest.FIELDS}
        mapping = {f: (c if c in header else "") for f, c in mapping.items()}
        try:
            sources.upload_load(pull=pull, mapping=mapping, by=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect(run_page)
    mapping = {
        **ingest.guess_mapping(header),
        **{k: v for k, v in source.mapping.items() if v in header},
    }
    return render(
        request,
        "results/upload_preview.html",
        {
            **_context(access, _("Map the columns") if source.is_pulled else _("Check the upload")),
            "source": source,
            "pull": pull,
            "header": header,
            "preview": pull.preview["rows"],
            "fields": [(f, mapping.get(f, ""), f in ingest.REQUIRED) for f in ingest.FIELDS],
        },
    )


@login_required
@require_POST
def token_create(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.ADMINISTER)
    form = TokenForm(request.POST)
    if form.is_valid():
        token, secret = sources.token_create(
            program=access.program, by=request.user, **form.cleaned_data
        )
        request.session["new_token"] = {"name": token.name, "secret": secret}
    else:
        problems = " ".join(f"{f.label}: {' '.join(f.errors)}" for f in form if f.errors)
        messages.error(request, _("No token made. %(problems)s") % {"problems": problems})
    return redirect("results:sources", pk=pk)


@login_required
@require_POST
def token_revoke(request: HtmxHttpRequest, pk: int, token_pk: int) -> HttpResponse:
    access = program_for(request.user, pk, need=Need.ADMINISTER)
    token = get_object_or_404(ApiToken, pk=token_pk, program=access.program)
    sources.token_revoke(token=token, by=request.user)
    messages.success(request, _("Token “%(name)s” revoked.") % {"name": token.name})
    return redirect("results:sources", pk=pk)


@login_required
@require_GET
def measurements(request: HtmxHttpRequest, pk: int, kpi_pk: int) -> HttpResponse:
    """A KPI's measurements, filtered by segment, variant and dates; CSV with ?format=csv."""
    access = program_for(request.user, pk)
    kpi = get_object_or_404(
        Kpi.objects.select_related("goal__cycle"), pk=kpi_pk, goal__cycle__program=access.program
    )
    rows = (
        Measurement.objects.filter(kpi=kpi)
        .select_related("segment", "source")
        .order_by("-period_start", "variant")
    )
    segment = request.GET.get("segment", "")
    if segment == "all":
        rows = rows.filter(segment__isnull=True)
    elif segment.isascii() and segment.isdigit():
        rows = rows.filter(segment_id=int(segment))
    variant = request.GET.get("variant")
    if variant in Variant.values and variant != "" and request.GET.get("variant") is not None:
        rows = rows.filter(variant=variant)
    for name, lookup in (("from", "period_start__gte"), ("to", "period_start__lte")):
        try:
            if request.GET.get(name):
                rows = rows.filter(**{lookup: datetime.date.fromisoformat(request.GET[name])})
        except ValueError:
            messages.error(
                request, _("“%(v)s” is not a date (YYYY-MM-DD).") % {"v": request.GET[name]}
            )
    if request.GET.get("format") == "csv":
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="measurements-{kpi.pk}.csv"'
        response.write("\ufeff")
        writer = export_writer(request, response)  # no cell runs as a formula
        writer.writerow(
            [
                "kpi",
                "period",
                "period_kind",
                "segment",
                "variant",
                "value",
                "numerator",
                "denominator",
                "source",
                "loaded_at",
            ]
        )
        for m in rows.iterator(chunk_size=5000):
            writer.writerow(
                [
                    kpi.name,
                    m.period_start.isoformat(),
                    m.period_kind,
                    m.segment.name if m.segment else "",
                    m.variant,
                    m.value,
                    m.numerator if m.numerator is not None else "",
                    m.denominator if m.denominator is not None else "",
                    m.source.name if m.source else "",
                    m.loaded_at.isoformat(),
                ]
            )
        return response
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "results/measurements.html",
        {
            **_context(access, kpi.name),
            "kpi": kpi,
            "rows": page,
            "total": page.paginator.count,
            "page_query": request.GET.copy(),
            "segments": access.program.organization.segments.all(),
            "variants": [v for v in Variant.choices if v[0]],
            "query": request.GET.urlencode(),
        },
    )
