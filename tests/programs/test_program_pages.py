import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from programs.models import Cycle, Phase, Program
from programs.services import program_create

pytestmark = pytest.mark.django_db


def create_url(world):
    return reverse("programs:program_create", kwargs={"org": world.acme.slug})


def valid_program(**overrides):
    data = {
        "name": "E-mail",
        "context": "Newsletter",
        "description": "",
        "starts_on": "2026-11-01",
        "ends_on": "2027-01-31",
    }
    return {**data, **overrides}


def test_manager_creates_a_program_with_its_first_cycle(world, as_user):
    response = as_user("manager").post(create_url(world), valid_program())

    program = Program.objects.get(name="E-mail")
    assert response.status_code == 302
    assert response["Location"] == reverse("cycles:program_home", kwargs={"pk": program.pk})
    assert program.organization == world.acme
    cycle = program.cycles.get()
    assert (cycle.number, str(cycle.starts_on), str(cycle.ends_on)) == (
        1,
        "2026-11-01",
        "2027-01-31",
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"name": ""}, "name", "This field is required."),
        ({"name": "x" * 121}, "name", "at most 120 characters"),
        ({"name": "web SHOP"}, "name", "already has a program with this name"),
        ({"ends_on": "2026-10-01"}, "ends_on", "must end after it starts"),
        ({"starts_on": "yesterday"}, "starts_on", "Enter a valid date."),
    ],
    ids=["empty-name", "too-long-name", "duplicate-name", "ends-before-start", "not-a-date"],
)
def test_bad_program_input_is_explained_and_nothing_is_written(
    world, as_user, data, field, message
):
    before = (Program.objects.count(), Cycle.objects.count())

    response = as_user("manager").post(create_url(world), valid_program(**data))

    assert response.status_code == 200
    form = response.context["form"]
    errors = form.errors.get(field or "__all__")
    assert errors and message in " ".join(errors)
    assert message in response.content.decode().replace("&#x27;", "'")
    assert (Program.objects.count(), Cycle.objects.count()) == before


def test_a_forged_organization_in_the_form_is_ignored(world, as_user):
    as_user("manager").post(
        create_url(world),
        valid_program(organization=world.globex.pk, organization_id=world.globex.pk),
    )
    assert Program.objects.get(name="E-mail").organization == world.acme
    assert not world.globex.programs.filter(name="E-mail").exists()


def test_posting_to_another_organization_writes_nothing(world, as_user):
    url = reverse("programs:program_create", kwargs={"org": world.globex.slug})
    response = as_user("manager").post(url, valid_program())
    assert response.status_code == 404
    assert not Program.objects.filter(name="E-mail").exists()


def test_the_same_name_is_fine_in_another_organization(world, as_user):
    response = as_user("manager").post(create_url(world), valid_program(name="Globex shop"))
    assert response.status_code == 302


def test_editing_keeps_the_saved_name_in_the_title_when_the_new_one_is_refused(world, as_user):
    other = Program.objects.create(organization=world.acme, name="App")
    url = reverse("programs:program_edit", kwargs={"pk": other.pk})
    response = as_user("manager").post(url, {"name": "Web shop", "context": "", "description": ""})
    assert response.status_code == 200
    assert "already has a program with this name" in response.content.decode()
    other.refresh_from_db()
    assert other.name == "App"


def test_program_list_shows_each_programs_current_cycle_and_phase(world, as_user):
    Cycle.objects.filter(program=world.program).update(phase=Phase.HOW_DO_WE_GET_THERE)
    response = as_user("executive").get(reverse("programs:program_list", kwargs={"org": "acme"}))
    body = response.content.decode()
    assert "Web shop" in body and "Cycle 1" in body and "How do we get there?" in body
    assert "Globex shop" not in body


def test_program_list_queries_do_not_grow_with_programs(world, as_user):
    client = as_user("executive")
    url = reverse("programs:program_list", kwargs={"org": "acme"})
    client.get(url)  # the session is written once, on the first visit
    with CaptureQueriesContext(connection) as one_program:
        client.get(url)
    for n in range(15):
        program_create(organization=world.acme, name=f"Program {n}", by=None)
    with CaptureQueriesContext(connection) as sixteen_programs:
        response = client.get(url)
    assert response.content.decode().count('data-testid="program-card"') == 16
    assert len(sixteen_programs) == len(one_program) <= 7


def test_program_home_shows_the_four_questions_with_the_current_one_marked(world, as_user):
    response = as_user("team").get(reverse("cycles:program_home", kwargs={"pk": world.program.pk}))
    body = response.content.decode()
    for question in (
        "Where are we?",
        "Where are we going?",
        "How do we get there?",
        "Are we getting closer?",
    ):
        assert question in body
    assert body.count('aria-current="step"') == 1
    assert "In progress" in body


@pytest.mark.parametrize("who", ["team", "executive"])
def test_readers_see_no_edit_controls(world, as_user, who):
    body = (
        as_user(who)
        .get(reverse("cycles:program_home", kwargs={"pk": world.program.pk}))
        .content.decode()
    )
    assert "Edit program" not in body
    assert 'data-testid="phase-form"' not in body
    listing = (
        as_user(who).get(reverse("programs:program_list", kwargs={"org": "acme"})).content.decode()
    )
    assert "New program" not in listing


def test_manager_sees_edit_controls(world, as_user):
    body = (
        as_user("manager")
        .get(reverse("cycles:program_home", kwargs={"pk": world.program.pk}))
        .content.decode()
    )
    assert "Edit program" in body and 'data-testid="phase-form"' in body


def test_moving_the_phase_with_htmx_returns_the_redrawn_wheel(world, as_user):
    url = reverse("cycles:cycle_phase", kwargs={"pk": world.program.pk})
    response = as_user("manager").post(
        url, {"phase": "how-do-we-get-there"}, HTTP_HX_REQUEST="true"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="wheel"')
    assert "<html" not in body
    assert world.program.cycles.get().phase == Phase.HOW_DO_WE_GET_THERE


def test_an_unknown_phase_is_refused_with_a_message(world, as_user):
    url = reverse("cycles:cycle_phase", kwargs={"pk": world.program.pk})
    response = as_user("manager").post(url, {"phase": "done"}, follow=True)
    assert "Choose one of the four questions" in response.content.decode()
    assert world.program.cycles.get().phase == Phase.WHERE_ARE_WE


def test_cycle_history_lists_closed_and_open_cycles(world, as_user):
    from django.utils import timezone

    from programs.services import cycle_open

    world.program.cycles.update(closed_at=timezone.now())
    cycle_open(
        program=world.program,
        starts_on=world.program.cycles.get().ends_on,
        ends_on=world.program.cycles.get().ends_on.replace(year=2030),
    )
    body = (
        as_user("executive")
        .get(reverse("cycles:cycle_history", kwargs={"pk": world.program.pk}))
        .content.decode()
    )
    assert "Cycle 2" in body and "Cycle 1" in body and "Closed" in body and "Open" in body


def test_home_remembers_the_last_organization(world, as_user):
    from tests.factories import MembershipFactory

    MembershipFactory(organization=world.globex, user=world.user("manager"), role="executive")
    client = as_user("manager")
    assert client.get("/")["Location"] == "/o/acme/"
    client.get("/o/globex/")
    assert client.get("/")["Location"] == "/o/globex/"
    body = client.get("/o/globex/").content.decode()
    assert 'data-testid="org-switcher"' in body and "Acme Retail" in body


def test_a_user_without_organization_is_told_what_to_do(db, client):
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    response = client.get("/")
    assert response.status_code == 200
    assert "not in an organization yet" in response.content.decode()


def test_csrf_token_rides_on_every_htmx_request(world):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("manager"))
    page = client.get(reverse("cycles:program_home", kwargs={"pk": world.program.pk}))
    token = page.context["csrf_token"]
    assert f'hx-headers=\'{{"X-CSRFToken": "{token}"}}\'' in page.content.decode()

    url = reverse("cycles:cycle_phase", kwargs={"pk": world.program.pk})
    refused = client.post(url, {"phase": "review"}, HTTP_HX_REQUEST="true")
    accepted = client.post(
        url, {"phase": "review"}, HTTP_HX_REQUEST="true", HTTP_X_CSRFTOKEN=str(token)
    )
    assert (refused.status_code, accepted.status_code) == (403, 200)
