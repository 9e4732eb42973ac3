"""Fuzzing measurement uploads (issue 10).

Whatever file arrives, `upload_receive` + `upload_load` either load every row, and loading
the same file again changes nothing, or refuse it with a message for a person (a
ValidationError at once, or a failed pull with its error and rejected rows), and then the
measurements are exactly as before. "Failed unexpectedly" is a crash, not a refusal.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from kpis.services import kpi_save
from results import ingest, sources
from results.loading import measurements_load
from results.models import Measurement, SourceKind
from segments.models import Segment
from tests.fuzzing import event, readers_answer, rolled_back

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("jobs_run_now")]

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

TODAY = datetime.date.today()
UNITS = {"Conversion rate": "percent", "Revenue per visit": "currency", "Visits": "count"}
SEGMENTS = ["Returning visitors", ""]
VARIANTS = ["", "personalized", "control", "holdout"]


@pytest.fixture
def results(world):
    """An upload source, KPIs of three units, and measurements already loaded for the
    last two weeks (so a load both inserts beside them and updates them)."""
    world.source = sources.source_save(
        program=world.program, by=world.user("manager"), name="Export", kind=SourceKind.UPLOAD
    )
    cycle = world.goal.cycle
    for name, unit in UNITS.items():
        if name != world.kpi.name:
            kpi_save(
                goal=world.goal,
                by=world.user("manager"),
                name=name,
                unit=unit,
                direction="higher",
                baseline=Decimal(1),
                baseline_date=cycle.starts_on,
                target=Decimal(2),
                target_date=cycle.ends_on,
                currency_code="EUR" if unit == "currency" else "",
            )
    world.kpis = {k.name: k for k in world.goal.kpis.all()}
    existing = [
        ingest.Record(
            kpi_id=world.kpi.pk,
            period_kind="day",
            period_start=TODAY - datetime.timedelta(days=d),
            segment_id=None,
            variant="",
            value=Decimal("2.5"),
            numerator=Decimal(25),
            denominator=Decimal(1000),
        )
        for d in range(1, 15)
    ]
    with transaction.atomic():
        measurements_load(records=existing, source_id=None)
    return world


def measurement_rows() -> list[tuple]:
    fields = [f.attname for f in Measurement._meta.concrete_fields]
    return list(Measurement.objects.order_by("pk").values_list(*fields))


def upload(world, name: str, data: bytes):
    """The pages' steps: receive (its job reads the preview), then load with the columns
    named like the fields, as the preview page proposes them. None if refused before the
    mapping: at once, or by the job that reads the file (its run says why)."""
    by = world.user("manager")
    try:
        pull = sources.upload_receive(source=world.source, file_name=name, data=data, by=by)
    except ValidationError as refused:
        assert refused.messages
        assert all(str(m).strip() for m in refused.messages), refused.messages
        event("refused at once", refused.messages[0][:40])
        return None
    pull.refresh_from_db()
    if pull.status == "failed":
        assert pull.error.strip() and "unexpectedly" not in pull.error, pull.error
        assert pull.payload is None  # the file is not kept
        event("refused when read", pull.error[:40])
        return None
    header = pull.preview["header"]
    mapping = {**ingest.guess_mapping(header), **{f: f for f in ingest.FIELDS if f in header}}
    mapping = {f: (c if c in header else "") for f, c in mapping.items()}
    return sources.upload_load(pull=pull, mapping=mapping, by=by)


def upload_or_refuse(world, name: str, data: bytes) -> bool:
    """Upload; a refusal says why and changes nothing, a load can be repeated to no effect.
    True if it loaded."""
    before = measurement_rows()
    pull = upload(world, name, data)
    if pull is None:
        assert measurement_rows() == before
        return False
    if pull.status == "failed":
        assert pull.error.strip()
        assert "unexpectedly" not in pull.error, pull.error
        for rejected in pull.rejected_rows:
            assert rejected["line"] >= 1 and rejected["column"] and rejected["reason"].strip()
        assert measurement_rows() == before
        event("refused on load", pull.error[:40])
        return False
    assert pull.status == "succeeded", (pull.status, pull.error)
    assert not Measurement.objects.filter(denominator=0).exists()  # rates divide by it
    assert pull.rows_read == pull.inserted + pull.updated + pull.unchanged + pull.skipped
    event("loaded")
    after = measurement_rows()
    again = upload(world, name, data)
    assert again is not None and again.status == "succeeded", again and again.error
    assert (again.inserted, again.updated) == (0, 0)
    assert measurement_rows() == after
    readers_answer(world.program, world.user("admin"))
    return True


def read_back(world, rows: list[dict]) -> None:
    """Every accepted row reads back equal, cell for cell: its KPI, period, segment and
    variant find one measurement holding its value, numerator and denominator (to the
    columns' decimals: 6 for values, 4 for counts)."""
    segments = {s.name.lower(): s.pk for s in Segment.objects.filter(organization=world.acme)}
    kpis = {k.name.lower(): k.pk for k in world.kpis.values()}
    for row in rows:
        assert set(row) == set(COLUMNS)  # exactly the header's columns
        kind, start = ingest.parse_period(row["period"])
        stored = Measurement.objects.get(
            kpi_id=kpis[row["kpi"].strip().lower()],
            period_kind=kind,
            period_start=start,
            segment_id=segments.get(row["segment"].strip().lower()),
            variant=row["variant"],
        )
        for column, places in (("value", 6), ("numerator", 4), ("denominator", 4)):
            cell = row[column]
            got = getattr(stored, column)
            if cell == "":
                continue  # an empty count is left as the row had it (or computed)
            assert got is not None, (column, row)
            assert abs(got - Decimal(cell)) <= Decimal(10) ** -places / 2, (column, cell, got)


# --- Strategies -----------------------------------------------------------------------

COLUMNS = ["kpi", "period", "value", "segment", "variant", "numerator", "denominator"]


def sometimes(draw, tenths: int) -> bool:
    """True about tenths/10 of the time; shrinks to False, the ordinary file."""
    return draw(st.integers(0, 9)) >= 10 - tenths


@st.composite
def periods(draw) -> tuple[str, str]:
    """A past day, ISO week or month: (kind, as written)."""
    day = TODAY - datetime.timedelta(days=draw(st.integers(1, 800)))
    match draw(st.sampled_from(["day", "day", "week", "month"])):
        case "week":
            year, week, _ = day.isocalendar()
            return "week", f"{year}-W{week:02d}"
        case "month":
            return "month", f"{day.year}-{day.month:02d}"
    return "day", day.isoformat()


def amount(low: Decimal, high: Decimal, places: int) -> st.SearchStrategy[str]:
    return st.decimals(low, high, places=places, allow_nan=False).map(str)


@st.composite
def valid_rows(draw) -> dict:
    """One measurement the upload must accept."""
    kpi = draw(st.sampled_from(list(UNITS)))
    high = Decimal(100) if UNITS[kpi] == "percent" else Decimal(99999999)
    row = {
        "kpi": draw(st.sampled_from([kpi, kpi.lower(), kpi.upper(), f" {kpi} "])),
        "period": draw(periods())[1],
        # Spreadsheets write floats with all their digits: 0.30000000000000004.
        "value": draw(
            amount(Decimal(0), high, draw(st.integers(0, 6))) | st.floats(0, float(high)).map(repr)
        ),
        "segment": draw(st.sampled_from(SEGMENTS)),
        "variant": draw(st.sampled_from(VARIANTS)),
        "numerator": "",
        "denominator": "",
    }
    if draw(st.booleans()):
        # A rate's successes never outnumber its trials, and a rate KPI's value is their
        # quotient (issue 18, item 3).
        trials = draw(st.integers(1, 10**7))
        successes = draw(st.integers(0, min(trials, 10**6)))
        row["numerator"], row["denominator"] = str(successes), str(trials)
        scale = {"percent": 100, "ratio": 1}.get(UNITS[kpi])
        if scale:
            row["value"] = str((Decimal(successes) * scale / trials).quantize(Decimal("1e-6")))
    return row


def natural_key(row: dict) -> tuple:
    kind, start = ingest.parse_period(row["period"])
    return (row["kpi"].strip().lower(), kind, start, row["segment"].lower(), row["variant"])


valid_files = st.lists(valid_rows(), min_size=1, max_size=8, unique_by=natural_key)

# Any character but surrogates; and some that break things.
NASTY = ["\x00", "a\x00b", "\ufeff", "\u2028", "\x85", "İ", "\r", "\n", '"', "'", ",", ";", "\t"]
text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=16),
    st.lists(st.sampled_from(NASTY), min_size=1, max_size=3).map("".join),
)
odd_numbers = st.one_of(
    st.sampled_from(
        [
            *("", " ", "NaN", "nan", "-NaN", "sNaN", "inf", "-Infinity", "1e999", "-1e999"),
            *("1e-999", "0E-7", "-0", "+5", "2,5", "1.234,5", "1,234.5", "1 000", "1_000"),
            *("5%", "€5", "$5", "0x10", "1/2", "½", "٣", "\uff11\uff12", "2.", ".5", "5e", "--5"),
            *("999999999999.999999", "999999999999.9999999", "1000000000000", "-1e12"),
            *("0.0000001", "2.1234567", "3.14159265358979", "0.30000000000000004"),
            *("99999999999999.99999", "0.00001", "0.00004", "1e13", "1e14"),
        ]
    ),
    # Around the columns' limits and decimals (value: 10^12, 6 places; counts: 10^14, 4).
    st.decimals(Decimal("999999999999.99"), Decimal("1000000000000.01")).map(str),
    st.decimals(Decimal("99999999999999.99"), Decimal("100000000000000.01")).map(str),
    st.decimals(Decimal(0), Decimal("0.001")).map(str),
    st.integers(-(10**20), 10**20).map(str),
    st.floats().map(str),
    st.decimals(allow_nan=True, allow_infinity=True).map(str),
)
odd_periods = st.one_of(
    st.sampled_from(
        [
            *("", "yesterday", "2026-13-01", "2026-02-30", "2026-W54", "2026-W00", "2021-W53"),
            *("2020-W53", "0000-01", "0001-01-01", "9999-12-31", "20260301", "2026-3-1"),
            *("01/03/2026", "03/01/2026", "1.3.2026", "2026/03/01", "1 March 2026", "Mar 2026"),
            *("2026-03-01T10:00:00", "2026-03-01T", "2026-03-01 10:00", "2026-03-01Z"),
            *("2026-W10-1", "2026W101", "2026-060", "2026-03-01T25:00", "T"),
        ]
    ),
    st.dates().map(datetime.date.isoformat),
    st.datetimes().map(datetime.datetime.isoformat),
    text,
)
BAD_CELLS = {
    "kpi": st.one_of(
        st.sampled_from(["", "Revenue", "conversion  rate", "Conversion rate\x00"]), text
    ),
    "period": odd_periods,
    "value": odd_numbers,
    "segment": st.one_of(st.sampled_from(["returning VISITORS", "Nobody", " "]), text),
    "variant": st.one_of(st.sampled_from(["Control", "CONTROL ", "test", "personalised"]), text),
    "numerator": odd_numbers,
    "denominator": st.one_of(st.sampled_from(["0", "0.0", "-0", "0.00001"]), odd_numbers),
}
long_cells = st.integers(1, 3).map(lambda n: "9" * (5_000 * n))
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "latin-1", "cp1252"]


@st.composite
def csv_files(draw) -> bytes:
    """Files that look like an export: valid rows with a few cells broken, rows duplicated,
    cut short or too long, empty lines, headers renamed or missing columns, naive or full
    quoting, another delimiter, line ending or encoding."""
    header = list(COLUMNS)
    if sometimes(draw, 3):
        header = draw(st.sets(st.sampled_from(COLUMNS[3:]))).union(COLUMNS[:3])
        header = draw(st.permutations(sorted(header)))
    if sometimes(draw, 2):
        header = [draw(st.sampled_from([h, h.upper(), f" {h} ", h.title()])) for h in header]
    if sometimes(draw, 1):
        names = st.one_of(st.sampled_from([*COLUMNS, "", "date", "Metric", "amount"]), text)
        header = draw(st.lists(names, max_size=9))
    rows = []
    for good in draw(valid_files):
        cells = [good.get(h.strip().lower(), "") for h in header]
        if cells and sometimes(draw, 3):
            for i in draw(st.sets(st.integers(0, len(cells) - 1), min_size=1, max_size=2)):
                column = header[i].strip().lower()
                cells[i] = draw(st.one_of(BAD_CELLS.get(column, text), long_cells, text))
        if sometimes(draw, 1):  # cut short or too long
            cells = cells[: draw(st.integers(0, len(cells)))] + draw(st.lists(text, max_size=2))
        rows.append(cells)
        if sometimes(draw, 1):  # the same measurement twice
            rows.append(list(cells))
        if sometimes(draw, 1):
            rows.append(draw(st.sampled_from([[], [""], ["", "", ""], [" "]])))
    delimiter = draw(st.sampled_from([",", ";", "\t"])) if sometimes(draw, 3) else ","
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if sometimes(draw, 2):  # the naive join of a hand-made export
        body = "".join(delimiter.join(cells) + ending for cells in [header, *rows])
    else:
        out = io.StringIO()
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL, csv.QUOTE_NONNUMERIC]))
        csv.writer(out, delimiter=delimiter, lineterminator=ending, quoting=quoting).writerows(
            [header, *rows]
        )
        body = out.getvalue()
    if sometimes(draw, 1):  # a lone surrogate, as a broken exporter writes it
        at = draw(st.integers(0, len(body)))
        return (body[:at] + "\ud800" + body[at:]).encode("utf-8", "surrogatepass")
    encoding = draw(st.sampled_from(ENCODINGS)) if sometimes(draw, 2) else "utf-8"
    return body.encode(encoding, errors="replace")


def workbook_bytes(sheets: list[list[list]], merge: bool = False) -> bytes:
    book = Workbook()
    book.remove(book.active)
    for n, rows in enumerate(sheets):
        sheet = book.create_sheet(f"Sheet{n + 1}")
        for row in rows:
            sheet.append(row)
        if merge and sheet.max_row > 1:
            sheet.merge_cells(start_row=1, start_column=1, end_row=2, end_column=2)
    if not sheets:
        book.create_sheet("Empty")
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def as_cell_value(column: str, raw: str, draw):
    """A valid cell as a spreadsheet holds it: numbers as numbers, periods as dates."""
    if column in ("value", "numerator", "denominator") and raw and draw(st.booleans()):
        number = Decimal(raw)
        return int(number) if number == number.to_integral() else float(number)
    if column == "period" and len(raw) == 10 and draw(st.booleans()):
        day = datetime.date.fromisoformat(raw)
        return draw(st.sampled_from([day, datetime.datetime(day.year, day.month, day.day, 13)]))
    return raw


ODD_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**18), 10**18),
    st.floats(allow_nan=False, allow_infinity=False),
    st.datetimes(datetime.datetime(1900, 3, 1), datetime.datetime(2100, 1, 1)),
    st.dates(datetime.date(1900, 3, 1), datetime.date(2100, 1, 1)),
    st.times(),
    st.sampled_from(["=1/0", "=SUM(C2:C3)", "=NOW()", "#DIV/0!", "=A1", "TRUE"]),
    text.map(lambda s: "".join(c for c in s if c >= " " or c in "\t\n\r")),
)


@st.composite
def xlsx_files(draw) -> bytes:
    """Workbooks as people make them: cells typed by the spreadsheet, odd values (formulas
    without a cached value, booleans, times, dates), several sheets or none with data,
    merged cells."""
    header = list(COLUMNS)
    rows = []
    for good in draw(valid_files):
        row = [as_cell_value(c, good[c], draw) for c in header]
        if sometimes(draw, 3):
            i = draw(st.integers(0, len(row) - 1))
            row[i] = draw(ODD_VALUES)
        rows.append(row)
    if sometimes(draw, 1):
        rows.insert(draw(st.integers(0, len(rows))), [None] * draw(st.integers(0, 8)))
    first = [header, *rows] if not sometimes(draw, 1) else []
    others = st.lists(st.lists(st.lists(ODD_VALUES, max_size=4), max_size=3), max_size=2)
    sheets = [first, *draw(others)]
    return workbook_bytes(sheets, merge=sometimes(draw, 1))


@st.composite
def damaged_xlsx(draw) -> bytes:
    """A valid workbook truncated, or with bytes flipped."""
    rows = [[good[c] for c in COLUMNS] for good in draw(valid_files)]
    data = bytearray(workbook_bytes([[COLUMNS, *rows]]))
    if draw(st.booleans()):
        return bytes(data[: int(draw(st.floats(0, 1, exclude_max=True)) * len(data))])
    # Places as fractions of the size: a workbook's size varies with the time it is saved.
    for at in draw(st.lists(st.floats(0, 1, exclude_max=True), min_size=1, max_size=8)):
        data[int(at * len(data))] ^= draw(st.integers(1, 255))
    return bytes(data)


@st.composite
def valid_csv_files(draw) -> tuple[list[dict], bytes]:
    """Valid rows as spreadsheets and scripts write them: any delimiter the upload
    recognizes, any line ending, any quoting, with or without a byte order mark."""
    out = io.StringIO()
    writer = csv.DictWriter(
        out,
        fieldnames=COLUMNS,
        delimiter=draw(st.sampled_from([",", ";", "\t"])),
        lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
    )
    writer.writeheader()
    rows = draw(valid_files)
    writer.writerows(rows)
    return rows, out.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])))


# --- Properties -----------------------------------------------------------------------


@settings(FUZZ, max_examples=25)
@given(file=valid_csv_files())
def test_valid_files_load_and_loading_them_again_changes_nothing(results, file):
    rows, data = file
    with rolled_back():
        assert upload_or_refuse(results, "results.csv", data)
        read_back(results, rows)


@st.composite
def odd_number_files(draw) -> bytes:
    """Valid files whose numbers are written in any form: every other cell stays valid,
    so the numbers alone decide whether the file loads."""
    rows = draw(valid_files)
    for row in rows:
        for column in ("value", "numerator", "denominator"):
            if sometimes(draw, 4):
                row[column] = draw(odd_numbers)
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS)
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


@settings(FUZZ, max_examples=60)
@given(data=odd_number_files())
def test_numbers_in_any_form_load_or_are_refused_by_their_cell(results, data):
    with rolled_back():
        upload_or_refuse(results, "results.csv", data)


@settings(FUZZ, max_examples=80)
@given(data=csv_files())
def test_mutated_csv_files_load_or_are_refused_with_nothing_written(results, data):
    with rolled_back():
        upload_or_refuse(results, "results.csv", data)


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.sampled_from([b"", b" ", b"\xef\xbb\xbf", b"\n\n", b"kpi,period,value", b"\x00"]),
        st.sampled_from([b"kpi,period,value\r\n", b'"kpi,period\n', b"PK\x03\x04"]),
        st.integers(1, 3).map(lambda n: b"kpi,period,value\nVisits,2020-01-01," + b"9" * 6_000 * n),
    ),
    name=st.sampled_from(["results.csv", "results.xlsx", "results.XLSM", "results", "r.txt"]),
)
def test_random_bytes_are_refused_with_a_message(results, data, name):
    with rolled_back():
        upload_or_refuse(results, name, data)


@settings(FUZZ, max_examples=40)
@given(data=xlsx_files(), name=st.sampled_from(["results.xlsx", "results.csv"]))
def test_generated_workbooks_load_or_are_refused_with_nothing_written(results, data, name):
    with rolled_back():
        upload_or_refuse(results, name, data)


@settings(FUZZ, max_examples=50)
@given(data=damaged_xlsx())
def test_damaged_workbooks_are_refused_with_a_message(results, data):
    with rolled_back():
        upload_or_refuse(results, "results.xlsx", data)


# --- Found by the properties above ----------------------------------------------------


@pytest.mark.parametrize(
    ("cells", "column", "reason"),
    [
        ("999999999999.9999999,,", "value", "is too large"),
        ("5,99999999999999.99999,1", "numerator", "is too large"),
        ("5,1,99999999999999.99999", "denominator", "is too large"),
        ("5,1,0.00001", "denominator", "is zero at 4 decimals"),
    ],
    ids=["value-rounds-up", "numerator-rounds-up", "denominator-rounds-up", "zero-denominator"],
)
def test_numbers_the_columns_cannot_keep_are_refused_by_their_cell(results, cells, column, reason):
    data = f"kpi,period,value,numerator,denominator\nVisits,2026-01-05,{cells}\n".encode()
    before = measurement_rows()
    pull = upload(results, "results.csv", data)
    assert pull.status == "failed"
    assert [{k: r[k] for k in ("line", "column", "reason")} for r in pull.rejected_rows] == [
        {"line": 2, "column": column, "reason": pull.rejected_rows[0]["reason"]}
    ]
    assert pull.rejected_rows[0]["reason"].endswith(reason)
    assert measurement_rows() == before


def test_numbers_are_kept_to_the_columns_decimals_and_a_reload_changes_nothing(results):
    data = (
        b"kpi,period,value,numerator,denominator\nVisits,2026-01-05,0.30000000000000004,1.00005,3\n"
    )
    assert upload_or_refuse(results, "results.csv", data)
    loaded = Measurement.objects.get(kpi__name="Visits")
    assert (loaded.value, loaded.numerator) == (Decimal("0.3"), Decimal("1.0000"))


def test_a_file_with_old_mac_line_endings_loads(results):
    data = b"kpi,period,value\rVisits,2026-01-05,3\rVisits,2026-01-06,4\r"
    assert upload_or_refuse(results, "results.csv", data)
    assert Measurement.objects.filter(kpi__name="Visits").count() == 2


def test_a_workbook_without_worksheets_is_refused_with_a_message(results):
    import re
    import zipfile

    valid = io.BytesIO(workbook_bytes([[COLUMNS, ["Visits", "2026-01-05", 3]]]))
    damaged = io.BytesIO()
    with zipfile.ZipFile(valid) as source, zipfile.ZipFile(damaged, "w") as target:
        for item in source.infolist():
            content = source.read(item)
            if item.filename == "xl/workbook.xml":
                content = re.sub(rb"<sheets>.*</sheets>", b"<sheets/>", content)
            target.writestr(item, content)
    before = measurement_rows()
    pull = sources.upload_receive(
        source=results.source,
        file_name="results.xlsx",
        data=damaged.getvalue(),
        by=results.user("manager"),
    )
    pull.refresh_from_db()
    assert (pull.status, pull.error) == ("failed", "The workbook has no worksheet to read.")
    assert measurement_rows() == before
