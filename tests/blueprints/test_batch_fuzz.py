"""Fuzzing the batch decision upload (issue 10).

Whatever CSV of profiles arrives, `batch_create` either queues a batch that then finishes
with a decision for every profile, or raises a ValidationError whose messages say why, and
then no batch was written.
"""

import csv
import io
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from blueprints import services
from blueprints.models import SimulationBatch
from blueprints.tasks import run_batch
from programs import csvsafe
from segments.services import attribute_save
from tests.fuzzing import event, pages_answer, rolled_back

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

ATTRIBUTES = {
    "cart_value": ("Cart value", "number", []),
    "city": ("City", "text", []),
    "newsletter": ("Newsletter", "boolean", []),
    "visitor_type": ("Visitor type", "category", ["new", "returning"]),
}


@pytest.fixture
def shop(world):
    """A blueprint whose offers test every kind of attribute."""
    for key, (label, kind, allowed) in ATTRIBUTES.items():
        attribute_save(
            organization=world.acme, key=key, label=label, type=kind, allowed_values=allowed
        )
    team = world.user("team")
    world.blueprint = services.blueprint_create(
        cycle=world.program.cycles.get(), name="Web shop", by=team
    )
    discover, _consider, purchase, *_rest = world.blueprint.stages.all()
    for stage, name, sentences in [
        (discover, "Welcome", ["visitor type is new", "city contains Amster"]),
        (discover, "Everyone", []),
        (purchase, "Bestsellers", ["cart value is between 10 and 50", "newsletter is true"]),
        (purchase, "Big cart", ["cart value is at least 100"]),
    ]:
        offer = services.offer_save(
            stage=stage, by=team, name=name, propensity=Decimal("0.1"), value=Decimal(5)
        )
        for sentence in sentences:
            services.condition_add(offer=offer, sentence=sentence, by=team)
    return world


def batch_rows() -> list[tuple]:
    fields = [f.attname for f in SimulationBatch._meta.concrete_fields]
    return list(SimulationBatch.objects.order_by("pk").values_list(*fields))


def batch_or_refuse(world, data: bytes) -> SimulationBatch | None:
    """Upload and run; a refusal says why and writes nothing, a batch decides every
    profile. None if refused."""
    before = batch_rows()
    try:
        batch = services.batch_create(
            blueprint=world.blueprint, file_name="people.csv", data=data, by=world.user("team")
        )
    except ValidationError as refused:
        assert refused.messages
        assert all(str(m).strip() for m in refused.messages), refused.messages
        assert batch_rows() == before
        event("refused", refused.messages[0][:40])
        return None
    run_batch(batch_id=batch.pk)
    batch.refresh_from_db()
    assert batch.status == "succeeded", batch.error
    assert batch.rows_done == batch.rows_total > 0
    result = list(csv.reader(io.StringIO(batch.result_csv, newline="")))
    stages = [s.name for s in world.blueprint.stages.all()]
    assert result[0][-len(stages) :] == stages
    assert len(result) - 1 == batch.rows_total, "one decided row per profile"
    assert sum(batch.wins.values()) <= batch.rows_total * len(stages)
    read_back(world, batch, data, stages)
    event("decided")
    return batch


def read_back(world, batch: SimulationBatch, data: bytes, stages: list[str]) -> None:
    """The result a person downloads holds the file they uploaded: exactly its header's
    columns then one per stage, one row per profile, each uploaded cell read back equal,
    cell for cell, in order (through csvsafe.restore, as a formula-looking cell leaves
    with a quote in front). Then the batch page, the board and the simulator open."""
    uploaded = [
        row
        for row in csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))
        if row  # an empty line is no profile
    ]
    header, profiles = uploaded[0], uploaded[1:]
    at = {"pk": world.program.pk, "blueprint_pk": batch.blueprint_id}
    client = Client()
    client.force_login(world.user("executive"))
    response = client.get(reverse("blueprints:batch_download", kwargs={**at, "batch_pk": batch.pk}))
    assert response.status_code == 200
    text = response.content.decode("utf-8")
    assert text.startswith("\ufeff")
    result = [
        [csvsafe.restore(cell) for cell in row]
        for row in csv.reader(io.StringIO(text[1:], newline=""))
    ]
    assert result[0] == [*header, *stages]
    assert [len(row) for row in result[1:]] == [len(header) + len(stages)] * len(profiles)
    assert [row[: len(header)] for row in result[1:]] == profiles
    pages_answer(
        world.user("executive"),
        [
            reverse("blueprints:batch", kwargs={**at, "batch_pk": batch.pk}),
            *(reverse(f"blueprints:{n}", kwargs=at) for n in ("blueprint", "simulator")),
        ],
    )


# --- Strategies -----------------------------------------------------------------------

NASTY = ["\x00", "a\x00b", "\ufeff", "\u2028", "\x85", "İ", "\r", "\n", '"', "'", ",", ";"]
text = st.one_of(
    st.text(st.characters(exclude_categories=["Cs"]), max_size=16),
    st.lists(st.sampled_from(NASTY), min_size=1, max_size=3).map("".join),
)
numbers = st.one_of(
    st.sampled_from(["20", "20.5", "1e2", "NaN", "inf", "-0", "1,5", "1e999999", "", " 7 "]),
    st.decimals().map(str),
    st.floats().map(str),
    st.integers().map(str),
)
CELLS = {
    "cart_value": numbers,
    "city": st.one_of(st.sampled_from(["Amsterdam", "amster", "AMSTERDAM", ""]), text),
    "newsletter": st.sampled_from(["true", "yes", "1", "y", "t", "False", "no", "", "TRUE"]),
    "visitor_type": st.one_of(st.sampled_from(["new", "returning", "New", "loyal", ""]), text),
}


def sometimes(draw, tenths: int) -> bool:
    """True about tenths/10 of the time; shrinks to False, the ordinary file."""
    return draw(st.integers(0, 9)) >= 10 - tenths


@st.composite
def profile_files(draw) -> bytes:
    """Profiles as exports make them: attribute columns in any order beside others, cells
    of any form, rows cut short or too long, empty lines, quoting, line endings and
    encodings."""
    keys = draw(st.lists(st.sampled_from(list(ATTRIBUTES)), min_size=1, unique=True))
    header = keys + draw(st.lists(st.sampled_from(["email", "id", "", "City"]), max_size=2))
    if sometimes(draw, 1):
        header = draw(st.lists(text, max_size=5))
    rows = []
    for _ in range(draw(st.integers(0, 6))):
        cells = [draw(CELLS.get(column, text)) for column in header]
        if sometimes(draw, 1):  # cut short or too long
            cells = cells[: draw(st.integers(0, len(cells)))] + draw(st.lists(text, max_size=2))
        rows.append(cells)
        if sometimes(draw, 1):
            rows.append(draw(st.sampled_from([[], [""], [" "]])))
    ending = draw(st.sampled_from(["\n", "\r\n", "\r"]))
    if sometimes(draw, 2):  # the naive join of a hand-made export
        body = "".join(",".join(cells) + ending for cells in [header, *rows])
    else:
        out = io.StringIO()
        quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
        csv.writer(out, lineterminator=ending, quoting=quoting).writerows([header, *rows])
        body = out.getvalue()
    if sometimes(draw, 1):
        body += "x" * 140_000  # a cell over the csv module's limit
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "latin-1"]))
    return body.encode(encoding if sometimes(draw, 2) else "utf-8", errors="replace")


@st.composite
def valid_profile_files(draw) -> bytes:
    """Profiles every batch must decide: known columns, one value per cell, whatever the
    line ending, quoting or byte order mark."""
    header = draw(st.lists(st.sampled_from(list(ATTRIBUTES)), min_size=1, unique=True))
    quoting = draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))

    def usable(cell: str) -> bool:
        # Python's QUOTE_MINIMAL leaves a "\r" unquoted when lines end in "\n" (and the
        # other way round): that bare line break ends the row, which is then one value
        # short and refused, as it should be. Exports quote a cell with a line break.
        return "\x00" not in cell and (
            quoting == csv.QUOTE_ALL or ("\r" not in cell and "\n" not in cell)
        )

    rows = [
        [draw(CELLS[column].filter(usable)) for column in header]
        for _ in range(draw(st.integers(1, 6)))
    ]
    out = io.StringIO()
    csv.writer(
        out,
        lineterminator=draw(st.sampled_from(["\n", "\r\n", "\r"])),
        quoting=quoting,
    ).writerows([header, *rows])
    return out.getvalue().encode(draw(st.sampled_from(["utf-8", "utf-8-sig"])))


# --- Properties -----------------------------------------------------------------------


@settings(FUZZ, max_examples=40)
@given(data=valid_profile_files())
def test_valid_profile_files_are_decided_row_by_row(shop, data):
    with rolled_back():
        assert batch_or_refuse(shop, data) is not None


@settings(FUZZ, max_examples=80)
@given(data=profile_files())
def test_generated_profile_files_are_decided_or_refused_with_nothing_written(shop, data):
    with rolled_back():
        batch_or_refuse(shop, data)


@settings(FUZZ, max_examples=40)
@given(
    data=st.one_of(
        st.binary(max_size=300),
        st.sampled_from([b"", b" ", b"\xef\xbb\xbf", b"\n\n", b"visitor_type", b"\x00", b'"']),
        st.sampled_from([b"visitor_type\n\n\n", b"visitor_type\r\n \r\n", b"PK\x03\x04"]),
    )
)
def test_random_bytes_are_refused_with_a_message(shop, data):
    with rolled_back():
        batch_or_refuse(shop, data)


# --- Found by the properties above ----------------------------------------------------


def test_a_file_with_old_mac_line_endings_is_decided(shop):
    batch = batch_or_refuse(shop, b"visitor_type,cart_value\rnew,20\rreturning,120\r")
    assert batch is not None and batch.rows_total == 2


def test_a_nul_character_is_refused_with_a_message(shop):
    before = batch_rows()
    with pytest.raises(ValidationError, match="NUL"):
        services.batch_create(
            blueprint=shop.blueprint,
            file_name="people.csv",
            data=b"visitor_type\nnew\x00\n",
            by=shop.user("team"),
        )
    assert batch_rows() == before


def test_empty_lines_are_not_counted_as_profiles(shop):
    batch = batch_or_refuse(shop, b"visitor_type\n\nnew\n\n\nreturning\n\n")
    assert batch is not None and batch.rows_total == 2
    with pytest.raises(ValidationError, match="no profiles"):
        services.batch_create(
            blueprint=shop.blueprint,
            file_name="p.csv",
            data=b"visitor_type\n\n\n",
            by=shop.user("team"),
        )


def test_a_column_named_twice_downloads_both_cells(shop):
    """Both "email" columns come back, each with its own cell, and so does the profile."""
    batch = batch_or_refuse(shop, b"city,email,email\nAmsterdam,a@x.nl,b@x.nl\n")
    assert batch is not None and batch.rows_total == 1
