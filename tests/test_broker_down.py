"""The broker really down when "Pull now" is pressed: a Redis server of the test's own is
stopped, the press is refused visibly and leaves nothing looking queued; once the server is
back, the next press puts the run in the broker's queue."""

import shutil
import socket
import subprocess
import time

import pytest
import redis
from django.urls import reverse

from config.celery import app
from programs.jobs import JobStatus
from tests.results.test_results import http_source
from tests.test_celery_worker import wait_for

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def broker(tmp_path, monkeypatch):
    """A Redis of this test's own, not yet started, that the Celery app sends to."""
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0"
    servers: list[subprocess.Popen] = []

    def start() -> redis.Redis:
        servers.append(
            subprocess.Popen(
                [
                    "redis-server",
                    "--port",
                    str(port),
                    "--bind",
                    "127.0.0.1",
                    "--save",
                    "",
                    "--appendonly",
                    "no",
                    "--dir",
                    str(tmp_path),
                ],
                stdout=subprocess.DEVNULL,
            )
        )
        client = redis.Redis.from_url(url)
        assert wait_for(lambda: _answers(client), timeout=20), "redis-server did not start"
        return client

    # Celery reads the broker's address from the environment before its settings.
    monkeypatch.setenv("CELERY_BROKER_URL", url)
    _forget_connections()
    assert app.connection_for_write().as_uri().endswith(f":{port}/0")
    try:
        yield start
    finally:
        for server in servers:
            server.terminate()
            server.wait(timeout=10)
        monkeypatch.undo()
        _forget_connections()


def _forget_connections() -> None:
    """Drop the app's pools of broker connections and producers, as Celery does after a
    fork, so that the next task is sent to the broker_url now configured."""
    app._after_fork()


def _answers(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False


def test_pull_now_with_the_broker_stopped_is_refused_then_queued_when_it_is_back(
    world, as_user, broker, django_capture_on_commit_callbacks
):
    source = http_source(world)
    client = as_user("manager")
    pull_now = reverse("results:pull_now", kwargs={"pk": world.program.pk, "source_pk": source.pk})

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(pull_now)
    page = client.get(response["Location"]).content.decode()

    assert "The job queue could not be reached, so nothing ran." in page
    assert time.monotonic() - started < 15  # the press does not hang on the dead broker
    refused = source.pulls.get()
    assert refused.status == JobStatus.FAILED and refused.error

    queue = broker()
    with django_capture_on_commit_callbacks(execute=True):
        client.post(pull_now)

    queued = source.pulls.exclude(pk=refused.pk).get()
    assert queued.status == JobStatus.QUEUED
    messages = queue.lrange("celery", 0, -1)
    assert len(messages) == 1 and b"run_pull" in messages[0]
