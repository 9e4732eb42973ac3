"""Reading a number the way a language writes it, and refusing what could be read two ways.

English writes 1,234.56; Danish, Slovenian and Dutch write 1.234,56. A form or a file that
guessed would read "1.234" as 1234 in one language and as 1.234 in another, and nobody would
notice. So a number is read with the separators its writer uses (`decimal`, and `thousands`
for grouping, "" where no grouping is expected) and refused with a reason when:

- it uses the other language's decimal separator ("8.97" where the decimal is ","), or
- one separator stands before exactly three digits and could be either ("1.234" in Danish is
  1234, to an English reader 1.234): the writer is asked to write it without grouping.

Pure: no Django. Callers turn a `NumberProblem` into a message in the person's language.
"""

import re
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

# Spaces people and spreadsheets put between thousands (a plain, a no-break, a thin one).
GROUPING_SPACES = (" ", "\u00a0", "\u202f")
MINUS_SIGNS = ("-", "\u2212")


class Problem(StrEnum):
    NOT_A_NUMBER = "not_a_number"
    # The separator the writer's language does not use for decimals: "8.97" in Danish.
    OTHER_DECIMAL = "other_decimal"
    # "1.234" in Danish: a thousands group or, to another reader, a decimal.
    AMBIGUOUS = "ambiguous"
    # "2,5" for a whole number.
    NOT_WHOLE = "not_whole"


@dataclass
class NumberProblem(ValueError):
    problem: Problem
    text: str
    # What the writer meant, written the way their language writes it, where that is clear
    # ("8,97" for "8.97"); for AMBIGUOUS, the two readings.
    suggestions: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"{self.problem}: {self.text!r}"


def read_number(text: str, *, decimal: str, thousands: str, whole: bool = False) -> Decimal:
    """`text` as a number written with `decimal` and, for grouping, `thousands` ("" where
    no grouping is expected). Spaces may group thousands too ("1 234,5").

    >>> read_number("1.234,5", decimal=",", thousands=".")
    Decimal('1234.5')
    """
    raw = str(text).strip()
    negative = raw[:1] in MINUS_SIGNS
    sign = "-" if negative else ""
    if negative or raw[:1] == "+":
        raw = raw[1:].strip()
    if any(space in raw for space in GROUPING_SPACES):
        head, point, fraction = re.sub("[\u00a0\u202f]", " ", raw).partition(decimal)
        if not _grouped(head, " "):
            raise NumberProblem(Problem.NOT_A_NUMBER, text)
        raw, thousands = head.replace(" ", "") + point + fraction, ""
    if not re.fullmatch(r"[0-9.,]+", raw) or not re.search(r"[0-9]", raw):
        raise NumberProblem(Problem.NOT_A_NUMBER, text)
    other = "." if decimal == "," else ","
    head, point, fraction = raw.partition(decimal)
    if decimal in fraction or other in fraction:
        raise NumberProblem(Problem.NOT_A_NUMBER, text)
    if other in head:
        if thousands == other and _grouped(head, other):
            if not point and head.count(other) == 1:
                # "1.234" with nothing else to tell: a group of thousands or a decimal.
                readings = (head.replace(other, ""), head.replace(other, decimal))
                raise NumberProblem(Problem.AMBIGUOUS, text, tuple(sign + r for r in readings))
            head = head.replace(other, "")
        elif head.count(other) == 1 and not point:
            # "8.97" where the decimal is ",".
            raise NumberProblem(Problem.OTHER_DECIMAL, text, (sign + head.replace(other, decimal),))
        else:
            raise NumberProblem(Problem.NOT_A_NUMBER, text)
    number = Decimal(sign + (head or "0") + ("." + fraction if fraction else ""))
    if whole and number != number.to_integral_value():
        raise NumberProblem(Problem.NOT_WHOLE, text)
    return number


def _grouped(head: str, separator: str) -> bool:
    """Thousands grouping: "1.234.567", a first group of 1-3 digits, then groups of three."""
    return re.fullmatch(rf"[0-9]{{1,3}}(?:{re.escape(separator)}[0-9]{{3}})+", head) is not None


def write_number(value: Decimal | float | int | str, *, decimal: str) -> str:
    """A number for a form field, without grouping or trailing zeros, with the language's
    decimal separator: Decimal("8.9700") → "8,97" where the decimal is ","."""
    number = Decimal(str(value))
    text = format(number.normalize(), "f") if number else "0"
    return text.replace(".", decimal) if decimal != "." else text
