"""CSV cells that a spreadsheet shows as text and never runs as a formula.

A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return is a formula to
Excel, LibreOffice and Google Sheets: an initiative named `=HYPERLINK("http://x", "Open")`
would be a link, and worse formulas run programs. Every export writes its rows through
`writer()`, which neutralizes such cells as OWASP recommends: a single quote in front, so
the spreadsheet shows the text as typed.

Decisions, so that exporting then importing gives back every cell exactly:

- Numbers stay numbers. Only text is neutralized: an int, float or Decimal cell is
  written as it is, and so is text that is a plain decimal number (`-3.5`, `+2`, `1e-3`,
  as a batch's profiles hold them): a spreadsheet reads those as numbers, never as
  formulas, and a value of -3.5 stays a number a chart or a sum can use.
- Text whose first character after any leading quotes would start a formula gets one
  more quote, so `'=x` (typed with its quote) is written `''=x`. `restore()` takes that
  one quote off again, which makes the two exact inverses: every text is written one
  way, and read back as it was. Text that starts with a quote and no formula after it
  (`'t Hoekje`) is left as it is.
- The importers (initiatives, measurement uploads) read every cell through `restore()`.
  A file written by hand with `'-5` in it is therefore read as `-5`, as a spreadsheet
  would show it.
"""

import csv
import re
from collections.abc import Iterable
from decimal import Decimal
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
QUOTE = "'"
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _starts_formula(text: str) -> bool:
    return text.lstrip(QUOTE).startswith(FORMULA_STARTS)


def csv_safe(value: Any) -> Any:
    """The cell as it is written: text that would start a formula gets a quote in front."""
    if not isinstance(value, str) or PLAIN_NUMBER.fullmatch(value):
        return value
    return QUOTE + value if _starts_formula(value) else value


def restore(cell: str) -> str:
    """The text a cell written by csv_safe() held: its neutralizing quote taken off."""
    if cell.startswith(QUOTE) and _starts_formula(cell):
        return cell[1:]
    return cell


class SafeWriter:
    """csv.writer's writerow and writerows, every cell through csv_safe(); numbers with
    `decimal` as their decimal separator (Excel in Danish reads 8,97, not 8.97)."""

    def __init__(self, file, *, decimal: str = ".", **fmtparams) -> None:
        self._writer = csv.writer(file, **fmtparams)
        self.decimal = decimal

    def writerow(self, row: Iterable[Any]) -> Any:
        cells = [csv_safe(cell) for cell in row]
        if self.decimal != ".":
            cells = [_with_decimal(cell, self.decimal) for cell in cells]
        return self._writer.writerow(cells)

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def _with_decimal(cell: Any, decimal: str) -> Any:
    if isinstance(cell, (bool, int)):
        return cell
    if isinstance(cell, float | Decimal) or (
        isinstance(cell, str) and PLAIN_NUMBER.fullmatch(cell)
    ):
        return str(cell).replace(".", decimal)
    return cell


def writer(file, **fmtparams) -> SafeWriter:
    """A csv.writer for an export: no cell of it runs as a formula in a spreadsheet."""
    return SafeWriter(file, **fmtparams)


def excel_writer(file, *, decimal: str) -> SafeWriter:
    """An export "for Excel in your language": semicolons between the columns and the
    language's decimal separator, as Excel reads a CSV where the decimal is a comma."""
    return SafeWriter(file, delimiter=";", decimal=decimal)
