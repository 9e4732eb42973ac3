"""Choosing the language: a person's own choice on their account, the browser's for people
not signed in, the e-mails in their recipient's language."""

import re

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.urls import reverse

from programs.models import Profile
from tests.conftest import INVITATION_TOKEN

pytestmark = pytest.mark.django_db

LANG = re.compile(r'<html lang="([a-z-]+)"')


def html_lang(response) -> str:
    return LANG.search(response.content.decode()).group(1)


def choose(client: Client, language: str, *, next_url: str = "/") -> object:
    return client.post(reverse("programs:language_set"), {"language": language, "next": next_url})


@pytest.mark.parametrize(
    ("header", "expected", "words"),
    [
        ("nl-NL,nl;q=0.9,en;q=0.5", "nl", "Wachtwoord"),
        ("da", "da", "Adgangskode"),
        ("sl-SI,sl;q=0.8", "sl", "Geslo"),
        ("fr-FR,fr;q=0.9", "en", "Password"),
    ],
)
def test_the_login_page_speaks_the_browsers_language(client, header, expected, words):
    response = client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE=header)
    assert html_lang(response) == expected
    assert words in response.content.decode()


def test_a_choice_is_kept_on_the_account_and_wins_over_the_browser(world):
    first = Client()
    first.force_login(world.user("manager"))
    response = choose(first, "sl", next_url="/o/acme/")
    assert response.status_code == 302
    assert response["Location"] == "/o/acme/"
    assert Profile.objects.get(user=world.user("manager")).language == "sl"
    page = first.get("/o/acme/", HTTP_ACCEPT_LANGUAGE="nl")
    assert html_lang(page) == "sl"

    # Another browser, another session: the account still says Slovenian.
    second = Client()
    second.force_login(world.user("manager"))
    page = second.get("/o/acme/", HTTP_ACCEPT_LANGUAGE="da,en;q=0.5")
    assert html_lang(page) == "sl"
    assert "Programi" in page.content.decode()


def test_without_a_choice_a_signed_in_person_gets_the_browsers_language(world, as_user):
    page = as_user("team").get("/o/acme/", HTTP_ACCEPT_LANGUAGE="da")
    assert html_lang(page) == "da"
    assert not Profile.objects.filter(user=world.user("team")).exists()


def test_the_switch_is_in_the_top_bar_and_marks_the_current_language(as_user):
    page = as_user("executive").get("/o/acme/", HTTP_ACCEPT_LANGUAGE="nl").content.decode()
    switch = page[page.index('data-testid="language-switch"') :]
    switch = switch[: switch.index("</form>")]
    for code in ("en", "da", "sl", "nl"):
        assert f'value="{code}"' in switch
    assert re.search(r'value="nl"[^>]*class="[^"]*active[^"]*"[^>]*aria-pressed="true"', switch)
    assert 'name="next" value="/o/acme/"' in switch


def test_someone_not_signed_in_can_switch_too_and_the_browser_remembers(client):
    response = choose(client, "da", next_url=reverse("login"))
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "da"
    assert html_lang(client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en")) == "da"
    assert not Profile.objects.exists()


@pytest.mark.parametrize(
    "next_url", ["https://evil.example/", "//evil.example/x", "javascript:alert(1)", ""]
)
def test_the_switch_never_sends_anyone_to_another_site(as_user, next_url):
    response = choose(as_user("admin"), "nl", next_url=next_url)
    assert response.status_code == 302
    assert response["Location"] == "/"


def test_a_language_not_offered_is_refused_with_a_message(world, as_user):
    response = choose(as_user("admin"), "fr")
    assert response.status_code == 400
    assert "Choose one of the languages offered." in response.content.decode()
    assert not Profile.objects.exists()


def test_the_switch_needs_the_csrf_token(world):
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.user("admin"))
    assert choose(client, "nl").status_code == 403
    assert not Profile.objects.exists()


def test_the_invitation_email_is_written_in_the_language_chosen_for_it(
    world, as_user, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user("admin").post(
            reverse("programs:member_invite", kwargs={"org": "acme"}),
            {"email": "sanne@example.com", "role": "team", "language": "nl"},
        )
    assert response.status_code == 302
    (message,) = mail.outbox
    assert "Je bent uitgenodigd" in message.subject
    assert "Acme Retail" in message.subject


def test_the_invitation_email_follows_the_admins_page_unless_chosen(
    world, as_user, django_capture_on_commit_callbacks
):
    admin = as_user("admin")
    choose(admin, "da")
    with django_capture_on_commit_callbacks(execute=True):
        admin.post(
            reverse("programs:member_invite", kwargs={"org": "acme"}),
            {"email": "mads@example.com", "role": "team"},
        )
    (message,) = mail.outbox
    assert "Du er inviteret" in message.subject


def test_someone_who_joins_keeps_the_language_they_joined_in(world, client):
    link = reverse("programs:invitation_accept", kwargs={"token": INVITATION_TOKEN})
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="sl")
    assert html_lang(page) == "sl"
    response = client.post(
        link,
        {"username": "novak", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
        HTTP_ACCEPT_LANGUAGE="sl",
    )
    assert response.status_code == 302
    assert Profile.objects.get(user__username="novak").language == "sl"
