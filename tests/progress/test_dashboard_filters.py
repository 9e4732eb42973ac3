"""Issue 18, item 16 (part): a bad dashboard filter showed Django's "Select a valid choice";
the page now names the filter, the value, and what it accepts."""

import pytest

from segments.services import segment_save
from tests.progress.test_dashboard_views import dashboard

pytestmark = pytest.mark.django_db


def filter_errors(world, as_user, query) -> str:
    response = as_user("executive").get(dashboard(world, query))
    assert response.status_code == 200
    body = " ".join(response.content.decode().split())
    assert "Select a valid choice" not in body
    start = body.index('data-testid="filter-errors"')
    return body[start : body.index("</div>", start)]


def test_a_segment_that_is_not_an_id_is_named_with_what_is_accepted(world, as_user):
    errors = filter_errors(world, as_user, "?segment=abc")
    assert "Segment: “abc” is not a segment of Acme" in errors
    assert "choose one from the list, or All traffic" in errors
    assert "Showing the default instead." in errors


def test_another_organizations_segment_is_refused_the_same_way(world, as_user):
    foreign = segment_save(
        organization=world.globex, by=world.user("outsider"), name="Globex returning"
    )
    errors = filter_errors(world, as_user, f"?segment={foreign.pk}")
    assert f"“{foreign.pk}” is not a segment of Acme" in errors
    assert "Globex" not in errors


def test_a_bad_period_lists_the_periods_offered(world, as_user):
    errors = filter_errors(world, as_user, "?period=7")
    assert (
        "Period: “7” is not a period the dashboard offers: "
        "28 (4 weeks), 91 (13 weeks) or 365 (12 months)" in errors
    )


def test_a_bad_goal_is_named(world, as_user):
    errors = filter_errors(world, as_user, "?goal=x")
    assert "Goal: “x” is not a goal of this cycle" in errors


def selected_option(body: str, name: str) -> str:
    """The words of the option the select ``name`` shows."""
    import re

    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', body, re.S).group(1)
    chosen = re.findall(r"<option [^>]*selected[^>]*>([^<]*)</option>", select)
    assert len(chosen) == 1, chosen  # nothing selected shows the first option
    return chosen[0]


def test_a_bad_period_shows_the_period_the_page_uses_in_its_select(world, as_user):
    """Issue 18, item 17: the page used 13 weeks while the select showed "4 weeks"."""
    body = as_user("executive").get(dashboard(world, "?period=7")).content.decode()
    assert "Showing the default instead." in body
    assert selected_option(body, "period") == "13 weeks"


def test_a_bad_segment_and_goal_show_all_traffic_and_every_goal(world, as_user):
    body = as_user("executive").get(dashboard(world, "?segment=abc&goal=x&period=365"))
    body = body.content.decode()
    assert selected_option(body, "segment") == "All traffic"
    assert selected_option(body, "goal") == "Every goal"
    assert selected_option(body, "period") == "12 months"  # the good one is kept
