"""Alerts to managers when a KPI worsens or crosses its threshold; the weekly digest to
executives; each person's opt-out."""

import datetime
from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from config.schedule import SCHEDULE
from kpis.services import kpi_save
from progress.alerts import status_alerts_send, weekly_digest_send
from progress.models import KpiSnapshot, ProgressStatus, StatusChange
from progress.snapshots import progress_refresh
from tests.progress.test_snapshots import daily, push

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("tasks_run_here")]


@pytest.fixture
def cycle(world):
    """A cycle halfway through: by today the KPI should be halfway from 2.0 to 2.4."""
    cycle = world.program.cycles.get()
    today = timezone.localdate()
    cycle.starts_on, cycle.ends_on = (
        today - datetime.timedelta(days=50),
        today + datetime.timedelta(days=50),
    )
    cycle.save()
    kpi_save(
        goal=world.goal,
        by=world.user("manager"),
        kpi=world.kpi,
        baseline_date=cycle.starts_on,
        target_date=cycle.ends_on,
    )
    for who in ("admin", "manager", "team", "executive"):
        user = world.user(who)
        user.email = f"{user.username}@acme.test"
        user.save()
    return cycle


def refresh_at(world, cycle, value, captured):
    push(world, daily("Conversion rate", [value] * 7))
    with captured(execute=True):
        return progress_refresh(cycle=cycle)


def test_ranking_of_statuses():
    assert ProgressStatus.worsened("on_track", "at_risk")
    assert ProgressStatus.worsened("achieved", "behind")
    assert not ProgressStatus.worsened("at_risk", "on_track")
    assert not ProgressStatus.worsened("no_data", "at_risk")  # first results are news, not a fall
    assert not ProgressStatus.worsened("on_track", "no_data")


def test_a_worsening_status_emails_the_managers_once(
    world, cycle, django_capture_on_commit_callbacks
):
    refresh_at(world, cycle, "2.25", django_capture_on_commit_callbacks)  # 62% of the way
    assert KpiSnapshot.objects.get(kpi=world.kpi, segment=None).status == "on_track"
    assert mail.outbox == []

    changes = refresh_at(world, cycle, "2.05", django_capture_on_commit_callbacks)  # 12%
    assert [(c.before, c.after) for c in changes] == [("on_track", "at_risk")]
    assert sorted(m.to[0] for m in mail.outbox) == ["alice@acme.test", "mia@acme.test"]
    message = mail.outbox[0]
    assert "Conversion rate: On track → At risk" in message.body
    assert reverse("progress:dashboard", kwargs={"pk": world.program.pk}) in message.body
    assert reverse("progress:notifications", kwargs={"org": "acme"}) in message.body
    assert StatusChange.objects.get().notified == 2

    assert status_alerts_send(change_ids=[c.pk for c in changes]) == 0  # already sent
    refresh_at(world, cycle, "2.05", django_capture_on_commit_callbacks)  # unchanged
    assert len(mail.outbox) == 2


def test_an_improving_status_is_recorded_but_sends_nothing(
    world, cycle, django_capture_on_commit_callbacks
):
    refresh_at(world, cycle, "2.05", django_capture_on_commit_callbacks)
    changes = refresh_at(world, cycle, "2.25", django_capture_on_commit_callbacks)
    assert [(c.before, c.after) for c in changes] == [("at_risk", "on_track")]
    assert mail.outbox == []


def test_crossing_the_threshold_alerts_even_when_the_status_holds(
    world, cycle, django_capture_on_commit_callbacks
):
    kpi_save(
        goal=world.goal, by=world.user("manager"), kpi=world.kpi, alert_threshold=Decimal("2.3")
    )
    refresh_at(world, cycle, "2.32", django_capture_on_commit_callbacks)
    changes = refresh_at(world, cycle, "2.28", django_capture_on_commit_callbacks)
    assert len(changes) == 1 and changes[0].threshold_crossed
    assert changes[0].before == changes[0].after == "on_track"
    assert len(mail.outbox) == 2
    assert "crossed your alert threshold of 2.3%" in mail.outbox[0].body


def test_a_manager_who_switched_alerts_off_gets_none(
    world, cycle, django_capture_on_commit_callbacks, as_user
):
    response = as_user("manager").post(
        reverse("progress:notifications", kwargs={"org": "acme"}), {"digest_emails": "on"}
    )
    assert response.status_code == 302
    world.members["manager"].refresh_from_db()
    assert not world.members["manager"].alert_emails
    refresh_at(world, cycle, "2.25", django_capture_on_commit_callbacks)
    refresh_at(world, cycle, "2.05", django_capture_on_commit_callbacks)
    assert [m.to[0] for m in mail.outbox] == ["alice@acme.test"]


def test_the_weekly_digest_goes_to_executives_who_want_it(
    world, cycle, django_capture_on_commit_callbacks
):
    refresh_at(world, cycle, "2.25", django_capture_on_commit_callbacks)
    refresh_at(world, cycle, "2.05", django_capture_on_commit_callbacks)
    mail.outbox.clear()
    assert weekly_digest_send() == 1
    (message,) = mail.outbox
    assert message.to == ["eve@acme.test"]
    assert "Web shop (cycle 1)" in message.body
    assert "1 at risk" in message.body
    assert "Conversion rate: On track → At risk" in message.body

    world.members["executive"].digest_emails = False
    world.members["executive"].save()
    assert weekly_digest_send() == 0


def test_beat_schedules_the_digest_and_the_nightly_refresh():
    assert SCHEDULE["weekly-digest"]["task"] == "kpis.tasks.send_weekly_digest"
    assert SCHEDULE["weekly-digest"]["schedule"].day_of_week == {1}
    assert SCHEDULE["refresh-progress-nightly"]["task"] == "kpis.tasks.refresh_all_progress"


def test_a_load_of_results_queues_a_refresh(world, django_capture_on_commit_callbacks, monkeypatch):
    from progress import tasks

    queued = []
    monkeypatch.setattr(tasks.refresh_progress, "delay", lambda **kwargs: queued.append(kwargs))
    with django_capture_on_commit_callbacks(execute=True):
        push(world, daily("Conversion rate", ["2.2"] * 3))
    assert queued == [{"program_id": world.program.pk}]


def test_alerts_and_the_digest_go_out_in_each_recipients_language(
    world, cycle, django_capture_on_commit_callbacks
):
    """Issue 20, item 6: the admin reads Danish, the manager Slovenian, the executive
    Dutch; each gets their e-mail, numbers included, in their language."""
    from programs.services import profile_set_language

    for who, language in (("admin", "da"), ("manager", "sl"), ("executive", "nl")):
        profile_set_language(user=world.user(who), language=language)
    kpi_save(
        goal=world.goal, by=world.user("manager"), kpi=world.kpi, alert_threshold=Decimal("2.3")
    )
    refresh_at(world, cycle, "2.32", django_capture_on_commit_callbacks)
    refresh_at(world, cycle, "2.28", django_capture_on_commit_callbacks)
    by_person = {m.to[0]: m for m in mail.outbox}
    danish, slovenian = by_person["alice@acme.test"], by_person["mia@acme.test"]
    assert "kræver opmærksomhed" in danish.subject
    assert "På rette spor" in danish.body and "2,3\u00a0%" in danish.body
    assert "2,3\u00a0%" in slovenian.body and "Na poti" in slovenian.body
    assert "potrebuje pozornost" in slovenian.subject

    mail.outbox.clear()
    assert weekly_digest_send() == 1
    (digest,) = mail.outbox
    assert digest.to == ["eve@acme.test"]
    assert "Fourfold weekly" not in digest.subject and "Acme Retail" in digest.subject
    assert "Op koers" in digest.body
