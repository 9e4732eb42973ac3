"""Restored HTTP sources come back paused (issue 17, "Also").

A backup file names the addresses its HTTP sources pull from; restored into an
organization, a scheduled source would start pulling from wherever the file says before
anyone here has looked. Every HTTP source is restored paused, with or without secrets,
and the restore says so; its schedule waits on beat, switched off."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from programs.models import Program
from results import sources
from results.models import ResultSource, Schedule, SourceKind
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def test_a_restored_http_source_without_secrets_is_paused_and_its_schedule_is_off(world):
    admin = world.user("admin")
    feed = sources.source_save(
        program=world.program,
        by=admin,
        name="Feed",
        kind=SourceKind.HTTP,
        url="https://example.invalid/feed",
        schedule=Schedule.HOURLY,
        schedule_time=datetime.time(0, 5),
        headers={},
    )
    assert (feed.paused, feed.periodic_task.enabled) == (False, True)
    backup_file = client_for(world, "admin").get(
        reverse("backups:program_backup", kwargs={"pk": world.program.pk})
    )
    assert backup_file.status_code == 200

    response = client_for(world, "outsider").post(  # Globex's admin
        reverse("backups:program_restore", kwargs={"org": "globex"}),
        {"file": SimpleUploadedFile("web-shop.json", backup_file.content), "name": "Copy"},
        follow=True,
    )

    program = Program.objects.get(organization=world.globex, name="Copy")
    restored = ResultSource.objects.get(program=program, name="Feed")
    assert (restored.url, restored.paused) == ("https://example.invalid/feed", True)
    assert restored.periodic_task.enabled is False
    page = response.content.decode()
    assert "Source “Feed” is paused" in page.replace("&ldquo;", "“").replace("&rdquo;", "”")
    # The source's page says so too, for whoever looks before resuming it.
    source_page = client_for(world, "outsider").get(
        reverse("results:source", kwargs={"pk": program.pk, "source_pk": restored.pk})
    )
    assert "paused" in source_page.content.decode()
    # The original keeps pulling.
    feed.refresh_from_db()
    assert (feed.paused, feed.periodic_task.enabled) == (False, True)
