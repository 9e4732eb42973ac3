"""Fuzzing the customer table upload of segment discovery (issues 10 and 11).

Whatever file arrives, `discovery.customer_table_upload` keeps it for the job and the job
(`customer_table_read`) either reads the table (one row, one stored file) or fails it with a
message that says why, and then no file was kept. A read table then either takes a
cluster run or is refused one with a message; a run ends succeeded, or failed with a
message, never in a crash; and a found cluster is saved as a segment or refused with a
message.
"""

import csv
import html
import io
import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from hypothesis.control import currently_in_test_context

from programs.jobs import JobStatus
from segments import discovery
from segments.models import (
    Attribute,
    ClusterRun,
    CustomerTable,
    Segment,
    SegmentCondition,
)
from tests.fuzzing import pages_answer, rolled_back
from tests.segments.test_discovery import planted, url

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

MODELS = (CustomerTable, ClusterRun, Segment, SegmentCondition, Attribute)


def media_files() -> set[Path]:
    root = Path(django_settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()} if root.exists() else set()


def note(*what: str) -> None:
    """A Hypothesis event, in generated examples only."""
    if currently_in_test_context():
        event(*what)


def saved() -> tuple:
    return tuple(model.objects.count() for model in MODELS), media_files()


def clear(message: str) -> None:
    """A message a person can act on: words, not a repr or a whole file."""
    assert message.strip(), message
    assert len(message) < 600, message[:600]
    assert "Traceback" not in message and " object at 0x" not in message, message


def upload_or_refuse(world, name: str, data: bytes) -> CustomerTable | None:
    """Upload and let the job read it; on failure check the message and that no file was
    kept. None if refused."""
    before = saved()
    table = discovery.customer_table_upload(
        organization=world.acme, name=name, stream=io.BytesIO(data), by=world.user("team")
    )
    discovery.customer_table_read(table_id=table.pk)
    table.refresh_from_db()
    counts, files = saved()
    assert counts[0] == before[0][0] + 1
    if table.status == JobStatus.FAILED:
        clear(table.error)
        assert "unexpected" not in table.error, table.error
        assert files == before[1] and not table.upload and not table.data
        note("refused", table.error[:50])
        return None
    note("kept")
    assert table.status == JobStatus.SUCCEEDED and not table.upload
    assert files - before[1] == {Path(table.data.path)}
    assert table.rows >= 1
    # Its readers open on it: the table's page, discovery and the segments (TESTING.md, 3).
    readers = ["discovery", "segments"]
    pages = [url("customer_table", world, table_pk=table.pk), *(url(n, world) for n in readers)]
    pages_answer(world.user("executive"), pages)
    return table


def read_back(world, table: CustomerTable, header: list[str], rows: list[list[str]]) -> None:
    """A read table holds the file: the header's columns in order, one row per line, and
    every stored cell equal to the file's (a number as the number written, a category as
    its text, an empty cell as missing); its page lists each column and the customers."""
    assert [c["name"] for c in table.columns] == header
    assert table.rows == len(rows)
    arrays = discovery.table_arrays(table)
    for i, column in enumerate(discovery.stored_columns(table)):
        cells = [row[i] for row in rows]
        assert column.missing == sum(cell == "" for cell in cells), column
        if column.kind in ("numeric", "boolean"):
            assert column.distinct == len({float(c) for c in cells if c != ""}), column
            got = arrays[column.key].tolist()
            want = [float(cell) if cell else None for cell in cells]
            assert [None if g != g else g for g in got] == want, column.name
        elif column.kind == "category":
            assert column.distinct == len({cell for cell in cells if cell != ""}), column
            got = [column.levels[code] if code >= 0 else "" for code in arrays[column.key]]
            assert got == cells, column.name
        else:
            assert column.key not in arrays
    team = world.user("team")
    client = Client()
    client.force_login(team)
    page = client.get(url("customer_table", world, table_pk=table.pk)).content.decode()
    page = html.unescape(page)
    listed = re.findall(r'<td class="text-break">(.*?)</td>', page, re.S)
    assert listed == header
    assert f"{len(rows):,} customers, {len(header)} columns" in page


def cluster_or_refuse(world, table: CustomerTable, keys: list[str], k: int | None, k_range):
    """Queue a run and do it: refused with a message, or ended with a result or a message;
    a succeeded run's first cluster is saved as a segment, or refused with a message."""
    try:
        run = discovery.cluster_run_queue(
            table=table, keys=keys, k=k, k_range=k_range, seed=7, by=world.user("team")
        )
    except ValidationError as refused:
        for message in refused.messages:
            clear(message)
        note("run refused", refused.messages[0][:40])
        return
    discovery.cluster_run_execute(run_id=run.pk)  # an unexpected error is raised here
    run.refresh_from_db()
    assert run.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)
    if run.status == JobStatus.FAILED:
        clear(run.error)
        assert "unexpected" not in run.error, run.error
        note("run failed", run.error[:40])
        return
    note("run succeeded")
    assert run.result["k"] == len(run.clusters) >= 2
    counts = tuple(model.objects.count() for model in MODELS)
    try:
        with transaction.atomic():
            segment = discovery.segment_from_cluster(
                run=run, number=1, name="Found", by=world.user("manager")
            )
    except ValidationError as refused:
        for message in refused.messages:
            clear(message)
        assert tuple(model.objects.count() for model in MODELS) == counts
        note("segment refused", refused.messages[0][:40])
        return
    assert segment.discovered_in == run
    discovery.segment_reach(segment)


# --- Strategies -----------------------------------------------------------------------

BASE, _TRUTH = planted(120, seed=3)
ENCODINGS = ["utf-8", "utf-8-sig", "utf-16", "latin-1", "cp1252"]
NASTY_CELLS = [
    "",
    " ",
    "NaN",
    "nan",
    "inf",
    "-inf",
    "Infinity",
    "1e308",
    "1e400",
    "-1e400",
    "99999999999999999999999999",
    "12,5",
    "yes",
    "null",
    "None",
    "#N/A",
    "\x00",
    "é",
    "İ",
    '"',
    "2026-01-01",
]
COLUMN_NAMES = st.one_of(
    st.sampled_from(
        ["id", "Customer ID", "", " ", "cart value", "Cart value", "klant-id", "€ spend", "İd"]
    ),
    st.text(st.characters(exclude_categories=["Cs", "Cc"]), max_size=12),
)


def sometimes(draw, tenths: int) -> bool:
    """True about tenths/10 of the time; shrinks to False, the ordinary file."""
    return draw(st.integers(0, 9)) >= 10 - tenths


@st.composite
def frames(draw) -> pd.DataFrame:
    """The planted table with some of the ways customer tables go wrong."""
    frame = BASE.copy()
    frame = frame.head(draw(st.sampled_from([120, 120, 60, 40, 39, 5, 2, 1, 0])))
    for _ in range(draw(st.integers(0, 3))):
        columns = list(frame.columns)
        column = draw(st.sampled_from(columns)) if columns else None
        match draw(
            st.sampled_from(
                [
                    "drop",
                    "constant",
                    "null",
                    "mixed",
                    "nasty",
                    "duplicate ids",
                    "huge",
                    "rename",
                    "bool",
                ]
            )
        ):
            case "drop" if column:
                frame = frame.drop(columns=[column])
            case "constant" if column:
                frame[column] = draw(st.sampled_from([1, "NL", 0.5, True]))
            case "null" if column:
                frame[column] = None
            case "mixed" if column and len(frame):
                values = frame[column].astype(object).to_numpy(copy=True)
                for i in draw(st.lists(st.integers(0, len(frame) - 1), max_size=5)):
                    values[i] = draw(st.sampled_from(["x", "NL", "3", "", None, 7]))
                frame[column] = values
            case "nasty" if column and len(frame):
                values = frame[column].astype(object).to_numpy(copy=True)
                for i in draw(st.lists(st.integers(0, len(frame) - 1), max_size=5)):
                    values[i] = draw(st.sampled_from(NASTY_CELLS))
                frame[column] = values
            case "duplicate ids" if "customer_id" in frame.columns:
                frame["customer_id"] = [n % 7 for n in range(len(frame))]
            case "huge" if column and len(frame):
                frame[column] = draw(st.sampled_from([1e308, -1e308, 1e300, np.inf, 10**25]))
                frame.loc[frame.index[0], column] = 0
            case "rename" if column:
                new = draw(COLUMN_NAMES)
                if new not in columns:
                    frame = frame.rename(columns={column: new})
            case "bool" if column:
                frame[column] = [draw(st.sampled_from(["yes", "no", "true", "1"]))] + ["no"] * max(
                    len(frame) - 1, 0
                )
            case _:
                pass
    if len(frame.columns) >= 2 and sometimes(draw, 1):  # a column named twice
        frame.columns = [frame.columns[0], frame.columns[0], *frame.columns[2:]]
    return frame


@st.composite
def csv_files(draw) -> tuple[str, bytes]:
    frame = draw(frames())
    text = frame.to_csv(index=False, sep=draw(st.sampled_from([",", ",", ";", "\t", "|"])))
    if sometimes(draw, 1) and text:  # a line cut short, or one with a value too many
        lines = text.splitlines(keepends=True)
        n = draw(st.integers(0, len(lines) - 1))
        lines[n] = lines[n][: draw(st.integers(0, len(lines[n])))] + draw(
            st.sampled_from(["", "\n", ",1,2\n", '"\n'])
        )
        text = "".join(lines)
    encoding = draw(st.sampled_from(ENCODINGS)) if sometimes(draw, 2) else "utf-8"
    name = draw(st.sampled_from(["customers.csv"] * 4 + ["CUSTOMERS.CSV", "c.txt", "csv", ".csv"]))
    return name, text.encode(encoding, errors="replace")


@st.composite
def xlsx_files(draw) -> tuple[str, bytes]:
    # A worksheet cannot hold a NUL character (openpyxl refuses to write one).
    frame = draw(frames()).map(lambda v: v.replace("\x00", "") if isinstance(v, str) else v)
    buffer = io.BytesIO()
    if sometimes(draw, 1):  # a workbook whose first sheet is empty
        workbook = openpyxl.Workbook()
        workbook.create_sheet("Data").append(["id", "spend"])
        workbook.save(buffer)
    else:
        frame.to_excel(buffer, index=False)
    data = buffer.getvalue()
    # Where to cut or spoil, as a share: a workbook's length varies with the time it is saved.
    at = len(data) * draw(st.integers(0, 999)) // 1000
    match draw(st.sampled_from(["whole"] * 6 + ["cut", "bytes", "csv"])):
        case "cut":
            data = data[:at]
        case "bytes":
            data = data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at + 8 :]
        case "csv":
            data = frame.to_csv(index=False).encode()
    return draw(st.sampled_from(["customers.xlsx", "c.XLSX"])), data


# Cells a customer table holds when nothing is wrong with it: numbers as exports write
# them, categories (codes, names in any script), a yes/no flag as 0 or 1, ids; some empty.
# The delimiter is found on the header line, so names hold none of the four (a header
# "spend; incl. VAT,visits" is ambiguous, as is the delimiter of a one-column file).
CLEAN_NAMES = st.text(
    st.characters(exclude_categories=["Cs", "Cc", "Zs", "Zl", "Zp"], exclude_characters=",;|"),
    min_size=1,
    max_size=12,
)
CLEAN_CELLS = {
    "numeric": st.one_of(
        st.floats(-1e12, 1e12, allow_nan=False).map(repr),
        st.integers(-(10**12), 10**12).map(str),
        st.decimals(-10000, 10000, places=2).map(str),
    ),
    "category": st.sampled_from(
        ["NL", "BE", "NA", "None", "Zürich", "İstanbul", "東京", "a,b", 'say "hi"']
    ),
    "boolean": st.sampled_from(["0", "1"]),
}


@st.composite
def clean_tables(draw) -> tuple[list[str], list[list[str]], bytes]:
    """A customer table as spreadsheets and scripts export it: any of the delimiters the
    upload recognizes, any quoting and line ending, with or without a byte order mark."""
    names = draw(st.lists(CLEAN_NAMES.filter(lambda n: n.strip() == n), min_size=1, max_size=5))
    kinds = [draw(st.sampled_from(list(CLEAN_CELLS))) for _ in names]
    if len(set(names)) != len(names):
        names = [f"{name} {i}" for i, name in enumerate(names)]
    rows = [
        ["" if draw(st.integers(0, 9)) == 0 else draw(CLEAN_CELLS[kind]) for kind in kinds]
        for _ in range(draw(st.integers(1, 30)))
    ]
    out = io.StringIO()
    csv.writer(
        out,
        delimiter=draw(st.sampled_from([",", ";", "\t", "|"])) if len(names) > 1 else ",",
        lineterminator=draw(st.sampled_from(["\n", "\r\n"])),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
    ).writerows([names, *rows])
    return names, rows, out.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])))


# --- Properties -----------------------------------------------------------------------


@settings(FUZZ, max_examples=30)
@given(file=clean_tables())
def test_clean_tables_read_back_equal_cell_for_cell(world, file):
    header, rows, data = file
    with rolled_back():
        table = upload_or_refuse(world, "customers.csv", data)
        assert table is not None, CustomerTable.objects.latest("pk").error
        read_back(world, table, header, rows)


@settings(FUZZ, max_examples=50)
@given(file=csv_files() | xlsx_files(), data=st.data())
def test_near_valid_tables_are_kept_or_refused_with_nothing_saved(world, file, data):
    with rolled_back():
        table = upload_or_refuse(world, *file)
        if table is None:
            return
        keys = [c["key"] for c in table.columns]
        usable = [c["key"] for c in table.columns if c["kind"] != "other" and c["distinct"] > 1]
        chosen = data.draw(
            st.sampled_from([usable, usable[:1], usable[1:3], []])
            | st.lists(st.sampled_from(keys), unique=True, min_size=1, max_size=4)
        )
        k = data.draw(st.none() | st.integers(1, 13))
        k_range = data.draw(st.sampled_from([(2, 4), (2, 3), (3, 2), (1, 20)]))
        cluster_or_refuse(world, table, chosen, k, k_range)


@FUZZ
@given(
    file=st.tuples(
        st.sampled_from(["customers.csv", "customers.xlsx", "customers"]),
        st.one_of(
            st.binary(max_size=400),
            st.text(max_size=200).map(str.encode),
            st.sampled_from([b"", b"\n", b"\xef\xbb\xbf", b"a\n", b",\n,\n", b"PK\x03\x04"]),
        ),
    )
)
def test_random_bytes_are_refused_with_a_message(world, file):
    with rolled_back():
        upload_or_refuse(world, *file)


@pytest.mark.parametrize(
    "cell",
    ["inf", "-Infinity", "1e400", "1e308", "-1e300"],
)
def test_infinite_or_enormous_numbers_are_refused_at_upload(world, cell):
    """Means and spreads of such numbers overflow, and a run on them could only crash."""
    spend = [str(n) for n in range(60)]
    spend[3] = cell
    data = "id,spend,visits\n" + "".join(f"{n},{spend[n]},{n % 5}\n" for n in range(60))
    table = discovery.customer_table_upload(
        organization=world.acme, name="c.csv", stream=io.BytesIO(data.encode()), by=None
    )
    discovery.customer_table_read(table_id=table.pk)
    table.refresh_from_db()
    assert table.status == JobStatus.FAILED
    assert table.error.startswith("“c.csv”: “spend” holds ")
    assert "on line 5 (1 such numbers)" in table.error
    assert not table.upload and not table.data


def test_a_broken_upload_on_the_page_says_why_and_keeps_no_file(world, as_user, jobs_run_now):
    before = saved()
    for name, data, message in [
        ("customers.csv", "id;naam\n1;é\n".encode("utf-16"), "is not UTF-8"),
        ("customers.xlsx", b"PK\x03\x04 not a workbook", "is not a readable Excel workbook"),
        ("customers.csv", b"id,,spend\n1,2,3\n", "has a column without a name"),
    ]:
        team = as_user("team")
        response = team.post(url("discovery", world), {"file": SimpleUploadedFile(name, data)})
        assert CustomerTable.objects.latest("pk").status == JobStatus.FAILED
        page = team.get(response["Location"]).content.decode()
        page = page.replace("&ldquo;", "“").replace("&rdquo;", "”")
        assert message in page, page
    assert saved()[1] == before[1]


def test_a_nul_character_in_a_table_is_refused_with_a_message(world):
    assert upload_or_refuse(world, "customers.csv", b"id,country\n1,NL\n2,\x00\n3,BE\n") is None
    utf16 = "id,country\n1,NL\n2,BE\n".encode("utf-16-le")  # no BOM: reads as UTF-8 with NULs
    assert upload_or_refuse(world, "customers.csv", utf16) is None


def test_a_range_of_clusters_in_the_wrong_order_is_refused_even_with_k_set(world):
    frame = BASE.head(60)
    table = upload_or_refuse(world, "customers.csv", frame.to_csv(index=False).encode())
    with pytest.raises(ValidationError) as refused:
        discovery.cluster_run_queue(
            table=table, keys=["cart_value"], k=2, k_range=(3, 2), seed=7, by=world.user("team")
        )
    assert "The range of clusters to try must run from a lower to a higher number" in str(
        refused.value
    )
    assert not ClusterRun.objects.exists()


def test_a_damaged_workbook_is_refused_with_a_message(world):
    buffer = io.BytesIO()
    BASE.to_excel(buffer, index=False)
    data = buffer.getvalue()
    for at in range(len(data) // 10, len(data), len(data) // 10):
        spoiled = data[:at] + b"\x00\xff" * 4 + data[at + 8 :]
        upload_or_refuse(world, "customers.xlsx", spoiled)  # kept or refused; never a crash


def test_a_file_with_old_mac_line_endings_is_read(world):
    data = "id,spend,country\r" + "".join(
        f"{n},{n * 3},{'NL' if n % 2 else 'BE'}\r" for n in range(9)
    )
    table = upload_or_refuse(world, "customers.csv", data.encode())
    assert table is not None and table.rows == 9
    assert [c["name"] for c in table.columns] == ["id", "spend", "country"]


def test_na_and_none_are_categories_in_a_text_column_and_missing_in_a_number_column(world):
    """Namibia's code "NA" and a plan named "None" are customers' values, not blanks; in a
    column of numbers (R writes NA for a missing one) they still read as missing."""
    header = ["country", "plan", "spend"]
    rows = [["NA", "None", "1.5"], ["NL", "Gold", "NA"], ["BE", "None", "3"], ["NA", "Gold", ""]]
    data = "".join(",".join(cells) + "\n" for cells in [header, *rows]).encode()
    table = upload_or_refuse(world, "customers.csv", data)
    assert table is not None
    columns = {c["name"]: c for c in table.columns}
    assert (columns["country"]["levels"], columns["country"]["missing"]) == (["BE", "NA", "NL"], 0)
    assert (columns["plan"]["levels"], columns["plan"]["missing"]) == (["Gold", "None"], 0)
    assert (columns["spend"]["kind"], columns["spend"]["missing"]) == ("numeric", 2)
    for cells in rows:  # the read-back compares an R "NA" number as missing
        cells[2] = "" if cells[2] == "NA" else cells[2]
    read_back(world, table, header, rows)


def test_na_is_a_category_in_a_workbook_too(world):
    workbook = openpyxl.Workbook()
    for cells in [["country", "spend"], ["NA", 1.5], ["NL", "NA"], ["BE", 3], ["NA", None]]:
        workbook.active.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    table = upload_or_refuse(world, "customers.xlsx", buffer.getvalue())
    assert table is not None
    columns = {c["name"]: c for c in table.columns}
    assert (columns["country"]["levels"], columns["country"]["missing"]) == (["BE", "NA", "NL"], 0)
    assert (columns["spend"]["kind"], columns["spend"]["missing"]) == ("numeric", 2)
