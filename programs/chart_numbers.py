"""A chart's numbers as text, for people who cannot see the chart (and everyone who wants
the exact values).

Each chart module builds its figure and, from the same inputs, a small table: a caption,
column headings and rows of ready-to-show strings, plus a one-sentence label for the
chart's `role="img"`. It travels in the figure's JSON under "numbers" (the page's chart
script draws only "data" and "layout"), and `templates/_chart_numbers.html` renders it as a
"Show the numbers" table beside the chart. The strings are plain text: the template escapes
them, so they are not Plotly-escaped.
"""

from collections.abc import Sequence

from programs.numbers import currency, localized, percent

NOTHING = "\u2013"  # an en dash, as the pages show a missing value


def attach(
    figure: dict,
    *,
    label: str,
    caption: str,
    columns: Sequence[str],
    rows: Sequence[Sequence[object]],
) -> dict:
    """The figure with its numbers added; every cell a string, a missing value shown as a dash."""
    figure["numbers"] = {
        "label": label,
        "caption": caption,
        "columns": [str(c) for c in columns],
        "rows": [
            [NOTHING if cell is None or cell == "" else str(cell) for cell in row] for row in rows
        ],
    }
    return figure


def number(value: float | int | None, *, digits: int = 2, suffix: str = "") -> str:
    """A value as a person reads it: at most `digits` decimals, no trailing zeros."""
    if value is None:
        return NOTHING
    text = f"{float(value):,.{digits}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return f"{localized(text)}{suffix}"


def in_unit(value: float | int | None, unit: str, *, currency_code: str = "") -> str:
    """A KPI's value in its unit, as the KPI pages show it: 3.2%, +8%, EUR 41.50, 45 s."""
    if value is None:
        return NOTHING
    match unit:
        case "percent":
            return percent(number(value))
        case "percent_change":
            return percent(("+" if value > 0 else "") + number(value))
        case "currency":
            return currency(float(value), currency_code)
        case "duration":
            return number(value, digits=1, suffix=" s")
        case _:
            return number(value)
