"""Writes of the blueprint: stages, offers, conditions, JSON exchange, batch runs, and
propensity learned from an exposure history."""

import csv
import io
import json
import secrets
from dataclasses import replace
from decimal import Decimal, InvalidOperation
from pathlib import Path

import structlog
from celery.exceptions import SoftTimeLimitExceeded
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from blueprints import propensity
from blueprints.models import (
    DEFAULT_STAGES,
    Blueprint,
    Offer,
    OfferCondition,
    OfferKind,
    PropensityModel,
    PropensityRun,
    SimulationBatch,
    Stage,
)
from kpis.models import Kpi
from programs import tables
from programs.jobs import JobStatus, enqueue_on_commit, job_claim, job_fail, job_succeed
from programs.limits import job_memory_limit
from programs.models import Cycle
from programs.services import ensure_cycle_open
from segments import conditions, wording
from segments.conditions import AttributeType
from segments.models import Attribute

log = structlog.get_logger(__name__)

MAX_BATCH_ROWS = 100_000


def _open(blueprint: Blueprint) -> None:
    ensure_cycle_open(blueprint.cycle)


@transaction.atomic
def blueprint_create(
    *, cycle: Cycle, name: str, context: str = "", by: AbstractBaseUser, stages=DEFAULT_STAGES
) -> Blueprint:
    ensure_cycle_open(cycle)
    blueprint = Blueprint(cycle=cycle, name=name.strip(), context=context.strip(), updated_by=by)
    blueprint.full_clean()
    blueprint.save()
    for position, stage_name in enumerate(stages):
        stage = Stage(blueprint=blueprint, name=str(stage_name), position=position)
        stage.full_clean()  # the unique check runs in SQL, with the database's lower()
        stage.save()
    log.info("blueprint_created", blueprint=blueprint.pk, by=by.pk)
    return blueprint


def stage_add(*, blueprint: Blueprint, name: str, by: AbstractBaseUser) -> Stage:
    _open(blueprint)
    last = blueprint.stages.aggregate(m=Max("position"))["m"]
    stage = Stage(blueprint=blueprint, name=name.strip(), position=(last or 0) + 1)
    stage.full_clean()
    stage.save()
    return stage


def stage_rename(*, stage: Stage, name: str, by: AbstractBaseUser) -> Stage:
    _open(stage.blueprint)
    stage.name = name.strip()
    stage.full_clean()
    stage.save(update_fields=["name"])
    return stage


def stage_delete(*, stage: Stage, by: AbstractBaseUser) -> None:
    _open(stage.blueprint)
    stage.delete()


@transaction.atomic
def move(*, item: Stage | Offer, step: int, by: AbstractBaseUser) -> None:
    """Swap a stage or an offer with its neighbour (step -1: earlier, +1: later)."""
    blueprint = item.blueprint if isinstance(item, Stage) else item.stage.blueprint
    _open(blueprint)
    siblings = list(
        (blueprint.stages if isinstance(item, Stage) else item.stage.offers).select_for_update()
    )
    index = next(i for i, s in enumerate(siblings) if s.pk == item.pk)
    target = index + step
    if not 0 <= target < len(siblings):
        return
    siblings[index], siblings[target] = siblings[target], siblings[index]
    for position, sibling in enumerate(siblings):
        if sibling.position != position:
            sibling.position = position
            sibling.save(update_fields=["position"])


OFFER_FIELDS = (
    "name",
    "kind",
    "description",
    "value",
    "propensity",
    "weight",
    "kpi",
    "active_from",
    "active_to",
)


def offer_save(
    *, stage: Stage, by: AbstractBaseUser, offer: Offer | None = None, **values
) -> Offer:
    _open(stage.blueprint)
    kpi = values.get("kpi")
    if kpi is not None and kpi.goal.cycle.program_id != stage.blueprint.cycle.program_id:
        raise ValidationError({"kpi": _("This KPI belongs to another program.")})
    if offer is None:
        last = stage.offers.aggregate(m=Max("position"))["m"]
        offer = Offer(stage=stage, position=0 if last is None else last + 1)
    for name in OFFER_FIELDS:
        if name in values:
            setattr(offer, name, values[name])
    offer.name = offer.name.strip()
    offer.full_clean()
    offer.save()
    log.info("offer_saved", offer=offer.pk, by=by.pk)
    return offer


def offer_delete(*, offer: Offer, by: AbstractBaseUser) -> None:
    _open(offer.stage.blueprint)
    offer.delete()


def condition_add(*, offer: Offer, sentence: str, by: AbstractBaseUser) -> OfferCondition:
    """Add a condition written as a sentence in the person's language ("cart value is at
    least 50", "kurvens værdi er mindst 50"); it is stored without language."""
    blueprint = offer.stage.blueprint
    _open(blueprint)
    attributes = list(
        Attribute.objects.filter(organization_id=blueprint.cycle.program.organization_id)
    )
    try:
        parsed = conditions.parse(sentence, [a.as_plain() for a in attributes], wording.current())
    except conditions.ConditionError as error:
        raise ValidationError({"sentence": wording.message(error)}) from error
    attribute = next(a for a in attributes if a.key == parsed.attribute.key)
    condition = OfferCondition.objects.create(
        offer=offer, attribute=attribute, operator=parsed.operator.value, value=parsed.value
    )
    log.info("offer_condition_added", offer=offer.pk, by=by.pk)
    return condition


def condition_delete(*, condition: OfferCondition, by: AbstractBaseUser) -> None:
    _open(condition.offer.stage.blueprint)
    condition.delete()


# --- JSON exchange --------------------------------------------------------------------

FORMAT = "fourfold.blueprint/1"


def blueprint_export(*, blueprint: Blueprint) -> dict:
    """The blueprint as plain JSON data (the format is documented in the README)."""
    return {
        "format": FORMAT,
        "name": blueprint.name,
        "context": blueprint.context,
        "attributes": [
            {"key": a.key, "label": a.label, "type": a.type, "allowed_values": a.allowed_values}
            for a in Attribute.objects.filter(
                pk__in=OfferCondition.objects.filter(offer__stage__blueprint=blueprint).values(
                    "attribute"
                )
            ).order_by("key")
        ],
        "stages": [
            {
                "name": stage.name,
                "offers": [
                    {
                        "name": offer.name,
                        "kind": offer.kind,
                        "description": offer.description,
                        "value": str(offer.value),
                        "propensity": str(offer.propensity),
                        "weight": str(offer.weight),
                        "kpi": offer.kpi.name if offer.kpi else None,
                        "active_from": offer.active_from.isoformat() if offer.active_from else None,
                        "active_to": offer.active_to.isoformat() if offer.active_to else None,
                        "conditions": [
                            {"attribute": c.attribute.key, "operator": c.operator, "value": c.value}
                            for c in offer.conditions.all()
                        ],
                    }
                    for offer in stage.offers.all()
                ],
            }
            for stage in blueprint.stages.prefetch_related(
                "offers__conditions__attribute", "offers__kpi"
            )
        ],
    }


def _unstorable(doc) -> str:
    """Why some text in the document cannot be stored, or "": a NUL character, or half of
    a character (an unpaired \\ud800-\\udfff escape, which is valid JSON)."""
    if isinstance(doc, dict):
        return next(filter(None, map(_unstorable, [*doc, *doc.values()])), "")
    if isinstance(doc, list):
        return next(filter(None, map(_unstorable, doc)), "")
    if isinstance(doc, str):
        if "\x00" in doc:
            return _("The file holds a NUL character (\\u0000), which no text can keep.")
        if any("\ud800" <= c <= "\udfff" for c in doc):
            return _("The file holds half of a character (an unpaired \\ud800-\\udfff escape).")
    return ""


def _text(raw) -> str:
    """A name given as text ("" for null, a list or anything else)."""
    return raw.strip() if isinstance(raw, str) else ""


def _decimal(raw, where: str, errors: list[str], low=None, high=None) -> Decimal:
    try:
        value = Decimal(str(raw))
        if not value.is_finite():
            raise InvalidOperation
    except (InvalidOperation, ValueError, TypeError):
        errors.append(f"{where}: “{raw}” is not a number")
        return Decimal(0)
    if (low is not None and value < low) or (high is not None and value > high):
        errors.append(f"{where}: {value} is outside {low} to {high if high is not None else 'any'}")
    return value


@transaction.atomic
def blueprint_import(
    *, cycle: Cycle, data: bytes | str, by: AbstractBaseUser, name: str = ""
) -> Blueprint:
    """Create a blueprint from exported JSON. Everything is checked first; on any error
    nothing is written and every problem is listed."""
    ensure_cycle_open(cycle)
    try:
        doc = json.loads(data)
    except (ValueError, UnicodeDecodeError) as error:
        raise ValidationError(_("The file is not JSON: %(e)s") % {"e": error}) from None
    except RecursionError:
        raise ValidationError(_("The file nests deeper than any blueprint does.")) from None
    problem = _unstorable(doc)
    if problem:
        raise ValidationError(problem)
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        raise ValidationError(
            _('This is not a Fourfold blueprint (expected "format": "%(f)s").') % {"f": FORMAT}
        )
    errors: list[str] = []
    organization = cycle.program.organization
    attributes = {a.key: a for a in Attribute.objects.filter(organization=organization)}
    kpis = {k.name: k for k in Kpi.objects.filter(goal__cycle=cycle)}
    stages = doc.get("stages")
    if not isinstance(stages, list) or not stages:
        errors.append("stages: a list of at least one stage is required")
        stages = []
    planned = []
    for s_index, stage in enumerate(stages, start=1):
        where = f"stage {s_index}"
        if not isinstance(stage, dict) or not _text(stage.get("name")):
            errors.append(f"{where}: a name is required")
            continue
        offers = []
        raw_offers = stage.get("offers") or []
        if not isinstance(raw_offers, list):
            errors.append(f"{where}: offers must be a list")
            raw_offers = []
        for o_index, offer in enumerate(raw_offers, start=1):
            here = f"{where} “{stage['name']}”, offer {o_index}"
            if not isinstance(offer, dict) or not _text(offer.get("name")):
                errors.append(f"{here}: a name is required")
                continue
            kind = offer.get("kind", OfferKind.CONTENT)
            if kind not in OfferKind.values:
                errors.append(f"{here}: kind must be one of {', '.join(OfferKind.values)}")
            values = {
                "name": str(offer["name"]).strip()[:120],
                "kind": kind,
                "description": str(offer.get("description") or ""),
                "value": _decimal(offer.get("value", 0), f"{here}, value", errors, low=0),
                "propensity": _decimal(
                    offer.get("propensity", 0), f"{here}, propensity", errors, low=0, high=1
                ),
                "weight": _decimal(offer.get("weight", 1), f"{here}, weight", errors, low=0),
                "kpi": None,
            }
            if offer.get("kpi") and not isinstance(offer["kpi"], str):
                errors.append(f"{here}: kpi must be the KPI's name")
            elif offer.get("kpi"):
                values["kpi"] = kpis.get(offer["kpi"])
                if values["kpi"] is None:
                    errors.append(f"{here}: no KPI “{offer['kpi']}” in this cycle")
            for field in ("active_from", "active_to"):
                if offer.get(field):
                    try:
                        values[field] = timezone.datetime.fromisoformat(offer[field]).date()
                    except (TypeError, ValueError):
                        errors.append(f"{here}, {field}: not a date")
            try:  # the model's own rules (decimal places, dates in order), named here
                Offer(**values).full_clean(exclude=["stage"])
            except ValidationError as error:
                errors.extend(f"{here}: {m}" for m in error.messages)
            parsed_conditions = []
            raw_conditions = offer.get("conditions") or []
            if not isinstance(raw_conditions, list):
                errors.append(f"{here}: conditions must be a list")
                raw_conditions = []
            for c_index, condition in enumerate(raw_conditions, start=1):
                at = f"{here}, condition {c_index}"
                if not isinstance(condition, dict):
                    errors.append(f"{at}: expected an object with attribute, operator, value")
                    continue
                key = str(condition.get("attribute"))
                attribute = attributes.get(key)
                if attribute is None:
                    errors.append(f"{at}: no attribute “{key}” in this organization")
                    continue
                try:
                    value = conditions.normalize_value(
                        attribute.as_plain(), condition.get("operator"), condition.get("value")
                    )
                except conditions.ConditionError as error:
                    errors.append(f"{at}: {error}")
                    continue
                parsed_conditions.append((attribute, condition["operator"], value))
            offers.append((values, parsed_conditions))
        stage_name = str(stage["name"]).strip()[:60]
        if stage_name.lower() in {n.lower() for n, _o in planned}:
            errors.append(f"{where}: a second stage named “{stage_name}”")
        planned.append((stage_name, offers))
    if errors:
        raise ValidationError([_("Nothing was imported:"), *errors[:100]])
    blueprint = blueprint_create(
        cycle=cycle,
        name=name or str(doc.get("name") or "Imported blueprint"),
        context=str(doc.get("context") or ""),
        by=by,
        stages=[n for n, _o in planned],
    )
    for stage, (_name, offers) in zip(blueprint.stages.all(), planned, strict=True):
        for values, parsed_conditions in offers:
            offer = offer_save(stage=stage, by=by, **values)
            OfferCondition.objects.bulk_create(
                [
                    OfferCondition(offer=offer, attribute=a, operator=o, value=v)
                    for a, o, v in parsed_conditions
                ]
            )
    log.info("blueprint_imported", blueprint=blueprint.pk, by=by.pk)
    return blueprint


@transaction.atomic
def blueprints_carry_forward(
    *, old_cycle: Cycle, new_cycle: Cycle, kpi_map: dict, by: AbstractBaseUser
) -> list[Blueprint]:
    """Each blueprint of `old_cycle` as a new version in `new_cycle`: its stages, and each
    offer with its fields and conditions, serving the KPI that went on (`kpi_map`: old KPI
    id -> new KPI), or none where its KPI was dropped."""
    carried = []
    blueprints = Blueprint.objects.filter(cycle=old_cycle).prefetch_related(
        "stages__offers__conditions"
    )
    for old in blueprints.order_by("pk"):
        stages = list(old.stages.all())
        blueprint = blueprint_create(
            cycle=new_cycle,
            name=old.name,
            context=old.context,
            by=by,
            stages=[stage.name for stage in stages],
        )
        for stage, old_stage in zip(blueprint.stages.all(), stages, strict=True):
            for offer in old_stage.offers.all():
                values = {name: getattr(offer, name) for name in OFFER_FIELDS}
                values["kpi"] = kpi_map.get(offer.kpi_id)
                copy = offer_save(stage=stage, by=by, **values)
                OfferCondition.objects.bulk_create(
                    OfferCondition(
                        offer=copy,
                        attribute_id=c.attribute_id,
                        operator=c.operator,
                        value=c.value,
                    )
                    for c in offer.conditions.all()
                )
        carried.append(blueprint)
    log.info("blueprints_carried", cycle=new_cycle.pk, n=len(carried), by=by.pk)
    return carried


# --- Batch simulation -----------------------------------------------------------------


def batch_create(
    *, blueprint: Blueprint, file_name: str, data: bytes, by: AbstractBaseUser
) -> SimulationBatch:
    """Check a CSV of profiles and queue it; the worker decides every row."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ValidationError(_("The file is not UTF-8 text. Save it as CSV UTF-8.")) from None
    if "\x00" in text:  # PostgreSQL keeps no NUL in a text
        raise ValidationError(_("The file contains NUL bytes: it is not a text (CSV) file."))
    # newline="": the csv module finds the line ends itself, "\r" (old Mac) ones too.
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader, None)
        if not header:
            raise ValidationError(_("The file is empty."))
        rows = 0
        for row in reader:
            if not row:
                continue  # an empty line is no profile
            if len(row) != len(header):
                raise ValidationError(
                    _("Line %(n)s has %(v)s values; the header has %(h)s.")
                    % {"n": reader.line_num, "v": len(row), "h": len(header)}
                )
            rows += 1
    except csv.Error as error:
        raise ValidationError(
            _("Line %(n)s cannot be read (%(e)s).") % {"n": reader.line_num, "e": error}
        ) from None
    if rows == 0:
        raise ValidationError(_("The file has a header but no profiles."))
    if rows > MAX_BATCH_ROWS:
        raise ValidationError(
            _("At most %(n)s profiles per batch; this file has %(rows)s.")
            % {"n": f"{MAX_BATCH_ROWS:,}", "rows": f"{rows:,}"}
        )
    known = set(
        Attribute.objects.filter(
            organization_id=blueprint.cycle.program.organization_id
        ).values_list("key", flat=True)
    )
    if not known & {h.strip() for h in header}:
        raise ValidationError(
            _("No column is a customer attribute. Name columns by attribute key: %(keys)s.")
            % {"keys": ", ".join(sorted(known))}
        )
    batch = SimulationBatch.objects.create(
        blueprint=blueprint,
        file_name=file_name[:200],
        profiles_csv=text,
        rows_total=rows,
        created_by=by,
    )
    from blueprints.tasks import run_batch

    def not_queued(error) -> None:
        job_fail(
            SimulationBatch.objects,
            pk=batch.pk,
            error=_("The job queue could not be reached, so nothing ran. Try again shortly."),
            statuses=[JobStatus.QUEUED],
        )

    enqueue_on_commit(run_batch, batch_id=batch.pk, on_failure=not_queued)
    return batch


def batch_claim(*, batch_id: int) -> bool:
    """Only one worker runs a batch: the claim is a conditional update."""
    return job_claim(SimulationBatch.objects, pk=batch_id)


# --- Propensity from history ----------------------------------------------------------

MAX_HISTORY_BYTES = 100 * 1024 * 1024
KINDS = {
    AttributeType.NUMBER: propensity.Kind.NUMBER,
    AttributeType.BOOLEAN: propensity.Kind.BOOLEAN,
    AttributeType.CATEGORY: propensity.Kind.CATEGORY,
    AttributeType.TEXT: propensity.Kind.CATEGORY,
}


def _attribute_kinds(blueprint: Blueprint) -> dict[str, propensity.Kind]:
    """How the organization's attributes enter a model: as their declared type."""
    return {
        key: KINDS[AttributeType(kind)]
        for key, kind in Attribute.objects.filter(
            organization_id=blueprint.cycle.program.organization_id
        ).values_list("key", "type")
    }


def _read_history(
    *, blueprint: Blueprint, file_name: str, data: bytes, columns: propensity.Columns
) -> tuple[propensity.History, dict[str, int]]:
    """The checked history with its offers named as the blueprint names them, and each
    offer's id by that name. TableError says why the file cannot be used."""
    frame = tables.read_table(file_name, io.BytesIO(data))
    kinds = _attribute_kinds(blueprint)
    if not columns.features:
        roles = {columns.offer, columns.converted, columns.value}
        named = tuple(c for c in frame.columns if c in kinds and c not in roles)
        if not named:
            raise tables.TableError(
                f"No column of “{file_name}” is named after a customer attribute "
                f"({', '.join(sorted(kinds)) or 'none defined'}); list the attribute columns "
                "to learn from."
            )
        columns = replace(columns, features=named)
    history = propensity.prepare(frame, columns, kinds=kinds, name=file_name)
    offers = dict(Offer.objects.filter(stage__blueprint=blueprint).values_list("pk", "name"))
    matched = propensity.match_offers(history.offers.unique(), offers)
    history = propensity.renamed(history, {name: offers[pk] for name, pk in matched.items()})
    return history, {offers[pk]: pk for pk in matched.values()}


def run_columns(run: PropensityRun) -> propensity.Columns:
    return propensity.Columns(
        offer=run.offer_column,
        converted=run.converted_column,
        features=tuple(run.feature_columns),
        value=run.value_column,
    )


def propensity_run_create(
    *,
    blueprint: Blueprint,
    file_name: str,
    data: bytes,
    columns: propensity.Columns,
    by: AbstractBaseUser,
    seed: int | None = None,
) -> PropensityRun:
    """Store an exposure history and queue its reading and training as the blueprint's
    next version.

    Only what needs no parse is checked here (the request must not read a file: a workbook
    can unpack to far more than it weighs): the blueprint is open, the file is within its
    size, and the chosen columns name the offer and the converted column, each column in
    one role. With any of that wrong, ValidationError says what and nothing is stored.
    The job reads and checks the file (propensity_run_execute); a file that cannot be used
    ends the run failed with the reason, the version number kept like any failed run's.
    `seed` (random when not given) draws the held-out rows; give an earlier version's seed
    to reproduce it.
    """
    _open(blueprint)
    file_name = Path(file_name).name or "history.csv"
    seed = secrets.randbelow(2**31) if seed is None else seed
    if len(data) > MAX_HISTORY_BYTES:
        raise ValidationError(_("The file is larger than 100 MB."))
    try:
        propensity.check_columns(columns)
    except tables.TableError as error:
        raise ValidationError(str(error)) from None
    with transaction.atomic():
        # One version number at a time per blueprint (the unique constraint is the backstop).
        Blueprint.objects.select_for_update().filter(pk=blueprint.pk).exists()
        last = blueprint.propensity_runs.aggregate(m=Max("version"))["m"] or 0
        run = PropensityRun(
            blueprint=blueprint,
            version=last + 1,
            file_name=file_name[:200],
            offer_column=columns.offer.strip(),
            converted_column=columns.converted.strip(),
            value_column=columns.value.strip(),
            # As chosen (none: the job picks the columns named after attributes).
            feature_columns=list(dict.fromkeys(c.strip() for c in columns.features if c.strip())),
            seed=seed,
            holdout=propensity.HOLDOUT,
            created_by=by,
        )
        run.full_clean(exclude=["file"])
        run.file.save(file_name, ContentFile(data), save=False)
        run.save()
        from blueprints.tasks import train_propensity

        enqueue_on_commit(
            train_propensity, run_id=run.pk, on_failure=lambda error: _run_not_queued(run.pk)
        )
    log.info("propensity_run_queued", run=run.pk, blueprint=blueprint.pk, by=by.pk)
    return run


class _Refused(Exception):
    """The file cannot be used: the run fails with this message."""


def _run_read(run: PropensityRun) -> tuple[propensity.History, dict[str, int]]:
    """The job's first step: read and check the stored file within the job memory limit,
    and record what it holds on the run (rows, the attribute columns and their kinds, the
    offers to train), so the page can say so while the offers train."""
    try:
        with run.file.open("rb") as stream:
            data = stream.read()
    except OSError as error:
        raise _Refused(
            _("The uploaded file cannot be read from storage (%(e)s); upload it again.")
            % {"e": type(error).__name__}
        ) from None
    try:
        with job_memory_limit():
            history, offer_ids = _read_history(
                blueprint=run.blueprint,
                file_name=run.file_name,
                data=data,
                columns=run_columns(run),
            )
            too_little = propensity.too_little_overall(history)
    except tables.TableError as error:
        raise _Refused(str(error)) from None
    except MemoryError:
        raise _Refused(_("Reading the file needed more memory than a job may use.")) from None
    except SoftTimeLimitExceeded:
        raise _Refused(
            _("Reading the file took longer than its time limit; nothing was trained.")
        ) from None
    del data
    if too_little:
        raise _Refused(too_little)
    PropensityRun.objects.filter(pk=run.pk).update(
        rows=len(history.converted),
        feature_columns=list(history.kinds),
        feature_kinds={c: k.value for c, k in history.kinds.items()},
        offers_total=len(offer_ids),
    )
    return history, offer_ids


def _run_claim(run_id: int, task_id: str) -> bool:
    """Take a queued run, or resume the one this very task was running when its worker
    died (acks_late re-delivers it; every result is an upsert, so training again ends in
    the same state)."""
    mine = Q(status=JobStatus.QUEUED) | Q(status=JobStatus.RUNNING, task_id=task_id)
    return job_claim(
        PropensityRun.objects, pk=run_id, mine=mine, started_at=timezone.now(), task_id=task_id
    )


def _run_not_queued(run_id: int) -> None:
    """The broker could not be reached: say so, unless the run was trained meanwhile by a
    direct call (the demo does that)."""
    job_fail(
        PropensityRun.objects,
        pk=run_id,
        error=_("The job queue could not be reached, so nothing ran. Upload the file again."),
        statuses=[JobStatus.QUEUED],
        finished_at=timezone.now(),
    )


def _run_fail(run_id: int, message: str) -> None:
    """A failed run keeps no half of its models: none of them can be used."""
    with transaction.atomic():
        PropensityModel.objects.filter(run_id=run_id).delete()
        job_fail(PropensityRun.objects, pk=run_id, error=message, finished_at=timezone.now())
    log.warning("propensity_run_failed", run=run_id, error=message)


def propensity_run_execute(*, run_id: int, task_id: str = "") -> None:
    """Read and check a queued run's file, then train every offer, reporting progress
    offer by offer; a file that cannot be used fails the run with the reason. Safe to run
    twice: only the caller that claims the run trains it, and each offer's result is
    upserted on (run, offer), so a re-delivered task ends where a single run would."""
    if not _run_claim(run_id, task_id or f"direct-{run_id}"):
        return  # gone, finished, or being trained by another worker
    run = PropensityRun.objects.select_related("blueprint__cycle__program").get(pk=run_id)
    try:
        history, offer_ids = _run_read(run)
        done = 0
        for result in propensity.train(history, seed=run.seed, holdout=run.holdout):
            PropensityModel.objects.update_or_create(
                run=run,
                offer_name=result.offer,
                defaults={
                    "offer_id": offer_ids[result.offer],
                    "reason": result.reason,
                    "exposures": result.exposures,
                    "conversions": result.conversions,
                    "exposures_test": result.exposures_test,
                    "conversions_test": result.conversions_test,
                    "auc": result.auc,
                    "brier": result.brier,
                    "mean_predicted": result.mean_predicted,
                    "observed_rate": result.observed_rate,
                    "value_per_conversion": result.value_per_conversion,
                    "reliability": result.reliability,
                    "model": result.model,
                },
            )
            done += 1
            PropensityRun.objects.filter(pk=run.pk, offers_total__gte=done).update(offers_done=done)
        job_succeed(
            PropensityRun.objects,
            pk=run.pk,
            offers_done=done,
            offers_total=done,
            error="",
            finished_at=timezone.now(),
        )
        log.info("propensity_run_trained", run=run.pk, offers=done)
    except _Refused as refused:  # the file cannot be used (or no longer fits the offers)
        _run_fail(run.pk, str(refused))
    except SoftTimeLimitExceeded:
        _run_fail(run.pk, _("Training took longer than its time limit and was stopped."))
    except Exception as error:
        log.exception("propensity_run_crashed", run=run.pk)
        _run_fail(
            run.pk,
            _("Training failed unexpectedly (%(e)s); no model was stored.")
            % {"e": type(error).__name__},
        )


def offer_propensity_use(
    *, offer: Offer, model: PropensityModel | None, by: AbstractBaseUser
) -> Offer:
    """Score the offer with a learned model from now on, or (model None) with its
    estimated propensity again. Only a trained model of this very offer will do."""
    _open(offer.stage.blueprint)
    if model is not None and not (
        model.offer_id == offer.pk and model.is_trained and model.run.status == JobStatus.SUCCEEDED
    ):
        raise ValidationError(_("That model was not trained for this offer."))
    offer.learned_model = model
    offer.save(update_fields=["learned_model"])
    log.info(
        "offer_propensity_switched",
        offer=offer.pk,
        model=model.pk if model else None,
        by=by.pk,
    )
    return offer


def propensity_run_export(*, run: PropensityRun) -> dict:
    """A version as plain JSON: what it was trained on (file, columns, seed, held-out share)
    and each offer's model and held-out figures, or why it has none."""
    return {
        "format": "fourfold.propensity-run/1",
        "model_format": propensity.FORMAT,
        "blueprint": run.blueprint.name,
        "version": run.version,
        "status": run.status,
        "file": run.file_name,
        "rows": run.rows,
        "seed": run.seed,
        "holdout": run.holdout,
        "columns": {
            "offer": run.offer_column,
            "converted": run.converted_column,
            "value": run.value_column,
            "attributes": run.feature_kinds,
        },
        "offers": [
            {
                "offer": m.offer_name,
                "exposures": m.exposures,
                "conversions": m.conversions,
                "exposures_held_out": m.exposures_test,
                "conversions_held_out": m.conversions_test,
                "auc": m.auc,
                "brier": m.brier,
                "mean_predicted": m.mean_predicted,
                "observed_rate": m.observed_rate,
                "value_per_conversion": m.value_per_conversion,
                "too_little_data": m.reason,
                "reliability": m.reliability,
                "model": m.model or None,
            }
            for m in run.models.all()
        ],
    }
