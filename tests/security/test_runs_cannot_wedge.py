"""Issue 17, items 4, 5 and 9: files are read by jobs, not by the request; a run whose
process died frees its source when its lease ends; an upload left at its preview expires;
a burst of pushes queues one progress refresh, not one each."""

import datetime
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone

from progress import services as progress_services
from progress import tasks as progress_tasks
from progress.models import RefreshRequest
from results import sources, tasks
from results.models import Pull, SourceKind

ROOT = Path(__file__).resolve().parents[2]
YESTERDAY = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


def page(name, world, **kwargs):
    return reverse(f"results:{name}", kwargs={"pk": world.program.pk, **kwargs})


@pytest.fixture
def upload_source(world):
    return sources.source_save(
        program=world.program, by=world.user("manager"), name="Export", kind=SourceKind.UPLOAD
    )


def upload(client, world, source, data: bytes, name="results.csv"):
    return client.post(
        page("upload", world, source_pk=source.pk), {"file": SimpleUploadedFile(name, data)}
    )


@pytest.mark.queued_on_commit  # what the request stored before its job runs
@pytest.mark.django_db
def test_the_upload_request_stores_the_file_and_a_job_reads_it(world, upload_source, as_user):
    """The request answers at once, whatever the file; the preview page waits for the job
    (polling by htmx) and shows the mapping once the file is read."""
    client = as_user("manager")
    response = upload(
        client, world, upload_source, b"kpi,period,value\nConversion rate,2026-01-05,2\n"
    )
    pull = Pull.objects.get(source=upload_source)
    assert (pull.status, pull.stage, pull.preview) == ("queued", "reading", None)
    waiting = client.get(response["Location"]).content.decode()
    assert "Reading the file" in waiting and 'hx-trigger="every 1s"' in waiting
    fragment = client.get(response["Location"], headers={"HX-Request": "true"})
    assert 'id="upload-reading"' in fragment.content.decode()
    tasks.read_upload(pull_id=pull.pk)  # the job, as the worker runs it
    refreshed = client.get(response["Location"], headers={"HX-Request": "true"})
    assert refreshed["HX-Refresh"] == "true"
    mapping = client.get(response["Location"]).content.decode()
    assert "Conversion rate" in mapping and 'data-testid="mapping-form"' in mapping


@pytest.mark.django_db
def test_an_upload_left_at_its_preview_expires_and_its_file_is_dropped(
    world, upload_source, as_user, jobs_run_now, settings
):
    settings.FOURFOLD_UPLOAD_PREVIEW_HOURS = 24
    client = as_user("manager")
    response = upload(
        client, world, upload_source, b"kpi,period,value\nConversion rate,2026-01-05,2\n"
    )
    pull = Pull.objects.get(source=upload_source)
    assert pull.stage == "mapping" and pull.payload is not None
    Pull.objects.filter(pk=pull.pk).update(queued_at=timezone.now() - datetime.timedelta(hours=25))
    tasks.expire_pulls()
    pull.refresh_from_db()
    assert (pull.status, pull.payload, pull.preview) == ("failed", None, None)
    run_page = client.get(response["Location"], follow=True).content.decode()
    assert "waited for its column mapping too long" in run_page
    # The source takes the next file.
    upload(client, world, upload_source, b"kpi,period,value\nConversion rate,2026-01-06,2\n")
    assert upload_source.pulls.filter(stage="mapping", status="queued").count() == 1


@pytest.mark.django_db
def test_a_run_past_its_lease_is_ended_by_beat_and_the_source_pulls_again(world):
    source = sources.source_save(
        program=world.program,
        by=world.user("admin"),
        name="Feed",
        kind=SourceKind.HTTP,
        url="https://feed.example/results",
        headers={},
    )
    dead = Pull.objects.create(
        source=source,
        status="running",
        started_at=timezone.now() - datetime.timedelta(hours=1),
        lease_expires_at=timezone.now() - datetime.timedelta(minutes=1),
        task_id="a-worker-that-died",
    )
    with pytest.raises(IntegrityError, match="pull_one_running_per_source"), transaction.atomic():
        Pull.objects.create(source=source, status="running")  # the dead run holds the source
    tasks.expire_pulls()
    dead.refresh_from_db()
    assert dead.status == "failed" and "stopped without finishing" in dead.error
    assert sources.pull_queue(source=source, by=world.user("manager")).status == "queued"


def push(client, token, items):
    return client.post(
        "/api/measurements",
        data=json.dumps({"measurements": items}),
        content_type="application/json",
        headers={"Authorization": f"Bearer {token}"},
    )


@pytest.mark.django_db(transaction=True)
def test_a_web_process_killed_in_the_middle_of_a_push_does_not_wedge_the_program(
    world, client, settings
):
    """For real: another process loads a large push and is killed (SIGKILL) while its run
    is running. The push source answers 409 while the run's lease lasts, then the next
    push takes over and the dead run reads as failed."""
    settings.FOURFOLD_PUSH_RATE = "1000/minute"
    token, secret = sources.token_create(program=world.program, name="Shop", by=world.user("admin"))
    own = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": f"postgres://{own['USER']}@{own['HOST'] or '127.0.0.1'}:"
        f"{own['PORT'] or 5432}/{own['NAME']}",
        "FOURFOLD_PUSH_LEASE_SECONDS": "3",
    }
    script = (
        "import django, sys; django.setup()\n"
        "from results import sources; from results.models import ApiToken\n"
        "items = [{'kpi': 'Conversion rate', 'period': f'2020-W{1 + n % 52:02d}',"
        " 'value': n % 90, 'segment': '', 'variant': '', 'numerator': '', 'denominator': ''}"
        " for n in range(400_000)]\n"
        "sources.push_load(token=ApiToken.objects.get(pk=int(sys.argv[1])), items=items)\n"
    )
    loader = subprocess.Popen([sys.executable, "-c", script, str(token.pk)], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 60
        while not Pull.objects.filter(status="running").exists():
            assert loader.poll() is None, "the loader ended before its run started"
            assert time.monotonic() < deadline
            time.sleep(0.02)
        os.kill(loader.pid, signal.SIGKILL)
        loader.wait(10)
    finally:
        if loader.poll() is None:
            loader.kill()
    held = Pull.objects.get(status="running")
    item = {"kpi": "Conversion rate", "period": YESTERDAY, "value": 2.4}
    assert push(client, secret, [item]).status_code == 409  # its lease still runs
    time.sleep(max(0.0, (held.lease_expires_at - timezone.now()).total_seconds()) + 0.5)
    answer = push(client, secret, [item])
    assert answer.status_code == 200, answer.content
    held.refresh_from_db()
    assert held.status == "failed" and "stopped without finishing" in held.error


@pytest.mark.django_db
def test_a_burst_of_pushes_queues_one_progress_refresh(world, client, settings, monkeypatch):
    settings.FOURFOLD_PUSH_RATE = "1000/minute"
    settings.FOURFOLD_API_RATE = "1000/minute"
    queued = []
    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())
    monkeypatch.setattr(
        progress_tasks.refresh_progress, "delay", lambda **kwargs: queued.append(kwargs)
    )
    _token, secret = sources.token_create(
        program=world.program, name="Shop", by=world.user("admin")
    )
    for n in range(150):
        day = (datetime.date.today() - datetime.timedelta(days=1 + n % 30)).isoformat()
        answer = push(
            client, secret, [{"kpi": "Conversion rate", "period": day, "value": 2 + n / 100}]
        )
        assert answer.status_code == 200, answer.content
    assert queued == [{"program_id": world.program.pk}]
    # The refresh starts: results that arrive from then on queue the next one.
    progress_tasks.refresh_progress.run(program_id=world.program.pk)
    assert not RefreshRequest.objects.exists()
    push(client, secret, [{"kpi": "Conversion rate", "period": YESTERDAY, "value": 3}])
    assert len(queued) == 2


@pytest.mark.django_db
def test_a_refresh_whose_job_was_lost_does_not_block_the_next_forever(world):
    RefreshRequest.objects.create(
        program=world.program, requested_at=timezone.now() - datetime.timedelta(hours=1)
    )
    sent = []
    with (
        mock.patch("django.db.transaction.on_commit", lambda func, **kw: func()),
        mock.patch.object(progress_tasks.refresh_progress, "delay", lambda **kw: sent.append(kw)),
    ):
        progress_services.progress_refresh_request(program_id=world.program.pk)
    assert sent == [{"program_id": world.program.pk}]
