"""Issue 18, item 1: a CSV row with more (or fewer) values than its header is refused with
its line by every reader, never loaded cut short. `Add-to-cart rate,2026-11-15,8,97` (a
decimal comma in a comma file) once loaded as 8 and overwrote 8.3."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from blueprints import services as blueprint_services
from initiatives.models import Initiative
from initiatives.services import initiatives_import_csv
from programs import tables
from results import ingest, sources
from results.models import Measurement, SourceKind

pytestmark = pytest.mark.django_db

YESTERDAY = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


@pytest.mark.parametrize(
    ("body", "line", "values"),
    [
        (f"kpi,period,value\nConversion rate,{YESTERDAY},8,97\n", 2, 4),
        (f"kpi,period,value\nConversion rate,{YESTERDAY},8.3\nConversion rate\n", 3, 1),
    ],
)
def test_a_measurement_row_with_another_number_of_values_is_refused_on_the_page(
    world, as_user, jobs_run_now, body, line, values
):
    source = sources.source_save(
        program=world.program, by=world.user("manager"), name="Export", kind=SourceKind.UPLOAD
    )
    client = as_user("manager")
    response = client.post(
        reverse("results:upload", kwargs={"pk": world.program.pk, "source_pk": source.pk}),
        {"file": SimpleUploadedFile("results.csv", body.encode())},
    )
    page = client.get(response["Location"], follow=True).content.decode()
    assert f"Line {line} has {values} value" in page and "the header has 3" in page
    assert not Measurement.objects.exists()


def test_the_measurement_reader_refuses_the_row_itself():
    _header, rows = ingest.read_csv(b"kpi,period,value\nVisits,2026-01-05,8,97\n")
    with pytest.raises(ingest.FileProblem, match="Line 2 has 4 values; the header has 3"):
        list(rows)


def test_an_initiative_row_with_more_values_than_the_header_is_refused(world):
    header = "name,owner_department,starts_on"
    data = f"{header}\nNew search,IT,2026-01-05,extra\n".encode()
    with pytest.raises(ValidationError) as refused:
        initiatives_import_csv(cycle=world.program.cycles.get(), data=data, by=world.user("team"))
    assert "Line 2 has 4 values; the header has 3" in " ".join(refused.value.messages)
    assert not Initiative.objects.filter(name="New search").exists()


def test_a_customer_table_row_with_fewer_values_than_the_header_is_refused():
    data = b"customer_id,cart_value,country\nC1,20.5,NL\nC2,31.0\n"
    with pytest.raises(tables.TableError, match="line 3 has 2 values; the header has 3"):
        tables.read_table("customers.csv", io.BytesIO(data))


def test_a_profile_row_with_more_values_than_the_header_is_refused(world):
    from blueprints.models import Blueprint

    blueprint = Blueprint.objects.filter(cycle__program=world.program).first()
    if blueprint is None:
        blueprint = blueprint_services.blueprint_create(
            cycle=world.program.cycles.get(), name="Web", by=world.user("team")
        )
    data = b"visitor_type,cart_value\nreturning,40,extra\n"
    with pytest.raises(ValidationError) as refused:
        blueprint_services.batch_create(
            blueprint=blueprint, file_name="p.csv", data=data, by=world.user("team")
        )
    assert "Line 2 has 3 values; the header has 2" in " ".join(refused.value.messages)
