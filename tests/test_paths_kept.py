"""Every address keeps working across the move into layers (issue 19, item 2): each path
the app answered before it (9287f56; tests/fixtures/paths-before-layers.txt lists them, the
DEBUG-only demo feed aside) is still a route, and the admin pages of moved models redirect
from their old app's address."""

import pathlib

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver

BEFORE = pathlib.Path(__file__).parent / "fixtures" / "paths-before-layers.txt"


def routes(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from routes(p.url_patterns, prefix + str(p.pattern))
        else:
            yield prefix + str(p.pattern)


def test_every_path_from_before_the_move_is_still_a_route():
    before = set(BEFORE.read_text().split())
    assert len(before) > 100
    assert before - set(routes(get_resolver().url_patterns)) == set()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("/admin/kpis/measurement/", "/admin/results/measurement/"),
        ("/admin/kpis/kpisnapshot/?q=x", "/admin/progress/kpisnapshot/?q=x"),
        ("/admin/kpis/segment/7/change/", "/admin/segments/segment/7/change/"),
        ("/admin/programs/cyclereview/3/history/", "/admin/cycles/cyclereview/3/history/"),
    ],
)
def test_the_admin_pages_of_moved_models_redirect_from_their_old_address(world, old, new):
    staff = world.user("admin")
    staff.is_staff = staff.is_superuser = True
    staff.save()
    client = Client()
    client.force_login(staff)
    response = client.get(old)
    assert (response.status_code, response["Location"]) == (301, new)
    assert client.get("/admin/results/measurement/").status_code == 200
