"""A worker killed in the middle of a pull: the job is re-delivered and the database ends
as if it ran once."""

import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from django.db import connection

from config.celery import app
from results import sources
from results.models import Measurement, Pull
from tests.test_celery_worker import wait_for
from tests.test_pulls_worker import ROWS, http_source, program  # noqa: F401 (fixture)

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parent.parent


class SlowFirst(http.server.BaseHTTPRequestHandler):
    """The first answer takes long enough to kill the worker waiting for it."""

    calls = 0

    def do_GET(self):
        SlowFirst.calls += 1
        if SlowFirst.calls == 1:
            time.sleep(6)
        payload = json.dumps(ROWS).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            pass  # the killed worker hung up

    def log_message(self, *args):
        pass


@pytest.fixture
def slow_feed():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), SlowFirst)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    SlowFirst.calls = 0
    yield f"http://127.0.0.1:{server.server_address[1]}/feed"
    server.shutdown()


@pytest.fixture
def worker_process():
    """A real `celery worker` process (prefork, one child) on the test database."""
    app.control.purge()
    settings = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": f"postgres://{settings['USER']}@{settings['HOST'] or '127.0.0.1'}:"
        f"{settings['PORT'] or 5432}/{settings['NAME']}",
        "CELERY_BROKER_URL": app.conf.broker_url,
        # The slow feed is this machine's: allowed, as an operator would a warehouse.
        "FOURFOLD_SOURCE_ALLOWED_HOSTS": "127.0.0.0/8",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=prefork",
            "--concurrency=1",
            "--loglevel=WARNING",
            "-n",
            f"killtest-{os.getpid()}@%h",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert wait_for(lambda: app.control.ping(timeout=0.5), timeout=90), "worker did not start"
        yield process
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


def children(pid: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    return [int(p) for p in found]


def test_a_pull_is_redelivered_after_its_worker_is_killed(worker_process, slow_feed, program):  # noqa: F811
    pull = sources.pull_queue(source=http_source(program, slow_feed), by=program.user)
    assert wait_for(
        lambda: SlowFirst.calls == 1 and Pull.objects.get(pk=pull.pk).status == "running",
        timeout=30,
    )

    (child,) = children(worker_process.pid)
    os.kill(child, signal.SIGKILL)

    assert wait_for(lambda: Pull.objects.get(pk=pull.pk).is_finished, timeout=60)
    pull.refresh_from_db()
    assert (pull.status, pull.attempts, pull.inserted) == ("succeeded", 2, 7)
    assert SlowFirst.calls == 2
    assert sorted(Measurement.objects.values_list("value", flat=True)) == sorted(
        r["value"] for r in ROWS
    )
