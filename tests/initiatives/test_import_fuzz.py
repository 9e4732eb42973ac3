"""Fuzzing the initiatives CSV import (issue 10).

Whatever bytes arrive, `initiatives_import_csv` either loads every row or raises a
ValidationError whose messages say why, and then the cycle's plan is exactly as before.
"""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from initiatives import selectors, services
from initiatives.models import STAGES, Initiative, Kind, Status
from initiatives.services import CSV_COLUMNS, DEFAULT_CHANNELS, DEFAULT_DEPARTMENTS
from programs import csvsafe
from tests.fuzzing import pages_answer, rolled_back

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@pytest.fixture
def plan(world):
    """Acme's usual departments and channels, and one initiative already in the cycle."""
    services.plan_defaults_ensure(organization=world.acme)
    world.cycle = world.program.cycles.get()
    marketing = world.acme.departments.get(name="Marketing")
    services.initiative_save(
        cycle=world.cycle,
        by=world.user("team"),
        name="Already planned",
        owner_department=marketing,
        departments=[world.acme.departments.get(name="IT")],
        channels=[world.acme.channels.get(name="Website")],
        stages=["Discover"],
        starts_on=datetime.date(2026, 12, 1),
        ends_on=datetime.date(2026, 12, 31),
        cost=Decimal(100),
        status=Status.PLANNED,
    )
    return world


def plan_rows(cycle) -> tuple:
    """Every row an import could touch, as plain values."""
    fields = [f.attname for f in Initiative._meta.concrete_fields]
    initiatives = Initiative.objects.filter(cycle=cycle).order_by("pk")
    organization = cycle.program.organization
    return (
        list(initiatives.values_list(*fields)),
        list(
            Initiative.departments.through.objects.filter(initiative__cycle=cycle)
            .order_by("pk")
            .values_list("initiative_id", "department_id")
        ),
        list(
            Initiative.channels.through.objects.filter(initiative__cycle=cycle)
            .order_by("pk")
            .values_list("initiative_id", "channel_id")
        ),
        Initiative.history.count(),
        list(organization.departments.order_by("pk").values_list("pk", "name")),
        list(organization.channels.order_by("pk").values_list("pk", "name")),
    )


def import_or_refuse(world, data: bytes) -> int | None:
    """Import; on refusal check the messages and that nothing changed. None if refused."""
    before = plan_rows(world.cycle)
    try:
        count = services.initiatives_import_csv(cycle=world.cycle, data=data, by=world.user("team"))
    except ValidationError as refused:
        assert refused.messages
        assert all(str(m).strip() for m in refused.messages), refused.messages
        assert plan_rows(world.cycle) == before
        event("refused", refused.messages[0][:40])
        return None
    event("loaded")
    assert count >= 1
    assert Initiative.objects.filter(cycle=world.cycle).count() == len(before[0]) + count
    # Every reader of the plan opens on what was accepted (TESTING.md, 3).
    pk = {"pk": world.program.pk}
    pages_answer(
        world.user("executive"),
        [
            *(reverse(name, kwargs=pk) for name in ("initiatives:map", "initiatives:backlog")),
            reverse("initiatives:export_csv", kwargs=pk),
            *(
                reverse("initiatives:initiative", kwargs={**pk, "initiative_pk": i})
                for i in Initiative.objects.filter(cycle=world.cycle).values_list("pk", flat=True)
            ),
        ],
    )
    return count


# --- Strategies -----------------------------------------------------------------------

# Any character but surrogates, which no encoding writes; and some that break things.
NASTY = [
    "\x00",
    "a\x00b",
    "\ufeff",
    "\u2028",
    "\x85",
    "İ",
    "\r",
    '"',
    "'",
    ",",
    "|",
    "\t",
    "\U0001d518",
]
text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=20),
    st.lists(st.sampled_from(NASTY), min_size=1, max_size=3).map("".join),
)
long_text = st.integers(150, 400).map(lambda n: "é" * n)
# Text that survives the import's stripping and a CSV round trip.
clean_text = st.text(
    st.characters(exclude_categories=["Cs", "Cc", "Zl", "Zp"]), min_size=1, max_size=40
).map(str.strip)
CASES = st.sampled_from([str, str.lower, str.upper])


@st.composite
def valid_rows(draw) -> dict:
    """One initiative the import must accept."""
    starts_on = draw(st.dates(datetime.date(2000, 1, 1), datetime.date(2099, 12, 31)))
    ends_on = draw(st.none() | st.dates(starts_on, datetime.date(2100, 12, 31)))
    return {
        "name": draw(clean_text.filter(bool)),
        "objective": draw(clean_text | st.just("")),
        "kind": draw(st.sampled_from(Kind.values)),
        "owner_department": draw(st.sampled_from(DEFAULT_DEPARTMENTS)),
        "departments": sorted(draw(st.sets(st.sampled_from(DEFAULT_DEPARTMENTS), max_size=3))),
        "channels": sorted(draw(st.sets(st.sampled_from(DEFAULT_CHANNELS), max_size=3))),
        "stages": [s for s in STAGES if s in draw(st.sets(st.sampled_from(STAGES)))],
        "starts_on": starts_on.isoformat(),
        "ends_on": ends_on.isoformat() if ends_on else "",
        "cost": draw(st.decimals(0, Decimal("999999999999.99"), places=2)).copy_abs(),
        "status": draw(st.sampled_from(Status.values)),
    }


def as_cells(row: dict, case) -> dict:
    """A row's cells by column; department and channel names in the given case."""
    joined = {
        "owner_department": case(row["owner_department"]),
        "departments": "|".join(case(n) for n in row["departments"]),
        "channels": "|".join(case(n) for n in row["channels"]),
        "stages": "|".join(row["stages"]),
        "cost": str(row["cost"]),
    }
    return {column: joined.get(column, row[column]) for column in CSV_COLUMNS}


def parsed(cells: dict) -> tuple:
    """A row's meaning: lists as sorted names, the cost as a number."""
    return (
        *(cells[c] for c in ("name", "objective", "kind", "owner_department")),
        *(sorted(filter(None, cells[c].split("|"))) for c in ("departments", "channels")),
        cells["stages"].split("|") if cells["stages"] else [],
        cells["starts_on"],
        cells["ends_on"],
        Decimal(cells["cost"]),
        cells["status"],
    )


def read(cells) -> dict:
    """A row's cells by column, as the import reads them (programs.csvsafe.restore)."""
    return dict(zip(CSV_COLUMNS, map(csvsafe.restore, cells), strict=False))


def name_lists(known):
    name = st.one_of(st.sampled_from(known), text, st.just(""))
    return st.lists(name, max_size=4).map("|".join)


dates = st.one_of(
    st.dates().map(datetime.date.isoformat),
    st.sampled_from(["", "1999-12-31", "2026-13-01", "2026-02-30", "20261201", "01/12/2026"]),
    text,
)

# What a broken cell of each column looks like: wrong types, unknown names, dates out of
# order (valid rows start in 2000 or later), very long strings.
BAD_CELLS = {
    "name": st.one_of(text, long_text, st.sampled_from(["", " ", '"quoted"', "a,b"])),
    "objective": st.one_of(text, long_text),
    "kind": st.one_of(st.sampled_from(["", "MAIN", "other"]), text),
    "owner_department": st.one_of(name_lists(DEFAULT_DEPARTMENTS), text),
    "departments": name_lists(DEFAULT_DEPARTMENTS),
    "channels": name_lists(DEFAULT_CHANNELS),
    "stages": st.lists(st.one_of(st.sampled_from(STAGES), text), max_size=4).map("|".join),
    "starts_on": dates,
    "ends_on": dates,
    "cost": st.one_of(
        st.decimals(allow_nan=True, allow_infinity=True).map(str),
        st.integers(-(10**20), 10**20).map(str),
        st.sampled_from(["", "-1", "-0", "0.001", "1e999", "1_000", "sNaN", "12,50", "€5"]),
        text,
    ),
    "status": st.one_of(st.sampled_from(["", "Done", "cancelled"]), text),
}

REQUIRED = ["name", "owner_department", "starts_on"]
OPTIONAL = [c for c in CSV_COLUMNS if c not in REQUIRED]
ENCODINGS = ["utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-16-le", "mac-roman"]


def sometimes(draw, tenths: int) -> bool:
    """True about tenths/10 of the time; shrinks to False, the ordinary file."""
    return draw(st.integers(0, 9)) >= 10 - tenths


@st.composite
def csv_files(draw) -> bytes:
    """Files that look like a plan: valid rows with a few cells broken, rows cut short or
    too long, headers missing columns, naive quoting, one other encoding or mixed ones."""
    if sometimes(draw, 2):
        names = st.one_of(st.sampled_from([*CSV_COLUMNS, "", "Name", "x"]), text)
        header = draw(st.lists(names, max_size=13))
    elif sometimes(draw, 3):
        header = draw(
            st.sets(st.sampled_from(OPTIONAL)).flatmap(
                lambda optional: st.permutations(REQUIRED + sorted(optional))
            )
        )
    else:
        header = draw(st.permutations(CSV_COLUMNS))
    rows = []
    for _ in range(draw(st.integers(1, 5))):
        good = as_cells(draw(valid_rows()), draw(CASES))
        broken = set()
        if header and sometimes(draw, 3):
            broken = draw(st.sets(st.sampled_from(header), min_size=1, max_size=3))
        cells = [
            draw(BAD_CELLS.get(column, text)) if column in broken else good.get(column, "")
            for column in header
        ]
        if sometimes(draw, 1):  # cut short or too long
            cells = cells[: draw(st.integers(0, len(cells)))] + draw(st.lists(text, max_size=2))
        rows.append(cells)
    if sometimes(draw, 2):  # the naive join of a hand-made export
        ends = st.sampled_from(["\n", "\r\n", "\r"])
        lines = [",".join(cells) + draw(ends) for cells in [header, *rows]]
    else:
        out = io.StringIO()
        csv.writer(out, lineterminator=draw(st.sampled_from(["\n", "\r\n"]))).writerows(
            [header, *rows]
        )
        lines = out.getvalue().splitlines(keepends=True)
    if sometimes(draw, 1):  # mixed encodings, line by line
        return b"".join(
            line.encode(draw(st.sampled_from(ENCODINGS)), errors="replace") for line in lines
        )
    encoding = draw(st.sampled_from(ENCODINGS)) if sometimes(draw, 2) else "utf-8"
    return "".join(lines).encode(encoding, errors="replace")


# --- Properties -----------------------------------------------------------------------


@settings(FUZZ, max_examples=100)
@given(data=csv_files())
def test_generated_plan_files_load_or_are_refused_with_nothing_written(plan, data):
    with rolled_back():
        import_or_refuse(plan, data)


@FUZZ
@given(
    data=st.one_of(
        st.binary(max_size=400),
        st.tuples(text, st.sampled_from(ENCODINGS)).map(
            lambda pair: pair[0].encode(pair[1], errors="replace")
        ),
        st.sampled_from([b"", b"\xef\xbb\xbf", b"name,owner_department,starts_on\n", b"\n\n"]),
        st.integers(1, 3).map(lambda n: b"name,owner_department,starts_on\n" + b"x" * 140_000 * n),
    )
)
def test_random_bytes_are_refused_with_a_message(plan, data):
    with rolled_back():
        import_or_refuse(plan, data)


@settings(FUZZ, max_examples=30)
@given(
    rows=st.lists(valid_rows(), min_size=1, max_size=4),
    case=CASES,
)
def test_valid_plans_survive_import_then_export(plan, rows, case):
    out = io.StringIO()
    csv.writer(out).writerows(
        [CSV_COLUMNS, *([as_cells(r, case)[c] for c in CSV_COLUMNS] for r in rows)]
    )
    with rolled_back():
        existing = list(Initiative.objects.values_list("pk", flat=True))
        count = import_or_refuse(plan, out.getvalue().encode())
        assert count == len(rows)
        imported = [i for i in selectors.initiative_list(cycle=plan.cycle) if i.pk not in existing]
        body = services.initiatives_export_csv(initiatives=imported)
        exported = list(csv.reader(io.StringIO(body)))
        assert exported[0][: len(CSV_COLUMNS)] == CSV_COLUMNS
        # Every row has exactly the header's columns.
        assert [len(cells) for cells in exported[1:]] == [len(exported[0])] * len(rows)
        # Both files as the import reads them: a cell neutralized as a formula ('=x, which
        # the export writes and a person may type) is the text after its quote.
        expected = [parsed(read(as_cells(r, str).values())) for r in rows]
        got = [parsed(read(cells)) for cells in exported[1:]]
        assert sorted(got) == sorted(expected)


# --- Known bugs (found by the properties above; strict, so a fix turns them green) ---


@pytest.mark.parametrize(
    "data",
    [
        b"name,owner_department,starts_on\nHero\x00,Marketing,2026-12-01\n",
        b"name,objective,owner_department,starts_on\nHero,\x00,Marketing,2026-12-01\n",
        # A UTF-16 name pasted into a UTF-8 file: still valid UTF-8, full of NULs.
        b"name,owner_department,starts_on\n" + "Hero".encode("utf-16-le") + b",IT,2026-12-01\n",
    ],
    ids=["name", "objective", "utf16-row"],
)
def test_a_nul_character_is_refused_with_a_message(plan, data):
    before = plan_rows(plan.cycle)
    with pytest.raises(ValidationError):
        services.initiatives_import_csv(cycle=plan.cycle, data=data, by=plan.user("team"))
    assert plan_rows(plan.cycle) == before


@pytest.mark.parametrize(
    "row",
    [
        "é" * 161 + ",Marketing,2026-12-01,0",
        "Hero,|,2026-12-01,0",
        "Hero,Marketing,2026-12-01,0.001",
    ],
    ids=["long-name", "owner-only-separator", "three-decimals"],
)
def test_every_refused_row_is_named_by_its_line(plan, row):
    data = f"name,owner_department,starts_on,cost\n{row}\n".encode()
    with pytest.raises(ValidationError) as refused:
        services.initiatives_import_csv(cycle=plan.cycle, data=data, by=plan.user("team"))
    assert any("line 2" in m for m in refused.value.messages), refused.value.messages


def test_a_line_that_cannot_be_parsed_is_named(plan):
    data = b"name,owner_department,starts_on\nHero,IT,2026-12-01\n" + b"x" * 140_000 + b"\n"
    with pytest.raises(ValidationError) as refused:
        services.initiatives_import_csv(cycle=plan.cycle, data=data, by=plan.user("team"))
    assert refused.value.messages[0].startswith("Line 3 of the file cannot be read")


def test_a_file_with_old_mac_line_endings_loads(plan):
    data = b"name,owner_department,starts_on\rHero,Marketing,2026-12-01\r"
    assert services.initiatives_import_csv(cycle=plan.cycle, data=data, by=plan.user("team")) == 1
