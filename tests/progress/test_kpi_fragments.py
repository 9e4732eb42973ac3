"""Question 2's KPI and ROI pages show progress' parts as fragments it serves (issue 19:
progress sits above kpis). Each slot links to its fragment for a browser without
JavaScript, which then opens as a page of its own."""

import html
import re

import pytest
from django.urls import reverse

from progress.models import KpiSnapshot
from tests.conftest import shown

pytestmark = pytest.mark.django_db


def slot_link(page: str, name: str) -> str:
    """The href of the no-JS link inside the slot with data-testid `name`."""
    slot = page[page.index(f'data-testid="{name}"') :]
    return html.unescape(re.search(r'<a href="([^"]+)"', slot).group(1))


def test_the_kpi_page_links_its_progress_for_browsers_without_javascript(world, as_user):
    client = as_user("team")
    kpi_url = reverse("kpis:kpi", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk})
    page = client.get(kpi_url).content.decode()
    assert 'data-testid="status"' not in page  # progress is not the KPI page's own part
    link = slot_link(page, "kpi-progress-slot")
    assert link == reverse(
        "progress:kpi_progress", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk}
    )
    fragment = client.get(link, headers={"HX-Request": "true"}).content.decode()
    assert "<html" not in fragment and 'data-testid="progress"' in fragment
    alone = client.get(link).content.decode()  # no JavaScript: a page of its own
    assert "<html" in alone and 'data-testid="progress"' in alone
    assert f'href="{kpi_url}"' in alone and world.program.name in alone  # and the way back


def test_the_roi_page_links_what_is_realized_for_browsers_without_javascript(world, as_user):
    client = as_user("executive")
    page = client.get(reverse("kpis:roi", kwargs={"pk": world.program.pk})).content.decode()
    link = slot_link(page, "roi-realized-slot")
    assert link.startswith(reverse("progress:roi_realized", kwargs={"pk": world.program.pk}))
    alone = client.get(link).content.decode()
    assert "<html" in alone and reverse("kpis:roi", kwargs={"pk": world.program.pk}) in alone


def test_a_kpi_not_computed_yet_says_so_and_its_refresh_is_queued(
    world, as_user, refreshes_stay_queued
):
    """Until the worker's refresh of a new KPI, its page says it is being updated (a GET
    writes nothing), then shows its progress."""
    from django.core.cache import cache

    from progress import snapshots

    cache.clear()
    url = reverse("kpis:kpi", kwargs={"pk": world.program.pk, "kpi_pk": world.kpi.pk})
    page = shown(as_user("executive"), url)
    assert 'data-testid="updating"' in page and 'data-testid="not-computed-yet"' in page
    assert not KpiSnapshot.objects.exists()
    cycles = [kwargs["cycle_id"] for _task, kwargs in refreshes_stay_queued]
    assert cycles == [world.program.cycles.get().pk]
    snapshots.page_refresh_run(cycle_id=cycles[0])  # the worker's part
    page = shown(as_user("executive"), url)
    assert 'data-testid="not-computed-yet"' not in page and 'data-testid="status"' in page
