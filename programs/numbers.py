"""Numbers as the pages write them, for any app, in the active language: 1,234.5 and 27% in
English, 1.234,5 and 27 % in Danish. Plain functions, and the `numbers` template library
(programs/templatetags/numbers.py); kpis' kpi_format adds KPI units.

The functions format the English way first (Python's own `,` and `.`), then `localized`
swaps the separators for the active language's (Django's locale formats), so every page,
fragment, chart table and e-mail writes numbers one way per language.
"""

from decimal import ROUND_HALF_UP, Decimal

from babel import Locale
from django.utils import formats, translation
from django.utils.translation import gettext as _

from programs.number_reading import NumberProblem, Problem

DASH = "\u2013"  # an en dash for "no value"
NBSP = "\u00a0"


def decimal_separator() -> str:
    return formats.get_format("DECIMAL_SEPARATOR")


def thousands_separator() -> str:
    return formats.get_format("THOUSAND_SEPARATOR")


def localized(text: str) -> str:
    """A number written the English way ("1,234.5", "-0.25") with the active language's
    separators ("1.234,5" in Danish). Text around the number is left as it is."""
    decimal, thousands = decimal_separator(), thousands_separator()
    if (decimal, thousands) == (".", ","):
        return text
    return text.translate(str.maketrans({",": thousands, ".": decimal}))


def localized_number(text: str) -> str:
    """A number written the English way, percent sign and all, the active language's way:
    "8.1%" → "8,1 %" in Danish (programs.messages.Number)."""
    if text.endswith("%"):
        return percent(localized(text[:-1]))
    return localized(text)


def percent(number_text: str) -> str:
    """A number followed by the percent sign the way the language writes it: "27%" in
    English and Dutch, "27 %" (a no-break space) in Danish and Slovenian."""
    return f"{number_text}{NBSP if _spaced_percent() else ''}%"


def _spaced_percent() -> bool:
    language = translation.get_language() or "en"
    pattern = Locale.parse(translation.to_locale(language)).percent_formats[None].pattern
    return "\u00a0%" in pattern or " %" in pattern


def currency(value: Decimal | float, code: str, *, places: int = 2) -> str:
    """An amount with its ISO code where the language puts it: "EUR 41.50" in English and
    Dutch, "41,50 EUR" in Danish and Slovenian."""
    amount = localized(f"{Decimal(str(value)):,.{places}f}")
    if not code:
        return amount
    language = translation.get_language() or "en"
    pattern = Locale.parse(translation.to_locale(language)).currency_formats["standard"].pattern
    return f"{amount} {code}" if pattern.rstrip().endswith("¤") else f"{code} {amount}"


def pct(value, digits: int = 0) -> str:
    """A number that is already a percentage, with the language's percent sign:
    55.56 → "56%" (digits=0), "55.6%" with digits=1; "55,6 %" in Danish."""
    if value is None or value == "":
        return DASH
    # Halves round up, as Django's floatformat does: 12.5 → "13%".
    rounded = Decimal(str(value)).quantize(Decimal(1).scaleb(-int(digits)), ROUND_HALF_UP)
    return percent(localized(f"{rounded:,.{int(digits)}f}"))


def share(value) -> str:
    """A fraction as a percentage: 0.273 → 27%; under 10% with one decimal (0.062 → 6.2%)."""
    if value is None or value == "":
        return DASH
    number = float(value) * 100
    return percent(localized(f"{number:.1f}" if abs(number) < 10 else f"{number:.0f}"))


def trim(value: Decimal, places: int) -> str:
    """`value` to at most `places` decimals, grouped, without trailing zeros, in the active
    language: 1234.5000 → "1,234.5" (English), "1.234,5" (Danish)."""
    text = f"{value:,.{places}f}"
    return localized(text.rstrip("0").rstrip(".") if "." in text else text)


def number(value) -> str:
    """A plain number without trailing zeros: 2.4000 → 2.4."""
    if value is None or value == "":
        return DASH
    return trim(Decimal(value), 4)


def count(value) -> str:
    """A count with thousands separated: 1234567 → 1,234,567 (1.234.567 in Danish)."""
    if value is None or value == "":
        return DASH
    return localized(f"{int(value):,}")


def number_short(value) -> str:
    """A measured average, to three significant digits: 142.3561 → 142; 0.04567 → 0.0457."""
    if value is None or value == "":
        return DASH
    value = float(value)
    if value != value:  # NaN: no known values
        return DASH
    return localized(f"{value:,.0f}" if abs(value) >= 100 else f"{value:.3g}")


def get_item(mapping, key):
    return mapping.get(key) if mapping else None


def number_problem_message(problem: NumberProblem) -> str:
    """What to tell the person who typed a number that cannot be read safely."""
    match problem.problem:
        case Problem.OTHER_DECIMAL:
            return _("“%(text)s”: the decimal separator here is “%(decimal)s”; write %(fix)s.") % {
                "text": problem.text,
                "decimal": decimal_separator(),
                "fix": problem.suggestions[0],
            }
        case Problem.AMBIGUOUS:
            return _(
                "“%(text)s” can be read two ways: write %(whole)s for the whole number or "
                "%(fraction)s for the decimal one."
            ) % {
                "text": problem.text,
                "whole": problem.suggestions[0],
                "fraction": problem.suggestions[1],
            }
        case Problem.NOT_WHOLE:
            return _("“%(text)s” is not a whole number.") % {"text": problem.text}
        case _:
            return _("“%(text)s” is not a number.") % {"text": problem.text}
