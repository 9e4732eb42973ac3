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


def _number(raw: object, label: str) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise ConditionError(f"{label} needs a number, not “{raw}”.") from None
    if not value.is_finite():
        raise ConditionError(f"{label} needs a finite number.")
    return value


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
                    f"{label} between {low} and {high}: the first must be the lower."
                )
            return [str(low), str(high)]
        return str(_number(raw, label))
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
    """The condition as a sentence: "Cart value is at least 50"."""
    op = Operator(operator)
    if op is Operator.IS_TRUE:
        return f"{attribute.label} is true"
    if op is Operator.BETWEEN:
        return f"{attribute.label} is between {value[0]} and {value[1]}"
    if op is Operator.IS_ONE_OF:
        return f"{attribute.label} is one of {', '.join(value)}"
    return f"{attribute.label} {OPERATOR_LABELS[op]} {value}"


def operators_for(attribute_type: str) -> Sequence[Operator]:
    return OPERATORS_BY_TYPE[AttributeType(attribute_type)]
