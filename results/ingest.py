"""Reading measurements from files and feeds, as plain functions (no Django).

A source's rows (CSV, XLSX, JSON) are mapped to the fields of a measurement and checked
one by one. Nothing is loaded unless every row is good: the caller gets the records, or the
row errors (line, column, reason) to show.
"""

import csv
import datetime
import io
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from programs import csvsafe
from programs.messages import Message, Number, _
from programs.number_reading import NumberProblem, Problem, read_number
from programs.workbooks import WorkbookRefused, check_workbook

FIELDS = ("kpi", "period", "value", "segment", "variant", "numerator", "denominator")
REQUIRED = ("kpi", "period", "value")
VARIANTS = ("", "personalized", "control", "holdout")
MAX_FIELD = 10_000  # characters; a longer cell is not a measurement
MAX_ERRORS_SHOWN = 100
# What a workbook's first sheet may hold: a 50 MB CSV, the upload limit, holds about 1,000,000
# measurements of seven columns (100,000 are 5 MB); openpyxl reads 100,000 rows of twelve
# columns in 10 to 20 s here. Cells are counted as read, the blank ones before a row's last
# cell too (a row reaching column XFD is 16,384 of them): 1,000,000 rows of 30 columns.
MAX_XLSX_ROWS = 1_000_000
MAX_XLSX_CELLS = 30_000_000
MAX_VALUE = Decimal("1e12")  # what the value column holds (18 digits, 6 after the point)
MAX_COUNT = Decimal("1e14")  # numerators and denominators (18 digits, 4 after the point)
VALUE_PLACES = Decimal("1e-6")
# A rate KPI's value given with its numerator and denominator is their quotient (times 100
# for a percent), up to rounding: 2.3 for 231 of 10,000 passes, 8.3 for 23 of 1,000 not.
RATE_SCALE = {"percent": Decimal(100), "ratio": Decimal(1)}
RATE_TOLERANCE = Decimal("0.01")
COUNT_PLACES = Decimal("1e-4")


class FileProblem(ValueError):
    """The file as a whole cannot be read; the message says why."""


@dataclass(frozen=True)
class Record:
    kpi_id: int
    period_kind: str  # "day", "week" or "month"
    period_start: datetime.date
    segment_id: int | None
    variant: str
    value: Decimal
    numerator: Decimal | None
    denominator: Decimal | None

    @property
    def key(self) -> tuple:
        return (self.kpi_id, self.period_kind, self.period_start, self.segment_id, self.variant)


@dataclass(frozen=True)
class RowError:
    """Why a row was refused: `reason` in English (what the API answers and the logs keep),
    `message` to show each reader in their language."""

    line: int
    column: str
    reason: str
    message: Message | None = None

    @classmethod
    def of(cls, line: int, column: str, message: Message) -> "RowError":
        return cls(line, column, message.english, message)


@dataclass
class Checked:
    records: list[Record] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    rows_read: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass(frozen=True)
class KpiInfo:
    id: int
    unit: str


WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def parse_period(raw: str) -> tuple[str, datetime.date]:
    """ "2026-03-14" (a day), "2026-W11" (an ISO week), "2026-03" (a month)."""
    raw = raw.strip()
    if match := WEEK.match(raw):
        return "week", datetime.date.fromisocalendar(int(match[1]), int(match[2]), 1)
    if match := MONTH.match(raw):
        return "month", datetime.date(int(match[1]), int(match[2]), 1)
    if "T" in raw:
        raw = raw.split("T", 1)[0]
    return "day", datetime.date.fromisoformat(raw)


CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def shown(raw: object) -> str:
    """A value as it may be quoted back in a message: no control characters, not too long."""
    return CONTROL.sub("?", str(raw))[:40]


def _number(raw: object, decimal: str = ".") -> Decimal:
    """A cell as a number: a spreadsheet's number as it is, text with the file's decimal
    separator ("8,97" where it is a comma; "8.97" there is refused, never read as 897)."""
    if isinstance(raw, int | float) and not isinstance(raw, bool):
        value = Decimal(str(raw))
    elif decimal == ",":
        value = read_number(str(raw), decimal=",", thousands="")
    else:
        value = Decimal(str(raw).strip().replace(" ", ""))
    if not value.is_finite():
        raise InvalidOperation
    return value


def _not_a_number(raw: str, decimal: str) -> Message:
    """Why a cell is not a number, naming the separator where that is the reason."""
    if decimal == ",":
        try:
            read_number(raw, decimal=",", thousands="")
        except NumberProblem as problem:
            if problem.problem is Problem.OTHER_DECIMAL:
                return Message(
                    _(
                        "“%(raw)s” has a decimal point, but this file's decimal separator is "
                        "a comma: write %(suggestion)s"
                    ),
                    {"raw": shown(raw), "suggestion": problem.suggestions[0]},
                )
    elif "," in raw and raw.replace(",", "", 1).replace("-", "", 1).strip().isdigit():
        return Message(
            _(
                "“%(raw)s” has a decimal comma, but this file's decimal separator is a point: "
                "choose “Comma” as the decimal separator for this file"
            ),
            {"raw": shown(raw)},
        )
    return Message(_("not a number: “%(raw)s”"), {"raw": shown(raw)})


def _as_stored(number: Decimal, places: Decimal, limit: Decimal) -> Decimal | None:
    """The number rounded to the decimals its column keeps, as the database would round
    it; None if it is too large for the column, before or after rounding
    (999999999999.9999999 rounds up to 10^12)."""
    # copy_abs, not abs(): abs() rounds in the decimal context, which overflows (an
    # exception) for 1e999999999 instead of saying the number is too large.
    if number.copy_abs() >= limit:
        return None
    rounded = number.quantize(places)
    return rounded if abs(rounded) < limit else None


def check_rows(
    rows: Iterable[tuple[int, Mapping[str, object]]],
    mapping: Mapping[str, str],
    *,
    kpis: Mapping[str, KpiInfo],
    segments: Mapping[str, int],
    today: datetime.date,
    decimal: str = ".",
) -> Checked:
    """Check every row; `mapping` names the column for each field (FIELDS); text numbers
    are written with `decimal` as their decimal separator.

    `kpis` and `segments` are keyed by lower-cased name. Lines are numbered as the
    person sees them (the header is line 1 in a file).
    """
    checked = Checked()
    seen: dict[tuple, int] = {}
    columns = {name: mapping.get(name) or "" for name in FIELDS}
    for line, row in rows:
        checked.rows_read += 1
        problems: list[RowError] = []
        # Each mapped cell read once, as stripped text.
        cells = {
            name: "" if not column or (v := row.get(column)) is None else str(v).strip()
            for name, column in columns.items()
        }
        cell = cells.__getitem__

        def fail(name: str, reason: Message, problems=problems, line=line) -> None:
            problems.append(RowError.of(line, mapping.get(name) or name, reason))

        kpi = kpis.get(cell("kpi").lower())
        if not cell("kpi"):
            fail("kpi", Message(_("empty")))
        elif kpi is None:
            fail(
                "kpi",
                Message(
                    _("no KPI “%(kpi)s” in this program's open cycle"), {"kpi": shown(cell("kpi"))}
                ),
            )
        period = None
        try:
            period = parse_period(cell("period"))
        except ValueError:
            fail(
                "period",
                Message(
                    _("not a date, week or month: “%(period)s”"), {"period": shown(cell("period"))}
                ),
            )
        else:
            if period[1] > today:
                fail(
                    "period",
                    Message(_("%(day)s is in the future"), {"day": period[1].isoformat()}),
                )
        value = None
        try:
            value = _number(row.get(mapping.get("value") or "", ""), decimal)
        except (InvalidOperation, ValueError):
            fail("value", _not_a_number(cell("value"), decimal))
        if value is not None:
            rounded = _as_stored(value, VALUE_PLACES, MAX_VALUE)
            if rounded is None:
                fail("value", Message(_("“%(raw)s” is too large"), {"raw": shown(cell("value"))}))
            value = rounded
        if value is not None and kpi is not None:
            if kpi.unit == "percent" and not 0 <= value <= 100:
                fail(
                    "value",
                    Message(
                        _("%(value)s is not a percent between 0 and 100"),
                        {"value": Number(format(value.normalize(), "f"))},
                    ),
                )
            elif kpi.unit in ("count", "duration", "currency", "ratio") and value < 0:
                fail(
                    "value",
                    Message(
                        _("%(value)s is negative"),
                        {"value": Number(format(value.normalize(), "f"))},
                    ),
                )
        segment_id = None
        if cell("segment"):
            segment_id = segments.get(cell("segment").lower())
            if segment_id is None:
                fail(
                    "segment",
                    Message(_("no segment “%(segment)s”"), {"segment": shown(cell("segment"))}),
                )
        variant = cell("variant").lower()
        if variant not in VARIANTS:
            fail("variant", Message(_("must be personalized, control, holdout or empty")))
        parts = {}
        for name in ("numerator", "denominator"):
            parts[name] = None
            if cell(name):
                try:
                    parts[name] = _number(cell(name), decimal)
                except (InvalidOperation, ValueError):
                    fail(name, _not_a_number(cell(name), decimal))
                    continue
                rounded = _as_stored(parts[name], COUNT_PLACES, MAX_COUNT)
                if parts[name] < 0:
                    fail(name, Message(_("is negative")))
                elif rounded is None:
                    fail(name, Message(_("“%(raw)s” is too large"), {"raw": shown(cell(name))}))
                elif rounded == 0 and name == "denominator":
                    # 0.00001 is kept as 0.0000: a zero the rates would divide by.
                    fail(
                        name,
                        Message(_("is zero") if parts[name] == 0 else _("is zero at 4 decimals")),
                    )
                parts[name] = rounded
        successes, trials = parts["numerator"], parts["denominator"]
        if successes is not None and trials is not None and not problems:
            if successes > trials:
                fail(
                    "numerator",
                    Message(
                        _(
                            "%(successes)s is above its denominator %(trials)s: a rate cannot "
                            "have more successes than trials"
                        ),
                        {"successes": Number(str(successes)), "trials": Number(str(trials))},
                    ),
                )
            elif value is not None and kpi is not None and kpi.unit in RATE_SCALE:
                rate = successes / trials * RATE_SCALE[kpi.unit]
                if abs(value - rate) > RATE_TOLERANCE * max(abs(rate), 1):
                    shown_rate = f"{float(rate):.3g}{'%' if kpi.unit == 'percent' else ''}"
                    fail(
                        "value",
                        Message(
                            _(
                                "%(value)s does not match numerator ÷ denominator (%(rate)s); "
                                "give all three from one count, or leave out the numerator and "
                                "denominator"
                            ),
                            {
                                "value": Number(format(value.normalize(), "f")),
                                "rate": Number(shown_rate),
                            },
                        ),
                    )
        if problems:
            checked.errors.extend(problems)
            continue
        record = Record(
            kpi.id,
            period[0],
            period[1],
            segment_id,
            variant,
            value,
            parts["numerator"],
            parts["denominator"],
        )
        if record.key in seen:
            checked.errors.append(
                RowError.of(
                    line,
                    mapping.get("period") or "period",
                    Message(_("the same measurement as line %(line)s"), {"line": seen[record.key]}),
                )
            )
            continue
        seen[record.key] = line
        checked.records.append(record)
    if checked.rows_read == 0:
        raise FileProblem("The file has no rows of data.")
    return checked


def ragged(line: int, values: int, columns: int) -> str:
    """Why a row with another number of values than its header is refused: loading it
    would drop or shift a value (a decimal comma in a comma file splits a number in two)."""
    return (
        f"Line {line} has {values} value{'s' if values != 1 else ''}; the header has "
        f"{columns}. Nothing was loaded: a number written with a decimal comma in a "
        "comma-separated file splits in two (quote it, or save the file with semicolons)."
    )


class Dialect(csv.excel):
    """A CSV with a given delimiter, quoted as Excel and LibreOffice quote."""

    def __init__(self, delimiter: str):
        super().__init__()
        self.delimiter = delimiter


def read_csv(
    data: bytes, *, delimiter: str | None = None
) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """Header and numbered rows of a CSV; FileProblem for what makes it unreadable.
    `delimiter` is the column separator the file says it has; without one it is guessed."""
    if not data.strip():
        raise FileProblem("The file is empty.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise FileProblem(
            f"The file is not UTF-8 text (byte {error.start}). "
            "Save it as “CSV UTF-8” and try again."
        ) from None
    if "\x00" in text:
        raise FileProblem("The file contains NUL bytes: it is not a text (CSV) file.")
    try:
        guessed = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        guessed = csv.excel
    dialect = guessed if delimiter is None else Dialect(delimiter)
    # newline="": the csv module finds the line ends itself, "\r" (old Mac) ones too.
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        header = [h.strip() for h in next(reader)]
    except (StopIteration, csv.Error) as error:
        raise FileProblem(f"The first line is not a header: {error}") from None
    if delimiter is not None and len(header) == 1 and guessed.delimiter != delimiter:
        first = next(csv.reader(io.StringIO(text, newline=""), guessed), [])
        if len(first) > 1:
            raise FileProblem(
                f"The header is one column, “{shown(header[0])}”: the file seems to separate "
                f"its columns with “{_name(guessed.delimiter)}”, not “{_name(delimiter)}”. "
                "Choose that column separator and upload it again."
            )
    if len(set(header)) != len(header):
        raise FileProblem(
            "Two columns have the same name: "
            + ", ".join(sorted({h for h in header if header.count(h) > 1}))
        )

    def rows() -> Iterator[tuple[int, dict]]:
        line = 1
        try:
            for values in reader:
                line += 1
                if max(map(len, values), default=0) > MAX_FIELD:
                    raise FileProblem(f"Line {line} has a cell over {MAX_FIELD:,} characters.")
                if not "".join(values).strip():
                    continue
                if len(values) != len(header):
                    raise FileProblem(ragged(line, len(values), len(header)))
                # A cell an export neutralized as a formula ('=x) reads as it was typed.
                yield line, dict(zip(header, map(csvsafe.restore, values), strict=True))
        except csv.Error as error:
            raise FileProblem(f"Line {line + 1} cannot be read: {error}") from None

    return header, rows()


def read_xlsx(data: bytes) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    """Header and numbered rows of a workbook's first sheet; FileProblem for what makes it
    unreadable, and for a workbook that would unpack or read past the limits (the zip
    directory is checked before openpyxl opens it; rows and cells are counted as read)."""
    from openpyxl import load_workbook

    try:
        check_workbook(data)
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except WorkbookRefused as refusal:
        raise FileProblem(str(refusal)) from None
    except Exception as error:  # openpyxl raises several kinds for a broken file
        raise FileProblem(
            f"The file is not an Excel workbook (.xlsx): {type(error).__name__}"
        ) from None
    if not book.worksheets:  # only chart sheets, or a damaged list of sheets
        raise FileProblem("The workbook has no worksheet to read.")
    sheet = book.worksheets[0]
    # openpyxl stops at the sheet's declared <dimension> (dropping the rows past it) and pads
    # every row to it; each row is read to its own last cell instead.
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    try:
        header = [str(h).strip() if h is not None else "" for h in next(rows)]
    except StopIteration:
        raise FileProblem("The first sheet is empty.") from None
    except Exception as error:  # openpyxl reads lazily; a damaged sheet fails here
        raise FileProblem(f"The workbook is damaged: {type(error).__name__}") from None
    blank = (None,) * len(header)

    def numbered() -> Iterator[tuple[int, dict]]:
        try:
            yield from _numbered()
        except FileProblem:
            raise
        except Exception as error:  # openpyxl reads lazily; a damaged sheet fails here
            raise FileProblem(f"The workbook is damaged: {type(error).__name__}") from None

    def _numbered() -> Iterator[tuple[int, dict]]:
        cells = len(header)
        for line, values in enumerate(rows, start=2):
            if line > MAX_XLSX_ROWS + 1:
                raise FileProblem(
                    f"The sheet has more than {MAX_XLSX_ROWS:,} rows below its header; at most "
                    f"{MAX_XLSX_ROWS:,} are read from a workbook. Split it into several files."
                )
            cells += max(len(values), len(header))  # what the loops below go through
            if cells > MAX_XLSX_CELLS:
                raise FileProblem(_too_many_cells())
            if values is None or all(v is None or str(v).strip() == "" for v in values):
                continue
            if len(values) < len(header):  # a row ends at its last cell; the rest is blank
                values = tuple(values) + blank[len(values) :]
            row = {}
            for name, value in zip(header, values, strict=False):
                if isinstance(value, datetime.datetime):
                    value = value.date().isoformat()
                elif isinstance(value, datetime.date):
                    value = value.isoformat()
                row[name] = "" if value is None else value
            yield line, row

    return header, numbered()


def _too_many_cells() -> str:
    return (
        f"The sheet has more than {MAX_XLSX_CELLS:,} cells (rows times columns, blank ones "
        "too); split it into several files, or remove the columns that are not needed."
    )


def _name(delimiter: str) -> str:
    return "tab" if delimiter == "\t" else delimiter


def read_file(
    name: str, data: bytes, *, delimiter: str | None = None
) -> tuple[list[str], Iterator[tuple[int, dict]]]:
    if name.lower().endswith((".xlsx", ".xlsm")):
        return read_xlsx(data)
    return read_csv(data, delimiter=delimiter)


def guess_mapping(header: list[str]) -> dict[str, str]:
    """Columns named like the fields map themselves (e.g. "KPI", "date", "value")."""
    synonyms = {
        "kpi": ("kpi", "metric", "measure"),
        "period": ("period", "date", "day", "week", "month"),
        "value": ("value", "amount"),
        "segment": ("segment",),
        "variant": ("variant", "group", "arm"),
        "numerator": ("numerator", "conversions", "successes"),
        "denominator": ("denominator", "visits", "sessions", "trials"),
    }
    lowered = {h.lower(): h for h in header}
    return {
        f: next((lowered[s] for s in names if s in lowered), "") for f, names in synonyms.items()
    }
