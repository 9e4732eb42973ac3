"""XLSX decompression bombs (issue 17, item 4): workbooks that unpack or read far past what
their upload weighs are refused before openpyxl opens them, or as soon as a row or cell past
the cap is read; valid workbooks under the limits read back cell for cell.

A 208 KB workbook of 85 MB of shared strings held an upload 172 s and added 470 MB: openpyxl
reads the shared strings whole even with read_only=True, and trusts the sheet's declared
<dimension>. Each attack here builds the real hostile file, part by part, and sends it to
both readers (`results.ingest.read_xlsx`, `programs.tables.read_table`) and through the pages a
person uses: the measurement upload, the customer table and the exposure history.
"""

import datetime
import html
import io
import math
import re
import tracemalloc
import warnings
import zipfile

import openpyxl
import pandas as pd
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blueprints.models import PropensityRun
from programs import tables, workbooks
from programs.jobs import JobStatus
from programs.tables import TableError
from programs.workbooks import WorkbookRefused, check_workbook
from results import ingest, sources
from results.models import Measurement, Pull, SourceKind
from segments.models import CustomerTable
from tests.blueprints.histories import history_form, make_shop
from tests.security.workbooks import (
    Shared,
    edited_entry,
    local_header,
    row_xml,
    rows_xml,
    strings_xml,
    workbook,
)

STRINGS_LIMIT = "at most 32 MB of a part read whole (shared texts, styles) is read"


def read_ingest(data: bytes) -> list[tuple[int, dict]]:
    _header, rows = ingest.read_xlsx(data)
    return list(rows)


def read_tables(data: bytes, name: str = "customers.xlsx") -> pd.DataFrame:
    return tables.read_table(name, io.BytesIO(data))


def refusals(data: bytes) -> tuple[str, str]:
    """What each reader says of `data`: both must refuse it."""
    with pytest.raises(ingest.FileProblem) as by_ingest:
        read_ingest(data)
    with pytest.raises(TableError) as by_tables:
        read_tables(data)
    return str(by_ingest.value), str(by_tables.value)


@pytest.fixture
def never_opened(monkeypatch):
    """openpyxl must not open the workbook: the refusal comes from the zip directory."""

    def opened(*args, **kwargs):
        raise AssertionError("openpyxl opened a workbook the zip directory should refuse")

    monkeypatch.setattr(openpyxl, "load_workbook", opened)


@pytest.fixture(scope="module")
def strings_bomb() -> bytes:
    """The reported attack: 100 MB of shared strings (5 million "spam"), a few hundred KB
    packed, and a sheet of two rows that points at them."""
    spam = (b"<si><t>spam</t></si>" for _ in range(5_000_000))
    return workbook(rows_xml([[Shared(0), Shared(1)], [Shared(2), 1]]), strings=spam)


def small_caps(monkeypatch, rows: int = 100, cells: int | None = None) -> None:
    """The readers' row (and cell) caps made small, so a test needs no million rows."""
    for module in (ingest, tables):
        monkeypatch.setattr(module, "MAX_XLSX_ROWS", rows)
        if cells is not None:
            monkeypatch.setattr(module, "MAX_XLSX_CELLS", cells)


def numbered_rows(count: int) -> list[bytes]:
    """A header (id, spend) and `count` rows of data."""
    return list(rows_xml([["id", "spend"], *([n, n * 2.5] for n in range(count))]))


# --- The zip directory, before anything is unpacked -----------------------------------


def test_the_shared_strings_bomb_is_refused_before_openpyxl_opens_it(strings_bomb, never_opened):
    assert len(strings_bomb) < 400_000  # a few hundred KB that unpack to 100 MB
    by_ingest, by_tables = refusals(strings_bomb)
    assert by_ingest == (
        "The workbook's part xl/sharedStrings.xml unpacks to 95 MB; "
        f"{STRINGS_LIMIT}. Save it as CSV, or split it."
    )
    assert by_tables == f"“customers.xlsx” cannot be read: {by_ingest}"


def test_the_check_reads_the_directory_only(strings_bomb):
    tracemalloc.start()
    try:
        with pytest.raises(WorkbookRefused):
            check_workbook(strings_bomb)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 2_000_000  # bytes: the 100 MB part was never unpacked


def test_shared_strings_the_list_of_parts_hides_among_the_sheets_count_as_read_whole(
    monkeypatch, never_opened
):
    """[Content_Types].xml may name any part as the shared strings; openpyxl reads it whole
    wherever it lies, so the sheets' larger limit does not apply to it."""
    monkeypatch.setattr(workbooks, "MAX_WHOLE_BYTES", 1024 * 1024)
    texts = strings_xml(f"customer{n}@example.com" for n in range(60_000))  # 2 MB, 8 to 1
    hidden = workbook(rows_xml([[Shared(0)]]), strings=texts, strings_part="xl/worksheets/s.xml")
    with pytest.raises(WorkbookRefused) as refused:
        check_workbook(hidden)
    assert str(refused.value).startswith("The workbook's part xl/worksheets/s.xml unpacks to 2")
    assert "at most 1.0 MB of a part read whole" in str(refused.value)


def test_a_sheet_past_its_limit_is_refused(monkeypatch, never_opened):
    monkeypatch.setattr(workbooks, "MAX_SHEET_BYTES", 1024 * 1024)
    by_ingest, by_tables = refusals(workbook(numbered_rows(40_000)))
    assert by_ingest.startswith("The workbook's part xl/worksheets/sheet1.xml unpacks to ")
    assert "at most 1.0 MB of one sheet is read. Save it as CSV, or split it." in by_ingest
    assert by_ingest in by_tables


def test_a_workbook_unpacking_past_the_total_is_refused(monkeypatch, never_opened):
    monkeypatch.setattr(workbooks, "MAX_TOTAL_BYTES", 1024 * 1024)
    by_ingest, _by_tables = refusals(workbook(numbered_rows(40_000)))
    assert by_ingest.startswith("The workbook unpacks to ")
    assert by_ingest.endswith("; at most 1.0 MB is read. Save it as CSV, or split it.")


def test_a_part_packed_like_a_bomb_is_refused_under_the_size_limits(never_opened):
    """8 MB of one repeated row (no row numbers) packs 1,000 to 1; real sheets 7 to 15."""
    same = (b"<row><c><v>1</v></c></row>" for _ in range(300_000))
    by_ingest, _by_tables = refusals(workbook(same, level=9))
    assert re.fullmatch(
        r"The workbook's part xl/worksheets/sheet1.xml is compressed [\d,]+ to 1; real workbooks "
        r"compress about 10 to 1, and one compressed more than 100 to 1 is refused as a "
        r"decompression bomb\.",
        by_ingest,
    ), by_ingest


def test_a_workbook_of_too_many_parts_is_refused(never_opened):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for n in range(1_001):
            archive.writestr(f"xl/media/{n}.xml", "<a/>")
    by_ingest, _by_tables = refusals(buffer.getvalue())
    assert by_ingest == "The workbook holds 1,001 parts; at most 1,000 are read."


def twice_named() -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings(), zipfile.ZipFile(buffer, "w") as archive:
        warnings.simplefilter("ignore", UserWarning)  # zipfile warns of the duplicate
        archive.writestr("xl/sharedStrings.xml", "<sst/>")
        archive.writestr("xl/sharedStrings.xml", "<sst/>")
    return buffer.getvalue()


def stored_twice_sized() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return edited_entry(buffer.getvalue(), "xl/workbook.xml", size=5_000_000)


def small_workbook() -> bytes:
    return workbook(numbered_rows(3))


@pytest.mark.parametrize(
    ("spoil", "reason"),
    [
        (twice_named, "it names the part xl/sharedStrings.xml twice"),
        (
            # Two entries over the same bytes: the overlapping-parts zip bomb.
            lambda: edited_entry(
                small_workbook(),
                "xl/worksheets/sheet1.xml",
                offset=local_header(small_workbook(), "xl/sharedStrings.xml"),
            ),
            "the parts xl/sharedStrings.xml and xl/worksheets/sheet1.xml overlap",
        ),
        (
            lambda: edited_entry(small_workbook(), "xl/workbook.xml", flags=0x1),
            "the part xl/workbook.xml is encrypted",
        ),
        (
            lambda: edited_entry(small_workbook(), "xl/workbook.xml", offset=3),
            "the part xl/workbook.xml does not start where the directory says",
        ),
        (stored_twice_sized, "the part xl/workbook.xml is stored with two different sizes"),
    ],
)
def test_a_zip_directory_that_contradicts_itself_is_refused(spoil, reason, never_opened):
    by_ingest, _by_tables = refusals(spoil())
    assert by_ingest == (
        f"The workbook's zip directory is inconsistent: {reason}. "
        "Open it in Excel and save it again."
    )


def test_a_part_that_understates_its_size_stops_unpacking_there(strings_bomb):
    """zipfile inflates no more than the directory declares, then fails the checksum."""
    lying = edited_entry(strings_bomb, "xl/sharedStrings.xml", size=1_000)
    check_workbook(lying)  # it declares 1,000 bytes: within every limit
    tracemalloc.start()
    try:
        by_ingest, by_tables = refusals(lying)
        _now, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert by_ingest == "The file is not an Excel workbook (.xlsx): BadZipFile"
    assert "is not a readable Excel workbook" in by_tables
    assert peak < 20_000_000


def test_a_real_100000_row_workbook_passes_with_room_to_spare():
    """100,000 customers of twelve columns, laid out as Excel saves them (texts shared):
    each part and the whole under half of their limits. (pandas' to_excel writes the same
    table as a 55 MB sheet, texts inline: also under half of the sheet limit.)"""
    shared: dict[str, int] = {}

    def text(value: str) -> Shared:
        return Shared(shared.setdefault(value, len(shared)))

    header = ["id", "email", "name", "age", "spend", "visits", "region", "plan", "churned"]
    header += ["score", "signup", "tenure"]
    rows = [[text(name) for name in header]]
    rows += (
        [
            n,
            text(f"customer{n}@example.com"),
            text(f"Name {n * 7919 % 1_000_003}"),
            18 + n % 70,
            round(n * 0.37 % 900, 2),
            n % 20,
            text(("north", "south", "east", "west")[n % 4]),
            text(("basic", "plus", "pro")[n % 3]),
            n % 2 == 0,
            n % 997 / 997,
            43_000 + n % 2_000,
            n % 120,
        ]
        for n in range(100_000)
    )
    data = workbook(rows_xml(rows), strings=strings_xml(shared), dimension="A1:L100001")
    check_workbook(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        parts = {part.filename: part for part in archive.infolist()}
    assert sum(p.file_size for p in parts.values()) * 2 < workbooks.MAX_TOTAL_BYTES
    assert parts["xl/worksheets/sheet1.xml"].file_size * 2 < workbooks.MAX_SHEET_BYTES
    assert parts["xl/sharedStrings.xml"].file_size * 2 < workbooks.MAX_WHOLE_BYTES
    assert all(p.file_size / p.compress_size < workbooks.MAX_RATIO / 5 for p in parts.values())


# --- Rows and cells, counted as they are read -----------------------------------------


def test_a_sheet_that_understates_its_dimension_is_read_to_its_last_row():
    """openpyxl stops at the declared dimension: trusting it loaded 1 row of 50."""
    data = workbook(numbered_rows(50), dimension="A1:B2")
    assert [line for line, _row in read_ingest(data)] == list(range(2, 52))
    assert read_ingest(data)[-1][1] == {"id": 49, "spend": 122.5}
    assert read_tables(data)["spend"].tolist() == [n * 2.5 for n in range(50)]


def test_rows_past_the_cap_are_refused_whatever_the_dimension_says(monkeypatch):
    small_caps(monkeypatch, rows=100)
    assert len(read_ingest(workbook(numbered_rows(100), dimension="A1:B2"))) == 100
    assert len(read_tables(workbook(numbered_rows(100), dimension="A1:B2"))) == 100
    by_ingest, by_tables = refusals(workbook(numbered_rows(5_000), dimension="A1:B2"))
    assert by_ingest == (
        "The sheet has more than 100 rows below its header; at most 100 are read from a "
        "workbook. Split it into several files."
    )
    assert by_tables == (
        "“customers.xlsx” has more than 100 rows; Excel files of more than 100 rows are read "
        "too slowly here: save it as CSV."
    )


def test_a_gap_of_a_billion_empty_rows_is_counted_and_refused(monkeypatch):
    """openpyxl makes up the rows a sheet skips: row 10**9 after row 2 is 10**9 rows."""
    small_caps(monkeypatch, rows=1_000)
    gap = [row_xml(1, ["id", "spend"]), row_xml(2, [1, 2.5]), row_xml(10**9, [2, 5.0])]
    by_ingest, by_tables = refusals(workbook(gap, dimension="A1:B2"))
    assert "more than 1,000 rows" in by_ingest and "more than 1,000 rows" in by_tables


def test_rows_reaching_the_last_column_are_refused_at_the_cell_cap(monkeypatch):
    """A cell at XFD makes its row 16,384 cells wide (30 bytes of XML, packed to a few)."""
    small_caps(monkeypatch, rows=100_000, cells=200_000)
    wide = [row_xml(1, ["id", "spend"])]
    wide += (
        f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="XFD{n}"/></row>'.encode()
        for n in range(2, 5_000)
    )
    by_ingest, by_tables = refusals(workbook(wide))
    assert by_ingest == (
        "The sheet has more than 200,000 cells (rows times columns, blank ones too); split it "
        "into several files, or remove the columns that are not needed."
    )
    assert by_tables.startswith("“customers.xlsx” has more than 200,000 cells (rows times")


# --- Through the pages ----------------------------------------------------------------


def page_text(response) -> str:
    return html.unescape(response.content.decode())


@pytest.fixture
def upload_source(world):
    return sources.source_save(
        program=world.program, by=world.user("manager"), name="Export", kind=SourceKind.UPLOAD
    )


def results_url(name: str, world, **kwargs) -> str:
    return reverse(f"results:{name}", kwargs={"pk": world.program.pk, **kwargs})


def upload_measurements(client, world, source, data: bytes, capture) -> str:
    """The upload form's POST, then the page it leads to once the reading (a job, or the
    request itself) is done."""
    with capture(execute=True):
        response = client.post(
            results_url("upload", world, source_pk=source.pk),
            {"file": SimpleUploadedFile("results.xlsx", data)},
        )
    assert response.status_code == 302
    return page_text(client.get(response["Location"], follow=True))


@pytest.mark.django_db
@pytest.mark.usefixtures("tasks_run_here")
def test_a_manager_uploading_the_bomb_as_measurements_is_told_why_and_nothing_is_kept(
    world, upload_source, as_user, strings_bomb, never_opened, django_capture_on_commit_callbacks
):
    page = upload_measurements(
        as_user("manager"), world, upload_source, strings_bomb, django_capture_on_commit_callbacks
    )
    assert "xl/sharedStrings.xml unpacks to 95 MB; " + STRINGS_LIMIT in page
    assert not Pull.objects.filter(payload__isnull=False).exists()
    assert not Measurement.objects.filter(source=upload_source).exists()


@pytest.mark.django_db
@pytest.mark.usefixtures("tasks_run_here")
def test_measurements_past_the_row_cap_fail_their_load_with_the_cap_named(
    world, upload_source, as_user, monkeypatch, django_capture_on_commit_callbacks
):
    small_caps(monkeypatch, rows=100)
    yesterday = datetime.date.today() - datetime.timedelta(days=1)
    rows = [["kpi", "period", "value"]]
    rows += [
        ["Conversion rate", (yesterday - datetime.timedelta(days=n)).isoformat(), 2.5]
        for n in range(150)
    ]
    data = workbook(rows_xml(rows), dimension="A1:C2")
    client = as_user("manager")
    upload_measurements(client, world, upload_source, data, django_capture_on_commit_callbacks)
    pull = Pull.objects.get(source=upload_source)
    preview = results_url("upload_preview", world, source_pk=upload_source.pk, pull_pk=pull.pk)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(preview, {"kpi": "kpi", "period": "period", "value": "value"})
    page = page_text(
        client.get(results_url("pull", world, source_pk=upload_source.pk, pull_pk=pull.pk))
    )
    assert "The sheet has more than 100 rows below its header; at most 100 are read" in page
    pull.refresh_from_db()
    assert pull.status == "failed" and pull.payload is None
    assert not Measurement.objects.filter(source=upload_source).exists()


def discovery_url(world) -> str:
    return reverse("segments:discovery", kwargs={"org": world.acme.slug})


@pytest.mark.django_db
@pytest.mark.usefixtures("tasks_run_here")
def test_the_bomb_as_a_customer_table_is_refused_by_its_job_and_said_on_its_page(
    world, as_user, strings_bomb, never_opened, django_capture_on_commit_callbacks
):
    team = as_user("team")
    with django_capture_on_commit_callbacks() as queued:
        response = team.post(
            discovery_url(world), {"file": SimpleUploadedFile("customers.xlsx", strings_bomb)}
        )
    table = CustomerTable.objects.get()
    assert table.status == JobStatus.QUEUED  # the request did not open the workbook
    assert "Reading the file" in page_text(team.get(response["Location"]))
    queued[0]()
    table.refresh_from_db()
    assert table.status == JobStatus.FAILED and not table.upload and not table.data
    assert (
        "“customers.xlsx” cannot be read: The workbook's part xl/sharedStrings.xml unpacks to "
        "95 MB; " + STRINGS_LIMIT
    ) in page_text(team.get(response["Location"]))


@pytest.mark.django_db
@pytest.mark.usefixtures("tasks_run_here")
def test_a_customer_table_longer_than_its_dimension_says_is_refused_on_the_page(
    world, as_user, monkeypatch, jobs_run_now
):
    small_caps(monkeypatch, rows=100)
    data = workbook(numbered_rows(101), dimension="A1:B2")
    team = as_user("team")
    response = team.post(discovery_url(world), {"file": SimpleUploadedFile("customers.xlsx", data)})
    assert "“customers.xlsx” has more than 100 rows; Excel files of more than 100 rows" in (
        page_text(team.get(response["Location"]))
    )
    assert CustomerTable.objects.get().status == JobStatus.FAILED


@pytest.mark.django_db
@pytest.mark.usefixtures("tasks_run_here")
def test_the_bomb_as_an_exposure_history_is_refused_by_its_job_and_said_on_its_page(
    world, as_user, strings_bomb, never_opened, django_capture_on_commit_callbacks
):
    shop = make_shop(world)
    url = reverse(
        "blueprints:propensity_upload",
        kwargs={"pk": shop.program.pk, "blueprint_pk": shop.blueprint.pk},
    )
    client = as_user("team")
    # The request only stores the file and queues the job: it opens nothing.
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(url, history_form(strings_bomb, name="history.xlsx"))
    assert response.status_code == 302 and len(queued) == 1
    run = PropensityRun.objects.get()
    assert (run.status, run.rows) == ("queued", None)
    queued[0]()  # the job: reads within the memory limit, and refuses from the zip directory
    expected = (
        "“history.xlsx” cannot be read: The workbook's part xl/sharedStrings.xml unpacks to "
        "95 MB; " + STRINGS_LIMIT
    )
    run.refresh_from_db()
    assert (run.status, run.rows) == ("failed", None) and expected in run.error
    assert not run.models.exists()
    page = client.get(response["Location"])
    assert "No model was trained." in page_text(page) and expected in page_text(page)


# --- Valid workbooks under the limits read back cell for cell -------------------------

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# What a worksheet cell can hold and give back: no control characters (openpyxl refuses
# them) or noncharacters (XML has none), no text starting with "=" (a formula, whose value
# is not stored), numbers of 16 digits (openpyxl writes "%.16g", Excel keeps 15).
def as_written(number: float) -> float:
    return float("%.16g" % number)  # noqa: UP031 - openpyxl's own format


texts = st.text(st.characters(codec="utf-8", exclude_categories=["Cc", "Cs", "Cn"]), max_size=12)
cells = st.one_of(
    st.none(),
    texts.filter(lambda t: not t.startswith("=")),
    st.integers(-(10**15), 10**15),
    st.floats(allow_nan=False, allow_infinity=False).map(as_written).filter(math.isfinite),
    st.booleans(),
    st.dates(min_value=datetime.date(1900, 3, 1)),
)
names = st.lists(
    st.from_regex(r"[A-Za-z][A-Za-z0-9 _]{0,10}[A-Za-z0-9]", fullmatch=True),
    min_size=1,
    max_size=6,
    unique_by=str.lower,
)


def saved(rows: list[list], *, dimension: str | None) -> bytes:
    """The rows as openpyxl writes a workbook; `dimension` replaces the size it declares."""
    book = openpyxl.Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    if dimension is None:
        return buffer.getvalue()
    edited = io.BytesIO()
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(edited, "w") as target:
        for part in source.infolist():
            content = source.read(part)
            if part.filename == "xl/worksheets/sheet1.xml":
                content = re.sub(
                    rb'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"'.encode(), content
                )
            target.writestr(part, content)
    return edited.getvalue()


def as_ingest_reads(value):
    if value is None:
        return ""
    return value.isoformat() if isinstance(value, datetime.date) else value


@FUZZ
@given(
    header=names,
    body=st.lists(st.lists(cells, min_size=6, max_size=6), max_size=12),
    dimension=st.sampled_from([None, "A1", "A1:B2", "A1:XFD1048576"]),
)
def test_any_valid_workbook_reads_back_cell_for_cell_as_measurements(header, body, dimension):
    rows = [row[: len(header)] for row in body]
    header_read, read = ingest.read_xlsx(saved([header, *rows], dimension=dimension))
    assert header_read == header
    expected = [
        (line, {name: as_ingest_reads(value) for name, value in zip(header, row, strict=True)})
        for line, row in enumerate(rows, start=2)
        if not all(value is None or str(value).strip() == "" for value in row)
    ]
    assert list(read) == expected


# A column of one kind, as tables are: words that pandas reads as missing or as booleans
# ("nan", "null", "true") are left out, as are whole floats (read back as ints, as pandas does).
words = st.from_regex(r"[a-z]{1,8}", fullmatch=True).filter(
    lambda t: t not in {"nan", "null", "none", "true", "false", "na", "n"}
)
kinds = [
    st.integers(-(10**12), 10**12),
    st.floats(-1e9, 1e9).map(as_written).filter(lambda f: not f.is_integer()),
    words,
    st.booleans(),
]


@FUZZ
@given(
    header=names,
    data=st.data(),
    dimension=st.sampled_from([None, "A1", "A1:B2", "A1:XFD1048576"]),
)
def test_any_valid_table_workbook_reads_back_cell_for_cell_as_pandas_reads_it(
    header, data, dimension
):
    length = data.draw(st.integers(1, 15))
    table = {
        name: data.draw(
            st.lists(data.draw(st.sampled_from(kinds)), min_size=length, max_size=length)
        )
        for name in header
    }
    rows = [[table[name][n] for name in header] for n in range(length)]
    workbook_data = saved([header, *rows], dimension=dimension)
    frame = read_tables(workbook_data)
    assert list(frame.columns) == header
    assert {name: frame[name].tolist() for name in header} == table
    pd.testing.assert_frame_equal(frame, pd.read_excel(io.BytesIO(workbook_data)))
