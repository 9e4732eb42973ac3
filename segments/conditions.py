"""Conditions on typed customer attributes, as plain data (no Django).

Segments are defined by them, and the blueprint's offers will be too, so both speak one
vocabulary: an attribute has a type (boolean, number, category, text) and, for categories,
its allowed values. A condition is a positive statement: "visitor type is returning",
"cart value is at least 50", "country is one of NL, BE".
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from enum import StrEnum

from programs.messages import Message, _
from programs.number_reading import NumberProblem, read_number


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


OPERATORS_BY_TYPE = {
    AttributeType.BOOLEAN: (Operator.IS_TRUE,),
    AttributeType.NUMBER: (Operator.IS, Operator.AT_LEAST, Operator.AT_MOST, Operator.BETWEEN),
    AttributeType.CATEGORY: (Operator.IS, Operator.IS_ONE_OF),
    AttributeType.TEXT: (Operator.IS, Operator.CONTAINS),
}


class ConditionError(ValueError):
    """A condition that cannot be used; its `message` says why, for the person who wrote it."""

    def __init__(self, template: str, **params: object):
        self.message = Message(template, params)
        super().__init__(self.message.english)


@dataclass(frozen=True)
class Attribute:
    key: str
    label: str
    type: AttributeType
    allowed_values: tuple[str, ...] = ()


@dataclass(frozen=True)
class Wording:
    """How one language writes conditions. A condition is stored without language (an
    operator and plain values); it is typed and read back in the person's language.

    `phrases` gives each operator's words after the attribute: the first is how a
    condition reads back, the others are accepted when typed ("er én af" beside "er en
    af"). A language with a decimal comma reads and writes "49,5", and "between" takes its
    two numbers joined by `and_word` only (a comma is part of a number there).
    """

    language: str
    phrases: dict[Operator, tuple[str, ...]]
    and_word: str  # "cart value is between 10 and 50"
    or_word: str  # "country is one of NL or BE" when typed
    true_words: tuple[str, ...]  # "has an account is yes" reads as "is true"
    negations: frozenset[str]  # words that make a statement negative
    contractions: tuple[tuple[str, str], ...] = ()  # "isn't" is read as "is not"
    fillers: tuple[str, ...] = ()  # words after a negation that add nothing ("no longer")
    articles: tuple[str, ...] = ()  # "visitor type is a returning (visitor)"
    decimal: str = "."
    type_names: dict[AttributeType, str] = field(default_factory=dict)
    example: str = "cart value is at least 50"
    opposite_example: str = "is a guest"

    @property
    def parse_phrases(self) -> tuple[tuple[str, Operator], ...]:
        """Every phrase with its operator, longest first so "is at least" wins over "is"."""
        pairs = [(p, op) for op, words in self.phrases.items() for p in words]
        return tuple(sorted(pairs, key=lambda pair: -len(pair[0])))

    def label(self, operator: Operator) -> str:
        return self.phrases[operator][0]

    def number(self, value: object) -> str:
        """A stored number as this language writes it: "49.5" → "49,5"."""
        text = plain_number(value)
        return text.replace(".", self.decimal) if self.decimal != "." else text


ENGLISH = Wording(
    language="en",
    phrases={
        Operator.IS_ONE_OF: ("is one of",),
        Operator.AT_LEAST: ("is at least",),
        Operator.AT_MOST: ("is at most",),
        Operator.BETWEEN: ("is between",),
        Operator.IS_TRUE: ("is true",),
        Operator.CONTAINS: ("contains",),
        Operator.IS: ("is",),
    },
    and_word="and",
    or_word="or",
    true_words=("true", "yes"),
    negations=frozenset({"not", "never", "no", "without", "neither", "nor"}),
    contractions=(("n't", " not"),),
    fillers=("longer",),
    articles=("a", "an"),
    type_names={
        AttributeType.BOOLEAN: "boolean",
        AttributeType.NUMBER: "number",
        AttributeType.CATEGORY: "category",
        AttributeType.TEXT: "text",
    },
)

DANISH = Wording(
    language="da",
    phrases={
        Operator.IS_ONE_OF: ("er en af", "er én af", "er et af", "er ét af"),
        Operator.AT_LEAST: ("er mindst", "er på mindst"),
        Operator.AT_MOST: ("er højst", "er på højst"),
        Operator.BETWEEN: ("er mellem",),
        Operator.IS_TRUE: ("er sand", "er sandt"),
        Operator.CONTAINS: ("indeholder",),
        Operator.IS: ("er",),
    },
    and_word="og",
    or_word="eller",
    true_words=("sand", "sandt", "ja", "true"),
    negations=frozenset({"ikke", "aldrig", "ingen", "intet", "uden", "hverken"}),
    fillers=("længere",),
    articles=("en", "et"),
    decimal=",",
    type_names={
        AttributeType.BOOLEAN: "ja/nej",
        AttributeType.NUMBER: "tal",
        AttributeType.CATEGORY: "kategori",
        AttributeType.TEXT: "tekst",
    },
    example="kurvens værdi er mindst 50",
    opposite_example="er gæst",
)

SLOVENIAN = Wording(
    language="sl",
    phrases={
        Operator.IS_ONE_OF: ("je eden od", "je ena od", "je eno od"),
        Operator.AT_LEAST: ("je vsaj", "je najmanj"),
        Operator.AT_MOST: ("je največ", "je kvečjemu"),
        Operator.BETWEEN: ("je med",),
        Operator.IS_TRUE: ("drži", "je res"),
        Operator.CONTAINS: ("vsebuje",),
        Operator.IS: ("je",),
    },
    and_word="in",
    or_word="ali",
    true_words=("da", "res", "true"),
    negations=frozenset({"ni", "ne", "nikoli", "brez", "niti", "nima", "nimajo"}),
    fillers=("več",),
    decimal=",",
    type_names={
        AttributeType.BOOLEAN: "da/ne",
        AttributeType.NUMBER: "številska",
        AttributeType.CATEGORY: "kategorijska",
        AttributeType.TEXT: "besedilna",
    },
    example="vrednost košarice je vsaj 50",
    opposite_example="je gost",
)

DUTCH = Wording(
    language="nl",
    phrases={
        Operator.IS_ONE_OF: ("is een van", "is één van"),
        Operator.AT_LEAST: ("is minstens", "is ten minste", "is minimaal"),
        Operator.AT_MOST: ("is hoogstens", "is ten hoogste", "is maximaal"),
        Operator.BETWEEN: ("is tussen",),
        Operator.IS_TRUE: ("is waar",),
        Operator.CONTAINS: ("bevat",),
        Operator.IS: ("is",),
    },
    and_word="en",
    or_word="of",
    true_words=("waar", "ja", "true"),
    negations=frozenset({"niet", "nooit", "geen", "zonder", "noch"}),
    fillers=("meer",),
    articles=("een",),
    decimal=",",
    type_names={
        AttributeType.BOOLEAN: "ja/nee",
        AttributeType.NUMBER: "getal",
        AttributeType.CATEGORY: "categorie",
        AttributeType.TEXT: "tekst",
    },
    example="winkelwagenwaarde is minstens 50",
    opposite_example="is een gast",
)

WORDINGS = {w.language: w for w in (ENGLISH, DANISH, SLOVENIAN, DUTCH)}


# A number of a condition is at most this many places from the decimal point either way,
# so its sentence stays a sentence ("1e999999" would read back as a million digits).
MAX_NUMBER_PLACES = 30


def _number(raw: object, label: str, wording: Wording = ENGLISH) -> Decimal:
    text = str(raw).strip()
    try:
        if wording.decimal != ".":
            text = str(read_number(text, decimal=wording.decimal, thousands=""))
        value = Decimal(text)
    except (InvalidOperation, ValueError, NumberProblem):
        raise ConditionError(
            _("%(label)s needs a number, not “%(raw)s”."), label=label, raw=raw
        ) from None
    if not value.is_finite():
        raise ConditionError(_("%(label)s needs a finite number."), label=label)
    if value and not -MAX_NUMBER_PLACES <= value.adjusted() < MAX_NUMBER_PLACES:
        raise ConditionError(
            _("%(label)s needs a number of an everyday size, not “%(raw)s”."), label=label, raw=raw
        )
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


def _bounds(raw: object, wording: Wording) -> list[str]:
    """The two numbers of "between": a list, or "10 and 50" (also "10, 50" and "10; 50"
    where the decimal is a point; "10 og 50" and "10; 50" where it is a comma)."""
    if isinstance(raw, list | tuple):
        return [str(v).strip() for v in raw if str(v).strip()]
    text = f" {raw} ".replace(f" {wording.and_word} ", ";")
    if wording.decimal == ".":
        text = text.replace(",", ";")
    return [v.strip() for v in text.split(";") if v.strip()]


def normalize_value(
    attribute: Attribute, operator: str, raw: object, wording: Wording = ENGLISH
) -> object:
    """Check a condition against its attribute's type and return its value in stored form.

    Numbers are returned as strings of decimals (JSON keeps them exact), lists as lists;
    `wording` says how a typed number is written ("49,5" in Danish).
    Raises ConditionError with a message for the person who typed it.
    """
    try:
        op = Operator(operator)
    except ValueError:
        raise ConditionError(_("Unknown operator “%(operator)s”."), operator=operator) from None
    if op not in OPERATORS_BY_TYPE[attribute.type]:
        raise ConditionError(
            _("“%(label)s” is a %(type)s attribute: use %(allowed)s."),
            label=attribute.label,
            type=wording.type_names.get(attribute.type, attribute.type.value),
            allowed=", ".join(wording.label(o) for o in OPERATORS_BY_TYPE[attribute.type]),
        )
    label = attribute.label
    if op is Operator.IS_TRUE:
        return True
    if attribute.type is AttributeType.NUMBER:
        if op is Operator.BETWEEN:
            bounds = _bounds(raw, wording)
            if len(bounds) != 2:
                raise ConditionError(
                    _("%(label)s between needs two numbers, e.g. “%(example)s”."),
                    label=label,
                    example=f"10 {wording.and_word} 50",
                )
            low, high = (_number(b, label, wording) for b in bounds)
            if low > high:
                raise ConditionError(
                    _("%(condition)s: the first must be the lower."),
                    condition=describe(attribute, op, [low, high], wording),
                )
            return [plain_number(low), plain_number(high)]
        return plain_number(_number(raw, label, wording))
    if attribute.type is AttributeType.CATEGORY:
        values = _values(raw) if op is Operator.IS_ONE_OF else [str(raw).strip()]
        if not values or not values[0]:
            raise ConditionError(_("%(label)s needs a value."), label=label)
        unknown = [v for v in values if v not in attribute.allowed_values]
        if unknown:
            raise ConditionError(
                _("%(label)s has no value “%(value)s”; it can be %(values)s."),
                label=label,
                value=unknown[0],
                values=", ".join(attribute.allowed_values),
            )
        return values if op is Operator.IS_ONE_OF else values[0]
    text = str(raw).strip()
    if not text:
        raise ConditionError(_("%(label)s needs a value."), label=label)
    return text


def describe(attribute: Attribute, operator: str, value: object, wording: Wording = ENGLISH) -> str:
    """The condition as a sentence in `wording`'s language: "Cart value is at least 50",
    "Kurvens værdi er mindst 49,5". Numbers read back as written, without quotes
    (conditions stored before numbers were kept plain, "50.00", read back as 50 too)."""
    op = Operator(operator)
    if op is Operator.IS_TRUE:
        return f"{attribute.label} {wording.label(op)}"
    if attribute.type is AttributeType.NUMBER:
        value = (
            [wording.number(v) for v in value] if op is Operator.BETWEEN else wording.number(value)
        )
    if op is Operator.BETWEEN:
        return f"{attribute.label} {wording.label(op)} {value[0]} {wording.and_word} {value[1]}"
    if op is Operator.IS_ONE_OF:
        return f"{attribute.label} {wording.label(op)} {', '.join(value)}"
    return f"{attribute.label} {wording.label(op)} {value}"


def operators_for(attribute_type: str) -> Sequence[Operator]:
    return OPERATORS_BY_TYPE[AttributeType(attribute_type)]


# --- Reading conditions typed as sentences ---------------------------------------------


@dataclass(frozen=True)
class ParsedCondition:
    attribute: Attribute
    operator: Operator
    value: object

    def __str__(self) -> str:
        return describe(self.attribute, self.operator, self.value)

    def in_words(self, wording: Wording) -> str:
        return describe(self.attribute, self.operator, self.value, wording)


def _quoted(sentence: str) -> str:
    return f"“{sentence}”"


def _positive_suggestion(attribute: Attribute, rest: str, wording: Wording) -> str | Message:
    """What to write instead of a negation, where the attribute's values allow it."""
    rest = rest.strip()
    if attribute.type is AttributeType.CATEGORY:
        prefixes = [f"{p} " for p in wording.phrases[Operator.IS_ONE_OF]]
        prefixes += [p.split(" ", 1)[-1] + " " for p in wording.phrases[Operator.IS_ONE_OF]]
        prefixes += [f"{a} " for a in wording.articles]
        prefixes += [f"{p} " for p in wording.phrases[Operator.IS]]
        for prefix in prefixes:
            rest = rest.removeprefix(prefix)
        excluded = {v.strip().lower() for v in rest.replace(f" {wording.or_word} ", ",").split(",")}
        others = [v for v in attribute.allowed_values if v.lower() not in excluded]
        if len(others) == 1:
            return _quoted(describe(attribute, Operator.IS, others[0], wording))
        if others:
            return _quoted(describe(attribute, Operator.IS_ONE_OF, others, wording))
    if attribute.type is AttributeType.NUMBER:
        least, most = (
            wording.label(op).split(" ", 1)[-1] for op in (Operator.AT_LEAST, Operator.AT_MOST)
        )
        if rest.startswith(least + " "):
            return Message(
                _("“%(label)s %(phrase)s …” with the highest value that qualifies"),
                {"label": attribute.label, "phrase": wording.label(Operator.AT_MOST)},
            )
        if rest.startswith(most + " "):
            return Message(
                _("“%(label)s %(phrase)s …” with the lowest value that qualifies"),
                {"label": attribute.label, "phrase": wording.label(Operator.AT_LEAST)},
            )
    if attribute.type is AttributeType.BOOLEAN:
        return Message(
            _("a positive attribute for the opposite of “%(label)s” (e.g. “%(example)s”)"),
            {"label": attribute.label, "example": wording.opposite_example},
        )
    return ""


def parse(
    text: str, attributes: Sequence[Attribute], wording: Wording = ENGLISH
) -> ParsedCondition:
    """Read "cart value is at least 50" (in `wording`'s language: "kurvens værdi er mindst
    50") against the organization's attributes.

    Negated statements are refused, with the positive form suggested when the attribute's
    values allow one: "visitor type is not new" → "visitor type is returning".
    Raises ConditionError with a message for the person who typed it.
    """
    sentence = " ".join(str(text).split())
    lowered = sentence.lower()
    if not sentence:
        raise ConditionError(_("Write a condition, e.g. “%(example)s”."), example=wording.example)
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
        if attributes:
            raise ConditionError(
                _("“%(sentence)s” names no known attribute (known: %(known)s)."),
                sentence=sentence,
                known=", ".join(a.label for a in attributes),
            )
        raise ConditionError(
            _("“%(sentence)s” names no known attribute (none defined yet)."), sentence=sentence
        )
    words = rest.lower()
    for contraction, spelled in wording.contractions:
        words = words.replace(contraction, spelled)
    words = words.split()
    negated = next((i for i, w in enumerate(words) if w in wording.negations), None)
    phrased = _operator_and_value(rest, OPERATORS_BY_TYPE[attribute.type], wording) or (
        _operator_and_value(rest, tuple(Operator), wording)
    )
    if negated is not None and not (phrased and _allowed_values_only(attribute, *phrased)):
        after = " ".join(w for w in words[negated + 1 :] if w not in wording.fillers)
        suggestion = _positive_suggestion(attribute, after, wording)
        if suggestion:
            raise ConditionError(
                _(
                    "Conditions are positive statements: “%(sentence)s” is a negation. "
                    "Write %(suggestion)s instead."
                ),
                sentence=sentence,
                suggestion=suggestion,
            )
        raise ConditionError(
            _(
                "Conditions are positive statements: “%(sentence)s” is a negation. "
                "Say who qualifies, not who does not."
            ),
            sentence=sentence,
        )
    if phrased is None:
        phrases = [wording.label(op) for op in Operator if op is not Operator.BETWEEN]
        raise ConditionError(
            _("“%(sentence)s”: after “%(label)s” write %(phrases)s."),
            sentence=sentence,
            label=attribute.label,
            phrases=", ".join(
                [*phrases[:-1], f"{wording.label(Operator.BETWEEN)} … {wording.and_word} …"]
            )
            + f" {wording.or_word} {phrases[-1]}",
        )
    operator, raw = phrased
    if operator is Operator.BETWEEN:
        raw = _bounds(raw, wording)
    if (
        operator is Operator.IS
        and attribute.type is AttributeType.BOOLEAN
        and raw.lower() in wording.true_words
    ):
        operator, raw = Operator.IS_TRUE, ""
    if operator is not Operator.BETWEEN:
        article, _space, noun = raw.partition(" ")
        if (
            operator is Operator.IS
            and attribute.type is AttributeType.CATEGORY
            and article.lower() in wording.articles
            and raw not in attribute.allowed_values
            and noun in attribute.allowed_values
        ):
            # "is a returning", but an allowed value "an apple" keeps its article, and a
            # text is taken as written: "is a sale" is the text "a sale".
            raw = noun
    return ParsedCondition(attribute, operator, normalize_value(attribute, operator, raw, wording))


def _operator_and_value(rest: str, operators, wording: Wording) -> tuple[Operator, str] | None:
    """ "is at least 50" → (AT_LEAST, "50"); None if no phrase of `operators` starts it.
    The attribute's own operators are tried first: for a text, "is at least 5" is the
    text "at least 5", while a number's "is at least 5" is the operator."""
    lowered_rest = rest.lower()
    for phrase, operator in wording.parse_phrases:
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


def contradiction(
    conditions: Sequence[tuple[Attribute, str, object]], wording: Wording = ENGLISH
) -> Message | None:
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
                sentences = [
                    describe(a, o, v, wording) for a, o, v in group if _as_set(o, v) is not None
                ]
                return Message(
                    _("%(label)s cannot be all of: %(conditions)s"),
                    {"label": attribute.label, "conditions": "; ".join(sentences)},
                )
        if attribute.type is AttributeType.NUMBER:
            low, high = Decimal("-Infinity"), Decimal("Infinity")
            for _a, op, value in group:
                bounds = _as_range(op, value)
                if bounds:
                    low, high = max(low, bounds[0]), min(high, bounds[1])
            if low > high:
                sentences = [describe(a, o, v, wording) for a, o, v in group]
                return Message(
                    _("%(label)s cannot be all of: %(conditions)s"),
                    {"label": attribute.label, "conditions": "; ".join(sentences)},
                )
    return None


def duplicates(
    conditions: Sequence[tuple[Attribute, str, object]], wording: Wording = ENGLISH
) -> list[str]:
    """Conditions stated twice."""
    seen, twice = set(), []
    for attribute, operator, value in conditions:
        key = (
            attribute.key,
            str(operator),
            repr(sorted(value) if isinstance(value, list) else value),
        )
        if key in seen:
            twice.append(describe(attribute, operator, value, wording))
        seen.add(key)
    return twice
