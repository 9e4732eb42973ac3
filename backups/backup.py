"""Back up one program as a JSON file, and restore it into any organization.

A team backs up a program to keep it, to move it to another organization, or to bring it
into a fresh database. The file holds the program with everything under it: all cycles,
their assessments, goals and KPIs, plans, blueprints, sources and their runs,
measurements, reviews, and the change history of each; and the organization-level things
the program refers to (customer attributes, segments with their conditions, departments,
channels, maturity dimensions). It leaves out secrets and what can be recomputed (see
LEFT_OUT and Part.leave_out).

Why one declared list of parts: a backup that silently misses a new model is worse than
none. The parts are declared here once, in the order they are restored, and
tests/backups/test_backup.py fails when a model reaches Program through its foreign keys
without being a part or being left out with a reason. Every concrete field of a part goes
into the file unless the part leaves it out by name, so a new field travels without
anyone remembering it.

The file (FORMAT, VERSION):

- ``people``: everyone the program names (owners, who changed what), by username and
  e-mail, each with a ``ref``;
- ``models``: per model (``"app.model"``), its rows in restore order. Each row has a
  ``ref`` local to the file; a field pointing at another row holds that row's ref, a field
  pointing at a person holds the person's ref, a many-to-many field a list of refs. Values
  are JSON: decimals as strings, dates and times in ISO 8601.

Restoring matches organization-level rows by name (attributes by key) in the target
organization and reuses them, or creates them; people are matched among the target
organization's members by e-mail, then username, and fields naming anyone else stay empty.
The whole restore is one transaction: a bad file writes nothing.
"""

import datetime
import functools
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import structlog
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import DataError, IntegrityError, connection, models, transaction
from django.db.models import Q
from django.http import QueryDict
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext_noop
from simple_history.exceptions import NotHistoricalModelError
from simple_history.utils import get_history_model_for_model

from assessments.models import (
    Assessment,
    Dimension,
    DriverChange,
    DriverValidation,
    Gap,
    MaturityScore,
    MeasurementDriver,
)
from assessments.services import dimensions_ensure_defaults
from blueprints.models import (
    Blueprint,
    Offer,
    OfferCondition,
    PropensityModel,
    PropensityRun,
    Stage,
)
from cycles.models import Countermeasure, CycleReview, InitiativeReview, KpiReview
from initiatives.models import (
    Channel,
    CollisionAcknowledgement,
    Department,
    ExpectedEffect,
    Initiative,
    PieScore,
)
from kpis.models import Goal, Kpi, KpiPeriodTarget, RoiTarget, StrategicAnswer
from programs.jobs import JobStatus
from programs.models import Cycle, Organization, Program
from progress.models import DashboardVisit, SavedFilter, StatusChange
from progress.snapshots import progress_refresh
from results.models import Measurement, Pull, ResultSource, SourceKind
from results.sources import source_schedule_sync
from segments.models import Attribute, Segment, SegmentCondition

log = structlog.get_logger(__name__)

FORMAT = "fourfold-program"
# Raise when a file of the new shape could not be read by the old code, or the other way
# round. Adding a field or a model is not such a change: a missing field takes its
# default, a missing model has no rows.
VERSION = 3
# Older versions this one reads. Version 1 named some models by the app they were in before
# the apps were split by concept (ARCHITECTURE.md): its sections are read under the names of
# today (MOVED), so that a backup made before the move restores after it. Versions 1 and 2
# kept a fiscal start month on each driver (now the organization's calendar, not in the
# file) and monthly targets by their first day (`_upgrade_period_targets`).
READS = {1, 2, VERSION}
MOVED = {
    **{
        f"programs.{model}": f"cycles.{model}"
        for model in (
            "cyclereview",
            "historicalcyclereview",
            "kpireview",
            "initiativereview",
            "countermeasure",
        )
    },
    **{
        f"kpis.{model}": f"segments.{model}"
        for model in ("attribute", "segment", "segmentcondition", "customertable", "clusterrun")
    },
    **{
        f"kpis.{model}": f"progress.{model}"
        for model in ("kpisnapshot", "statuschange", "refreshrequest")
    },
    **{
        f"kpis.{model}": f"results.{model}"
        for model in ("resultsource", "historicalresultsource", "pull", "measurement", "apitoken")
    },
    "programs.savedfilter": "progress.savedfilter",
    "programs.dashboardvisit": "progress.dashboardvisit",
}
MAX_PROBLEMS = 20  # listed one by one; beyond that, counted
CHUNK = 2000  # rows read, or built and inserted, at a time: memory stays flat


# --- What goes into the file -------------------------------------------------------------


class Rewrite:
    """A text field that holds ids of other rows (a gap's origin "dimension:7"): written
    with the rows' refs in the file and read back with the new ids."""

    def mentions(self, value) -> list[tuple[type[models.Model], int]]:
        """The (model, pk) pairs the value names, so that they go into the file too."""
        return []

    def out(self, value, ref: Callable[[type[models.Model], int], int | None]):
        return value

    def back(self, value, pk: Callable[[type[models.Model], Any], int]):
        """`pk` raises Dangling for a ref the file does not have."""
        return value


class GapOrigin(Rewrite):
    """A generated gap's "dimension:<id>" or "driver:<id>", which regeneration upserts on."""

    KINDS = {"dimension": Dimension, "driver": MeasurementDriver}

    def _split(self, value: str):
        kind, _sep, number = (value or "").partition(":")
        if kind in self.KINDS and number.isdigit():
            return self.KINDS[kind], kind, int(number)
        return None, kind, None

    def mentions(self, value):
        model, _kind, number = self._split(value)
        return [(model, number)] if model else []

    def out(self, value, ref):
        model, kind, number = self._split(value)
        if model is None:
            return value
        found = ref(model, number)
        return f"{kind}:{found}" if found else ""  # its cause is gone: a gap like any other

    def back(self, value, pk):
        model, kind, number = self._split(value)
        return f"{kind}:{pk(model, number)}" if model else value


class CollisionKey(Rewrite):
    """An accepted collision's key, "<kind>:<initiative ids>:<subject>[:<date>]"."""

    def _split(self, value: str):
        kind, _sep, rest = (value or "").partition(":")
        ids, _sep, subject = rest.partition(":")
        numbers = ids.split("-")
        if not all(n.isdigit() for n in numbers):
            return None
        return kind, [int(n) for n in numbers], subject

    def mentions(self, value):
        parts = self._split(value)
        return [(Initiative, n) for n in parts[1]] if parts else []

    def out(self, value, ref):
        parts = self._split(value)
        if parts is None:
            return value
        kind, numbers, subject = parts
        refs = [ref(Initiative, n) for n in numbers]
        if None in refs:
            return ""  # an initiative of it is gone: the collision cannot come back
        return f"{kind}:{'-'.join(str(r) for r in refs)}:{subject}"

    def back(self, value, pk):
        parts = self._split(value)
        if parts is None:
            return value
        kind, refs, subject = parts
        # Collisions name their initiatives by ascending id.
        ids = sorted(pk(Initiative, r) for r in refs)
        return f"{kind}:{'-'.join(str(i) for i in ids)}:{subject}"


class SavedFilterQuery(Rewrite):
    """A saved dashboard view's query string: its segment and goal are ids."""

    KEYS = {"segment": Segment, "goal": Goal}

    def mentions(self, value):
        query = QueryDict(value or "")
        return [
            (model, int(query[key]))
            for key, model in self.KEYS.items()
            if query.get(key, "").isdigit()
        ]

    def _map(self, value, lookup):
        query = QueryDict(value or "", mutable=True)
        for key, model in self.KEYS.items():
            if query.get(key, "").isdigit():
                found = lookup(model, int(query[key]))
                if found:
                    query[key] = str(found)
                else:
                    del query[key]  # what it named is gone: the view shows everything
        return query.urlencode()

    def out(self, value, ref):
        return self._map(value, ref)

    def back(self, value, pk):
        return self._map(value, pk)


class HeaderNames(Rewrite):
    """An HTTP source's request headers: their values are secrets (a token), so only the
    names travel, for the admin to fill in again."""

    def out(self, value, ref):
        return dict.fromkeys(value or {}, "")


@dataclass(frozen=True, eq=False)
class Part:
    """One model in the file.

    `to_program` is the lookup from the model to its program ("" for organization-level
    models, which come along when the program refers to them); `natural_key` the field an
    organization-level row is matched on in the target organization; `rows` which of the
    program's rows; `leave_out` the fields that stay out, each with the reason;
    `rewrites` fields holding other rows' ids as text; `tracks` the model whose change
    history this is.
    """

    model: type[models.Model]
    to_program: str = ""
    natural_key: str = ""
    rows: Q = field(default_factory=Q)
    leave_out: dict[str, str] = field(default_factory=dict)
    rewrites: dict[str, Rewrite] = field(default_factory=dict)
    tracks: type[models.Model] | None = None

    @property
    def label(self) -> str:
        return self.model._meta.label_lower

    @property
    def organization_level(self) -> bool:
        return not self.to_program and self.model is not Program and self.tracks is None


_DISCOVERY = (
    "the cluster run a segment was discovered in: customer tables and their runs are the "
    "organization's uploaded customer data, not part of a program"
)

ORGANIZATION_PARTS: tuple[Part, ...] = (
    Part(Attribute, natural_key="key"),
    Part(
        Segment,
        natural_key="name",
        leave_out={
            "discovered_in": _DISCOVERY,
            "discovered_cluster": _DISCOVERY,
        },
    ),
    Part(SegmentCondition),  # comes with its segment, restored only with a new segment
    Part(Department, natural_key="name"),
    Part(Channel, natural_key="name"),
    Part(Dimension, natural_key="name"),
)

_PERIODIC_TASK = "the beat entry, made again from the schedule on restore"

PROGRAM_PARTS: tuple[Part, ...] = (
    Part(Program),
    Part(Cycle, "program"),
    Part(Assessment, "cycle__program"),
    Part(MaturityScore, "assessment__cycle__program"),
    Part(MeasurementDriver, "program"),
    Part(DriverValidation, "driver__program"),
    Part(DriverChange, "driver__program"),
    Part(Gap, "cycle__program", rewrites={"origin_key": GapOrigin()}),
    Part(Goal, "cycle__program"),
    Part(Kpi, "goal__cycle__program"),
    Part(KpiPeriodTarget, "kpi__goal__cycle__program"),
    Part(RoiTarget, "cycle__program"),
    Part(StrategicAnswer, "cycle__program"),
    Part(
        ResultSource,
        "program",
        leave_out={
            "db_password": "a secret: the database password",
            "periodic_task": _PERIODIC_TASK,
        },
        rewrites={"headers": HeaderNames()},
    ),
    Part(
        Pull,
        "source__program",
        # A run still queued or running belongs to this database's job queue.
        rows=Q(status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]),
        leave_out={
            "payload": "an uploaded file waiting for its load, cleared once loaded",
            "task_id": "the job of this database's queue that ran it",
        },
    ),
    Part(Measurement, "kpi__goal__cycle__program"),
    Part(StatusChange, "kpi__goal__cycle__program"),
    Part(Initiative, "cycle__program"),
    Part(ExpectedEffect, "initiative__cycle__program"),
    Part(PieScore, "initiative__cycle__program"),
    Part(CollisionAcknowledgement, "cycle__program", rewrites={"key": CollisionKey()}),
    Part(Blueprint, "cycle__program"),
    Part(Stage, "blueprint__cycle__program"),
    Part(Offer, "stage__blueprint__cycle__program"),
    Part(OfferCondition, "offer__stage__blueprint__cycle__program"),
    Part(
        PropensityRun,
        "blueprint__cycle__program",
        # A training still queued or running belongs to this database's job queue.
        rows=Q(status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]),
        leave_out={
            "file": "the uploaded exposure history: customer-level data kept in the media "
            "storage it was uploaded to; a restored version keeps its models and figures",
            "task_id": "the job of this database's queue that trained it",
        },
    ),
    Part(
        PropensityModel,
        "run__blueprint__cycle__program",
        rows=Q(run__status__in=[JobStatus.SUCCEEDED, JobStatus.FAILED]),
    ),
    Part(CycleReview, "cycle__program"),
    Part(KpiReview, "review__cycle__program"),
    Part(InitiativeReview, "review__cycle__program"),
    Part(Countermeasure, "review__cycle__program"),
    Part(SavedFilter, "program", rewrites={"query": SavedFilterQuery()}),
    Part(DashboardVisit, "program"),
)


def _history_parts() -> tuple[Part, ...]:
    """The change history ("who changed what, when, from what") of every part that keeps
    one, after all the parts, since a historical row may name any of them."""
    parts = []
    for part in PROGRAM_PARTS:
        try:
            historical = get_history_model_for_model(part.model)
        except NotHistoricalModelError:
            continue
        kept = {f.name for f in historical._meta.fields}
        # A history leaves out what the row keeps secret (a source's headers), and so do
        # the rewrites of its fields.
        rewrites = {name: r for name, r in part.rewrites.items() if name in kept}
        leave_out = {name: why for name, why in part.leave_out.items() if name in kept}
        parts.append(Part(historical, tracks=part.model, rewrites=rewrites, leave_out=leave_out))
    return tuple(parts)


HISTORY_PARTS = _history_parts()
PARTS: tuple[Part, ...] = ORGANIZATION_PARTS + PROGRAM_PARTS + HISTORY_PARTS

# Models under a program that are not in the file, and why (README: Backup and restore).
LEFT_OUT: dict[str, str] = {
    "results.apitoken": "Push API tokens: only a hash of each is kept, and it is a secret; "
    "create new tokens after restoring.",
    "progress.refreshrequest": "A progress refresh waiting in this database's job queue; the "
    "restore recomputes progress itself.",
    "progress.kpisnapshot": "Progress snapshots are derived: each cycle's are recomputed from "
    "the measurements when the file is restored.",
    "blueprints.simulationbatch": "Decision simulations are working files of uploaded "
    "customer profiles, which may be personal data; run them again.",
}

# What the file says about itself, for the person who opens it.
ABOUT = [
    "A Fourfold program: every cycle with its assessment, goals and KPIs, plan, "
    "blueprints, result sources and their finished runs, measurements, review, and the "
    "change history of each; the customer attributes, segments, departments, channels and "
    "maturity dimensions it refers to; and the people it names (username, e-mail, name).",
    # In English in the file; the restore page shows it translated (backups/views.py).
    gettext_noop(
        "Left out: secrets (a SQL source's password and the values of an HTTP source's request "
        "headers; such sources are restored paused), push API tokens, progress snapshots "
        "(recomputed), decision simulations, runs still queued or running, the history of "
        "rows since deleted, and the organization's members, roles and settings."
    ),
    "Restore it with `python manage.py program_import <organization> <file>` or on the "
    "Programs page (admins): Restore from backup.",
]


@dataclass(frozen=True)
class Column:
    """A field as it appears in the file."""

    name: str
    field: models.Field
    kind: str  # "value", "row", "person", "organization" or "many"
    target: type[models.Model] | None = None

    @property
    def attname(self) -> str:
        return self.field.attname


WRITABLE = {
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DateField",
    "DateTimeField",
    "DecimalField",
    "FloatField",
    "IntegerField",
    "JSONField",
    "PositiveBigIntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SlugField",
    "SmallIntegerField",
    "TextField",
    "TimeField",
}


@functools.cache
def columns(part: Part) -> list[Column]:
    """The part's fields in the file. A field of a kind the file cannot carry (a file, raw
    bytes) must be left out by name, with the reason."""
    User = get_user_model()
    found = []
    for f in part.model._meta.get_fields():
        if f.name in part.leave_out or (f.auto_created and not f.concrete):
            continue
        if f.many_to_many:
            if f.remote_field.through._meta.auto_created is False:
                raise ImproperlyConfigured(
                    f"{part.label}.{f.name}: a many-to-many through a model of its own; "
                    "make that model a part instead."
                )
            found.append(Column(f.name, f, "many", f.related_model))
        elif not f.concrete or f.primary_key:
            continue
        elif part.tracks is not None and f.name == part.tracks._meta.pk.attname:
            found.append(Column(f.name, f, "row", part.tracks))  # the row this is history of
        elif f.is_relation:
            target = f.related_model
            kind = (
                "person" if target is User else "organization" if target is Organization else "row"
            )
            if kind == "row" and _part_for(target) is None:
                raise ImproperlyConfigured(
                    f"{part.label}.{f.name} points at {target._meta.label}, which is not in "
                    "backups: make it a part in backups/backup.py, or leave the field out "
                    "there and say why."
                )
            found.append(Column(f.name, f, kind, target if kind == "row" else None))
        elif f.get_internal_type() in WRITABLE:
            found.append(Column(f.name, f, "value"))
        else:
            raise ImproperlyConfigured(
                f"{part.label}.{f.name} is a {f.get_internal_type()}, which a backup cannot "
                "carry: leave it out in backups/backup.py and say why."
            )
    return found


def _part_for(model: type[models.Model]) -> Part | None:
    return next((p for p in PARTS if p.model is model), None)


# --- Export ----------------------------------------------------------------------------


def _out_value(f: models.Field, value):
    if value is None:
        return None
    kind = f.get_internal_type()
    if kind == "DecimalField":
        return str(value)
    if kind in ("DateField", "DateTimeField", "TimeField"):
        return value.isoformat()
    return value


@contextmanager
def _one_snapshot() -> Iterator[None]:
    """Read every table as of one moment, so that a load of results running meanwhile
    cannot leave a measurement in the file whose KPI is not."""
    if connection.in_atomic_block or connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        yield


def program_export(*, program: Program) -> dict:
    """The program and everything under it as a JSON document (see the module)."""
    return json.loads(program_export_text(program=program))


def program_export_text(*, program: Program) -> str:
    """The backup file: the document as JSON text with one row per line, so a person can
    read it, grep it and compare two backups line by line. Written part by part, so that
    a program of half a million measurements never has all its rows in memory at once."""
    with _one_snapshot():
        return "".join(_export(program))


def _rows_of(part: Part, program: Program) -> models.QuerySet:
    """The part's rows of the program (not for organization-level parts)."""
    manager = part.model._default_manager
    if part.model is Program:
        return manager.filter(pk=program.pk)
    if part.tracks is not None:
        tracked = _part_for(part.tracks)
        return manager.filter(
            **{f"{part.tracks._meta.pk.attname}__in": _rows_of(tracked, program).values("pk")}
        )
    return manager.filter(**{part.to_program: program}).filter(part.rows)


def _fetch(part: Part, queryset) -> Iterator[dict]:
    """The rows as dicts by attname, in id order, many-to-many fields as lists of ids;
    read from the database a chunk at a time."""
    cols = columns(part)
    plain = [part.model._meta.pk.attname, *(c.attname for c in cols if c.kind != "many")]
    many = {}
    for col in (c for c in cols if c.kind == "many"):
        many[col.attname] = defaultdict(list)
        for left, right in _links(col, queryset):
            many[col.attname][left].append(right)
    for values in queryset.order_by(plain[0]).values_list(*plain).iterator(chunk_size=CHUNK):
        row = dict(zip(plain, values, strict=True))
        for attname, links in many.items():
            row[attname] = links.get(row[plain[0]], [])
        yield row


def _links(col: Column, queryset) -> Iterator[tuple[int, int]]:
    """(row id, linked id) of a many-to-many field, for the rows of the queryset."""
    through = col.field.remote_field.through
    source, target = col.field.m2m_field_name(), col.field.m2m_reverse_field_name()
    return iter(
        through.objects.filter(**{f"{source}__in": queryset.values("pk")}).values_list(
            f"{source}_id", f"{target}_id"
        )
    )


def _export(program: Program) -> Iterator[str]:
    # 1. Refs of the program's rows: in id order, which a restore keeps.
    refs: dict[type[models.Model], dict[int, int]] = {}
    for part in PROGRAM_PARTS + HISTORY_PARTS:
        pks = _rows_of(part, program).order_by("pk").values_list("pk", flat=True)
        refs[part.model] = {pk: n for n, pk in enumerate(pks, start=1)}

    # 2. Whom and which organization-level rows they name, one query per field.
    people_ids: set[int] = set()
    wanted: dict[type[models.Model], set[int]] = defaultdict(set)
    for part in PROGRAM_PARTS + HISTORY_PARTS:
        queryset = _rows_of(part, program).order_by()
        for col in columns(part):
            if col.kind == "many" and _is_organization_level(col.target):
                wanted[col.target].update(right for _left, right in _links(col, queryset))
            elif col.kind == "person" or (col.kind == "row" and _is_organization_level(col.target)):
                found = set(queryset.values_list(col.attname, flat=True).distinct()) - {None}
                (people_ids if col.kind == "person" else wanted[col.target]).update(found)
        for name, rewrite in part.rewrites.items():
            attname = part.model._meta.get_field(name).attname
            for value in queryset.values_list(attname, flat=True):
                for model, pk in rewrite.mentions(value):
                    if _is_organization_level(model):
                        wanted[model].add(pk)

    # 3. Those organization-level rows, in the order of their natural key, so that the
    # same program exported from two organizations numbers them alike. Segments first:
    # their conditions come with them and name attributes of their own.
    organization = program.organization
    fetched: dict[type[models.Model], list[dict]] = {}

    def fetch_organization_level(part: Part, queryset) -> None:
        rows = fetched[part.model] = list(_fetch(part, queryset))
        for col in columns(part):
            if col.kind == "person":
                people_ids.update(row[col.attname] for row in rows if row[col.attname])
            elif col.kind in ("row", "many") and _is_organization_level(col.target):
                for row in rows:
                    values = row[col.attname] if col.kind == "many" else [row[col.attname]]
                    wanted[col.target].update(v for v in values if v is not None)

    fetch_organization_level(
        _part_for(Segment), organization.segments.filter(pk__in=wanted[Segment])
    )
    fetch_organization_level(
        _part_for(SegmentCondition),
        SegmentCondition.objects.filter(segment__in=[r["id"] for r in fetched[Segment]]),
    )
    for part in ORGANIZATION_PARTS:
        if part.model not in fetched:
            fetch_organization_level(
                part,
                part.model.objects.filter(organization=organization, pk__in=wanted[part.model]),
            )
    for part in ORGANIZATION_PARTS:
        rows = fetched[part.model]
        if part.natural_key:
            key = part.model._meta.get_field(part.natural_key).attname
            rows.sort(key=lambda r, key=key: (str(r[key]).lower(), r["id"]))
        elif part.model is SegmentCondition:
            rows.sort(key=lambda r: (refs[Segment][r["segment_id"]], r["id"]))
        refs[part.model] = {row["id"]: n for n, row in enumerate(rows, start=1)}

    User = get_user_model()
    people = list(User.objects.filter(pk__in=people_ids).order_by("username", "pk"))
    person_ref = {user.pk: n for n, user in enumerate(people, start=1)}

    def ref(model: type[models.Model], pk: int) -> int | None:
        return refs.get(model, {}).get(pk)

    # 4. The text, part by part.
    yield "{\n"
    header = {
        "format": FORMAT,
        "version": VERSION,
        "exported_at": timezone.now().isoformat(),
        "exported_from": {"organization": organization.name, "program": program.name},
    }
    for key, value in header.items():
        yield f"  {_json(key)}: {_json(value)},\n"
    yield '  "about": [\n' + ",\n".join(f"    {_json(line)}" for line in ABOUT) + "\n  ],\n"
    people_rows = [
        {
            "ref": person_ref[user.pk],
            "username": user.get_username(),
            "email": getattr(user, "email", ""),
            "name": user.get_full_name() if hasattr(user, "get_full_name") else "",
        }
        for user in people
    ]
    yield '  "people": ' + _json_rows(people_rows, indent="    ") + ",\n"
    yield '  "models": {\n'
    for n, part in enumerate(PARTS):
        rows = fetched.pop(part.model) if part.organization_level else None
        if rows is None:
            rows = _fetch(part, _rows_of(part, program))
        lines = [_json(_out_row(part, row, ref, person_ref)) for row in rows]
        comma = "," if n < len(PARTS) - 1 else ""
        yield f"    {_json(part.label)}: {_json_lines(lines, indent='      ')}{comma}\n"
    yield "  }\n}\n"


def _out_row(part: Part, row: dict, ref: Callable, person_ref: dict[int, int]) -> dict:
    """One row as it appears in the file: ids replaced by refs."""
    pk_name = part.model._meta.pk.attname
    out = {"ref": ref(part.model, row[pk_name])}
    for col in columns(part):
        value = row[col.attname]
        if col.kind == "organization":
            continue  # the organization restored into
        if col.kind == "value":
            value = _out_value(col.field, value)
            if col.name in part.rewrites:
                value = part.rewrites[col.name].out(value, ref)
        elif col.kind == "person":
            value = person_ref.get(value)
        elif col.kind == "many":
            value = sorted(ref(col.target, v) for v in value)
        elif value is not None:
            found = ref(col.target, value)
            if found is None and not col.field.null:
                raise ImproperlyConfigured(
                    f"{part.label}.{col.name} points at a {col.target._meta.label} "
                    "that is not in the backup: make it a part."
                )
            value = found
        out[col.name] = value
    return out


def _json(value) -> str:
    return json.dumps(value, ensure_ascii=False)


def _json_lines(lines: list[str], indent: str) -> str:
    if not lines:
        return "[]"
    return "[\n" + indent + f",\n{indent}".join(lines) + "\n" + indent[:-2] + "]"


def _json_rows(rows: list[dict], indent: str) -> str:
    return _json_lines([_json(row) for row in rows], indent)


def _is_organization_level(model: type[models.Model] | None) -> bool:
    part = _part_for(model) if model is not None else None
    return part is not None and part.organization_level


def file_name(program: Program, today: datetime.date | None = None) -> str:
    today = today or timezone.localdate()
    name = slugify(program.name) or "program"
    return f"fourfold-{program.organization.slug}-{name}-{today.isoformat()}.json"


# --- Import ----------------------------------------------------------------------------


@dataclass
class Restored:
    """What a restore made, for the page and the command to tell."""

    program: Program
    counts: dict[str, int]  # rows written per part label
    notes: list[str]  # what a person should know: names changed, people not found, …

    def count(self, model: type[models.Model]) -> int:
        return self.counts.get(model._meta.label_lower, 0)


HEADLINE = (Cycle, Goal, Kpi, Measurement, Initiative, Blueprint, Offer)


def summary(restored: Restored) -> str:
    """ "3 cycles, 12 KPIs, 4,284 measurements, …": what a person checks first."""
    parts = []
    for model in HEADLINE:
        n = restored.count(model)
        if n:
            noun = model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural
            parts.append(f"{n:,} {noun}")
    return ", ".join(parts)


class Dangling(Exception):
    def __init__(self, model: type[models.Model], ref):
        self.model, self.ref = model, ref


@dataclass
class _Row:
    ref: int
    label: str  # "KPI 3 “Conversion rate”", for messages
    values: dict[str, Any]  # attname → value
    links: dict[str, Any]  # attname → ref (rows) or person ref
    many: dict[str, list[int]]


def _shown(value, limit: int = 60) -> str:
    """A value of the file as a message quotes it: text cut to `limit` characters, a list
    or an object by its kind, so that a message names the value without repeating a file
    that may hold megabytes in one field."""
    if isinstance(value, str):
        return f"“{value[:limit]}…”" if len(value) > limit else f"“{value}”"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "an object"
    text = json.dumps(value)  # null, true, false, a number as it was written
    return text if len(text) <= limit else f"{text[:limit]}…"


def _messages(error: ValidationError) -> list[str]:
    """A field's messages with the value it quotes shortened (see _shown)."""
    return [
        e.message % {k: _shown(v)[1:-1] if isinstance(v, str) else v for k, v in e.params.items()}
        if e.params
        else e.message
        for e in error.error_list
    ]


LONE_SURROGATE = re.compile("[\ud800-\udfff]")


def _refuse(problems: list[str]) -> ValidationError:
    shown = problems[:MAX_PROBLEMS]
    if len(problems) > MAX_PROBLEMS:
        shown.append(f"… and {len(problems) - MAX_PROBLEMS} more problems.")
    # A message may quote half of a character (a lone surrogate JSON escaped): shown as
    # the replacement character, so that the page and the command can print it.
    return ValidationError(["Nothing was restored.", *(_printable(line) for line in shown)])


def _printable(text: str) -> str:
    return LONE_SURROGATE.sub("\ufffd", text)


def _parse(data: bytes | str) -> dict:
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise _refuse(["The file is not a Fourfold backup: it is not UTF-8 text."]) from None
    try:
        document = json.loads(data)
    except json.JSONDecodeError as error:
        # A backup begins with "{" and ends with "}": one without its end was cut short.
        cut = error.pos >= len(data.rstrip()) or (
            data.lstrip().startswith("{") and not data.rstrip().endswith("}")
        )
        raise _refuse(
            [
                "The file is cut short: it ends in the middle of the backup. Download or "
                "export it again."
                if cut
                else "The file is not a Fourfold backup: it is not JSON (line "
                f"{error.lineno}, column {error.colno}: {error.msg})."
            ]
        ) from None
    except RecursionError:
        raise _refuse(["The file nests deeper than any backup does."]) from None
    except ValueError:  # an integer of more digits than Python reads (sys.int_info)
        raise _refuse(
            ["The file is not a Fourfold backup: it holds a number thousands of digits long."]
        ) from None
    if not isinstance(document, dict) or "format" not in document:
        raise _refuse([f'The file is not a Fourfold backup: it has no "format": "{FORMAT}".'])
    if document["format"] != FORMAT:
        raise _refuse(
            [
                f"The file is a {_shown(document['format'])}, not a Fourfold program backup "
                f"({FORMAT})."
            ]
        )
    version = document.get("version")
    if not any(version == known for known in READS):  # a list or an object is no version
        raise _refuse(
            [
                f"The file is version {_shown(version)} of the backup format; this Fourfold reads "
                f"versions {', '.join(map(str, sorted(READS)[:-1]))} and {max(READS)}. "
                + (
                    "Restore it with a newer Fourfold."
                    if isinstance(version, int) and version > VERSION
                    else "Make the backup again."
                )
            ]
        )
    problems = []
    if not isinstance(document.get("people"), list):
        problems.append('The file has no list of "people": it is incomplete.')
    sections = document.get("models")
    if isinstance(sections, dict) and any(label in MOVED for label in sections):
        sections = document["models"] = {MOVED.get(k, k): rows for k, rows in sections.items()}
    if not isinstance(sections, dict):
        problems.append('The file has no "models": it is incomplete.')
    else:
        if version < 3:
            _upgrade_before_calendars(sections)
        known = {part.label for part in PARTS}
        for label, rows in sections.items():
            if label not in known:
                problems.append(
                    f"The file has rows of {_shown(label)}, which this Fourfold does not know "
                    "(was it made by a newer version?)."
                )
            elif not isinstance(rows, list):
                problems.append(f"{_shown(label)} is not a list of rows.")
        program_rows = sections.get(Program._meta.label_lower)
        if not isinstance(program_rows, list) or len(program_rows) != 1:
            problems.append("The file must hold exactly one program: it is incomplete.")
    if problems:
        raise _refuse(problems)
    return document


def _upgrade_before_calendars(sections: dict) -> None:
    """A file from before the organization's calendar (version 1 and 2), in today's shape:
    drivers lose their fiscal start month, and a monthly target's first day gives its last."""
    for label in ("assessments.measurementdriver", "assessments.historicalmeasurementdriver"):
        for row in _rows(sections, label):
            row.pop("fiscal_start_month", None)
    for row in _rows(sections, "kpis.kpiperiodtarget"):
        first = row.pop("period", None)
        row["starts_on"] = first
        try:
            day = datetime.date.fromisoformat(first)
        except (TypeError, ValueError):
            continue  # the check names the bad date
        following = (day.replace(day=28) + datetime.timedelta(days=4)).replace(day=1)
        row.setdefault("ends_on", (following - datetime.timedelta(days=1)).isoformat())
        row.setdefault("grain", "month")


def _rows(sections: dict, label: str) -> list[dict]:
    rows = sections.get(label)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _unstorable(value) -> bool:
    """Text no database column can keep, anywhere in `value`: a NUL character or half of a
    character. Walked with a list, not recursion: a value may nest as deep as the JSON
    parser allows, deeper than Python's call stack."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return True
            if item.isascii():
                continue
            try:
                item.encode("utf-8")  # refuses half of a character (a lone surrogate)
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return False


# What JSON may hold for a field of each kind; decimals are written as text, and read
# from numbers too, for files a person made by hand.
JSON_TYPES: dict[str, tuple[type, ...]] = {
    "BooleanField": (bool,),
    "DecimalField": (str, int, float),
    "FloatField": (int, float),
} | dict.fromkeys(
    (
        "BigIntegerField",
        "IntegerField",
        "PositiveBigIntegerField",
        "PositiveIntegerField",
        "PositiveSmallIntegerField",
        "SmallIntegerField",
    ),
    (int,),
)


def _in_value(f: models.Field, raw):
    """A file value as the field's Python value; ValidationError says what is wrong."""
    if raw is None or f.get_internal_type() == "JSONField":
        return raw
    kind = f.get_internal_type()
    expected = JSON_TYPES.get(kind, (str,))  # text, and dates and times as ISO 8601 text
    if not isinstance(raw, expected) or (isinstance(raw, bool) and bool not in expected):
        raise ValidationError(f"{_shown(raw)} is not a {kind.removesuffix('Field').lower()} value")
    value = f.to_python(str(raw) if isinstance(raw, float) and kind == "DecimalField" else raw)
    if kind == "DateTimeField" and timezone.is_naive(value):
        value = timezone.make_aware(value, datetime.UTC)
    return value


def _label(part: Part, ref, raw: dict) -> str:
    name = next(
        (raw[k] for k in ("name", "title", "key", "what") if isinstance(raw.get(k), str)), ""
    )
    text = f"{part.model._meta.verbose_name} {ref}"
    return f"{text} “{name[:60]}”" if name else text


def _check(document: dict) -> dict[str, list[_Row]]:
    """Every row of the file read and checked against the models, before anything is
    written: values of the right type, refs that point at rows the file has."""
    problems: list[str] = []
    people = document["people"]
    person_refs = set()
    for n, person in enumerate(people, start=1):
        if (
            not isinstance(person, dict)
            or not isinstance(person.get("ref"), int)
            or not isinstance(person.get("username", ""), str)
            or not isinstance(person.get("email", ""), str)
        ):
            problems.append(f"Person {n} needs a ref, a username and an e-mail address.")
        else:
            person_refs.add(person["ref"])
    sections = document["models"]
    refs: dict[str, set] = {}
    for part in PARTS:
        seen = set()
        for n, raw in enumerate(sections.get(part.label, []), start=1):
            if not isinstance(raw, dict) or not isinstance(raw.get("ref"), int):
                problems.append(f"Row {n} of “{part.label}” needs a number as its ref.")
            elif raw["ref"] in seen:
                problems.append(f"Two rows of “{part.label}” have the ref {raw['ref']}.")
            else:
                seen.add(raw["ref"])
        refs[part.label] = seen
    if problems:
        raise _refuse(problems)

    checked: dict[str, list[_Row]] = {}
    for part in PARTS:
        cols = columns(part)
        names = {"ref", *(c.name for c in cols)}
        rows = []
        for raw in sections.get(part.label, []):
            where = _label(part, raw["ref"], raw)
            unknown = sorted(set(raw) - names)
            if unknown:
                problems.append(
                    f"{where}: fields this Fourfold does not know: "
                    f"{', '.join(_shown(u)[1:-1] for u in unknown[:10])}"
                    f"{f' and {len(unknown) - 10} more' if len(unknown) > 10 else ''} "
                    "(was the file made by a newer version?)."
                )
                continue
            if _unstorable(raw):
                problems.append(
                    f"{where}: holds a NUL character or half of a character, which no text "
                    "can keep."
                )
                continue
            row = _Row(ref=raw["ref"], label=where, values={}, links={}, many={})
            for col in cols:
                if col.kind == "organization":
                    continue
                present = col.name in raw
                value = raw.get(col.name)
                if col.kind == "many":
                    value = value if present else []
                    target = refs[col.target._meta.label_lower]
                    if not isinstance(value, list) or not all(
                        isinstance(v, int) and v in target for v in value
                    ):
                        problems.append(
                            f"{where}: {col.name} must list refs of "
                            f"{col.target._meta.verbose_name_plural} in the file."
                        )
                    row.many[col.field.attname] = value if isinstance(value, list) else []
                    continue
                if not present:  # a file from before the field existed
                    if col.field.has_default():
                        # As the field's Python value: a DecimalField's default may be
                        # written as a whole number (100), which its validators refuse.
                        value = col.field.to_python(col.field.get_default())
                    elif not col.field.null:
                        problems.append(f"{where}: the field “{col.name}” is missing.")
                        continue
                if col.kind == "value":
                    try:
                        row.values[col.attname] = (
                            value if not present else _in_value(col.field, value)
                        )
                    except ValidationError as error:
                        problems.append(f"{where}, {col.name}: {' '.join(_messages(error))}.")
                    continue
                target = person_refs if col.kind == "person" else refs[col.target._meta.label_lower]
                if value is not None and (not isinstance(value, int) or value not in target):
                    what = "person" if col.kind == "person" else str(col.target._meta.verbose_name)
                    problems.append(
                        f"{where}: its {col.name} is {what} {_shown(value)}, which is not in "
                        "the file."
                    )
                    continue
                if value is None and not col.field.null:
                    problems.append(f"{where}: the field “{col.name}” cannot be empty.")
                    continue
                row.links[col.attname] = value
            for name, rewrite in part.rewrites.items():
                attname = part.model._meta.get_field(name).attname

                def known(model, ref):
                    if ref not in refs[model._meta.label_lower]:
                        raise Dangling(model, ref)
                    return ref

                try:
                    rewrite.back(row.values.get(attname), known)
                except Dangling as dangling:
                    problems.append(
                        f"{where}: its {name} names {dangling.model._meta.verbose_name} "
                        f"{dangling.ref}, which is not in the file."
                    )
            problems.extend(_broken_rules(part, cols, row))
            rows.append(row)
            if len(problems) > MAX_PROBLEMS * 5:
                raise _refuse(problems)
        checked[part.label] = rows
        sections[part.label] = []  # read: its memory goes back before the next part
    if problems:
        raise _refuse(problems)
    return checked


def _broken_rules(part: Part, cols: list[Column], row: _Row) -> list[str]:
    """The model's own rules for each value (choices, lengths, ranges), without the
    database: relations are checked by ref, constraints by the database itself. An empty
    value the database held is restored as it was ("blank" is a rule of forms)."""
    problems = []
    for col in cols:
        if col.kind != "value":
            continue
        value = row.values.get(col.attname)
        if value is None:
            if not col.field.null:
                problems.append(f"{row.label}, {col.name}: cannot be empty.")
            continue
        try:
            # The value is already the field's Python value (_in_value): what clean() does
            # after to_python. No field of a part reads the model instance it is given.
            col.field.validate(value, None)
            col.field.run_validators(value)
        except ValidationError as error:
            messages = _messages(
                ValidationError([e for e in error.error_list if e.code != "blank"])
            )
            if messages:
                problems.append(f"{row.label}, {col.name}: {' '.join(messages)}")
    return problems


def _members_by_person(organization: Organization, people: list[dict]) -> dict[int, int]:
    """person ref → user id, for the people who are members of the organization: by e-mail
    (when exactly one member has it), else by username."""
    User = get_user_model()
    members = list(User.objects.filter(memberships__organization=organization))
    by_email = defaultdict(list)
    for user in members:
        if getattr(user, "email", ""):
            by_email[user.email.lower()].append(user.pk)
    by_username = {user.get_username(): user.pk for user in members}
    found = {}
    for person in people:
        email = (person.get("email") or "").lower()
        if email and len(by_email.get(email, [])) == 1:
            found[person["ref"]] = by_email[email][0]
        elif person.get("username") in by_username:
            found[person["ref"]] = by_username[person["username"]]
    return found


def _free_name(organization: Organization, wanted: str) -> str:
    """`wanted`, or "wanted (2)", "(3)", … if a program of the organization has it."""
    taken = {name.lower() for name in organization.programs.values_list("name", flat=True)}
    if wanted.lower() not in taken:
        return wanted
    limit = Program._meta.get_field("name").max_length
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = wanted[: limit - len(suffix)] + suffix
        if candidate.lower() not in taken:
            return candidate
        n += 1


def _conditions_of(rows, attribute_key) -> set[tuple]:
    return {
        (attribute_key(r), r.values["operator"], json.dumps(r.values["value"], sort_keys=True))
        for r in rows
    }


@transaction.atomic
def program_import(
    *,
    organization: Organization,
    data: bytes | str,
    by: AbstractBaseUser | None = None,
    name: str = "",
) -> Restored:
    """Restore a backup file as a new program of `organization`, named `name` (default:
    the file's; a taken name gets " (2)"). One transaction: a file that is not a backup,
    of another version, cut short, or with a ref to nothing writes nothing and the
    ValidationError lists what is wrong."""
    document = _parse(data)
    checked = _check(document)
    try:
        restored = _write(organization, document, checked, name.strip())
    except (IntegrityError, DataError) as error:
        cause = getattr(error.__cause__, "diag", None)
        rule = getattr(cause, "constraint_name", None) or str(error).splitlines()[0]
        raise _refuse([f"The file breaks a rule of the database ({rule})."]) from None
    except Dangling as dangling:  # a row it names was left out with its person
        raise _refuse(
            [
                f"The file names {dangling.model._meta.verbose_name} {dangling.ref}, "
                "which is not in it."
            ]
        ) from None
    log.info(
        "program_imported",
        program=restored.program.pk,
        organization=organization.pk,
        by=getattr(by, "pk", None),
        rows=sum(restored.counts.values()),
    )
    return restored


@dataclass
class _Restore:
    """The state of one restore: the organization, the new id of every row so far, and
    what a person should be told at the end."""

    organization: Organization
    user_of: dict[int, int]  # person ref → user id
    pk_of: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    missing_people: set[int] = field(default_factory=set)
    left_out: dict[type[models.Model], int] = field(default_factory=lambda: defaultdict(int))
    # Links to rows restored later (an offer's learned model) or in the same insert (a
    # cycle's previous one): set once those rows have ids. (object, attname, part, ref)
    pending: list[tuple[models.Model, str, str, int]] = field(default_factory=list)

    def pk(self, model: type[models.Model], ref) -> int:
        try:
            return self.pk_of[model._meta.label_lower][ref]
        except KeyError:
            raise Dangling(model, ref) from None


def _write(
    organization: Organization, document: dict, checked: dict[str, list[_Row]], name: str
) -> Restored:

    # As when a program is created here: the organization gets its maturity dimensions
    # first, and the file's are matched against them.
    dimensions_ensure_defaults(organization=organization)
    state = _Restore(organization, _members_by_person(organization, document["people"]))
    notes: list[str] = []
    counts: dict[str, int] = {}

    # Organization-level rows: the target's own when it has one of that name, else new.
    new_segments: set[int] = set()
    attribute_keys = {r.ref: r.values["key"] for r in checked[Attribute._meta.label_lower]}
    for part in ORGANIZATION_PARTS:
        model = part.model
        rows = checked[part.label]
        if model is SegmentCondition:  # a segment that was already here keeps its own
            rows = [r for r in rows if r.links["segment_id"] in new_segments]
            counts[part.label] = _create(part, rows, state)
            continue
        key = model._meta.get_field(part.natural_key).attname
        exact = model is Attribute  # keys are as in the data; names are matched in any case
        existing = {
            (getattr(o, key) if exact else getattr(o, key).lower()): o
            for o in model.objects.filter(organization=organization)
        }
        to_create = []
        for row in rows:
            value = row.values[key]
            match = existing.get(value if exact else value.lower())
            if match is None:
                to_create.append(row)
                continue
            state.pk_of[part.label][row.ref] = match.pk
            if model is Attribute:
                _attribute_reuse(match, row, notes)
            elif model is Segment:
                theirs = {
                    (c.attribute.key, c.operator, json.dumps(c.value, sort_keys=True))
                    for c in match.conditions.select_related("attribute")
                }
                ours = _conditions_of(
                    [
                        r
                        for r in checked[SegmentCondition._meta.label_lower]
                        if r.links["segment_id"] == row.ref
                    ],
                    lambda r: attribute_keys[r.links["attribute_id"]],
                )
                if theirs != ours:
                    notes.append(
                        f"Segment “{match.name}” was already here and keeps this "
                        "organization's definition, which differs from the file's."
                    )
        counts[part.label] = _create(part, to_create, state)
        if model is Segment:
            new_segments = {row.ref for row in to_create}

    program_row = checked[Program._meta.label_lower][0]
    wanted = name or program_row.values["name"]
    program_row.values["name"] = _free_name(organization, wanted)
    if program_row.values["name"] != wanted:
        notes.append(
            f"A program named “{wanted}” is already here: this one is "
            f"“{program_row.values['name']}”."
        )
    paused, unchecked = [], []
    for row in checked[ResultSource._meta.label_lower]:
        # Its secrets are not in the file: scheduled pulls would fail until they are back.
        if row.values["kind"] == SourceKind.SQL or row.values.get("headers"):
            if not row.values.get("paused"):
                paused.append(row.values["name"])
            row.values["paused"] = True
        # An HTTP source pulls from the address the file names, which nobody here has
        # looked at yet: it waits until someone has and resumes it.
        elif row.values["kind"] == SourceKind.HTTP:
            if not row.values.get("paused"):
                unchecked.append(row.values["name"])
            row.values["paused"] = True
    for part in PROGRAM_PARTS + HISTORY_PARTS:
        counts[part.label] = _create(part, checked[part.label], state)
        checked[part.label] = []  # written: its memory goes back before the next part
    _link_pending(state)

    program = Program.objects.get(pk=state.pk(Program, program_row.ref))
    _after_restore(program)

    people = {p["ref"]: p for p in document["people"]}
    if state.missing_people:
        names = ", ".join(
            sorted(
                f"{people[r].get('username')} ({people[r].get('email')})"
                if people[r].get("email")
                else str(people[r].get("username"))
                for r in state.missing_people
            )
        )
        notes.append(
            f"Not members of {organization.name}, so the fields that named them are empty: {names}."
        )
    if state.left_out:
        notes.append(
            "Left out because they belong to someone who is not a member here: "
            + ", ".join(
                f"{n} {model._meta.verbose_name if n == 1 else model._meta.verbose_name_plural}"
                for model, n in sorted(state.left_out.items(), key=lambda i: i[0]._meta.label)
            )
            + "."
        )
    for source in paused:
        notes.append(
            f"Source “{source}” is paused: its secrets (password or header values) are not in "
            "backups. Fill them in on its page and resume it."
        )
    for source in unchecked:
        notes.append(
            f"Source “{source}” is paused: a restored HTTP source waits until someone here "
            "has checked the address it pulls from. Resume it on its page."
        )
    return Restored(program=program, counts=counts, notes=notes)


def _attribute_reuse(attribute: Attribute, row: _Row, notes: list[str]) -> None:
    """The organization's attribute of the same key serves the file's conditions, if it is
    of the same type; a category gains the values the file's allows."""
    if attribute.type != row.values["type"]:
        raise _refuse(
            [
                f"The attribute “{attribute.key}” is a {attribute.type} here and a "
                f"{row.values['type']} in the file: rename one of them first."
            ]
        )
    missing = [
        v for v in row.values.get("allowed_values") or [] if v not in attribute.allowed_values
    ]
    if missing:
        attribute.allowed_values = [*attribute.allowed_values, *missing]
        attribute.save(update_fields=["allowed_values"])
        notes.append(
            f"Attribute “{attribute.label}” now also allows {', '.join(map(str, missing))}."
        )


def _restored_later(part: Part, target: type[models.Model]) -> bool:
    """Whether rows of `target` get their ids after (or with) the part's own rows."""
    order = [p.model for p in PARTS]
    return order.index(target) >= order.index(part.model)


def _create(part: Part, rows: list[_Row], state: _Restore) -> int:
    """Insert the rows of one part in file order (so ids keep the file's order), a chunk
    at a time, then what an insert cannot set: timestamps Django would set to now,
    many-to-many links; links to rows that have no id yet wait in `state.pending`.
    Returns how many rows were written."""
    written = 0
    for start in range(0, len(rows), CHUNK):
        written += _create_chunk(part, rows[start : start + CHUNK], state)
    return written


def _create_chunk(part: Part, rows: list[_Row], state: _Restore) -> int:
    model = part.model
    cols = columns(part)
    stamped = [
        c.field
        for c in cols
        if c.kind == "value"
        and (getattr(c.field, "auto_now", False) or getattr(c.field, "auto_now_add", False))
    ]
    objects, later, kept = [], [], []
    for row in rows:
        values = dict(row.values)
        skip = False
        links = []
        for col in cols:
            if col.kind == "organization":
                values[col.attname] = state.organization.pk
            elif col.kind == "person":
                ref = row.links.get(col.attname)
                user = state.user_of.get(ref) if ref is not None else None
                if ref is not None and user is None:
                    state.missing_people.add(ref)
                if user is None and not col.field.null:
                    skip = True
                values[col.attname] = user
            elif col.kind == "row":
                ref = row.links.get(col.attname)
                values[col.attname] = None
                if ref is None:
                    continue
                if _restored_later(part, col.target):
                    links.append((col.attname, col.target._meta.label_lower, ref))
                    continue
                found = state.pk_of[col.target._meta.label_lower].get(ref)
                if found is None and not col.field.null:
                    skip = True  # what it belongs to was left out with its person
                values[col.attname] = found
        if skip:
            state.left_out[model] += 1
            continue
        for name, rewrite in part.rewrites.items():
            attname = model._meta.get_field(name).attname
            values[attname] = rewrite.back(values.get(attname), state.pk)
        objects.append(model(**values))
        later.append(links)
        kept.append(row)
    model._default_manager.bulk_create(objects, batch_size=1000)
    for obj, row, links in zip(objects, kept, later, strict=True):
        state.pk_of[part.label][row.ref] = obj.pk
        state.pending.extend((obj, attname, label, ref) for attname, label, ref in links)
    if stamped and objects:
        for obj, row in zip(objects, kept, strict=True):
            for f in stamped:
                setattr(obj, f.attname, row.values[f.attname])
        model._default_manager.bulk_update(objects, [f.name for f in stamped])
    for col in (c for c in cols if c.kind == "many"):
        through = col.field.remote_field.through
        source, target = col.field.m2m_field_name(), col.field.m2m_reverse_field_name()
        target_pks = state.pk_of[col.target._meta.label_lower]
        through.objects.bulk_create(
            [
                through(**{f"{source}_id": obj.pk, f"{target}_id": target_pks[ref]})
                for obj, row in zip(objects, kept, strict=True)
                for ref in row.many.get(col.attname, [])
                if ref in target_pks
            ]
        )
    return len(objects)


def _link_pending(state: _Restore) -> None:
    """Set the links that waited for their rows' ids, one UPDATE per model and field."""
    grouped: dict[tuple[type[models.Model], str], list[models.Model]] = defaultdict(list)
    for obj, attname, label, ref in state.pending:
        setattr(obj, attname, state.pk_of[label].get(ref))
        grouped[type(obj), attname].append(obj)
    for (model, attname), objects in grouped.items():
        name = next(f.name for f in model._meta.concrete_fields if f.attname == attname)
        model._default_manager.bulk_update(objects, [name], batch_size=1000)


def _after_restore(program: Program) -> None:
    """What the file does not carry but the program needs: the beat entries of scheduled
    sources, and every cycle's progress (closed cycles as of the day they closed)."""

    for source in program.sources.exclude(schedule=""):
        source_schedule_sync(source=source)
    for cycle in program.cycles.order_by("number"):
        progress_refresh(cycle=cycle)
