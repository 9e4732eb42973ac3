"""Front-end assets come from this server, never from a CDN (closed networks)."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_plotly_js_is_served_from_the_installed_package(client):
    path = finders.find("plotly/plotly.min.js")
    assert path and path.endswith("plotly/package_data/plotly.min.js")
    response = client.get("/static/plotly/plotly.min.js")
    assert response.status_code == 200
    assert b"plotly" in b"".join(response.streaming_content)[:2000].lower()


def test_pages_load_no_script_or_style_from_another_origin(world, as_user):
    body = (
        as_user("manager")
        .get(reverse("cycles:program_home", kwargs={"pk": world.program.pk}))
        .content.decode()
    )
    sources = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', body)
    assert any("htmx" in s for s in sources) and any("bootstrap" in s for s in sources)
    assert all(s.startswith("/static/") for s in sources), sources
    for source in sources:
        assert as_user("manager").get(source).status_code == 200, source


def test_collectstatic_with_hashed_names_finds_every_referenced_file(settings, tmp_path):
    """Production serves hashed file names (WhiteNoise's manifest storage): every file a
    stylesheet or script refers to must be there, or collectstatic stops a deployment."""
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.ManifestStaticFilesStorage"},
    }
    call_command("collectstatic", interactive=False, verbosity=0)
    assert (tmp_path / "staticfiles.json").exists()
