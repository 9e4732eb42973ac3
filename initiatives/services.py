"""Writes of question 3's plan. Everything an initiative refers to must be its own
organization's (departments, channels) or its own program's (gaps, KPIs)."""

import csv
import datetime
import io
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from initiatives.models import (
    STAGES,
    Channel,
    CollisionAcknowledgement,
    Department,
    ExpectedEffect,
    Initiative,
    Kind,
    PieScore,
    Status,
)
from kpis.models import Kpi
from programs import csvsafe
from programs.models import Cycle, Organization
from programs.services import ensure_cycle_open

log = structlog.get_logger(__name__)

# Named in the language of whoever makes the organization (marked for the catalogs here).
DEFAULT_DEPARTMENTS = (
    gettext_noop("Marketing"),
    gettext_noop("E-commerce"),
    gettext_noop("IT"),
    gettext_noop("Analytics"),
    gettext_noop("Customer service"),
    gettext_noop("Merchandising"),
)
DEFAULT_CHANNELS = (
    gettext_noop("Website"),
    gettext_noop("Mobile app"),
    gettext_noop("E-mail"),
    gettext_noop("Paid search"),
    gettext_noop("Social"),
    gettext_noop("Display"),
    gettext_noop("Call centre"),
    gettext_noop("Store"),
)


def plan_defaults_ensure(*, organization: Organization) -> None:
    """Give an organization the usual departments and channels, once."""
    if not organization.departments.exists():
        Department.objects.bulk_create(
            [Department(organization=organization, name=_(n)) for n in DEFAULT_DEPARTMENTS],
            ignore_conflicts=True,
        )
    if not organization.channels.exists():
        Channel.objects.bulk_create(
            [Channel(organization=organization, name=_(n)) for n in DEFAULT_CHANNELS],
            ignore_conflicts=True,
        )


def plan_vocabulary_add(
    *, organization: Organization, kind: str, name: str
) -> Department | Channel:
    model = Department if kind == "department" else Channel
    item = model(organization=organization, name=name.strip())
    item.full_clean()
    item.save()
    return item


def plan_vocabulary_delete(*, item: Department | Channel) -> None:
    in_use = (
        item.initiatives.exists() or item.owned_initiatives.exists()
        if isinstance(item, Department)
        else item.initiatives.exists()
    )
    if in_use:
        raise ValidationError(
            _("“%(name)s” is used by initiatives; change those first.") % {"name": item.name}
        )
    item.delete()


def overload_limit_set(*, organization: Organization, limit: int, by: AbstractBaseUser) -> None:
    """How many significant initiatives one channel takes at once before it is overload."""
    organization.overload_limit = limit
    organization.full_clean()
    organization.save(update_fields=["overload_limit"])
    log.info("overload_limit_set", organization=organization.pk, limit=limit, by=by.pk)


def _check_belongs(cycle: Cycle, *, owner_department, departments, channels, gaps) -> None:
    organization_id = cycle.program.organization_id
    errors = {}
    if owner_department is not None and owner_department.organization_id != organization_id:
        errors["owner_department"] = _("This department belongs to another organization.")
    if any(d.organization_id != organization_id for d in departments):
        errors["departments"] = _("A department of another organization was chosen.")
    if any(c.organization_id != organization_id for c in channels):
        errors["channels"] = _("A channel of another organization was chosen.")
    if any(g.cycle_id != cycle.pk for g in gaps):
        errors["gaps"] = _("A gap of another cycle or program was chosen.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def initiative_save(
    *,
    cycle: Cycle,
    by: AbstractBaseUser,
    initiative: Initiative | None = None,
    name: str,
    objective: str = "",
    kind: str = Kind.MAIN,
    owner_department: Department,
    departments=(),
    channels=(),
    stages=(),
    starts_on: datetime.date,
    ends_on: datetime.date | None = None,
    cost: Decimal = Decimal(0),
    status: str = Status.IDEA,
    gaps=(),
) -> Initiative:
    ensure_cycle_open(cycle)
    if initiative is not None and initiative.cycle_id != cycle.pk:
        ensure_cycle_open(initiative.cycle)  # an initiative of a closed cycle is history
        raise ValidationError(_("This initiative belongs to another cycle."))
    _check_belongs(
        cycle,
        owner_department=owner_department,
        departments=departments,
        channels=channels,
        gaps=gaps,
    )
    unknown = [s for s in stages if s not in STAGES]
    if unknown:
        raise ValidationError(
            {"stages": _("Unknown journey stage: %(s)s.") % {"s": ", ".join(unknown)}}
        )
    if ends_on is not None and ends_on < starts_on:
        raise ValidationError({"ends_on": _("An initiative cannot end before it starts.")})
    initiative = initiative or Initiative(cycle=cycle)
    initiative.name = name.strip()
    initiative.objective = objective
    initiative.kind = kind
    initiative.owner_department = owner_department
    initiative.stages = [s for s in STAGES if s in stages]
    initiative.starts_on, initiative.ends_on = starts_on, ends_on
    initiative.cost, initiative.status = cost, status
    initiative.updated_by = by
    initiative.full_clean()
    initiative._history_user = by
    initiative.save()
    initiative.departments.set(departments)
    initiative.channels.set(channels)
    initiative.gaps.set(gaps)
    log.info("initiative_saved", initiative=initiative.pk, by=by.pk)
    return initiative


def initiative_delete(*, initiative: Initiative, by: AbstractBaseUser) -> None:
    ensure_cycle_open(initiative.cycle)
    initiative._history_user = by
    log.info("initiative_deleted", initiative=initiative.pk, by=by.pk)
    initiative.delete()


def effect_delete(*, effect: ExpectedEffect, by: AbstractBaseUser) -> None:
    ensure_cycle_open(effect.initiative.cycle)
    effect.delete()


def effect_add(
    *, initiative: Initiative, kpi: Kpi, direction: str, size: str, by: AbstractBaseUser
) -> ExpectedEffect:
    ensure_cycle_open(initiative.cycle)
    if kpi.goal.cycle.program_id != initiative.cycle.program_id:
        raise ValidationError({"kpi": _("This KPI belongs to another program.")})
    effect, _created = ExpectedEffect.objects.update_or_create(
        initiative=initiative, kpi=kpi, defaults={"direction": direction, "size": size.strip()}
    )
    effect.full_clean()
    return effect


def pie_score_save(
    *, initiative: Initiative, rater: AbstractBaseUser, potential: int, importance: int, ease: int
) -> PieScore:
    ensure_cycle_open(initiative.cycle)
    PieScore(
        initiative=initiative, rater=rater, potential=potential, importance=importance, ease=ease
    ).full_clean(validate_unique=False, validate_constraints=False)
    # get_or_create survives a double click: the second insert finds the first.
    score, _created = PieScore.objects.get_or_create(
        initiative=initiative,
        rater=rater,
        defaults={"potential": potential, "importance": importance, "ease": ease},
    )
    score.potential, score.importance, score.ease = potential, importance, ease
    score.full_clean(validate_constraints=False)
    score.save()
    return score


def collision_acknowledge(
    *, cycle: Cycle, key: str, reason: str, by: AbstractBaseUser
) -> CollisionAcknowledgement:
    ensure_cycle_open(cycle)
    if not reason.strip():
        raise ValidationError({"reason": _("Say why this collision is acceptable.")})
    ack, _created = CollisionAcknowledgement.objects.update_or_create(
        cycle=cycle, key=key, defaults={"reason": reason.strip(), "by": by}
    )
    log.info("collision_acknowledged", cycle=cycle.pk, key=key, by=by.pk)
    return ack


# --- CSV ------------------------------------------------------------------------------

CSV_COLUMNS = [
    "name",
    "objective",
    "kind",
    "owner_department",
    "departments",
    "channels",
    "stages",
    "starts_on",
    "ends_on",
    "cost",
    "status",
]


@dataclass
class RowError:
    line: int
    column: str
    message: str


def initiatives_import_csv(*, cycle: Cycle, data: bytes, by: AbstractBaseUser) -> int:
    """Load initiatives from CSV, all or nothing. Raises ValidationError listing row errors.

    Columns: CSV_COLUMNS; lists (departments, channels, stages) are separated by "|".
    Cells the export neutralized as formulas (`'=x`) read back as they were typed.
    """
    ensure_cycle_open(cycle)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(
            _("The file is not UTF-8 text. Save it as CSV UTF-8 and try again.")
        ) from None
    if "\x00" in text:
        line = text[: text.index("\x00")].count("\n") + 1
        raise ValidationError(
            _("Line %(n)s holds a NUL character, which no text can keep; nothing was imported.")
            % {"n": line}
        )
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        return _import_rows(cycle=cycle, reader=reader, by=by)
    except csv.Error as error:
        raise ValidationError(
            _("Line %(n)s of the file cannot be read (%(e)s); nothing was imported.")
            % {"n": reader.line_num + 1, "e": error}
        ) from None


def _import_rows(*, cycle: Cycle, reader: csv.DictReader, by: AbstractBaseUser) -> int:
    missing = [
        c for c in ("name", "owner_department", "starts_on") if c not in (reader.fieldnames or [])
    ]
    if missing:
        raise ValidationError(
            _("The file has no column %(cols)s. Expected columns: %(all)s.")
            % {"cols": ", ".join(missing), "all": ", ".join(CSV_COLUMNS)}
        )
    organization = cycle.program.organization
    departments = {d.name.lower(): d for d in organization.departments.all()}
    channels = {c.name.lower(): c for c in organization.channels.all()}
    errors: list[RowError] = []
    rows = []
    for line, row in enumerate(reader, start=2):
        extra, short = row.get(None), None in row.values()
        if extra or short:  # DictReader's restkey and restval: values without a column
            count = len([v for k, v in row.items() if k and v is not None]) + len(extra or [])
            raise ValidationError(
                _("Line %(n)s has %(v)s values; the header has %(h)s. Nothing was imported.")
                % {"n": reader.line_num, "v": count, "h": len(reader.fieldnames or [])}
            )
        row = {k: csvsafe.restore((v or "").strip()) for k, v in row.items() if k}

        def fail(column: str, message: str, line=line) -> None:
            errors.append(RowError(line, column, message))

        def pick(names: str, known: dict, column: str):
            found = []
            for name in filter(None, (n.strip() for n in names.split("|"))):
                if name.lower() in known:
                    found.append(known[name.lower()])
                else:
                    fail(column, _("unknown: “%(n)s”") % {"n": name})
            return found

        def day(column: str, required: bool, row=row):
            raw = row.get(column, "")
            if not raw:
                if required:
                    fail(column, _("required"))
                return None
            try:
                return datetime.date.fromisoformat(raw)
            except ValueError:
                fail(column, _("not a date (YYYY-MM-DD): “%(v)s”") % {"v": raw})
                return None

        if not row.get("name"):
            fail("name", _("required"))
        owner = pick(row.get("owner_department", ""), departments, "owner_department")
        if not row.get("owner_department", "").strip("| "):
            fail("owner_department", _("required"))
        starts_on, ends_on = day("starts_on", True), day("ends_on", False)
        try:
            cost = Decimal(row.get("cost") or "0")
            if cost < 0 or not cost.is_finite():
                fail("cost", _("must be a positive number"))
        except InvalidOperation:
            cost = Decimal(0)
            fail("cost", _("not a number: “%(v)s”") % {"v": row.get("cost")})
        kind = row.get("kind") or Kind.MAIN
        if kind not in Kind.values:
            fail("kind", _("one of %(v)s") % {"v": ", ".join(Kind.values)})
        status = row.get("status") or Status.IDEA
        if status not in Status.values:
            fail("status", _("one of %(v)s") % {"v": ", ".join(Status.values)})
        stages = [s.strip() for s in row.get("stages", "").split("|") if s.strip()]
        for stage in stages:
            if stage not in STAGES:
                fail("stages", _("unknown stage “%(s)s”") % {"s": stage})
        if starts_on and ends_on and ends_on < starts_on:
            fail("ends_on", _("before the start"))
        rows.append(
            (
                line,
                {
                    "name": row.get("name", ""),
                    "objective": row.get("objective", ""),
                    "kind": kind,
                    "owner_department": owner[0] if owner else None,
                    "departments": pick(row.get("departments", ""), departments, "departments"),
                    "channels": pick(row.get("channels", ""), channels, "channels"),
                    "stages": stages,
                    "starts_on": starts_on,
                    "ends_on": ends_on,
                    "cost": cost,
                    "status": status,
                },
            )
        )
    if not rows and not errors:
        raise ValidationError(_("The file has a header but no initiatives."))
    if errors:
        _refuse(errors)
    with transaction.atomic():
        for line, values in rows:
            try:
                initiative_save(cycle=cycle, by=by, **values)
            except ValidationError as error:  # the model's own rules, named by line
                by_field = (
                    error.message_dict if hasattr(error, "error_dict") else {"row": error.messages}
                )
                errors.extend(
                    RowError(line, column, m) for column, ms in by_field.items() for m in ms
                )
        if errors:
            _refuse(errors)  # inside the atomic block: rolls back the rows saved
    log.info("initiatives_imported", cycle=cycle.pk, rows=len(rows), by=by.pk)
    return len(rows)


def _refuse(errors: list[RowError]) -> None:
    total = len(errors)
    shown = [f"line {e.line}, {e.column}: {e.message}" for e in errors[:100]]
    more = [_("…and %(n)s more") % {"n": total - 100}] if total > 100 else []
    raise ValidationError(
        [_("Nothing was imported; fix these %(n)s problems:") % {"n": total}, *shown, *more]
    )


def initiatives_export_csv(*, initiatives, excel_decimal: str | None = None) -> str:
    """The plan as CSV, in the columns the import reads; no cell runs as a formula. With
    `excel_decimal`, for Excel in a language: semicolons, that decimal separator."""
    out = io.StringIO()
    writer = (
        csvsafe.writer(out)
        if excel_decimal is None
        else csvsafe.excel_writer(out, decimal=excel_decimal)
    )
    writer.writerow([*CSV_COLUMNS, "pie_average", "raters", "kpis"])
    for i in initiatives:
        writer.writerow(
            [
                i.name,
                i.objective,
                i.kind,
                i.owner_department.name,
                "|".join(d.name for d in i.departments.all()),
                "|".join(c.name for c in i.channels.all()),
                "|".join(i.stages),
                i.starts_on.isoformat(),
                i.ends_on.isoformat() if i.ends_on else "",
                i.cost,
                i.status,
                "" if i.pie_average is None else round(i.pie_average, 1),
                i.pie_raters,
                "|".join(f"{e.kpi.name} {e.direction}" for e in i.effects.all()),
            ]
        )
    return out.getvalue()


def initiatives_carry_forward(
    *,
    continuing: list[tuple[Initiative, datetime.date, datetime.date]],
    new_cycle: Cycle,
    kpi_map: dict,
    by: AbstractBaseUser,
) -> list[Initiative]:
    """Copy the initiatives that continue into `new_cycle`, each with the dates it runs
    there, linked to the one it was, with its departments, channels and the expected
    effects on KPIs that went on (`kpi_map`: old KPI id -> new KPI)."""
    pks = [initiative.pk for initiative, _starts, _ends in continuing]
    found = Initiative.objects.prefetch_related("departments", "channels", "effects").in_bulk(pks)
    rows = [(found[initiative.pk], starts, ends) for initiative, starts, ends in continuing]
    carried = []
    for initiative, starts_on, ends_on in rows:
        departments, channels = list(initiative.departments.all()), list(initiative.channels.all())
        effects, old_id = list(initiative.effects.all()), initiative.pk
        initiative.pk, initiative.cycle, initiative.carried_from_id = None, new_cycle, old_id
        initiative._prefetched_objects_cache = {}
        initiative.starts_on, initiative.ends_on = starts_on, ends_on
        initiative.updated_by = by
        initiative._history_user = by
        initiative.save()
        initiative.departments.set(departments)
        initiative.channels.set(channels)
        ExpectedEffect.objects.bulk_create(
            [
                ExpectedEffect(
                    initiative=initiative,
                    kpi=kpi_map[e.kpi_id],
                    direction=e.direction,
                    size=e.size,
                )
                for e in effects
                if e.kpi_id in kpi_map
            ]
        )
        carried.append(initiative)
    log.info("initiatives_carried", cycle=new_cycle.pk, n=len(carried), by=by.pk)
    return carried
