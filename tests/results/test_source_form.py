"""Issue 18, item 16: a source's form shows the fields of its kind only.

A saved upload source has no URL, SQL or schedule fields to fill; an HTTP source no SQL
ones. A new source's form, before a kind is chosen by the script, shows every group under
a legend saying which kind it is for (the no-JavaScript fallback), and the script that
follows the kind is on the page.
"""

import re

import pytest
from django.urls import reverse

from results import sources
from results.models import SourceKind

pytestmark = pytest.mark.django_db


def shown_groups(html: str) -> dict[str, bool]:
    """Each kind group of the form: shown (True) or hidden (False)."""
    return {
        kinds: "hidden" not in rest
        for kinds, rest in re.findall(r'<fieldset class="mb-2" data-kinds="([^"]+)"([^>]*)>', html)
    }


def source_page(client, world, source):
    return client.get(
        reverse("results:source", kwargs={"pk": world.program.pk, "source_pk": source.pk})
    ).content.decode()


def test_an_upload_sources_form_shows_no_url_sql_or_schedule_fields(world, as_user):
    source = sources.source_save(
        program=world.program, by=world.user("manager"), name="Export", kind=SourceKind.UPLOAD
    )
    html = source_page(as_user("manager"), world, source)
    assert shown_groups(html) == {
        "http": False,
        "sql": False,
        "http sql": False,
        "upload http": True,
    }
    assert 'name="name"' in html and 'name="kind"' in html


def test_an_http_sources_form_shows_its_url_and_schedule_but_no_sql(world, as_user):
    source = sources.source_save(
        program=world.program,
        by=world.user("admin"),
        name="Feed",
        kind=SourceKind.HTTP,
        url="https://example.invalid/feed",
        headers={},
    )
    html = source_page(as_user("admin"), world, source)
    assert shown_groups(html) == {"http": True, "sql": False, "http sql": True, "upload http": True}


def test_a_new_sources_form_works_without_javascript(world, as_user):
    html = as_user("manager").get(reverse("results:sources", kwargs={"pk": world.program.pk}))
    html = html.content.decode()
    assert shown_groups(html) == {"http": True, "sql": True, "http sql": True, "upload http": True}
    for legend in (
        "HTTP pull: the address to read",
        "SQL pull: the database and the query",
        "Schedule (HTTP and SQL pulls)",
    ):
        assert f"{legend}</legend>" in html
    assert "js/source_form" in html


def test_a_form_sent_back_with_errors_shows_the_kind_it_was_sent_for(world, as_user):
    response = as_user("manager").post(
        reverse("results:sources", kwargs={"pk": world.program.pk}),
        {"name": "Warehouse", "kind": "sql", "query": "SELECT 1"},
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert shown_groups(html) == {
        "http": False,
        "sql": True,
        "http sql": True,
        "upload http": False,
    }
    assert "Name the database server" in html
