"""Conditions on typed customer attributes, as plain data (no Django).

Segments are defined by them, and the blueprint's offers will be too, so both speak one
vocabulary: an attribute has a type (boolean, number, category, text) and, for categories,
its allowed values. A condition is a positive statement: "visitor type is returning",
"cart value is at least 50", "country is one of NL, BE".
"""

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum


class AttributeType(StrEnum):
    BOOLEAN = "boolean"
    NUMBER = "number"
    CATEGORY = "category"
    TEXT = "text"


class Operator(StrEnum):
    IS = "is"
    IS_ONE_OF = "is_one_of"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    BETWEEN = "between"
    CONTAINS = "contains"
    IS_TRUE = "is_true"


OPERATOR_LABELS = {
    Operator.IS: "is",
    Operator.IS_ONE_OF: "is one of",
    Operator.AT_LEAST: "is at least",
    Operator.AT_MOST: "is at most",
    Operator.BETWEEN: "is between",
    Operator.CONTAINS: "contains",
    Operator.IS_TRUE: "is true",
}

OPERATORS_BY_TYPE = {
    AttributeType.BOOLEAN: (Operator.IS_TRUE,),
    AttributeType.NUMBER: (Operator.IS, Operator.AT_LEAST, Operator.AT_MOST, Operator.BETWEEN),
    AttributeType.CATEGORY: (Operator.IS, Operator.IS_ONE_OF),
    AttributeType.TEXT: (Operator.IS, Operator.CONTAINS),
}


class ConditionError(ValueError):
    """A condition that cannot be used; the message says why, for the person who wrote it."""


@dataclass(frozen=True)
class Attribute:
    key: str
    label: str
    type: AttributeType
    allowed_values: tuple[str, ...] = ()


# A number of a condition is at most this many places from the decimal point either way,
# so its sentence stays a sentence ("1e999999" would read back as a million digits).
MAX_NUMBER_PLACES = 30


def _number(raw: object, label: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ConditionError(f"{label} needs a number, not “{raw}”.") from None
    if not value.is_finite():
        raise ConditionError(f"{label} needs a finite number.")
    if value and not -MAX_NUMBER_PLACES <= value.adjusted() < MAX_NUMBER_PLACES:
        raise ConditionError(f"{label} needs a number of an everyday size, not “{raw}”.")
    return value


def plain_number(value: object) -> str:
    """A number as a person writes it: 50, 12.5, 1000 (not 50.00, 1.25E+1 or 1E+3).
    Conditions store and read back their numbers this way, so "at least 50.00" and
    "at least 50" are one condition."""
    number = Decimal(str(value).strip())
    if not number:
        return "0"
    return format(number.normalize(), "f")


def _values(raw: object) -> list[str]:
    if isinstance(raw, list | tuple):
        items = [str(v).strip() for v in raw]
    else:
        items = [v.strip() for v in str(raw).split(",")]
    return [v for v in items if v]


def normalize_value(attribute: Attribute, operator: str, raw: object) -> object:
    """Check a condition against its attribute's type and return its value in stored form.

    Numbers are returned as strings of decimals (JSON keeps them exact), lists as lists.
    Raises ConditionError with a message for the person who typed it.
    """
    try:
        op = Operator(operator)
    except ValueError:
        raise ConditionError(f"Unknown operator “{operator}”.") from None
    if op not in OPERATORS_BY_TYPE[attribute.type]:
        allowed = ", ".join(OPERATOR_LABELS[o] for o in OPERATORS_BY_TYPE[attribute.type])
        raise ConditionError(f"“{attribute.label}” is a {attribute.type} attribute: use {allowed}.")
    label = attribute.label
    if op is Operator.IS_TRUE:
        return True
    if attribute.type is AttributeType.NUMBER:
        if op is Operator.BETWEEN:
            bounds = _values(raw)
            if len(bounds) != 2:
                raise ConditionError(f"{label} between needs two numbers, e.g. “10, 50”.")
            low, high = (_number(b, label) for b in bounds)
            if low > high:
                raise ConditionError(
                    f"{label} between {plain_number(low)} and {plain_number(high)}: "
                    "the first must be the lower."
                )
            return [plain_number(low), plain_number(high)]
        return plain_number(_number(raw, label))
    if attribute.type is AttributeType.CATEGORY:
        values = _values(raw) if op is Operator.IS_ONE_OF else [str(raw).strip()]
        if not values or not values[0]:
            raise ConditionError(f"{label} needs a value.")
        unknown = [v for v in values if v not in attribute.allowed_values]
        if unknown:
            raise ConditionError(
                f"{label} has no value “{unknown[0]}”; it can be "
                + ", ".join(attribute.allowed_values)
                + "."
            )
        return values if op is Operator.IS_ONE_OF else values[0]
    text = str(raw).strip()
    if not text:
        raise ConditionError(f"{label} needs a value.")
    return text


def describe(attribute: Attribute, operator: str, value: object) -> str:
    """The condition as a sentence: "Cart value is at least 50". Numbers read back as
    written, without quotes (conditions stored before numbers were kept plain, "50.00",
    read back as 50 too)."""
    op = Operator(operator)
    if op is Operator.IS_TRUE:
        return f"{attribute.label} is true"
    if attribute.type is AttributeType.NUMBER:
        value = [plain_number(v) for v in value] if op is Operator.BETWEEN else plain_number(value)
    if op is Operator.BETWEEN:
        return f"{attribute.label} is between {value[0]} and {value[1]}"
    if op is Operator.IS_ONE_OF:
        return f"{attribute.label} is one of {', '.join(value)}"
    return f"{attribute.label} {OPERATOR_LABELS[op]} {value}"


def operators_for(attribute_type: str) -> Sequence[Operator]:
    return OPERATORS_BY_TYPE[AttributeType(attribute_type)]


# --- Reading conditions typed as sentences ---------------------------------------------

# Words that make a statement negative ("isn't" is read as "is not").
NEGATION_WORDS = frozenset({"not", "never", "no", "without", "neither", "nor"})

# Phrases after the attribute, longest first so "is at least" wins over "is".
PHRASES: tuple[tuple[str, Operator], ...] = (
    ("is one of", Operator.IS_ONE_OF),
    ("is at least", Operator.AT_LEAST),
    ("is at most", Operator.AT_MOST),
    ("is between", Operator.BETWEEN),
    ("is true", Operator.IS_TRUE),
    ("contains", Operator.CONTAINS),
    ("is", Operator.IS),
)
ARTICLES = ("a", "an")  # "visitor type is a returning (visitor)"


@dataclass(frozen=True)
class ParsedCondition:
    attribute: Attribute
    operator: Operator
    value: object

    def __str__(self) -> str:
        return describe(self.attribute, self.operator, self.value)


def _positive_suggestion(attribute: Attribute, rest: str) -> str:
    """What to write instead of a negation, where the attribute's values allow it."""
    rest = rest.strip()
    if attribute.type is AttributeType.CATEGORY:
        for prefix in ("one of ", "a ", "an ", "is "):
            rest = rest.removeprefix(prefix)
        excluded = {v.strip().lower() for v in rest.replace(" or ", ",").split(",")}
        others = [v for v in attribute.allowed_values if v.lower() not in excluded]
        if len(others) == 1:
            return f"“{attribute.label} is {others[0]}”"
        if others:
            return f"“{attribute.label} is one of {', '.join(others)}”"
    if attribute.type is AttributeType.NUMBER:
        if rest.startswith("at least "):
            return f"“{attribute.label} is at most …” with the highest value that qualifies"
        if rest.startswith("at most "):
            return f"“{attribute.label} is at least …” with the lowest value that qualifies"
    if attribute.type is AttributeType.BOOLEAN:
        return f"a positive attribute for the opposite of “{attribute.label}” (e.g. “is a guest”)"
    return ""


def parse(text: str, attributes: Sequence[Attribute]) -> ParsedCondition:
    """Read "cart value is at least 50" against the organization's attributes.

    Negated statements are refused, with the positive form suggested when the attribute's
    values allow one: "visitor type is not new" → "visitor type is returning".
    Raises ConditionError with a message for the person who typed it.
    """
    sentence = " ".join(str(text).split())
    lowered = sentence.lower()
    if not sentence:
        raise ConditionError("Write a condition, e.g. “cart value is at least 50”.")
    candidates = sorted(
        (
            (" ".join(name.lower().split()), a)
            for a in attributes
            for name in (a.label, a.key)
            if name.strip()
        ),
        key=lambda pair: -len(pair[0]),
    )
    attribute, rest = None, ""
    for name, candidate in candidates:
        if lowered.startswith(name + " ") or lowered == name:
            # Where the name ends in the sentence as typed: lower() may lengthen a
            # letter ("İ" becomes "i" and a dot), never shorten one.
            end = next(n for n in range(len(name), 0, -1) if sentence[:n].lower() == name)
            attribute, rest = candidate, sentence[end:].strip()
            break
    if attribute is None:
        known = ", ".join(a.label for a in attributes) or "none defined yet"
        raise ConditionError(f"“{sentence}” names no known attribute (known: {known}).")
    words = rest.lower().replace("n't", " not").split()
    negated = next((i for i, w in enumerate(words) if w in NEGATION_WORDS), None)
    phrased = _operator_and_value(rest, OPERATORS_BY_TYPE[attribute.type]) or (
        _operator_and_value(rest, tuple(Operator))
    )
    if negated is not None and not (phrased and _allowed_values_only(attribute, *phrased)):
        after = " ".join(w for w in words[negated + 1 :] if w not in ("longer",))
        suggestion = _positive_suggestion(attribute, after)
        hint = (
            f" Write {suggestion} instead."
            if suggestion
            else " Say who qualifies, not who does not."
        )
        raise ConditionError(
            f"Conditions are positive statements: “{sentence}” is a negation.{hint}"
        )
    if phrased is None:
        raise ConditionError(
            f"“{sentence}”: after “{attribute.label}” write is, is one of, is at least, "
            "is at most, is between … and …, contains or is true."
        )
    operator, raw = phrased
    if operator is Operator.BETWEEN:
        raw = raw.replace(" and ", ",")
    if (
        operator is Operator.IS
        and attribute.type is AttributeType.BOOLEAN
        and raw.lower() in ("true", "yes")
    ):
        operator, raw = Operator.IS_TRUE, ""
    article, _space, noun = raw.partition(" ")
    if (
        operator is Operator.IS
        and attribute.type is AttributeType.CATEGORY
        and article.lower() in ARTICLES
        and raw not in attribute.allowed_values
        and noun in attribute.allowed_values
    ):
        # "is a returning", but an allowed value "an apple" keeps its article, and a
        # text is taken as written: "is a sale" is the text "a sale".
        raw = noun
    return ParsedCondition(attribute, operator, normalize_value(attribute, operator, raw))


def _operator_and_value(rest: str, operators) -> tuple[Operator, str] | None:
    """ "is at least 50" → (AT_LEAST, "50"); None if no phrase of `operators` starts it.
    The attribute's own operators are tried first: for a text, "is at least 5" is the
    text "at least 5", while a number's "is at least 5" is the operator."""
    lowered_rest = rest.lower()
    for phrase, operator in PHRASES:
        if operator not in operators:
            continue
        if lowered_rest == phrase or lowered_rest.startswith(phrase + " "):
            return operator, rest[len(phrase) :].strip()
    return None


def _allowed_values_only(attribute: Attribute, operator: Operator, raw: str) -> bool:
    """The value is one or more of the category's own values: "country is NO" (Norway)
    names a value, it does not negate."""
    if attribute.type is not AttributeType.CATEGORY:
        return False
    values = _values(raw) if operator is Operator.IS_ONE_OF else [raw]
    return operator in (Operator.IS, Operator.IS_ONE_OF) and all(
        v in attribute.allowed_values for v in values
    )


# --- Checking a set of conditions ------------------------------------------------------


def _as_set(operator: Operator, value) -> set[str] | None:
    if operator is Operator.IS:
        return {str(value)}
    if operator is Operator.IS_ONE_OF:
        return {str(v) for v in value}
    return None


def _as_range(operator: Operator, value) -> tuple[Decimal, Decimal] | None:
    inf = Decimal("Infinity")
    if operator is Operator.AT_LEAST:
        return Decimal(value), inf
    if operator is Operator.AT_MOST:
        return -inf, Decimal(value)
    if operator is Operator.BETWEEN:
        return Decimal(value[0]), Decimal(value[1])
    if operator is Operator.IS:
        return Decimal(value), Decimal(value)
    return None


def contradiction(conditions: Sequence[tuple[Attribute, str, object]]) -> str | None:
    """Why no customer can satisfy all these conditions together, or None if one can."""
    by_key: dict[str, list[tuple[Attribute, Operator, object]]] = {}
    for attribute, operator, value in conditions:
        by_key.setdefault(attribute.key, []).append((attribute, Operator(operator), value))
    for group in by_key.values():
        attribute = group[0][0]
        if attribute.type is AttributeType.CATEGORY or attribute.type is AttributeType.TEXT:
            allowed: set[str] | None = None
            for _a, op, value in group:
                values = _as_set(op, value)
                if values is not None:
                    allowed = values if allowed is None else allowed & values
            if allowed is not None and not allowed:
                return f"{attribute.label} cannot be all of: " + "; ".join(
                    describe(a, o, v) for a, o, v in group if _as_set(o, v) is not None
                )
        if attribute.type is AttributeType.NUMBER:
            low, high = Decimal("-Infinity"), Decimal("Infinity")
            for _a, op, value in group:
                bounds = _as_range(op, value)
                if bounds:
                    low, high = max(low, bounds[0]), min(high, bounds[1])
            if low > high:
                return f"{attribute.label} cannot be all of: " + "; ".join(
                    describe(a, o, v) for a, o, v in group
                )
    return None


def duplicates(conditions: Sequence[tuple[Attribute, str, object]]) -> list[str]:
    """Conditions stated twice."""
    seen, twice = set(), []
    for attribute, operator, value in conditions:
        key = (
            attribute.key,
            str(operator),
            repr(sorted(value) if isinstance(value, list) else value),
        )
        if key in seen:
            twice.append(describe(attribute, operator, value))
        seen.add(key)
    return twice
