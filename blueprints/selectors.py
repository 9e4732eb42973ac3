"""Reads of the blueprint: the page's structure, its flags, coverage, and the engine's input."""

import datetime
from dataclasses import dataclass, field

from django.db.models import OuterRef, Prefetch, Subquery
from django.utils.translation import gettext as _

from blueprints import engine, propensity
from blueprints.models import (
    Blueprint,
    Offer,
    OfferCondition,
    PropensityModel,
    PropensityRun,
    Stage,
)
from blueprints.templatetags.blueprint_format import percent as as_percent
from programs.jobs import JobStatus
from segments import wording
from segments.conditions import contradiction, duplicates
from segments.models import Segment, SegmentCondition


@dataclass
class OfferView:
    offer: Offer
    conditions: list[OfferCondition]
    flags: list[str] = field(default_factory=list)
    latest: PropensityModel | None = None  # its newest learned model, where a page needs it

    @property
    def propensity(self) -> float:
        """The estimate; for an offer on learned propensity, its model's mean prediction on
        held-out exposures (decisions use the prediction for each customer)."""
        model = self.offer.learned_model
        return model.mean_predicted if model else float(self.offer.propensity)

    @property
    def expected_value(self) -> float:
        return self.propensity * float(self.offer.value) * float(self.offer.weight)


@dataclass
class StageView:
    stage: Stage
    offers: list[OfferView]
    flags: list[str] = field(default_factory=list)


def blueprint_structure(*, blueprint: Blueprint) -> list[StageView]:
    """Stages in order with their offers and conditions, each flagged where it is wrong:
    duplicate or contradictory conditions in an offer, offers of a stage with identical
    conditions."""
    stages = blueprint.stages.prefetch_related(
        Prefetch(
            "offers",
            queryset=Offer.objects.select_related("kpi", "learned_model__run").prefetch_related(
                Prefetch("conditions", queryset=OfferCondition.objects.select_related("attribute"))
            ),
        )
    )
    views = []
    for stage in stages:
        offer_views = []
        signatures: dict[frozenset, str] = {}
        stage_flags = []
        for offer in stage.offers.all():
            conds = list(offer.conditions.all())
            triples = [(c.attribute.as_plain(), c.operator, c.value) for c in conds]
            words = wording.current()
            flags = [
                _("Stated twice: %(condition)s") % {"condition": d}
                for d in duplicates(triples, words)
            ]
            reason = contradiction(triples, words)
            if reason:
                flags.append(
                    _("No customer can qualify: %(reason)s") % {"reason": wording.message(reason)}
                )
            signature = frozenset((c.attribute_id, c.operator, repr(c.value)) for c in conds)
            if signature in signatures:
                stage_flags.append(
                    _("“%(offer)s” and “%(other)s” have identical conditions")
                    % {"offer": offer.name, "other": signatures[signature]}
                )
            else:
                signatures[signature] = offer.name
            offer_views.append(OfferView(offer, conds, flags))
        views.append(StageView(stage, offer_views, stage_flags))
    return views


def to_engine(structure: list[StageView], *, on: datetime.date | None = None) -> engine.Blueprint:
    """The engine's plain blueprint; offers outside their active dates are left out. An
    offer switched to learned propensity is scored by its model's prediction per profile."""
    return engine.Blueprint(
        tuple(
            engine.Stage(
                view.stage.pk,
                view.stage.name,
                tuple(
                    engine.Offer(
                        id=o.offer.pk,
                        name=o.offer.name,
                        propensity=float(o.offer.propensity),
                        value=float(o.offer.value),
                        weight=float(o.offer.weight),
                        propensity_for=(
                            propensity.Predictor(o.offer.learned_model.model)
                            if o.offer.learned_model
                            else None
                        ),
                        conditions=tuple(
                            engine.Condition(c.attribute.as_plain(), c.operator, c.value)
                            for c in o.conditions
                        ),
                    )
                    for o in view.offers
                    if on is None or o.offer.is_active_on(on)
                ),
            )
            for view in structure
        )
    )


@dataclass
class CoverageCell:
    reachable: bool
    offers: list[str]
    stage: str = ""  # its column's stage, named beside the cell where the grid stacks


def segment_coverage(
    *, blueprint: Blueprint, structure: list[StageView]
) -> list[tuple[Segment, list[CoverageCell]]]:
    """For each segment and stage, whether an offer can reach the segment's customers: an
    offer reaches it unless its conditions contradict the segment's definition."""
    segments = blueprint.cycle.program.organization.segments.prefetch_related(
        Prefetch("conditions", queryset=SegmentCondition.objects.select_related("attribute"))
    )
    rows = []
    for segment in segments:
        definition = [
            (c.attribute.as_plain(), c.operator, c.value) for c in segment.conditions.all()
        ]
        cells = []
        for view in structure:
            reaching = [
                o.offer.name
                for o in view.offers
                if contradiction(
                    definition
                    + [(c.attribute.as_plain(), c.operator, c.value) for c in o.conditions]
                )
                is None
            ]
            cells.append(CoverageCell(bool(reaching), reaching, view.stage.name))
        rows.append((segment, cells))
    return rows


@dataclass
class ProfileValue:
    """One value of the customer the simulator decides for, and where it came from."""

    label: str
    value: str
    typed: bool  # typed in its field; otherwise filled in from the segment
    segment_value: str | None = None  # the segment's own value, where a typed one replaced it


@dataclass
class SimulatorProfile:
    values: dict[str, str]  # attribute key -> value, what the engine decides on
    shown: list[ProfileValue]  # in the attributes' order, for the page


def simulator_profile(
    *, attributes: list, typed: dict[str, str], segment: Segment | None
) -> SimulatorProfile:
    """The customer to decide for: a segment fills in its customer's values, and what is
    typed in a field wins over the segment's value for that attribute."""
    from_segment = (
        {k: str(v) for k, v in segment_profile(segment).items()} if segment is not None else {}
    )
    values, shown = {}, []
    for attribute in attributes:
        key = attribute.key
        ours = from_segment.get(key)
        if key in typed and typed[key] != ours:
            values[key] = typed[key]
            shown.append(
                ProfileValue(
                    attribute.label,
                    _said(attribute, typed[key]),
                    True,
                    None if ours is None else _said(attribute, ours),
                )
            )
        elif ours is not None:
            # Filled in from the segment (and sent back as it was filled in).
            values[key] = ours
            shown.append(ProfileValue(attribute.label, _said(attribute, ours), False))
    return SimulatorProfile(values, shown)


def _said(attribute, value: str) -> str:
    """A profile value as its field shows it: yes or no for a yes/no attribute."""
    if attribute.type == "boolean":
        return "yes" if value.strip().lower() in engine.TRUE_WORDS else "no"
    return value


def segment_profile(segment: Segment) -> dict[str, object]:
    """A customer that fits a segment's definition, for the simulator."""
    profile: dict[str, object] = {}
    for c in segment.conditions.select_related("attribute"):
        if c.operator == "is_true":
            profile[c.attribute.key] = "true"
        elif c.operator in ("is_one_of", "between"):
            profile[c.attribute.key] = c.value[0]
        else:
            profile[c.attribute.key] = c.value
    return profile


# --- Propensity from history ----------------------------------------------------------


def latest_models(*, blueprint: Blueprint) -> dict[int, PropensityModel]:
    """Per offer, its model from the newest run that trained one: what "use learned"
    switches to. One query."""
    newest = (
        PropensityModel.objects.filter(
            offer=OuterRef("offer"), auc__isnull=False, run__status=JobStatus.SUCCEEDED
        )
        .order_by("-run__version")
        .values("pk")[:1]
    )
    found = PropensityModel.objects.filter(
        run__blueprint=blueprint, pk=Subquery(newest)
    ).select_related("run")
    return {model.offer_id: model for model in found}


def run_models(*, run: PropensityRun) -> tuple[list[PropensityModel], list[PropensityModel]]:
    """A run's offers: those with a model (best AUC first), and those with too little data."""
    found = list(run.models.select_related("offer"))
    trained = sorted((m for m in found if m.is_trained), key=lambda m: -m.auc)
    return trained, [m for m in found if not m.is_trained]


@dataclass
class PropensityNote:
    """How the simulator shows an offer's propensity for a profile."""

    learned: bool
    text: str  # "learned: 6.2% for this profile" or "estimated: 3.0%"
    filled: list[str] = field(default_factory=list)  # what the model filled in


def propensity_notes(
    *, structure: list[StageView], profile: dict, labels: dict[str, str]
) -> dict[int, PropensityNote]:
    """Per offer, the propensity the engine uses for this profile and where it comes from."""
    notes = {}
    for view in structure:
        for o in view.offers:
            model = o.offer.learned_model
            if model is None:
                notes[o.offer.pk] = PropensityNote(
                    False, _("estimated: %(p)s") % {"p": as_percent(o.offer.propensity)}
                )
                continue
            prediction = propensity.predict(model.model, profile)
            notes[o.offer.pk] = PropensityNote(
                True,
                _("learned: %(p)s for this profile") % {"p": as_percent(prediction.probability)},
                [f.describe(labels.get(f.column, f.column)) for f in prediction.filled],
            )
    return notes
