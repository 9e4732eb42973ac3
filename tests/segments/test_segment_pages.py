"""The segment pages as a reader sees them: numbers with their thousands apart, conditions
that read as separate statements, and the top bar that says where one is."""

import html
import re
from decimal import Decimal

import pytest
from django.urls import reverse

from segments.services import attribute_save, segment_condition_add, segment_save

BLOCKS = "div|p|li|ul|ol|dl|dt|dd|td|th|tr|table|h[1-6]|br|section|fieldset|legend|form|nav|option"


def text(page) -> str:
    """The page's (a response's or its HTML's) text as a screen reader or a copy reads it:
    tags gone, spaces collapsed."""
    body = page if isinstance(page, str) else page.content.decode()
    body = re.sub(r"<(script|style)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(rf"</?(?:{BLOCKS})\b[^>]*>", " ", body)  # blocks and cells stand apart
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", body)).split())


def url(name: str, world, **kwargs) -> str:
    return reverse(f"segments:{name}", kwargs={"org": world.acme.slug, **kwargs})


@pytest.fixture
def loyal(world):
    manager = world.user("manager")
    segment = segment_save(
        organization=world.acme,
        by=manager,
        name="Loyal customers",
        estimated_size=420000,
        estimated_value=Decimal("2400000.00"),
    )
    visitor = attribute_save(
        organization=world.acme,
        key="visitor_type",
        label="Visitor type",
        type="category",
        allowed_values=["new", "returning"],
    )
    account = attribute_save(
        organization=world.acme,
        key="has_account",
        label="Has an account",
        type="boolean",
        allowed_values=[],
    )
    segment_condition_add(
        segment=segment, attribute=visitor, operator="is", value="returning", by=manager
    )
    segment_condition_add(
        segment=segment, attribute=account, operator="is_true", value=True, by=manager
    )
    return segment


@pytest.mark.parametrize("who", ["admin", "manager", "team", "executive"])
def test_segment_list_separates_thousands_and_conditions(world, as_user, loyal, who):
    page = text(as_user(who).get(url("segments", world)))
    assert "420,000" in page and "2,400,000" in page
    assert "420000" not in page and "2400000.00" not in page
    assert "Visitor type is returning and Has an account is true" in page


def test_the_top_bar_has_segments_and_highlights_it_on_segment_pages(world, as_user, loyal):
    client = as_user("manager")
    segments_link = re.compile(r'<a class="nav-link( active)?" [^>]*data-testid="nav-segments"')
    programs_link = re.compile(r'<a class="nav-link( active)?" href="/o/acme/"')
    for path in [
        url("segments", world),
        url("segment", world, segment_pk=loyal.pk),
        url("discovery", world),
        url("attributes", world),
    ]:
        page = client.get(path).content.decode()
        assert segments_link.search(page).group(1) == " active", path
        assert programs_link.search(page).group(1) is None, path
    page = client.get(reverse("programs:program_list", kwargs={"org": "acme"})).content.decode()
    assert segments_link.search(page).group(1) is None
    assert programs_link.search(page).group(1) == " active"


def test_a_reader_sees_a_segments_estimates_with_thousands_separated(world, as_user, loyal):
    page = text(as_user("executive").get(url("segment", world, segment_pk=loyal.pk)))
    assert "Estimated size 420,000 Estimated yearly value 2,400,000" in page
