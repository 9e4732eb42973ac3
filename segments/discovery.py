"""Segment discovery, the writes and reads around segments.clustering: uploading a customer
table, queueing and running a cluster run, saving a cluster as a Segment, and measuring how
many of the table's customers a segment's conditions reach."""

import hashlib
import io
import random
from dataclasses import dataclass

import numpy as np
import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from programs.jobs import ACTIVE, JobStatus, enqueue_on_commit, job_claim, job_fail, job_succeed
from programs.limits import job_memory_limit
from programs.models import Organization
from programs.tables import TableError, describe, read_table
from segments import clustering
from segments.clustering import ClusteringError, StoredColumn, TableCondition
from segments.conditions import AttributeType, ConditionError, normalize_value
from segments.models import (
    Attribute,
    ClusterRun,
    CustomerTable,
    Segment,
    SegmentCondition,
)

log = structlog.get_logger(__name__)

# A customer table is kept as column arrays; a file of 1,000,000 rows by 10 columns reads
# from CSV in a few seconds and from its arrays in a tenth of one.
MAX_UPLOAD_BYTES = 300 * 1024 * 1024
# No measure of a customer comes near this; beyond it means and spreads of a million rows
# overflow (1e308 is the float limit, "inf" reads as infinity) and a run could only crash.
MAX_MAGNITUDE = 1e15

ATTRIBUTE_TYPES = {
    "numeric": AttributeType.NUMBER,
    "boolean": AttributeType.BOOLEAN,
    "category": AttributeType.CATEGORY,
}


def customer_table_upload(*, organization: Organization, name: str, stream, by) -> CustomerTable:
    """Keep an uploaded customer table and queue the job that reads it: the request never
    parses the file (a 100,000-row workbook takes half a minute, a hostile one longer), the
    job does, within its time and memory limits. The table is "queued" until then."""
    digest = hashlib.sha256()
    for chunk in File(stream).chunks():
        digest.update(chunk)
    table = CustomerTable(
        organization=organization,
        name=name[:200],
        sha256=digest.hexdigest(),
        status=JobStatus.QUEUED,
        uploaded_by=by,
    )
    table.upload.save(f"{organization.slug}.upload", File(stream), save=False)
    try:
        with transaction.atomic():
            table.save()
            from segments.tasks import read_customer_table

            enqueue_on_commit(
                read_customer_table, table_id=table.pk, on_failure=_table_not_queued(table.pk)
            )
    except Exception:
        table.upload.delete(save=False)
        raise
    log.info("customer_table_uploaded", table=table.pk)
    return table


def _table_not_queued(table_id: int):
    return lambda error: _table_fail(
        table_id,
        _("The job queue could not be reached, so the file was not read. Upload it again."),
        statuses=[JobStatus.QUEUED],
    )


def customer_table_read(*, table_id: int) -> None:
    """The job's work: read the kept upload into column arrays and mark the table read, or
    fail it with what is wrong with the file. The upload is deleted either way. A table
    already read or failed is left alone, so a job delivered twice reads once."""
    # A re-delivered job (its worker lost) reads again: reading writes only at the end.
    if not job_claim(CustomerTable.objects, pk=table_id, mine=Q(status__in=ACTIVE)):
        return
    table = CustomerTable.objects.get(pk=table_id)
    try:
        with job_memory_limit():
            with table.upload.open("rb") as file:
                frame = read_table(table.name, io.BytesIO(file.read()))
            columns, arrays = clustering.store(frame, describe(frame))
            _refuse_huge_numbers(table.name, columns, arrays)
            buffer = io.BytesIO()
            np.savez(buffer, **arrays)
    except TableError as error:
        _table_fail(table_id, str(error))
        return
    except SoftTimeLimitExceeded:
        _table_fail(table_id, _("Reading the file took longer than its time limit; sample it."))
        return
    except MemoryError:
        _table_fail(table_id, _("Reading the file needed more memory than a job may use."))
        return
    except Exception:
        # Whatever went wrong, the page must not wait forever.
        log.exception("customer_table_read_crashed", table=table_id)
        _table_fail(table_id, _("Reading stopped on an unexpected error; it is in the log."))
        raise
    table.data.save(f"{table.organization.slug}.npz", ContentFile(buffer.getvalue()), save=False)
    read = job_succeed(
        CustomerTable.objects,
        pk=table_id,
        data=table.data.name,
        rows=len(frame),
        columns=[c.as_dict() for c in columns],
        upload="",
        error="",
    )
    if not read:  # deleted (or failed) while the job read it
        table.data.delete(save=False)
    if table.upload:
        table.upload.delete(save=False)
    log.info("customer_table_read", table=table_id, rows=len(frame))


def _table_fail(table_id: int, message: str, statuses=ACTIVE) -> None:
    """Fail a table still waiting to be read, with the message its page shows, and delete
    its upload: nothing of a file that could not be read is kept."""
    table = CustomerTable.objects.filter(pk=table_id, status__in=statuses).first()
    if table is None:
        return
    job_fail(CustomerTable.objects, pk=table_id, error=message, statuses=statuses, upload="")
    if table.upload:
        table.upload.delete(save=False)


def _refuse_huge_numbers(name: str, columns: list[StoredColumn], arrays: dict) -> None:
    """TableError naming the first numeric column with an infinite or enormous number."""
    for column in columns:
        if column.kind != "numeric":
            continue
        with np.errstate(invalid="ignore"):
            huge = np.abs(arrays[column.key]) > MAX_MAGNITUDE
        if huge.any():
            first = int(np.flatnonzero(huge)[0])
            raise TableError(
                f"“{name}”: “{column.name}” holds {arrays[column.key][first]:g} on line "
                f"{first + 2} ({int(huge.sum()):,} such numbers); a customer's measure must be "
                f"a number between -{MAX_MAGNITUDE:g} and {MAX_MAGNITUDE:g}. Correct those "
                "cells or leave them empty."
            )


def customer_table_delete(*, table: CustomerTable) -> None:
    """Delete a table, its runs and their files; segments saved from it stay."""
    files = [table.data, table.upload, *(run.labels for run in table.runs.all() if run.labels)]
    table.delete()
    for file in files:
        if file:
            file.delete(save=False)


def stored_columns(table: CustomerTable) -> list[StoredColumn]:
    return [StoredColumn.from_dict(c) for c in table.columns]


def table_arrays(table: CustomerTable) -> dict:
    with table.data.open("rb") as file, np.load(file, allow_pickle=False) as stored:
        return {key: stored[key] for key in stored.files}


def cluster_run_queue(
    *,
    table: CustomerTable,
    keys: list[str],
    k: int | None,
    k_range: tuple[int, int],
    seed: int | None,
    by,
) -> ClusterRun:
    """Check the settings against the table and queue a run; ValidationError says why not."""
    if table.not_clusterable_because:
        raise ValidationError(table.not_clusterable_because)
    seed = random.SystemRandom().randrange(1, 2**31) if seed is None else seed
    settings = clustering.Settings(keys=tuple(keys), seed=seed, k=k, k_range=k_range)
    problems = clustering.check(stored_columns(table), table.rows, settings)
    if problems:
        raise ValidationError(problems)
    with transaction.atomic():
        CustomerTable.objects.select_for_update().get(pk=table.pk)
        number = (table.runs.aggregate(n=Max("number"))["n"] or 0) + 1
        run = ClusterRun.objects.create(
            table=table,
            number=number,
            keys=list(keys),
            k=k,
            k_min=k_range[0],
            k_max=k_range[1],
            seed=seed,
            created_by=by,
        )
        transaction.on_commit(lambda: _enqueue(run))
    return run


def _enqueue(run: ClusterRun) -> None:
    from segments.tasks import discover_segments

    try:
        result = discover_segments.delay(run_id=run.pk)
    except Exception as error:  # the broker is down: say so on the run instead of a 500
        log.warning("cluster_run_not_queued", run=run.pk, error=str(error))
        job_fail(
            ClusterRun.objects,
            pk=run.pk,
            error="The job queue could not be reached, so the run did not start. Try again.",
            statuses=[JobStatus.QUEUED],
            finished_at=timezone.now(),
        )
        return
    ClusterRun.objects.filter(pk=run.pk).update(task_id=result.id or "")


def cluster_run_execute(*, run_id: int) -> None:
    """Run a queued cluster run. A run already finished is left alone, so a job delivered
    twice does the work once; one re-delivered after a lost worker starts again."""
    claimed = job_claim(
        ClusterRun.objects,
        pk=run_id,
        mine=Q(status__in=ACTIVE),
        started_at=timezone.now(),
        progress=1,
        step="Reading",
    )
    if not claimed:
        return
    run = ClusterRun.objects.select_related("table").get(pk=run_id)

    def progress(percent: int, step: str) -> None:
        ClusterRun.objects.filter(pk=run_id).update(progress=percent, step=step[:200])

    settings = clustering.Settings(
        keys=tuple(run.keys), seed=run.seed, k=run.k, k_range=(run.k_min, run.k_max)
    )
    try:
        outcome = clustering.run(
            stored_columns(run.table), table_arrays(run.table), settings, progress
        )
    except ClusteringError as error:
        _fail(run_id, str(error))
        return
    except SoftTimeLimitExceeded:
        _fail(run_id, "The run took longer than the job's time limit; cluster on fewer columns.")
        return
    except Exception:
        # Whatever went wrong, the page must not show "running" forever.
        log.exception("cluster_run_crashed", run=run_id)
        _fail(run_id, "The run stopped on an unexpected error; it is in the worker's log.")
        raise
    buffer = io.BytesIO()
    np.save(buffer, outcome.labels, allow_pickle=False)
    if run.labels:
        run.labels.delete(save=False)
    run.labels.save(f"run-{run.pk}.npy", ContentFile(buffer.getvalue()), save=False)
    job_succeed(
        ClusterRun.objects,
        pk=run_id,
        labels=run.labels.name,
        result={
            "k": outcome.k,
            "silhouettes": {str(k): v for k, v in outcome.silhouettes.items()},
            "clusters": outcome.clusters,
            "chart": outcome.chart,
        },
        progress=100,
        step="",
        finished_at=timezone.now(),
    )
    log.info("cluster_run_finished", run=run_id, k=outcome.k)


def _fail(run_id: int, message: str) -> None:
    job_fail(ClusterRun.objects, pk=run_id, error=message, finished_at=timezone.now(), progress=100)


def run_labels(run: ClusterRun) -> np.ndarray:
    with run.labels.open("rb") as file:
        return np.load(file, allow_pickle=False)


def _attribute_for(organization, column: StoredColumn, values: list[str]) -> Attribute:
    """The organization's attribute for a table column, created when it has none; a
    category attribute learns the levels the conditions use."""
    wanted = ATTRIBUTE_TYPES[column.kind]
    attribute = Attribute.objects.filter(organization=organization, key=column.key).first()
    if attribute is None:
        attribute = Attribute(
            organization=organization,
            key=column.key,
            label=clustering.column_label(column.name)[:80],
            type=wanted,
            allowed_values=list(column.levels) if wanted is AttributeType.CATEGORY else [],
        )
        attribute.full_clean()
        attribute.save()
        return attribute
    if attribute.type != wanted:
        raise ValidationError(
            f"The attribute “{attribute.label}” is a {attribute.type}, but the table's column "
            f"“{column.name}” is {column.kind}; rename one of them."
        )
    missing = [v for v in values if v not in attribute.allowed_values]
    if missing:
        attribute.allowed_values = [*attribute.allowed_values, *missing]
        attribute.save(update_fields=["allowed_values"])
    return attribute


@transaction.atomic
def segment_from_cluster(*, run: ClusterRun, number: int, name: str, by) -> Segment:
    """Save a discovered cluster as a Segment defined by its suggested conditions,
    creating the customer attributes they speak of. ValidationError says why not."""
    cluster = next((c for c in run.clusters if c["number"] == number), None)
    if cluster is None:
        raise ValidationError("This run has no such cluster.")
    organization = run.table.organization
    segment = Segment(
        organization=organization,
        name=name.strip()[:120],
        description=f"Cluster {number} of run {run.number} on {run.table.name}: "
        f"{cluster['size']:,} customers ({cluster['share']:.0%}).",
        estimated_size=cluster["size"],
        discovered_in=run,
        discovered_cluster=number,
    )
    segment.full_clean()
    segment.save()
    columns = {c.key: c for c in stored_columns(run.table)}
    for condition in cluster["conditions"]:
        column = columns[condition["key"]]
        value = condition["value"]
        values = (
            [value] if isinstance(value, str) else list(value) if isinstance(value, list) else []
        )
        attribute = _attribute_for(
            organization, column, values if column.kind == "category" else []
        )
        try:
            stored = normalize_value(attribute.as_plain(), condition["operator"], value)
        except ConditionError as error:
            raise ValidationError(str(error)) from None
        SegmentCondition.objects.create(
            segment=segment, attribute=attribute, operator=condition["operator"], value=stored
        )
    log.info("segment_from_cluster", segment=segment.pk, run=run.pk, cluster=number)
    return segment


@dataclass(frozen=True)
class Reach:
    """How a segment's conditions do on the table its cluster came from."""

    rows: int
    reached: int
    cluster: int
    overlap: int  # reached and in the cluster
    problem: str = ""

    @property
    def of_cluster(self) -> float:
        return self.overlap / self.cluster if self.cluster else 0.0

    @property
    def precision(self) -> float:
        return self.overlap / self.reached if self.reached else 0.0


def segment_reach(segment: Segment) -> Reach | None:
    """The reach of the segment's current conditions in its discovery table, or None when
    the segment was not discovered (or its run has gone)."""
    run = segment.discovered_in
    if run is None or run.status != JobStatus.SUCCEEDED or not run.labels:
        return None
    cluster = next((c for c in run.clusters if c["number"] == segment.discovered_cluster), None)
    if cluster is None:
        return None
    conditions = [
        TableCondition(c.attribute.key, c.operator, c.value)
        for c in segment.conditions.select_related("attribute")
    ]
    try:
        mask = clustering.reach(stored_columns(run.table), table_arrays(run.table), conditions)
    except ClusteringError as error:
        return Reach(run.table.rows, 0, cluster["size"], 0, problem=str(error))
    inside = run_labels(run) == cluster["index"]
    return Reach(
        rows=run.table.rows,
        reached=int(mask.sum()),
        cluster=int(inside.sum()),
        overlap=int((mask & inside).sum()),
    )
