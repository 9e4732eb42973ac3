"""No CSV export hands a spreadsheet a formula, and the importers read the exports back
as they were typed (issue 17, item 7).

Each export test makes the hostile text the way a person does (the form or the service a
form calls), downloads the file as a logged-in reader and reads it as a spreadsheet
would: a cell that starts with = + - @, a tab or a carriage return would run."""

import csv
import datetime
import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from assessments.services import driver_change_add, driver_save
from blueprints import services as blueprint_services
from blueprints.tasks import run_batch
from initiatives.models import Initiative
from initiatives.services import plan_defaults_ensure
from kpis.services import kpi_save
from programs import csvsafe
from results import ingest, sources
from segments.services import attribute_save, segment_save

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://x","Open")'
DDE = "@SUM(1+1)*cmd|' /C calc'!A0"
STARTS = ("=", "+", "-", "@", "\t", "\r")


def rows_of(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline="")))


def runs_as_formula(cell: str) -> bool:
    """What a spreadsheet would run: text starting as a formula, a plain number aside."""
    return cell.startswith(STARTS) and not csvsafe.PLAIN_NUMBER.fullmatch(cell)


def assert_no_formula(rows: list[list[str]]) -> None:
    running = [cell for row in rows for cell in row if runs_as_formula(cell)]
    assert running == []


# --- The helper -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "written"),
    [
        (FORMULA, "'" + FORMULA),
        ("+1 NPS", "'+1 NPS"),
        ("-5% push", "'-5% push"),
        ("@mention", "'@mention"),
        ("\tindented", "'\tindented"),
        ("\rline", "'\rline"),
        ("'=typed with its quote", "''=typed with its quote"),
        ("'t Hoekje", "'t Hoekje"),  # a quote, and no formula after it
        ("Conversion rate", "Conversion rate"),
        ("a=b", "a=b"),
        ("-3.5", "-3.5"),  # text that is a number is a number to a spreadsheet
        ("+2", "+2"),
        ("-1e-3", "-1e-3"),
        ("", ""),
    ],
)
def test_text_that_would_start_a_formula_gets_a_quote(typed, written):
    assert csvsafe.csv_safe(typed) == written
    assert csvsafe.restore(written) == typed


def test_numbers_are_written_as_numbers():
    for number in (Decimal("-3.5"), -3.5, -3, 0, Decimal("2.400000")):
        assert csvsafe.csv_safe(number) is number
    out = io.StringIO()
    csvsafe.writer(out).writerow([Decimal("-3.5"), None, "-cmd", "=1+1"])
    assert out.getvalue() == "-3.5,,'-cmd,'=1+1\r\n"


@given(st.text())
def test_any_text_is_written_without_a_formula_and_read_back_as_typed(text):
    written = csvsafe.csv_safe(text)
    assert not runs_as_formula(written)
    assert csvsafe.restore(written) == text


@given(st.text(alphabet="'=+-@\t\r x1.e", max_size=6))
def test_texts_made_of_quotes_and_formula_starts_read_back_as_typed(text):
    """The characters that matter, densely: quotes before a formula, numbers and not."""
    written = csvsafe.csv_safe(text)
    assert not runs_as_formula(written)
    assert csvsafe.restore(written) == text


# --- Measurements (kpis/views_results.py) ------------------------------------------------


@pytest.fixture
def hostile_measurements(world):
    """A lift KPI named as a formula, a segment named as one, and a value of -3.5 in it,
    pushed through the API's service."""
    manager = world.user("manager")
    cycle = world.program.cycles.get()
    kpi = kpi_save(
        goal=world.goal,
        by=manager,
        name=FORMULA,
        unit="percent_change",
        direction="higher",
        baseline=Decimal(0),
        baseline_date=cycle.starts_on,
        target=Decimal(5),
        target_date=cycle.ends_on,
    )
    segment = segment_save(organization=world.acme, by=manager, name=DDE)
    token, _secret = sources.token_create(program=world.program, name="t", by=world.user("admin"))
    yesterday = (timezone.localdate() - datetime.timedelta(days=1)).isoformat()
    pull = sources.push_load(
        token=token,
        items=[
            {"kpi": FORMULA, "period": yesterday, "value": "-3.5"},
            {"kpi": FORMULA, "period": yesterday, "value": "-1.25", "segment": DDE},
        ],
    )
    assert pull.status == "succeeded", pull.rejected_rows
    return kpi, segment


def test_the_measurements_export_neutralizes_names_and_keeps_negative_numbers(
    world, as_user, hostile_measurements
):
    kpi, _segment = hostile_measurements
    response = as_user("executive").get(
        reverse("results:measurements", kwargs={"pk": world.program.pk, "kpi_pk": kpi.pk}),
        {"format": "csv"},
    )
    header, *rows = rows_of(response)
    assert_no_formula(rows)
    cells = [dict(zip(header, row, strict=True)) for row in rows]
    assert {c["kpi"] for c in cells} == {"'" + FORMULA}
    assert sorted(c["segment"] for c in cells) == ["", "'" + DDE]
    # Numbers stay numbers: no quote in front of the negative values.
    assert sorted(Decimal(c["value"]) for c in cells) == [Decimal("-3.5"), Decimal("-1.25")]


def test_the_measurements_export_reads_back_through_the_upload_as_it_was(
    world, as_user, hostile_measurements
):
    kpi, segment = hostile_measurements
    body = as_user("manager").get(
        reverse("results:measurements", kwargs={"pk": world.program.pk, "kpi_pk": kpi.pk}),
        {"format": "csv"},
    )
    _header, rows = ingest.read_csv(body.content)
    checked = ingest.check_rows(
        rows,
        {field: field for field in ("kpi", "period", "value", "segment", "variant")},
        kpis={kpi.name.lower(): ingest.KpiInfo(kpi.pk, kpi.unit)},
        segments={segment.name.lower(): segment.pk},
        today=timezone.localdate(),
    )
    assert checked.errors == []
    assert {(r.segment_id, r.value) for r in checked.records} == {
        (None, Decimal("-3.5")),
        (segment.pk, Decimal("-1.25")),
    }


# --- Assessment and drivers (assessments/views.py) --------------------------------------


def test_the_assessment_export_neutralizes_dimension_names_and_answers(world, as_user):
    dimension = world.dimension
    as_user("admin").post(
        reverse("assessments:dimension_edit", kwargs={"org": "acme", "dimension_pk": dimension.pk}),
        {"name": "-Strategy", "rubric_low": "Silos", "rubric_high": "One view"},
    )
    as_user("manager").post(
        reverse(
            "assessments:answer_save",
            kwargs={"pk": world.program.pk, "dimension_pk": dimension.pk},
        ),
        {"score": "3", "evidence": FORMULA, "opportunity": DDE},
    )
    response = as_user("executive").get(
        reverse("assessments:assessment_csv", kwargs={"pk": world.program.pk})
    )
    header, *rows = rows_of(response)
    assert_no_formula(rows)
    row = dict(zip(header, next(r for r in rows if r[0] == "'-Strategy"), strict=True))
    assert (row["score"], row["evidence"], row["opportunity"]) == ("3", "'" + FORMULA, "'" + DDE)


def test_the_drivers_export_neutralizes_every_text(world, as_user):
    manager = world.user("manager")
    driver = driver_save(
        program=world.program,
        by=manager,
        name=FORMULA,
        definition="+1+1",
        source_system="@analytics",
        owner="-2+3",
    )
    driver_change_add(
        driver=driver,
        changed_on=timezone.localdate(),
        kind="tool_switch",
        description=DDE,
        by=manager,
    )
    response = as_user("executive").get(
        reverse("assessments:drivers_csv", kwargs={"pk": world.program.pk})
    )
    header, *rows = rows_of(response)
    assert_no_formula(rows)
    row = dict(zip(header, next(r for r in rows if FORMULA in r[0]), strict=True))
    assert (row["name"], row["definition"], row["source_system"], row["owner"]) == (
        "'" + FORMULA,
        "'+1+1",
        "'@analytics",
        "'-2+3",
    )
    assert DDE in row["changes"]  # inside the cell, after the date: no formula


# --- Initiatives (initiatives/services.py): export, then import ------------------------

NAMES = [
    '=HYPERLINK("http://x")',
    "-5% push",
    "+1 NPS",
    "@mention campaign",
    "'=typed with its quote",
    "'t Hoekje",
    "-5",
]


@pytest.fixture
def hostile_plan(world, as_user):
    """Initiatives named as formulas, made on the initiative form by a team member."""
    plan_defaults_ensure(organization=world.acme)
    cycle = world.program.cycles.get()
    marketing = world.acme.departments.get(name="Marketing")
    for name in NAMES:
        response = as_user("team").post(
            reverse("initiatives:initiative_create", kwargs={"pk": world.program.pk}),
            {
                "name": name,
                "objective": f"-{name}",
                "kind": "main",
                "status": "planned",
                "owner_department": marketing.pk,
                "stages": ["Discover"],
                "starts_on": cycle.starts_on.isoformat(),
                "ends_on": cycle.ends_on.isoformat(),
                "cost": "0",
            },
        )
        assert response.status_code == 302, response.content.decode()[:2000]
    return world


def export(world, client) -> str:
    response = client.get(reverse("initiatives:export_csv", kwargs={"pk": world.program.pk}))
    assert response.status_code == 200
    return response.content.decode("utf-8-sig")


def test_the_initiatives_export_neutralizes_names(hostile_plan, as_user):
    header, *rows = list(csv.reader(io.StringIO(export(hostile_plan, as_user("executive")))))
    assert_no_formula(rows)
    names = {row[header.index("name")] for row in rows}
    assert names == {
        "'" + '=HYPERLINK("http://x")',
        "'-5% push",
        "'+1 NPS",
        "'@mention campaign",
        "''=typed with its quote",
        "'t Hoekje",
        "-5",
    }


def test_exporting_then_importing_initiatives_gives_back_the_same_texts(hostile_plan, as_user):
    team = as_user("team")
    exported = export(hostile_plan, team)
    before = sorted(Initiative.objects.values_list("name", "objective"))
    assert before == sorted((name, f"-{name}") for name in NAMES)
    Initiative.objects.all().delete()
    response = team.post(
        reverse("initiatives:import_csv", kwargs={"pk": hostile_plan.program.pk}),
        {"file": SimpleUploadedFile("plan.csv", exported.encode("utf-8-sig"))},
    )
    assert response.status_code in (200, 302)
    assert sorted(Initiative.objects.values_list("name", "objective")) == before
    # And the file it exports now is the same file.
    assert export(hostile_plan, team) == exported


# --- Batch decisions (blueprints/views.py) ----------------------------------------------


def test_the_decisions_download_neutralizes_profiles_and_offer_names(world, as_user):
    team = world.user("team")
    attribute_save(
        organization=world.acme,
        key="cart_value",
        label="Cart value",
        type="number",
        allowed_values=[],
    )
    blueprint = blueprint_services.blueprint_create(
        cycle=world.program.cycles.get(), name="Web shop", by=team
    )
    blueprint_services.offer_save(
        stage=blueprint.stages.all()[2],
        by=team,
        name=FORMULA,
        kind="recommendation",
        propensity=Decimal("0.02"),
        value=Decimal(40),
    )
    profiles = io.StringIO()
    csv.writer(profiles).writerows(
        [["cart_value", "=note", "customer"], ["-3.5", "x", DDE], ["12", "y", "+31 6 1234"]]
    )
    batch = blueprint_services.batch_create(
        blueprint=blueprint,
        file_name="people.csv",
        data=profiles.getvalue().encode(),
        by=team,
    )
    run_batch(batch_id=batch.pk)
    response = as_user("executive").get(
        reverse(
            "blueprints:batch_download",
            kwargs={"pk": world.program.pk, "blueprint_pk": blueprint.pk, "batch_pk": batch.pk},
        )
    )
    header, *rows = rows_of(response)
    assert_no_formula([header, *rows])
    assert header[:3] == ["cart_value", "'=note", "customer"]
    purchase = header.index(blueprint.stages.all()[2].name)
    assert [row[0] for row in rows] == ["-3.5", "12"]  # numbers stay numbers
    assert [row[2] for row in rows] == ["'" + DDE, "'+31 6 1234"]
    assert {row[purchase] for row in rows} == {"'" + FORMULA}
