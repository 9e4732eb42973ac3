"""The 403 and 404 pages keep the top bar a signed-in person knows: their organization's
Programs, Portfolio and Segments, so they can go on from where they were stopped."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def nav_links(body: str, org: str) -> dict[str, bool]:
    return {
        "Programs": f'href="/o/{org}/"' in body,
        "Portfolio": f'href="/o/{org}/portfolio/" data-testid="nav-portfolio"' in body,
        "Segments": f'href="/o/{org}/segments/" data-testid="nav-segments"' in body,
        "E-mails": 'data-testid="nav-notifications"' in body,
    }


def test_an_organization_page_a_role_may_not_open_keeps_the_navigation(world, as_user):
    response = as_user("executive").get(reverse("programs:member_list", kwargs={"org": "acme"}))

    assert response.status_code == 403
    body = response.content.decode()
    assert "Your role cannot do this" in body
    assert nav_links(body, "acme") == dict.fromkeys(nav_links(body, "acme"), True)
    assert "Acme Retail" in body and "Executive" in body  # the organization and the role


def test_a_program_page_a_role_may_not_open_keeps_the_navigation_and_the_way_back(world, as_user):
    response = as_user("executive").get(
        reverse("kpis:goal_create", kwargs={"pk": world.program.pk})
    )

    assert response.status_code == 403
    body = response.content.decode()
    assert nav_links(body, "acme") == dict.fromkeys(nav_links(body, "acme"), True)
    program_home = reverse("cycles:program_home", kwargs={"pk": world.program.pk})
    assert f'href="{program_home}"' in body and "Back to Web shop" in body


def test_the_404_page_shows_the_navigation_of_the_persons_own_organization(world, as_user):
    response = as_user("executive").get(
        reverse("cycles:program_home", kwargs={"pk": world.foreign_program.pk})
    )

    assert response.status_code == 404
    body = response.content.decode()
    assert "Nothing here" in body
    assert nav_links(body, "acme") == dict.fromkeys(nav_links(body, "acme"), True)
    assert "Globex" not in body  # nothing about the other organization is revealed


def test_the_error_pages_of_someone_signed_out_have_no_navigation(world, client):
    response = client.get("/no-such-page/")

    assert response.status_code == 404
    assert "Nothing here" in response.content.decode()
    assert nav_links(response.content.decode(), "acme") == dict.fromkeys(
        ["Programs", "Portfolio", "Segments", "E-mails"], False
    )
