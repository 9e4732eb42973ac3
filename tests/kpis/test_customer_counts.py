"""Customer counts read with their thousands apart wherever a segment's size is shown:
"12,000 customers", not "12000 customers" (issue 18, item 16)."""

import pytest
from django.urls import reverse

from segments.services import segment_save
from tests.segments.test_segment_pages import text

pytestmark = pytest.mark.django_db


def test_the_goals_page_lists_segments_with_their_size_apart(world, as_user):
    segment_save(
        organization=world.acme, by=world.user("manager"), name="Big baskets", estimated_size=12000
    )
    segment_save(organization=world.acme, by=world.user("manager"), name="One", estimated_size=1)
    page = text(as_user("executive").get(reverse("kpis:summary", kwargs={"pk": world.program.pk})))
    assert "Big baskets · 12,000 customers" in page
    assert "One · 1 customer " in page
    assert "12000" not in page
