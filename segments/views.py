"""Who the customers are: the segments and their conditions, the customer attributes, and
segment discovery (upload a customer table, cluster it, save clusters as segments).

Managers and team members upload and run; everyone in the organization reads the results;
saving a cluster as a segment is a manager's, as every other change to segments is."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRefresh

from programs.access import Need, membership_for
from programs.forms import form_save
from programs.http import HtmxHttpRequest
from programs.jobs import JobStatus
from programs.numbers import count, share
from segments import charts, discovery, selectors, services, wording
from segments.clustering import column_label
from segments.conditions import Attribute as PlainAttribute
from segments.conditions import AttributeType, Operator, describe
from segments.discovery import ATTRIBUTE_TYPES
from segments.forms import (
    AttributeForm,
    ClusterRunForm,
    ConditionForm,
    CustomerTableForm,
    SaveClusterForm,
    SegmentForm,
)
from segments.models import ClusterRun, CustomerTable, Segment, SegmentCondition


def _context(membership, **extra) -> dict:
    return {"membership": membership, "organization": membership.organization, **extra}


def _table(membership, table_pk: int) -> CustomerTable:
    return get_object_or_404(CustomerTable, pk=table_pk, organization=membership.organization)


def _run(membership, run_pk: int) -> ClusterRun:
    return get_object_or_404(
        ClusterRun.objects.select_related("table", "created_by"),
        pk=run_pk,
        table__organization=membership.organization,
    )


@login_required
@require_http_methods(["GET", "POST"])
def table_list(request: HtmxHttpRequest, org: str) -> HttpResponse:
    """The customer tables of the organization, and the upload of a new one."""
    need = Need.PLAN if request.method == "POST" else Need.VIEW
    membership = membership_for(request.user, org, need=need)
    form = CustomerTableForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        if upload.size > discovery.MAX_UPLOAD_BYTES:
            form.add_error("file", _("The file is larger than 300 MB; sample it or split it."))
        else:
            table = discovery.customer_table_upload(
                organization=membership.organization,
                name=upload.name,
                stream=upload,
                by=request.user,
            )
            return redirect("segments:customer_table", org=org, table_pk=table.pk)
    tables = membership.organization.customer_tables.select_related("uploaded_by").prefetch_related(
        "runs"
    )
    return render(
        request,
        "segments/discovery.html",
        _context(membership, form=form, tables=tables),
        status=422 if form.errors else 200,
    )


@login_required
@require_http_methods(["GET", "POST"])
def customer_table(request: HtmxHttpRequest, org: str, table_pk: int) -> HttpResponse:
    """A table's columns and runs, and the form that starts a run. While a job reads the
    file, the page waits for it (the reading fragment polls itself); a table that could not
    be read says why."""
    need = Need.PLAN if request.method == "POST" else Need.VIEW
    membership = membership_for(request.user, org, need=need)
    table = _table(membership, table_pk)
    if request.htmx and request.htmx.target == "table-reading":
        if table.reading:
            return render(
                request,
                "segments/customer_table.html#table-reading",
                _context(membership, table=table),
            )
        return HttpResponseClientRefresh()  # read (or failed) while the page waited
    if not table.ready:
        if request.method == "POST":
            messages.error(request, table.not_clusterable_because)
            return redirect("segments:customer_table", org=org, table_pk=table.pk)
        return render(request, "segments/customer_table.html", _context(membership, table=table))
    columns = discovery.stored_columns(table)
    form = ClusterRunForm(request.POST or None, columns=columns)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        fixed = data["k_mode"] == "fixed"
        try:
            run = discovery.cluster_run_queue(
                table=table,
                keys=data["keys"],
                k=data["k"] if fixed else None,
                k_range=(data["k_min"], data["k_max"]),
                seed=data["seed"],
                by=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            return redirect("segments:cluster_run", org=org, run_pk=run.pk)
    return render(
        request,
        "segments/customer_table.html",
        _context(
            membership,
            table=table,
            columns=columns,
            form=form,
            runs=table.runs.select_related("created_by"),
        ),
        status=422 if form.errors else 200,
    )


@login_required
@require_POST
def customer_table_delete(request: HtmxHttpRequest, org: str, table_pk: int) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.PLAN)
    table = _table(membership, table_pk)
    discovery.customer_table_delete(table=table)
    messages.success(request, _("The table and its runs are deleted; saved segments stay."))
    return redirect("segments:discovery", org=org)


def _sentences(columns, cluster: dict) -> list[str]:
    """The cluster's suggested conditions as the sentences a segment will show."""
    by_key = {c.key: c for c in columns}
    sentences = []
    for condition in cluster["conditions"]:
        column = by_key[condition["key"]]
        attribute = PlainAttribute(
            key=column.key,
            label=column_label(column.name),
            type=AttributeType(ATTRIBUTE_TYPES[column.kind]),
            allowed_values=column.levels,
        )
        sentences.append(
            describe(
                attribute, Operator(condition["operator"]), condition["value"], wording.current()
            )
        )
    return sentences


def _reach_sentence(reach: dict) -> str:
    """Whom a cluster's suggested conditions reach, in one sentence: how many customers,
    what share of the cluster, and how many of them are outside it."""
    reached, inside = reach["reached"], reach["in_cluster"]
    numbers = {
        "reached": count(reached),
        "share": share(reach["of_cluster"]),
        "outside": count(reached - inside),
        "inside": count(inside),
    }
    if not reached:
        return _("No customer in the table meets these conditions.")
    if inside == reached:
        return (
            ngettext(
                "These conditions reach %(reached)s customer: %(share)s of this cluster, and "
                "they are in it.",
                "These conditions reach %(reached)s customers: %(share)s of this cluster, and "
                "all %(reached)s are in it.",
                reached,
            )
            % numbers
        )
    return (
        ngettext(
            "These conditions reach %(reached)s customers: %(share)s of this cluster. "
            "%(inside)s of them are in it; %(outside)s customer is outside it.",
            "These conditions reach %(reached)s customers: %(share)s of this cluster. "
            "%(inside)s of them are in it; %(outside)s customers are outside it.",
            reached - inside,
        )
        % numbers
    )


@login_required
@require_GET
def cluster_run(request: HtmxHttpRequest, org: str, run_pk: int) -> HttpResponse:
    """A run: its progress while the job works (the status fragment polls itself), then
    the clusters with their profiles, suggested conditions and the chart."""
    membership = membership_for(request.user, org)
    run = _run(membership, run_pk)
    if request.htmx and not run.finished:
        return render(
            request, "segments/cluster_run.html#run-status", _context(membership, run=run)
        )
    if request.htmx:
        # The job finished while the page watched: show the whole page.
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    columns = discovery.stored_columns(run.table)
    clusters = [
        {
            **cluster,
            "sentences": _sentences(columns, cluster),
            "reach_sentence": _reach_sentence(cluster["reach"]),
            "form": SaveClusterForm(
                initial={"name": cluster["name"]}, prefix=f"cluster-{cluster['number']}"
            ),
            "saved": [s for s in run.segments.all() if s.discovered_cluster == cluster["number"]],
        }
        for cluster in run.clusters
    ]
    succeeded = run.status == JobStatus.SUCCEEDED
    return render(
        request,
        "segments/cluster_run.html",
        _context(
            membership,
            run=run,
            table=run.table,
            clusters=clusters,
            column_names={c.key: column_label(c.name) for c in columns},
            map_chart=charts.cluster_map(run.result.get("chart", {}), run.clusters)
            if succeeded
            else None,
            silhouette_chart=charts.silhouettes(run.result.get("silhouettes", {}), run.result["k"])
            if succeeded and run.result.get("silhouettes")
            else None,
        ),
    )


@login_required
@require_POST
def cluster_save(request: HtmxHttpRequest, org: str, run_pk: int, number: int) -> HttpResponse:
    """Save one cluster as a segment, with its suggested conditions."""
    membership = membership_for(request.user, org, need=Need.MANAGE)
    run = _run(membership, run_pk)
    form = SaveClusterForm(request.POST, prefix=f"cluster-{number}")
    if not form.is_valid():
        messages.error(request, _("Give the segment a name."))
        return redirect("segments:cluster_run", org=org, run_pk=run.pk)
    try:
        segment = discovery.segment_from_cluster(
            run=run, number=number, name=form.cleaned_data["name"], by=request.user
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("segments:cluster_run", org=org, run_pk=run.pk)
    messages.success(
        request,
        _("Segment saved from cluster %(n)s. Edit its conditions and see whom they reach.")
        % {"n": number},
    )
    return redirect("segments:segment", org=org, segment_pk=segment.pk)


@login_required
@require_GET
def segment_reach(request: HtmxHttpRequest, org: str, segment_pk: int) -> HttpResponse:
    """The segment's conditions against the customer table it was discovered in."""
    membership = membership_for(request.user, org)
    segment = get_object_or_404(
        Segment.objects.select_related("discovered_in__table"),
        pk=segment_pk,
        organization=membership.organization,
    )
    return render(
        request,
        "segments/_segment_reach.html",
        _context(membership, segment=segment, reach=discovery.segment_reach(segment)),
    )


def _org_context(membership, **extra) -> dict:
    return {"membership": membership, "organization": membership.organization, **extra}


@login_required
@require_http_methods(["GET", "POST"])
def segment_list(request: HtmxHttpRequest, org: str) -> HttpResponse:
    need = Need.MANAGE if request.method == "POST" else Need.VIEW
    membership = membership_for(request.user, org, need=need)
    organization = membership.organization
    form = SegmentForm(request.POST or None, organization=organization)
    if request.method == "POST" and form_save(
        form,
        lambda data: services.segment_save(organization=organization, by=request.user, **data),
    ):
        messages.success(request, _("Segment added. Define it with conditions below its name."))
        return redirect("segments:segments", org=org)
    return render(
        request,
        "segments/segment_list.html",
        _org_context(
            membership,
            segments=selectors.segment_list(organization=organization),
            form=form,
            attributes=organization.attributes.all(),
        ),
        status=422 if form.errors else 200,
    )


def _segment(membership, segment_pk: int) -> Segment:
    return get_object_or_404(Segment, pk=segment_pk, organization=membership.organization)


@login_required
@require_http_methods(["GET", "POST"])
def segment_detail(request: HtmxHttpRequest, org: str, segment_pk: int) -> HttpResponse:
    need = Need.MANAGE if request.method == "POST" else Need.VIEW
    membership = membership_for(request.user, org, need=need)
    segment = _segment(membership, segment_pk)
    form = SegmentForm(request.POST or None, instance=segment, organization=membership.organization)
    if request.method == "POST" and form_save(
        form,
        lambda data: services.segment_save(
            organization=membership.organization, segment=segment, by=request.user, **data
        ),
    ):
        messages.success(request, _("Segment saved."))
        return redirect("segments:segment", org=org, segment_pk=segment.pk)
    return _segment_page(request, membership, segment, form=form)


def _segment_page(request, membership, segment, *, form=None, condition_form=None):
    segment.refresh_from_db()
    organization = membership.organization
    return render(
        request,
        "segments/segment_detail.html",
        _org_context(
            membership,
            segment=segment,
            conditions=segment.conditions.select_related("attribute"),
            form=form or SegmentForm(instance=segment, organization=organization),
            condition_form=condition_form or ConditionForm(organization=organization),
            attributes=organization.attributes.all(),
            goals=segment.goals.select_related("cycle__program"),
        ),
        status=422 if (form and form.errors) or (condition_form and condition_form.errors) else 200,
    )


@login_required
@require_POST
def segment_condition_add(request: HtmxHttpRequest, org: str, segment_pk: int) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.MANAGE)
    segment = _segment(membership, segment_pk)
    form = ConditionForm(request.POST, organization=membership.organization)
    if form_save(
        form,
        lambda data: services.segment_condition_add(segment=segment, by=request.user, **data),
    ):
        messages.success(request, _("Condition added."))
        return redirect("segments:segment", org=org, segment_pk=segment.pk)
    return _segment_page(request, membership, segment, condition_form=form)


@login_required
@require_POST
def segment_condition_delete(
    request: HtmxHttpRequest, org: str, segment_pk: int, condition_pk: int
) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.MANAGE)
    segment = _segment(membership, segment_pk)
    condition = get_object_or_404(SegmentCondition, pk=condition_pk, segment=segment)
    services.segment_condition_delete(condition=condition, by=request.user)
    messages.success(request, _("Condition removed."))
    return redirect("segments:segment", org=org, segment_pk=segment.pk)


@login_required
@require_POST
def segment_delete(request: HtmxHttpRequest, org: str, segment_pk: int) -> HttpResponse:
    membership = membership_for(request.user, org, need=Need.MANAGE)
    segment = _segment(membership, segment_pk)
    try:
        services.segment_delete(segment=segment, by=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("segments:segment", org=org, segment_pk=segment.pk)
    messages.success(request, _("Segment “%(name)s” deleted.") % {"name": segment.name})
    return redirect("segments:segments", org=org)


@login_required
@require_http_methods(["GET", "POST"])
def attribute_list(request: HtmxHttpRequest, org: str) -> HttpResponse:
    need = Need.MANAGE if request.method == "POST" else Need.VIEW
    membership = membership_for(request.user, org, need=need)
    form = AttributeForm(request.POST or None)
    if request.method == "POST" and form_save(
        form,
        lambda data: services.attribute_save(organization=membership.organization, **data),
    ):
        messages.success(request, _("Attribute added."))
        return redirect("segments:attributes", org=org)
    return render(
        request,
        "segments/attribute_list.html",
        _org_context(membership, attributes=membership.organization.attributes.all(), form=form),
        status=422 if form.errors else 200,
    )
