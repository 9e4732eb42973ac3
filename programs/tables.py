"""Customer tables read from CSV or XLSX for learning (no Django).

Segment discovery reads a customer table and propensity training an exposure history; both
arrive as a file of up to a million rows with a header line. This module turns such a file
into a pandas DataFrame and says, in words a marketer understands, why a file cannot be used.
Columns are described as numeric or categorical once, so forms can offer the right choices.
"""

import csv
import io
import re
import warnings
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import BinaryIO

import openpyxl
import pandas as pd
from openpyxl.utils.exceptions import InvalidFileException

MAX_ROWS = 1_000_000
MAX_XLSX_ROWS = 100_000
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
                )
        else:
            header = _workbook_header(name, data)
            frame = pd.read_excel(io.BytesIO(data), engine="openpyxl", nrows=MAX_ROWS + 1)
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


def _workbook_header(name: str, data: bytes) -> list[str]:
    """The first sheet's first row, read without loading the sheet; TableError when the
    sheet is too long to read while the page waits (openpyxl reads 5,000-7,000 rows of
    eight columns a second here, so a million would take minutes: CSV takes seconds)."""
    workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        sheet = workbook.worksheets[0]
        if (sheet.max_row or 0) > MAX_XLSX_ROWS + 1:
            raise TableError(
                f"“{name}” has {sheet.max_row - 1:,} rows; Excel files of more than "
                f"{MAX_XLSX_ROWS:,} rows are read too slowly here: save it as CSV."
            )
        first = next(sheet.iter_rows(max_row=1, values_only=True), ())
        return ["" if cell is None else str(cell) for cell in first]
    finally:
        workbook.close()


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
