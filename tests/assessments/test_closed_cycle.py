"""Issue 18, item 13 (question 1's pages): a closed cycle reads as closed. No "Still to
do", no autosaving form, no Confirm button, no gap form that would be refused on submit."""

import pytest
from django.urls import reverse

from assessments.services import maturity_score_save
from cycles.review import cycle_start_next, review_open
from tests.cycles.test_review import save

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"assessments:{name}", kwargs={"pk": world.program.pk, **kwargs})


@pytest.fixture
def closed(world):
    cycle = world.program.cycles.get()
    maturity_score_save(
        cycle=cycle,
        dimension=world.dimension,
        score=2,
        evidence="Half the reports",
        opportunity="",
        by=world.user("manager"),
    )
    save(review_open(cycle=cycle), world)
    cycle_start_next(cycle=cycle, by=world.user("manager"))
    world.closed = cycle
    return world


def test_a_closed_cycle_s_assessment_pages_are_read_only(closed, as_user):
    client = as_user("manager")
    assessment = client.get(url("assessment", closed) + "?cycle=1").content.decode()
    assert "which is closed: it can be read, not changed" in assessment
    assert "Half the reports" in assessment
    for absent in ("data-autosave", "<textarea", 'data-testid="confirm', "Still to do"):
        assert absent not in assessment, absent
    assert "Left open when cycle 1 closed:" in assessment
    assert "Not answered yet" not in assessment

    summary = client.get(url("summary", closed) + "?cycle=1").content.decode()
    assert "Still to do" not in summary and "Manage gaps" not in summary
    assert "Left open when cycle 1 closed:" in summary

    gaps = client.get(url("gaps", closed) + "?cycle=1").content.decode()
    assert "Add gap" not in gaps and ">Edit<" not in gaps


def test_a_closed_cycle_s_gap_opens_no_edit_form(closed, as_user):
    gap = closed.closed.gaps.first()
    response = as_user("manager").get(url("gap_edit", closed, gap_pk=gap.pk), follow=True)
    body = response.content.decode()
    assert "Cycle 1 is closed: its gaps can be read, not changed." in body
    assert 'name="deferred_reason"' not in body  # the gap's edit form
    assert response.redirect_chain[-1][0].endswith("?cycle=1")
