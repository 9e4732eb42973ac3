"""CSV files as each language writes them (issue 20, item 4): an upload says its column
and decimal separators (the organization's by default); 8,97 in a semicolon file reads as
8.97; a number written the other way is refused with its line, never read wrong; exports
come plain or "for Excel in your language", and the Excel one loads back unchanged."""

from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from results.models import Measurement
from tests.results.test_results import days, upload_source, url  # noqa: F401

pytestmark = pytest.mark.django_db


def upload(client, world, source, data: bytes, **format_) -> object:
    """Upload through the page with the separators chosen, confirm the mapping; the run."""
    response = client.post(
        url("upload", world, source_pk=source.pk),
        {"file": SimpleUploadedFile("results.csv", data), **format_},
    )
    assert response.status_code == 302
    preview = client.get(response["Location"])
    if preview.status_code == 200:
        client.post(response["Location"], {"kpi": "kpi", "period": "period", "value": "value"})
    return source.pulls.order_by("-pk").first()


def semicolons(rows) -> bytes:
    return ("kpi;period;value\n" + "".join(";".join(r) + "\n" for r in rows)).encode()


def test_a_semicolon_file_with_decimal_commas_reads_its_numbers_right(
    world,
    upload_source,  # noqa: F811
    as_user,
):
    rows = [("Conversion rate", day, f"2,{n}7") for n, day in enumerate(days(3))]
    pull = upload(
        as_user("manager"), world, upload_source, semicolons(rows), delimiter=";", decimal=","
    )
    assert pull.status == "succeeded", pull.error
    assert sorted(Measurement.objects.values_list("value", flat=True)) == [
        Decimal("2.07"),
        Decimal("2.17"),
        Decimal("2.27"),
    ]


def test_a_decimal_point_in_a_decimal_comma_file_is_refused_with_its_line(
    world,
    upload_source,  # noqa: F811
    as_user,
):
    rows = [("Conversion rate", days(2)[0], "2,5"), ("Conversion rate", days(2)[1], "2.6")]
    pull = upload(
        as_user("manager"), world, upload_source, semicolons(rows), delimiter=";", decimal=","
    )
    assert pull.status == "failed"
    assert not Measurement.objects.exists()
    (rejected,) = pull.rejected_rows
    assert rejected["line"] == 3
    assert "decimal point" in rejected["reason"] and "2,6" in rejected["reason"]


def test_a_comma_file_with_decimal_commas_is_refused_naming_the_line(
    world,
    upload_source,  # noqa: F811
    as_user,
):
    data = f"kpi,period,value\nConversion rate,{days(1)[0]},2,5\n".encode()
    pull = upload(as_user("manager"), world, upload_source, data, delimiter=",", decimal=",")
    assert pull.status == "failed"
    assert "Line 2 has 4 values; the header has 3" in pull.error
    assert not Measurement.objects.exists()


def test_a_decimal_comma_in_a_decimal_point_file_is_refused_not_read_as_thousands(
    world,
    upload_source,  # noqa: F811
    as_user,
):
    rows = [("Conversion rate", days(1)[0], "8,97")]
    pull = upload(
        as_user("manager"), world, upload_source, semicolons(rows), delimiter=";", decimal="."
    )
    assert pull.status == "failed" and not Measurement.objects.exists()
    assert "decimal comma" in pull.rejected_rows[0]["reason"]


def test_the_wrong_column_separator_is_named(world, upload_source, as_user):  # noqa: F811
    data = f"kpi,period,value\nConversion rate,{days(1)[0]},2.5\n".encode()
    pull = upload(as_user("manager"), world, upload_source, data, delimiter=";", decimal=".")
    assert pull.status == "failed"
    assert "seems to separate its columns with “,”, not “;”" in pull.error


def test_uploads_start_from_the_organizations_way_of_writing_files(
    world,
    upload_source,  # noqa: F811
    as_user,
):
    admin = as_user("admin")
    response = admin.post(
        f"/o/{world.acme.slug}/settings/files/",
        {"form": "files", "csv_delimiter": ";", "csv_decimal": ","},
    )
    assert response.status_code == 302
    page = as_user("manager").get(url("source", world, source_pk=upload_source.pk))
    body = page.content.decode()
    assert '<option value=";" selected>' in body and '<option value="," selected>' in body
    # An upload that does not say reads the organization's way.
    rows = [("Conversion rate", days(1)[0], "3,25")]
    pull = upload(as_user("manager"), world, upload_source, semicolons(rows))
    assert pull.status == "succeeded", pull.error
    assert Measurement.objects.get().value == Decimal("3.25")


def test_only_an_admin_sets_how_files_are_written(world, as_user):
    for who in ("manager", "team", "executive"):
        response = as_user(who).post(
            f"/o/{world.acme.slug}/settings/files/",
            {"form": "files", "csv_delimiter": ";", "csv_decimal": ","},
        )
        assert response.status_code == 403
    world.acme.refresh_from_db()
    assert (world.acme.csv_delimiter, world.acme.csv_decimal) == (",", ".")


def test_the_excel_export_in_danish_loads_back_unchanged(world, upload_source, as_user):  # noqa: F811
    manager = as_user("manager")
    data = (
        "kpi,period,value\n"
        + "".join(
            f"Conversion rate,{d},{v}\n" for d, v in zip(days(3), ("2.5", "2.75", "3"), strict=True)
        )
    ).encode()
    upload(manager, world, upload_source, data, delimiter=",", decimal=".")
    before = sorted(Measurement.objects.values_list("period_start", "value"))

    danish = Client(HTTP_ACCEPT_LANGUAGE="da")
    danish.force_login(world.user("manager"))
    export = danish.get(
        url("measurements", world, kpi_pk=world.kpi.pk), {"format": "csv", "excel": "1"}
    )
    text = export.content.decode("utf-8")
    assert text.startswith("\ufeffkpi;period;period_kind;")
    assert ";2,75;" in text or ";2,750000;" in text

    Measurement.objects.all().delete()
    pull = upload(manager, world, upload_source, text.encode("utf-8"), delimiter=";", decimal=",")
    assert pull.status == "succeeded", (pull.error, pull.rejected_rows)
    assert sorted(Measurement.objects.values_list("period_start", "value")) == before


def test_the_plain_export_stays_plain_in_every_language(world, upload_source, as_user):  # noqa: F811
    upload(
        as_user("manager"),
        world,
        upload_source,
        f"kpi,period,value\nConversion rate,{days(1)[0]},2.5\n".encode(),
        delimiter=",",
        decimal=".",
    )
    danish = Client(HTTP_ACCEPT_LANGUAGE="da")
    danish.force_login(world.user("manager"))
    text = danish.get(
        url("measurements", world, kpi_pk=world.kpi.pk), {"format": "csv"}
    ).content.decode()
    assert text.startswith("\ufeffkpi,period,") and ",2.5" in text


@pytest.mark.parametrize("name", ["assessments:assessment_csv", "assessments:drivers_csv"])
def test_every_export_comes_for_excel_in_the_persons_language(world, name):
    """The same columns as the plain export, separated by semicolons, with a BOM."""
    from django.urls import reverse

    danish = Client(HTTP_ACCEPT_LANGUAGE="da")
    danish.force_login(world.user("executive"))
    address = reverse(name, kwargs={"pk": world.program.pk})
    plain = danish.get(address).content.decode()
    excel = danish.get(address, {"excel": "1"}).content.decode()
    assert plain.startswith("\ufeff") and excel.startswith("\ufeff")
    plain_header, excel_header = plain.splitlines()[0], excel.splitlines()[0]
    assert excel_header.split(";") == plain_header.split(",")


def test_the_plan_exports_for_excel_with_decimal_commas(world, as_user):
    from django.urls import reverse

    from initiatives.models import Initiative

    manager = as_user("manager")
    cycle = world.program.cycles.get()
    department = world.acme.departments.first()
    Initiative.objects.create(
        cycle=cycle,
        name="Hero test",
        owner_department=department,
        starts_on=cycle.starts_on,
        cost=Decimal("1234.50"),
    )
    danish = Client(HTTP_ACCEPT_LANGUAGE="da")
    danish.force_login(world.user("manager"))
    address = reverse("initiatives:export_csv", kwargs={"pk": world.program.pk})
    excel = danish.get(address, {"excel": "1"}).content.decode()
    assert ";1234,50;" in excel and "Hero test" in excel
    assert ",1234.50," in manager.get(address).content.decode()


def test_refused_rows_read_in_each_readers_language(world, upload_source, as_user):  # noqa: F811
    rows = [("Nonsense", days(1)[0], "2,5"), ("Conversion rate", days(1)[0], "250")]
    pull = upload(
        as_user("manager"), world, upload_source, semicolons(rows), delimiter=";", decimal=","
    )
    assert pull.status == "failed" and not Measurement.objects.exists()
    # Kept in English for the API and the logs, and shown in the reader's language.
    assert pull.rejected_rows[0]["reason"] == "no KPI “Nonsense” in this program's open cycle"
    page_url = url("pull", world, source_pk=upload_source.pk, pull_pk=pull.pk)
    danish = as_user("executive")
    danish.post("/language/", {"language": "da"})
    body = danish.get(page_url).content.decode()
    assert "ingen KPI “Nonsense” i programmets åbne cyklus" in body
    assert "250 er ikke en procent mellem 0 og 100" in body, body.split("<tbody>")[-1][:600]
    english = as_user("team").get(page_url).content.decode()
    assert "no KPI “Nonsense” in this program&#x27;s open cycle" in english
