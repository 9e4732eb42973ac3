"""Customer tables read from CSV or XLSX for learning (no Django).

Segment discovery reads a customer table and propensity training an exposure history; both
arrive as a file of up to a million rows with a header line. This module turns such a file
into a pandas DataFrame and says, in words a marketer understands, why a file cannot be used.
Columns are described as numeric or categorical once, so forms can offer the right choices.
"""

import csv
import io
import math
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

import openpyxl
import pandas as pd
from openpyxl.cell.cell import TYPE_ERROR, TYPE_NUMERIC
from openpyxl.utils.exceptions import InvalidFileException
from pandas.io.parsers import TextParser

from programs.workbooks import WorkbookRefused, check_workbook

MAX_ROWS = 1_000_000
MAX_XLSX_ROWS = 100_000
# Cells are counted as read, the blank ones before a row's last cell too (a row reaching
# column XFD is 16,384 of them): 100,000 rows of 200 columns.
MAX_XLSX_CELLS = 20_000_000
MAX_COLUMNS = 200
# A text column with more distinct values than this is an identifier or free text, not a
# category a segment could be described by.
MAX_CATEGORIES = 50
SNIFF_BYTES = 64 * 1024
ID_NAME = re.compile(r"(^|[\s_.-])id$", re.IGNORECASE)


class TableError(ValueError):
    """The file cannot be used; the message says why, for the person who uploaded it."""


@dataclass(frozen=True)
class Column:
    name: str
    kind: str  # "numeric", "boolean", "category" or "other" (an id, free text, dates)
    distinct: int
    missing: int

    @property
    def constant(self) -> bool:
        return self.distinct <= 1

    def as_dict(self) -> dict:
        return {
            "name": self.name,
            "kind": self.kind,
            "distinct": self.distinct,
            "missing": self.missing,
        }


def read_table(name: str, stream: BinaryIO) -> pd.DataFrame:
    """The table in a CSV or XLSX file, with column names stripped of spaces.

    Raises TableError for anything that is not a usable table: another format, no rows,
    unreadable text, more than MAX_ROWS rows, blank or repeated column names.
    """
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix not in ("csv", "xlsx"):
        raise TableError(f"“{name}” is not a CSV or XLSX file.")
    data = stream.read()
    if not data.strip():
        raise TableError(f"“{name}” is empty.")
    if suffix == "csv" and b"\x00" in data:
        # No text holds one, and the database cannot keep one in a column name or category.
        raise TableError(
            f"“{name}” is not UTF-8 text: it holds NUL characters (as UTF-16 files do); "
            "save it as CSV UTF-8 and try again."
        )
    try:
        if suffix == "csv":
            text_head = data[:SNIFF_BYTES].decode("utf-8-sig", errors="replace")
            delimiter = _delimiter(text_head)
            # newline="": csv splits lines itself, old Mac "\r" endings and "\r" in quotes too.
            header = next(csv.reader(io.StringIO(text_head, newline=""), delimiter=delimiter), [])
            _refuse_ragged_lines(name, data, delimiter, len(header))
            with warnings.catch_warnings():
                # A line with more values than the header would lose them silently.
                warnings.simplefilter("error", pd.errors.ParserWarning)
                frame = pd.read_csv(
                    io.BytesIO(data),
                    sep=delimiter,
                    encoding="utf-8-sig",
                    nrows=MAX_ROWS + 1,
                    low_memory=False,
                    skipinitialspace=True,
                    index_col=False,
                    keep_default_na=False,
                    na_values=ALWAYS_MISSING,
                )
                frame = _missing_words_in_numbers(frame)
        else:
            header, frame = _read_workbook(name, data)
    except TableError:
        raise
    except pd.errors.ParserWarning:
        raise TableError(f"“{name}” has a line with more values than its header line.") from None
    except UnicodeDecodeError:
        raise TableError(
            f"“{name}” is not UTF-8 text; save it as CSV UTF-8 and try again."
        ) from None
    except (zipfile.BadZipFile, zlib.error, EOFError, SyntaxError, InvalidFileException):
        # Not a zip, a damaged one (zlib), one cut short, or XML inside that does not parse.
        raise TableError(
            f"“{name}” is not a readable Excel workbook: it is damaged or of another kind. "
            "Open it in Excel and save it again as .xlsx, or as CSV."
        ) from None
    except (
        ValueError,
        csv.Error,
        pd.errors.ParserError,
        OSError,
        KeyError,
        IndexError,
    ) as problem:
        # pandas and openpyxl say what is wrong with the file (a ragged line, not a workbook).
        lines = str(problem).strip().splitlines()
        reason = lines[0][:200] if lines else type(problem).__name__
        raise TableError(f"“{name}” cannot be read as a table: {reason}") from None
    return checked_frame(name, frame, header)


# pandas reads these cells as missing in any column; "NA" and "None" only in a column of
# numbers (R writes NA for a missing one): elsewhere they are values, Namibia's country code
# or a plan named None, and a customer table read them back blank.
MAYBE_MISSING = ("NA", "None")
ALWAYS_MISSING = sorted(pd._libs.parsers.STR_NA_VALUES - set(MAYBE_MISSING))


def _missing_words_in_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """A text column whose cells are numbers, blanks or MAYBE_MISSING (at least one
    number), as numbers; a column of nothing but "NA" stays text, one value."""
    for name in frame.columns:
        values = frame[name]
        if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_bool_dtype(values):
            continue
        words = values.isin(MAYBE_MISSING)
        if not words.any():
            continue
        rest = values[~words].dropna()
        if not rest.empty and pd.to_numeric(rest, errors="coerce").notna().all():
            frame[name] = pd.to_numeric(values.where(~words), errors="coerce")
    return frame


def _read_workbook(name: str, data: bytes) -> tuple[list[str], pd.DataFrame]:
    """The first sheet's header and table, as pd.read_excel reads them (the same cells
    handed to the same parser), but bounded: no workbook is opened before check_workbook
    passed it, and rows and cells are counted as read, never trusting the sheet's declared
    dimension. TableError past MAX_XLSX_ROWS rows (openpyxl reads 5,000-7,000 rows of eight
    columns a second here, so a million would take minutes: CSV takes seconds)."""
    try:
        check_workbook(data)
    except WorkbookRefused as refusal:
        raise TableError(f"“{name}” cannot be read: {refusal}") from None
    workbook = openpyxl.load_workbook(
        io.BytesIO(data), read_only=True, data_only=True, keep_links=False
    )
    try:
        sheet = workbook.worksheets[0]
        # openpyxl stops at the declared <dimension> and pads every row to it; each row is
        # read to its own last cell instead, as pandas does.
        sheet.reset_dimensions()
        rows: list[list] = []
        header: list[str] = []
        filled = cells = 0
        for number, row in enumerate(sheet.iter_rows(), start=1):
            if number > MAX_XLSX_ROWS + 1:
                raise TableError(
                    f"“{name}” has more than {MAX_XLSX_ROWS:,} rows; Excel files of more than "
                    f"{MAX_XLSX_ROWS:,} rows are read too slowly here: save it as CSV."
                )
            cells += len(row)
            if cells > MAX_XLSX_CELLS:
                raise TableError(
                    f"“{name}” has more than {MAX_XLSX_CELLS:,} cells (rows times columns, "
                    "blank ones too); Excel files of more are read too slowly here: save it "
                    "as CSV, or remove the columns that are not needed."
                )
            values = [_cell_value(cell) for cell in row]
            while values and values[-1] == "":
                values.pop()
            if number == 1:
                header = ["" if cell.value is None else str(cell.value) for cell in row]
                header = header[: len(values)]
            elif len(values) > len(header):
                raise TableError(f"“{name}” has a line with more values than its header line.")
            if values:
                filled = number
            rows.append(values)
    finally:
        workbook.close()
    rows = rows[:filled]  # no blank lines at the end, as pandas reads them
    if not rows:
        return header, pd.DataFrame()
    rows = [values + [""] * (len(header) - len(values)) for values in rows]
    # What pd.read_excel does with the rows it read (pandas.io.excel._base._parse_sheet).
    with TextParser(
        rows, header=0, skip_blank_lines=False, keep_default_na=False, na_values=ALWAYS_MISSING
    ) as parser:
        return header, _missing_words_in_numbers(parser.read())


def _cell_value(cell):
    """A cell as pandas' openpyxl reader hands it on: blank as "", errors as NaN, whole
    numbers as int; an infinite number stays one, as in a CSV file (pandas fails on it)."""
    if cell.value is None:
        return ""
    if cell.data_type == TYPE_ERROR:
        return float("nan")
    if cell.data_type == TYPE_NUMERIC and math.isfinite(cell.value):
        whole = int(cell.value)
        return whole if whole == cell.value else float(cell.value)
    return cell.value


def _refuse_ragged_lines(name: str, data: bytes, delimiter: str, columns: int) -> None:
    """TableError for the first line with another number of values than the header: pandas
    would drop the extra ones silently (or fill the missing ones with blanks)."""
    text = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8-sig", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    for values in reader:
        if values and len(values) != columns and "".join(values).strip():
            raise TableError(
                f"“{name}” line {reader.line_num} has {len(values)} value"
                f"{'s' if len(values) != 1 else ''}; the header has {columns}."
            )


def _delimiter(head: str) -> str:
    try:
        return csv.Sniffer().sniff(head.split("\n", 1)[0], delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def checked_frame(name: str, frame: pd.DataFrame, header: list[str]) -> pd.DataFrame:
    """The frame if it is a table one can learn from, else TableError. `header` is the
    file's first line as written (pandas renames a repeated column "a" to "a.1")."""
    names = [column.strip() for column in header]
    if len(frame) > MAX_ROWS:
        raise TableError(f"“{name}” has more than {MAX_ROWS:,} rows; split it or sample it.")
    if len(names) > MAX_COLUMNS:
        raise TableError(f"“{name}” has {len(names)} columns; at most {MAX_COLUMNS}.")
    if any(not column for column in names):
        raise TableError(f"“{name}” has a column without a name in its header line.")
    repeated = sorted({column for column in names if names.count(column) > 1})
    if repeated:
        raise TableError(f"“{name}” names a column twice: {', '.join(repeated)}.")
    if frame.empty or len(frame.columns) != len(names):
        raise TableError(f"“{name}” has a header but no rows.")
    frame.columns = names
    return frame


def looks_like_id(name: str) -> bool:
    """ "id", "customer_id", "Customer ID", "klant-id": a key, not something customers share."""
    return bool(ID_NAME.search(name))


def describe(frame: pd.DataFrame) -> list[Column]:
    """Each column as numeric, boolean, category or other (an id, free text, dates), with
    its distinct and missing counts."""
    columns = []
    for name in frame.columns:
        values = frame[name]
        distinct = int(values.nunique(dropna=True))
        if looks_like_id(name) and distinct >= len(values) - int(values.isna().sum()):
            kind = "other"
        elif pd.api.types.is_bool_dtype(values) or (
            pd.api.types.is_numeric_dtype(values) and set(values.dropna().unique()) <= {0, 1}
        ):
            kind = "boolean"
        elif pd.api.types.is_numeric_dtype(values):
            kind = "numeric"
        elif distinct <= MAX_CATEGORIES:
            kind = "category"
        else:
            kind = "other"
        columns.append(Column(name, kind, distinct, int(values.isna().sum())))
    return columns


def require_columns(frame: pd.DataFrame, wanted: Iterable[str], *, name: str) -> None:
    """TableError naming the wanted columns the file lacks, and the columns it has."""
    missing = [column for column in wanted if column not in frame.columns]
    if missing:
        raise TableError(
            f"“{name}” has no column {', '.join(f'“{c}”' for c in missing)}; "
            f"its columns are {', '.join(map(str, frame.columns))}."
        )
