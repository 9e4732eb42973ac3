"""Closing a cycle (issue 18, item 2): the review is saved first, the manager confirms the
closing day, the closed cycle ends that day and the next starts the day after, and every
page states those dates."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from cycles.models import Countermeasure, KpiReview
from cycles.review import cycle_start_next, review_open
from programs.models import Cycle
from programs.services import cycle_set_phase
from tests.cycles.test_review import save

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate
DASH = "\N{EN DASH}"


@pytest.fixture
def cycle(world):
    """Cycle 1, begun 10 days ago and planned for 91 days."""
    cycle = world.program.cycles.get()
    start = TODAY() - datetime.timedelta(days=10)
    Cycle.objects.filter(pk=cycle.pk).update(
        starts_on=start, ends_on=start + datetime.timedelta(days=91)
    )
    cycle.refresh_from_db()
    return cycle


def test_a_closed_cycle_ends_on_the_day_it_was_closed_and_the_next_starts_the_day_after(
    world, cycle
):
    planned_end = cycle.ends_on
    save(review_open(cycle=cycle), world)
    following = cycle_start_next(cycle=cycle, by=world.user("manager"))
    cycle.refresh_from_db()
    assert cycle.ends_on == TODAY() and cycle.closed_at.date() == TODAY()
    assert cycle.planned_ends_on == planned_end and cycle.days_early == 81
    assert following.starts_on == TODAY() + datetime.timedelta(days=1)
    assert following.ends_on == following.starts_on + datetime.timedelta(days=91)
    assert cycle.days_left() == 0  # a closed cycle has no time left


def test_a_cycle_closed_on_a_past_day_ends_that_day(world, cycle):
    save(review_open(cycle=cycle), world)
    day = cycle.starts_on + datetime.timedelta(days=3)
    following = cycle_start_next(cycle=cycle, by=world.user("manager"), closes_on=day)
    cycle.refresh_from_db()
    assert (cycle.ends_on, cycle.closed_at.date()) == (day, day)
    assert following.starts_on == day + datetime.timedelta(days=1)


def test_a_cycle_cannot_close_before_it_starts_nor_on_a_day_to_come(world, cycle):
    save(review_open(cycle=cycle), world)
    manager = world.user("manager")
    with pytest.raises(ValidationError, match="it can be closed from that day on"):
        cycle_start_next(cycle=cycle, by=manager, closes_on=cycle.starts_on - datetime.timedelta(1))
    with pytest.raises(ValidationError, match="a day still to come"):
        cycle_start_next(cycle=cycle, by=manager, closes_on=TODAY() + datetime.timedelta(1))
    cycle.refresh_from_db()
    assert cycle.is_open and cycle.ends_on == cycle.starts_on + datetime.timedelta(days=91)


def test_a_cycle_keeps_the_phase_it_ended_in(world, as_user, cycle):
    manager = world.user("manager")
    cycle_set_phase(cycle=cycle, phase="review", by=manager)
    save(review_open(cycle=cycle), world)
    following = cycle_start_next(cycle=cycle, by=manager)
    cycle.refresh_from_db()
    assert (cycle.phase, following.phase) == ("review", "where-are-we")
    body = as_user("team").get(reverse("cycles:cycle_history", kwargs={"pk": world.program.pk}))
    text = " ".join(body.content.decode().split())
    assert 'ended in</span> <span class="ff-phase ff-phase-review">Review' in text
    assert f"Closed {TODAY():%-d %b %Y}" in text and "81 days early" in text


def opened(client, url):
    """The review page as a manager opens it: shown, and nothing written (its rows come
    with the first save)."""
    assert client.get(url).status_code == 200
    assert not KpiReview.objects.exists()


def review_data(kpi, **changes):
    return {
        f"kpi-{kpi.pk}-decision": "raise",
        f"kpi-{kpi.pk}-new_target": "2.7",
        f"kpi-{kpi.pk}-note": "Typed just before closing",
        "what_worked": "A/B discipline",
        "what_did_not": "",
        "lessons": "",
        **changes,
    }


def test_close_saves_the_review_first_and_asks_to_confirm_the_dates(world, as_user, cycle):
    client = as_user("manager")
    url = reverse("cycles:review", kwargs={"pk": world.program.pk})
    opened(client, url)
    response = client.post(url, review_data(world.kpi, then="close"))
    assert response.status_code == 302 and response.url == f"{url}?close=1"
    row = KpiReview.objects.get()
    assert (row.decision, row.note) == ("raise", "Typed just before closing")  # kept
    cycle.refresh_from_db()
    assert cycle.is_open  # not closed before it is confirmed
    page = " ".join(client.get(response.url).content.decode().split())
    today, tomorrow = TODAY(), TODAY() + datetime.timedelta(days=1)
    assert f"Close cycle 1 today, {today:%-d %b %Y}?" in page
    assert f"Cycle 1 ends on {today:%-d %b %Y}, 81 days before its planned end" in page
    until = tomorrow + datetime.timedelta(days=91)
    assert f"Cycle 2 starts on {tomorrow:%-d %b %Y} and runs until {until:%-d %b %Y}" in page
    # The confirmation shows the saved review read-only: nothing typed there can be lost.
    assert f'name="kpi-{world.kpi.pk}-note"' not in page and "Typed just before closing" in page
    response = client.post(
        reverse("cycles:cycle_start_next", kwargs={"pk": world.program.pk}),
        {"closes_on": today.isoformat()},
        follow=True,
    )
    body = " ".join(response.content.decode().split())
    assert f"Cycle 1 is closed; it ended on {today:%-d %b %Y}." in body
    assert f"runs from {tomorrow:%-d %b %Y} to {until:%-d %b %Y}" in body
    cycle.refresh_from_db()
    assert not cycle.is_open and cycle.ends_on == today


def test_an_invalid_review_is_not_closed(world, as_user, cycle):
    client = as_user("manager")
    url = reverse("cycles:review", kwargs={"pk": world.program.pk})
    opened(client, url)
    response = client.post(
        url, review_data(world.kpi, then="close", **{f"kpi-{world.kpi.pk}-new_target": ""})
    )
    assert response.status_code == 422 and "Give the new target." in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.is_open


def test_closing_without_the_confirmation_or_for_another_day_asks_again(world, as_user, cycle):
    save(review_open(cycle=cycle), world)
    client = as_user("manager")
    close = reverse("cycles:cycle_start_next", kwargs={"pk": world.program.pk})
    confirm = reverse("cycles:review", kwargs={"pk": world.program.pk}) + "?close=1"
    assert client.post(close).url == confirm
    yesterday = TODAY() - datetime.timedelta(days=1)
    response = client.post(close, {"closes_on": yesterday.isoformat()}, follow=True)
    assert "The confirmation was for another day." in response.content.decode()
    cycle.refresh_from_db()
    assert cycle.is_open


def test_history_and_comparison_show_the_real_dates(world, as_user, cycle):
    save(review_open(cycle=cycle), world)
    following = cycle_start_next(cycle=cycle, by=world.user("manager"))
    client = as_user("executive")
    history = " ".join(
        client.get(reverse("cycles:cycle_history", kwargs={"pk": world.program.pk}))
        .content.decode()
        .split()
    )
    start, today = cycle.starts_on, TODAY()
    assert f"{start:%-d %b %Y} {DASH} {today:%-d %b %Y}" in history
    assert f"{following.starts_on:%-d %b %Y} {DASH} {following.ends_on:%-d %b %Y}" in history
    compare = " ".join(
        client.get(reverse("cycles:cycle_compare", kwargs={"pk": world.program.pk}))
        .content.decode()
        .split()
    )
    assert f"{start:%b %Y} {DASH} {today:%b %Y}" in compare
    review = " ".join(
        client.get(reverse("cycles:review", kwargs={"pk": world.program.pk}) + "?cycle=1")
        .content.decode()
        .split()
    )
    assert f"{start:%-d %b %Y} {DASH} {today:%-d %b %Y} · closed {today:%-d %b %Y}" in review


def test_a_countermeasure_typed_but_not_added_is_added_by_closing(world, as_user, cycle):
    client = as_user("manager")
    url = reverse("cycles:review", kwargs={"pk": world.program.pk})
    opened(client, url)
    typed = {"what": "Retag the checkout", "who": "Analytics", "due": "2030-01-31"}
    response = client.post(url, review_data(world.kpi, then="close", **typed))
    assert response.status_code == 302 and response.url == f"{url}?close=1"
    page = " ".join(client.get(response.url).content.decode().split())
    assert "<strong>Retag the checkout</strong> · Analytics · by 31 Jan 2030" in page


def test_an_invalid_countermeasure_typed_beside_the_review_keeps_the_cycle_open(
    world, as_user, cycle
):
    client = as_user("manager")
    url = reverse("cycles:review", kwargs={"pk": world.program.pk})
    opened(client, url)
    typed = {"what": "Retag the checkout", "who": "", "due": ""}
    response = client.post(url, review_data(world.kpi, then="close", **typed))
    page = response.content.decode()
    assert response.status_code == 422 and 'value="Retag the checkout"' in page
    assert page.count("This field is required.") == 2  # beside Who and By when
    # Nothing saved: no note, no countermeasure, not even the rows a first save makes.
    assert not KpiReview.objects.exists() and not Countermeasure.objects.exists()


def test_removing_a_countermeasure_keeps_the_review_edits_typed_beside_it(world, as_user, cycle):
    client = as_user("manager")
    url = reverse("cycles:review", kwargs={"pk": world.program.pk})
    opened(client, url)
    typed = {"what": "Retag the checkout", "who": "Analytics", "due": "2030-01-31"}
    client.post(url, review_data(world.kpi, then="add", **typed))
    measure = KpiReview.objects.get().review.countermeasures.get()
    # The note is edited again, then Remove is pressed before saving.
    response = client.post(
        url, review_data(world.kpi, **{f"kpi-{world.kpi.pk}-note": "Changed", "remove": measure.pk})
    )
    assert response.status_code == 302
    row = KpiReview.objects.get()
    assert row.note == "Changed"  # the edit typed beside it is saved
    page = " ".join(client.get(url).content.decode().split())
    assert "Retag the checkout" not in page and "Countermeasure removed." in page


def test_a_countermeasure_of_another_cycle_is_not_removed_through_this_review(
    world, as_user, cycle
):
    from cycles.review import countermeasure_add

    client = as_user("manager")
    url = reverse("cycles:review", kwargs={"pk": world.program.pk})
    opened(client, url)
    foreign = review_open(cycle=world.foreign_program.cycles.get())
    theirs = countermeasure_add(
        review=foreign,
        what="Theirs",
        who="Globex",
        due=datetime.date(2030, 1, 1),
        by=world.outsider.user,
    )
    response = client.post(url, review_data(world.kpi, remove=theirs.pk))
    assert response.status_code == 404
    assert foreign.countermeasures.filter(pk=theirs.pk).exists()
