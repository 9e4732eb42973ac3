"""Issue 18, item 12: the assessment a new cycle starts from waits for confirmation.

The next cycle is started by the real service the review's button calls; the answers it
carries over are shown as carried, count for nothing until confirmed, and do not credit
the person who started the cycle with answers they never gave."""

import pytest
from django.urls import reverse

from assessments.models import MaturityScore
from assessments.services import driver_delete, maturity_score_save
from cycles.review import cycle_start_next, review_open
from tests.cycles.test_review import save

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"assessments:{name}", kwargs={"pk": world.program.pk, **kwargs})


@pytest.fixture
def carried(world):
    """Cycle 1 fully answered by alice (the admin); mia (the manager) starts cycle 2."""
    cycle = world.program.cycles.get()
    driver_delete(driver=world.driver, by=world.user("manager"))  # only answers count here
    for n, dimension in enumerate(world.acme.dimensions.all()):
        maturity_score_save(
            cycle=cycle,
            dimension=dimension,
            score=1 + n % 5,
            evidence=f"Evidence {n}",
            opportunity="",
            by=world.user("admin"),
        )
    save(review_open(cycle=cycle), world)
    world.cycle2 = cycle_start_next(cycle=cycle, by=world.user("manager"))
    world.dimensions = list(world.acme.dimensions.all())
    return world


def test_a_new_cycle_s_carried_answers_wait_for_confirmation(carried, as_user):
    client = as_user("manager")
    page = client.get(url("assessment", carried)).content.decode()
    assert page.count('data-testid="carried"') == 8
    assert "Carried over from cycle 1" in page
    assert 'data-testid="completeness">0%<' in page
    assert page.count('data-testid="confirm"') == 8
    assert 'data-testid="confirm-all"' in page
    # The manager did not give these answers: the page does not say they did.
    assert "by Mia" not in page and "by Alice" in page
    assert "Confirm or change Strategy &amp; vision" in page


def test_confirming_one_dimension_counts_it_and_credits_the_confirmer(carried, as_user):
    client = as_user("manager")
    first = carried.dimensions[0]
    response = client.post(
        url("answer_confirm", carried, dimension_pk=first.pk), HTTP_HX_REQUEST="true"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Confirmed" in body and 'data-testid="completeness">10%<' in body
    answer = MaturityScore.objects.get(assessment__cycle=carried.cycle2, dimension=first)
    assert answer.confirmed and answer.updated_by == carried.user("manager")
    assert answer.score == 1 and answer.evidence == "Evidence 0"  # the answer stays as it was
    page = client.get(url("assessment", carried)).content.decode()
    assert page.count('data-testid="confirm"') == 7


def test_confirm_all_confirms_every_carried_answer(carried, as_user):
    client = as_user("manager")
    response = client.post(url("assessment_confirm_all", carried), follow=True)
    page = response.content.decode()
    assert "8 answers confirmed" in page
    assert 'data-testid="carried"' not in page and 'data-testid="confirm-all"' not in page
    assert 'data-testid="completeness">80%<' in page  # drivers are still to record


def test_changing_a_carried_answer_confirms_it(carried, as_user):
    client = as_user("manager")
    first = carried.dimensions[0]
    client.post(
        url("answer_save", carried, dimension_pk=first.pk),
        {"score": "2", "evidence": "Moved on", "opportunity": ""},
        HTTP_HX_REQUEST="true",
    )
    answer = MaturityScore.objects.get(assessment__cycle=carried.cycle2, dimension=first)
    assert answer.confirmed and answer.score == 2


def test_readers_and_team_members_cannot_confirm(carried, as_user):
    first = carried.dimensions[0]
    for who in ("team", "executive"):
        client = as_user(who)
        page = client.get(url("assessment", carried)).content.decode()
        assert 'data-testid="confirm"' not in page and 'data-testid="confirm-all"' not in page
        assert 'data-testid="carried"' in page  # they see the answers are not confirmed
        response = client.post(url("answer_confirm", carried, dimension_pk=first.pk))
        assert response.status_code == 403
    assert not MaturityScore.objects.filter(assessment__cycle=carried.cycle2, confirmed=True)


def test_the_previous_cycle_s_answers_stay_confirmed(carried, as_user):
    page = as_user("manager").get(url("assessment", carried) + "?cycle=1").content.decode()
    assert 'data-testid="carried"' not in page and 'data-testid="confirm"' not in page
