import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from programs.models import Invitation, Membership, Role
from tests.conftest import INVITATION_TOKEN

pytestmark = pytest.mark.django_db


def members_url(name="member_list", **kwargs):
    return reverse(f"programs:{name}", kwargs={"org": "acme", **kwargs})


def test_admin_invites_by_email_and_the_link_creates_an_account(
    world, as_user, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = as_user("admin").post(
            members_url("member_invite"), {"email": "Nina@Example.com", "role": "executive"}
        )
    assert response.status_code == 302

    (message,) = mail.outbox
    assert message.to == ["Nina@example.com"]
    assert "Acme Retail" in message.subject
    link = re.search(r"http://testserver(/invitations/\S+/)", message.body).group(1)

    page = client.get(link)
    assert "You are invited as Executive" in page.content.decode()
    response = client.post(
        link,
        {"username": "nina", "password1": "a-long-pass-phrase", "password2": "a-long-pass-phrase"},
    )
    assert response.status_code == 302
    nina = get_user_model().objects.get(username="nina")
    assert nina.email == "Nina@example.com"
    assert Membership.objects.get(user=nina).role == Role.EXECUTIVE
    # Logged in, and the link is spent.
    assert client.get("/o/acme/").status_code == 200
    assert client.get(link).status_code == 404


def test_a_signed_in_user_joins_with_their_account(world):
    from django.test import Client

    client = Client()
    client.force_login(world.user("outsider"))
    url = reverse("programs:invitation_accept", kwargs={"token": INVITATION_TOKEN})
    assert client.post(url).status_code == 302
    assert (
        Membership.objects.get(user=world.user("outsider"), organization=world.acme).role == "team"
    )


def test_a_refused_account_form_creates_nobody_and_keeps_the_invitation(world, client):
    url = reverse("programs:invitation_accept", kwargs={"token": INVITATION_TOKEN})
    users = get_user_model().objects.count()
    response = client.post(url, {"username": "tom", "password1": "x", "password2": "y"})
    assert response.status_code == 200
    body = response.content.decode()
    assert "A user with that username already exists." in body
    assert get_user_model().objects.count() == users
    world.invitation.refresh_from_db()
    assert world.invitation.accepted_at is None


def test_an_expired_invitation_does_not_work(world, client):
    Invitation.objects.filter(pk=world.invitation.pk).update(
        created_at=timezone.now() - datetime.timedelta(days=15)
    )
    url = reverse("programs:invitation_accept", kwargs={"token": INVITATION_TOKEN})
    response = client.get(url)
    assert response.status_code == 404
    assert "no longer works" in response.content.decode()


def test_inviting_a_member_again_is_refused_in_the_form(world, as_user):
    response = as_user("admin").post(
        members_url("member_invite"),
        {"email": "TOM@example.com", "role": "team"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    assert "already a member" in response.content.decode()
    assert not Invitation.objects.filter(email__iexact="tom@example.com").exists()


def test_a_bad_email_is_explained_at_the_field(world, as_user):
    response = as_user("admin").post(
        members_url("member_invite"), {"email": "not-an-email", "role": "team"}
    )
    assert response.status_code == 400
    assert "Enter a valid email address." in response.content.decode()


def test_inviting_again_replaces_the_open_invitation(world, as_user):
    client = as_user("admin")
    client.post(members_url("member_invite"), {"email": "newcomer@example.com", "role": "manager"})
    (invitation,) = Invitation.objects.filter(email="newcomer@example.com")
    assert invitation.role == Role.MANAGER
    assert invitation.pk != world.invitation.pk


def test_the_token_is_stored_only_as_a_hash(world):
    assert INVITATION_TOKEN not in Invitation.objects.values_list("token_hash", flat=True)


def test_admin_changes_a_role_with_htmx_and_sees_the_row_again(world, as_user):
    team = world.members["team"]
    response = as_user("admin").post(
        members_url("member_role", pk=team.pk), {"role": "manager"}, HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="member-{team.pk}"')
    assert "Saved" in body
    team.refresh_from_db()
    assert team.role == Role.MANAGER


def test_the_last_admin_cannot_step_down_or_be_removed(world, as_user):
    admin = world.members["admin"]
    client = as_user("admin")
    response = client.post(
        members_url("member_role", pk=admin.pk), {"role": "team"}, HTTP_HX_REQUEST="true"
    )
    assert "needs at least one admin" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == Role.ADMIN

    response = client.post(members_url("member_remove", pk=admin.pk), follow=True)
    assert "needs at least one admin" in response.content.decode()
    assert Membership.objects.filter(pk=admin.pk).exists()


def test_with_two_admins_one_may_step_down(world, as_user):
    world.members["manager"].role = Role.ADMIN
    world.members["manager"].save()
    admin = world.members["admin"]
    as_user("admin").post(members_url("member_role", pk=admin.pk), {"role": "manager"})
    admin.refresh_from_db()
    assert admin.role == Role.MANAGER


def test_an_admin_cannot_touch_members_of_another_organization(world, as_user):
    outsider = world.outsider
    url = reverse("programs:member_role", kwargs={"org": "acme", "pk": outsider.pk})
    assert as_user("admin").post(url, {"role": "team"}).status_code == 404
    url = reverse("programs:member_remove", kwargs={"org": "acme", "pk": outsider.pk})
    assert as_user("admin").post(url).status_code == 404
    outsider.refresh_from_db()
    assert outsider.role == Role.ADMIN


def test_removing_a_member_takes_away_access(world, as_user):
    as_user("admin").post(members_url("member_remove", pk=world.members["team"].pk))
    response = as_user("team").get(reverse("cycles:program_home", kwargs={"pk": world.program.pk}))
    assert response.status_code == 404
