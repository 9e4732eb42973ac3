"""A restored program opens on every page (TESTING.md, 5).

The rich demo program's backup (tests/backups/test_backup.py) is restored where its people
are gone: into an organization where none of them is a member, and into one where they
were, after their accounts were deleted. History rows then name nobody; every page of the
program (every KPI, driver, initiative, blueprint, source, run, each cycle) answers, and
where the history names a person who is not here it says "someone no longer here".
"""

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from backups import backup
from initiatives.models import Initiative
from kpis.models import Kpi
from programs.models import Role
from programs.services import membership_add, organization_create
from tests.backups.test_backup import organization_with_people, rich  # noqa: F401
from tests.pages import program_forms, program_pages

pytestmark = pytest.mark.django_db


@pytest.fixture
def client():
    """A client that answers a failing page with its 500, so one walk lists them all."""
    return Client(raise_request_exception=False)


GONE = "someone no longer here"


def walk(client, program) -> dict[str, int]:
    """Every page of the program: the URLs that did not answer 200, with their status."""
    failed = {}
    for url in program_pages(program):
        response = client.get(url)
        if response.status_code != 200:
            failed[url] = response.status_code
    for url in program_forms(program):
        response = client.get(url)
        if response.status_code >= 500:
            failed[url] = response.status_code
    return failed


def test_a_program_restored_where_none_of_its_people_are_members_opens_on_every_page(
    rich,  # noqa: F811
    client,
):
    newcomer = get_user_model().objects.create_user("nina", "nina@elsewhere.example")
    other = organization_create(name="Other Retail", admin=newcomer)

    program = backup.program_import(organization=other, data=rich.text).program
    client.force_login(newcomer)

    assert walk(client, program) == {}
    # The KPI page's history, the ROI targets', a driver's validations and an
    # initiative's status changes name who changed them: here, nobody anymore.
    kpi = program.cycles.get(number=3).goals.first().kpis.first()
    page = client.get(reverse("kpis:kpi", kwargs={"pk": program.pk, "kpi_pk": kpi.pk}))
    page = page.content.decode()
    assert GONE in page
    assert "system" not in page.split('data-testid="kpi-history"')[1].split("</ul>")[0]


def history_pages(program) -> list[str]:
    """The pages that list changes with who made them: KPIs, ROI targets, drivers (their
    validations and edits), initiatives (their status changes)."""
    pk = {"pk": program.pk}
    roi = reverse("kpis:roi", kwargs=pk)
    return [
        *(f"{roi}?cycle={n}" for n in program.cycles.values_list("number", flat=True)),
        *(
            reverse("kpis:kpi", kwargs={**pk, "kpi_pk": k})
            for k in Kpi.objects.filter(goal__cycle__program=program).values_list("pk", flat=True)
        ),
        *(
            reverse("assessments:driver", kwargs={**pk, "driver_pk": d})
            for d in program.drivers.values_list("pk", flat=True)
        ),
        *(
            reverse("initiatives:initiative", kwargs={**pk, "initiative_pk": i})
            for i in Initiative.objects.filter(cycle__program=program).values_list("pk", flat=True)
        ),
    ]


def test_a_program_whose_people_were_deleted_opens_on_every_page(rich, client):  # noqa: F811
    other = organization_with_people(rich.document)
    program = backup.program_import(organization=other, data=rich.text).program
    admin = get_user_model().objects.create_user("nina", "nina@elsewhere.example")
    membership_add(organization=other, user=admin, role=Role.ADMIN)
    client.force_login(admin)
    named = [url for url in history_pages(program) if "Mia Manager" in page(client, url)]

    get_user_model().objects.filter(
        username__in=[p["username"] for p in rich.document["people"]]
    ).delete()

    assert walk(client, program) == {}
    assert len(named) > 10, "the restored history names the demo's manager"
    assert [url for url in named if GONE not in page(client, url)] == []
    assert [url for url in named if "Mia Manager" in page(client, url)] == []


def page(client, url: str) -> str:
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()
