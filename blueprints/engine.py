"""The decision engine: for each journey stage, which offer a customer gets, and why.

Plain data in, plain data out (no Django), so it can be tested and benchmarked alone.
Among the offers whose conditions all hold, the one with the highest expected value wins:
propensity (the chance it converts) x value (what a conversion is worth) x an optional
business weight. Ties go to the offer placed first. The engine also reports what "first
match" (the first eligible offer in placement order) would have chosen, to show what
choosing by propensity changes.

`compile_blueprint` turns a blueprint into fast predicates once; `decide` explains every
offer in or out; `decide_winners` only finds the winners, for batches.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from segments.conditions import Attribute, AttributeType, Operator, describe, plain_number


@dataclass(frozen=True)
class Condition:
    attribute: Attribute
    operator: str
    value: object

    def __str__(self) -> str:
        return describe(self.attribute, self.operator, self.value)


@dataclass(frozen=True)
class Offer:
    id: int
    name: str
    propensity: float  # 0..1
    value: float  # >= 0
    weight: float = 1.0
    conditions: tuple[Condition, ...] = ()
    # A learned model may give a propensity per profile (issue "learn from the data").
    propensity_for: Callable[[Mapping[str, object]], float] | None = field(
        default=None, compare=False
    )

    @property
    def score(self) -> float:
        return self.propensity * self.value * self.weight


@dataclass(frozen=True)
class Stage:
    id: int
    name: str
    offers: tuple[Offer, ...]  # in placement order


@dataclass(frozen=True)
class Blueprint:
    stages: tuple[Stage, ...]


# --- Reading profile values -----------------------------------------------------------

TRUE_WORDS = frozenset({"true", "yes", "1", "y", "t"})
_MISSING = object()


def _coerce(attribute_type: AttributeType, raw: object) -> object:
    """A profile's raw value (from a form or a CSV) as the attribute's type; _MISSING if
    it cannot be read."""
    if raw is None or raw == "":
        return _MISSING
    if attribute_type is AttributeType.NUMBER:
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            return float(raw)
        try:
            number = float(Decimal(str(raw).strip()))
        except (InvalidOperation, ValueError):
            return _MISSING
        return number if number == number and abs(number) != float("inf") else _MISSING
    if attribute_type is AttributeType.BOOLEAN:
        if isinstance(raw, bool):
            return raw
        return str(raw).strip().lower() in TRUE_WORDS
    return str(raw).strip()


def _shown(attribute: Attribute, raw: object) -> str:
    """A customer's value read back in its attribute's type, as the conditions write it:
    a number as a number (40, not “40”), yes/no as true or false, a category as its
    value; only free text keeps its quotes, since it may hold anything."""
    value = _coerce(attribute.type, raw)
    if value is _MISSING:
        return "missing" if raw is None or raw == "" else f"“{raw}”, not a number"
    if attribute.type is AttributeType.NUMBER:
        return plain_number(raw if isinstance(raw, str) else repr(value))
    if attribute.type is AttributeType.BOOLEAN:
        return "true" if value else "false"
    if attribute.type is AttributeType.CATEGORY:
        return str(value)
    return f"“{value}”"


def _predicate(condition: Condition) -> Callable[[Mapping[str, object]], bool]:
    """A fast test on a typed profile (attribute key -> coerced value)."""
    key, op, value = condition.attribute.key, Operator(condition.operator), condition.value
    kind = condition.attribute.type
    if op is Operator.IS_TRUE:
        return lambda p: p.get(key) is True
    if kind is AttributeType.NUMBER:
        if op is Operator.AT_LEAST:
            low = float(value)
            return lambda p: (v := p.get(key, _MISSING)) is not _MISSING and v >= low
        if op is Operator.AT_MOST:
            high = float(value)
            return lambda p: (v := p.get(key, _MISSING)) is not _MISSING and v <= high
        if op is Operator.BETWEEN:
            low, high = float(value[0]), float(value[1])
            return lambda p: (v := p.get(key, _MISSING)) is not _MISSING and low <= v <= high
        exact = float(value)
        return lambda p: p.get(key, _MISSING) == exact
    if op is Operator.IS_ONE_OF:
        allowed = frozenset(str(v) for v in value)
        return lambda p: p.get(key, _MISSING) in allowed
    if op is Operator.CONTAINS:
        needle = str(value).lower()
        return lambda p: (v := p.get(key, _MISSING)) is not _MISSING and needle in v.lower()
    wanted = str(value)
    return lambda p: p.get(key, _MISSING) == wanted


@dataclass(frozen=True)
class _CompiledOffer:
    offer: Offer
    position: int
    tests: tuple[Callable[[Mapping[str, object]], bool], ...]


@dataclass(frozen=True)
class CompiledBlueprint:
    blueprint: Blueprint
    attributes: tuple[Attribute, ...]
    # Per stage: offers best score first (ties: placement order), and in placement order.
    by_score: tuple[tuple[_CompiledOffer, ...], ...]
    by_position: tuple[tuple[_CompiledOffer, ...], ...]
    dynamic: bool  # some offer scores per profile: no fixed best-first order


def compile_blueprint(blueprint: Blueprint) -> CompiledBlueprint:
    attributes = {}
    by_score, by_position, dynamic = [], [], False
    for stage in blueprint.stages:
        compiled = []
        for position, offer in enumerate(stage.offers):
            for condition in offer.conditions:
                attributes[condition.attribute.key] = condition.attribute
            compiled.append(
                _CompiledOffer(offer, position, tuple(_predicate(c) for c in offer.conditions))
            )
            dynamic = dynamic or offer.propensity_for is not None
        by_position.append(tuple(compiled))
        by_score.append(tuple(sorted(compiled, key=lambda c: (-c.offer.score, c.position))))
    return CompiledBlueprint(
        blueprint, tuple(attributes.values()), tuple(by_score), tuple(by_position), dynamic
    )


def typed_profile(compiled: CompiledBlueprint, profile: Mapping[str, object]) -> dict[str, object]:
    typed = {}
    for attribute in compiled.attributes:
        value = _coerce(attribute.type, profile.get(attribute.key))
        if value is not _MISSING:
            typed[attribute.key] = value
    return typed


def decide_winners(compiled: CompiledBlueprint, profile: Mapping[str, object]) -> list[int | None]:
    """The winning offer id per stage (None: no offer is eligible). The fast path."""
    typed = typed_profile(compiled, profile)
    if compiled.dynamic:
        return _dynamic_winners(compiled, typed, profile)
    winners = []
    for offers in compiled.by_score:
        for item in offers:
            for test in item.tests:
                if not test(typed):
                    break
            else:
                winners.append(item.offer.id)
                break
        else:
            winners.append(None)
    return winners


def _dynamic_winners(
    compiled: CompiledBlueprint, typed: Mapping[str, object], profile: Mapping[str, object]
) -> list[int | None]:
    """Winners when some offer scores per profile (a learned propensity): every eligible
    offer is scored, the first with the highest score wins, as in `decide`."""
    winners = []
    for offers in compiled.by_position:
        best, best_score = None, -1.0
        for item in offers:
            if all(test(typed) for test in item.tests):
                offer = item.offer
                chance = offer.propensity_for(profile) if offer.propensity_for else offer.propensity
                score = chance * offer.value * offer.weight
                if score > best_score:
                    best, best_score = offer.id, score
        winners.append(best)
    return winners


@dataclass(frozen=True)
class OfferVerdict:
    offer: Offer
    eligible: bool
    score: float
    propensity: float
    reason: str  # the failed condition, or why it is in
    learned: bool = False


@dataclass(frozen=True)
class StageDecision:
    stage: Stage
    verdicts: tuple[OfferVerdict, ...]  # placement order
    chosen: Offer | None
    first_match: Offer | None

    @property
    def differs_from_first_match(self) -> bool:
        return (
            self.chosen is not None
            and self.first_match is not None
            and self.chosen != self.first_match
        )


def decide(compiled: CompiledBlueprint, profile: Mapping[str, object]) -> list[StageDecision]:
    """Every stage's decision with every offer explained in or out."""
    typed = typed_profile(compiled, profile)
    decisions = []
    for stage, offers in zip(compiled.blueprint.stages, compiled.by_position, strict=True):
        verdicts = []
        for item in offers:
            failed = next(
                (
                    c
                    for c, test in zip(item.offer.conditions, item.tests, strict=True)
                    if not test(typed)
                ),
                None,
            )
            learned = item.offer.propensity_for is not None
            propensity = item.offer.propensity_for(profile) if learned else item.offer.propensity
            score = propensity * item.offer.value * item.offer.weight
            if failed is not None:
                shown = _shown(failed.attribute, profile.get(failed.attribute.key))
                reason = f"out: needs {failed} ({failed.attribute.label} is {shown})"
            elif item.offer.conditions:
                reason = "in: " + "; ".join(str(c) for c in item.offer.conditions)
            else:
                reason = "in: no conditions, every customer qualifies"
            verdicts.append(
                OfferVerdict(item.offer, failed is None, score, propensity, reason, learned)
            )
        eligible = [(v, position) for position, v in enumerate(verdicts) if v.eligible]
        chosen = (
            min(eligible, key=lambda pair: (-pair[0].score, pair[1]))[0].offer if eligible else None
        )
        first = eligible[0][0].offer if eligible else None
        decisions.append(StageDecision(stage, tuple(verdicts), chosen, first))
    return decisions
