"""Load: 50 concurrent users for 60 seconds against gunicorn with the production settings.

In one run it:
  1. creates a fresh PostgreSQL database (DATABASE_URL, default
     postgres://postgres@127.0.0.1:5432/fourfold_load), migrates it, loads the demo
     (three cycles, 18 months of daily results), gives the demo people a known password
     and the program a push-API token, and collects the static files;
  2. starts gunicorn (config.wsgi, --preload --workers 4) with DJANGO_DEBUG off on
     127.0.0.1:8123;
  3. drives it with locust, headless, in this process: executives open the dashboard,
     KPI pages and the initiative map; managers save assessment answers as they type
     (the evidence text, and one save in five a changed score);
     an analytics job pushes measurements through the API. The users log in first (at 10
     a second, each login hashing its password as a real one does); the measured 60
     seconds start when every one of them is in, as on a Monday morning when people have
     opened the app and work in it. The logins are reported on their own line;
  4. prints requests per second, median and 95th-percentile latency and the error count,
     in total and per kind of request, then stops gunicorn and drops the database.
Aim (issue 10): no errors and p95 under 500 ms on this 2-core machine.

Run: .venv/bin/python bench/load.py [--users 50] [--seconds 60]
Session cookies are Secure in production; over the plain HTTP used here the users' cookie
jars are told to send them anyway (a browser would want TLS).
"""

import argparse
import datetime
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

from locust import FastHttpUser, between, task
from locust.env import Environment

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PORT = 8123
LOG = ROOT / "var" / "load-gunicorn.log"  # the server's log of the last run
PASSWORD = "load-test-password-1"  # noqa: S105 (a throwaway database's)
DATABASE_URL = os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/fourfold_load")

ENV = {
    **os.environ,
    "DATABASE_URL": DATABASE_URL,
    "DJANGO_DEBUG": "false",
    "DJANGO_SECRET_KEY": "load-only-" + "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
    "DJANGO_SECURE_SSL_REDIRECT": "false",
    "DJANGO_LOG_FORMAT": "json",
    "CELERY_BROKER_URL": os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/14"),
}


def manage(*args: str, quiet: bool = True) -> str:
    result = subprocess.run(  # noqa: S603 (our own manage.py)
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=ENV,
        check=True,
        capture_output=True,
        text=True,
    )
    return result.stdout


def database(action: str) -> None:
    import psycopg

    url = urlparse(DATABASE_URL)
    name = url.path.lstrip("/")
    with psycopg.connect(
        host=url.hostname,
        port=url.port or 5432,
        user=url.username,
        dbname="postgres",
        autocommit=True,
    ) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if action == "create":
            conn.execute(f'CREATE DATABASE "{name}"')


SETUP = """
import json
from django.contrib.auth import get_user_model
from kpis.models import Kpi
from results.sources import token_create
from programs.models import Program
from assessments.models import Dimension
program = Program.objects.get(organization__slug="demo", name="Web shop")
for user in get_user_model().objects.all():
    user.set_password(%r)
    user.save()
cycle = program.cycles.get(closed_at__isnull=True)
admin = get_user_model().objects.get(username="admin")
_token, secret = token_create(program=program, name="load", by=admin)
print(json.dumps({
    "program": program.pk,
    "kpis": list(Kpi.objects.filter(goal__cycle=cycle).values_list("pk", flat=True)),
    "kpi_names": list(Kpi.objects.filter(goal__cycle=cycle).values_list("name", flat=True)),
    "dimensions": list(
        Dimension.objects.filter(organization=program.organization).values_list("pk", flat=True)
    ),
    "token": secret,
}))
"""


class Member(FastHttpUser):
    """A logged-in person. FastHttpUser (geventhttpclient) costs the load generator a
    fraction of the CPU that HttpUser (requests) does, and it shares this machine's two
    cores with the server."""

    abstract = True
    username = ""
    wait_time = between(1, 3)

    def on_start(self) -> None:
        self.request("get", "/accounts/login/", name="login page")
        started = time.perf_counter()
        self.request(
            "post",
            "/accounts/login/",
            name="log in",
            data={"username": self.username, "password": PASSWORD},
            expect=302,  # to the home page; 200 is the login form again
        )
        LOGINS.append((time.perf_counter() - started) * 1000)

    def request(self, method: str, path: str, name: str, expect: int = 200, **kwargs) -> None:
        """One request, a failure unless it answers `expect` itself: a redirect to the
        login page would otherwise count as a page served."""
        if method == "post":
            csrf = next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), "")
            kwargs.setdefault("data", {})["csrfmiddlewaretoken"] = csrf
        with self.client.request(
            method.upper(), path, name=name, allow_redirects=False, catch_response=True, **kwargs
        ) as response:
            if response.status_code != expect:
                response.failure(f"HTTP {response.status_code}, expected {expect}")
        # The cookies are Secure (production settings) and this is plain HTTP: let the
        # jar send them back anyway, as a browser would over TLS.
        for cookie in self.client.cookiejar:
            cookie.secure = False


class Executive(Member):
    username = "executive"
    weight = 6

    @task(4)
    def dashboard(self) -> None:
        self.request("get", f"/programs/{SEEDED['program']}/dashboard/", name="dashboard")

    @task(2)
    def kpi_page(self) -> None:
        kpi = random.choice(SEEDED["kpis"])
        self.request(
            "get",
            f"/programs/{SEEDED['program']}/where-are-we-going/kpis/{kpi}/",
            name="KPI page",
        )

    @task(2)
    def initiative_map(self) -> None:
        self.request(
            "get", f"/programs/{SEEDED['program']}/how-do-we-get-there/map/", name="initiative map"
        )


class Manager(Member):
    """Fills in the assessment as the form saves it: each pause in typing the evidence
    saves the answer; now and then (one save in five) a score is clicked instead."""

    username = "manager"
    weight = 3

    def on_start(self) -> None:
        super().on_start()
        self.answers: dict[int, tuple[int, str]] = {}

    @task
    def save_an_answer(self) -> None:
        dimension = random.choice(SEEDED["dimensions"])
        score, evidence = self.answers.get(dimension, (3, ""))
        if random.random() < 0.2:
            score = random.randint(1, 5)
        else:
            evidence = (evidence + " Seen in the weekly report.")[-400:]
        self.answers[dimension] = (score, evidence)
        self.request(
            "post",
            f"/programs/{SEEDED['program']}/where-are-we/assessment/{dimension}/",
            name="assessment save",
            data={"score": str(score), "evidence": evidence, "opportunity": "Automate it."},
            headers={"HX-Request": "true"},
        )


class Pusher(FastHttpUser):
    """The analytics job: a day's results for every KPI through the push API."""

    weight = 1
    wait_time = between(2, 5)

    @task
    def push(self) -> None:
        day = datetime.date.today() - datetime.timedelta(days=random.randint(1, 30))
        items = [
            {"kpi": name, "period": day.isoformat(), "value": round(random.uniform(1, 60), 2)}
            for name in SEEDED["kpi_names"]
        ]
        with self.client.post(
            "/api/measurements",
            name="API push",
            data=json.dumps({"measurements": items}),
            headers={
                "Authorization": f"Bearer {SEEDED['token']}",
                "Content-Type": "application/json",
            },
            catch_response=True,
        ) as response:
            if response.status_code == 409:  # another batch is loading: the documented answer
                response.success()


SEEDED: dict = {}
LOGINS: list[float] = []  # each login's time in ms, measured before the 60 seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--seconds", type=int, default=60)
    args = parser.parse_args()

    started = time.perf_counter()
    LOG.parent.mkdir(exist_ok=True)
    database("create")
    manage("migrate", "--no-input")
    manage("seed_demo")
    SEEDED.update(json.loads(manage("shell", "-c", SETUP % PASSWORD).strip().splitlines()[-1]))
    manage("collectstatic", "--no-input")
    print(f"set up in {time.perf_counter() - started:.0f} s: demo program {SEEDED['program']}")

    server = subprocess.Popen(  # noqa: S603
        [
            str(ROOT / ".venv" / "bin" / "gunicorn"),
            "config.wsgi",
            "--preload",
            "--workers",
            "4",
            "--bind",
            f"127.0.0.1:{PORT}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=ENV,
        stdout=subprocess.DEVNULL,
        stderr=open(LOG, "w"),  # noqa: SIM115 (closed with the process)
    )
    try:
        import urllib.request

        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/health/", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        env = Environment(
            user_classes=[Executive, Manager, Pusher], host=f"http://127.0.0.1:{PORT}"
        )
        runner = env.create_local_runner()
        runner.start(args.users, spawn_rate=10)
        members = args.users - runner.user_classes_count.get("Pusher", 0)
        deadline = time.monotonic() + 120
        while (runner.user_count < args.users or len(LOGINS) < members) and (
            time.monotonic() < deadline
        ):
            time.sleep(0.2)
            members = args.users - runner.user_classes_count.get("Pusher", 0)
        print(f"{len(LOGINS)} people logged in; measuring {args.seconds} s")
        env.stats.reset_all()
        time.sleep(args.seconds)
        runner.quit()
        report(env.stats, args)
    finally:
        server.terminate()
        server.wait(timeout=30)
        database("drop")


def report(stats, args) -> None:
    if LOGINS:
        ordered = sorted(LOGINS)
        print(
            f"\nbefore the measured window, {len(ordered)} logins: median "
            f"{ordered[len(ordered) // 2]:.0f} ms, slowest {ordered[-1]:.0f} ms"
        )
    print(f"\n{args.users} users for {args.seconds} s against gunicorn (4 workers), DEBUG off")
    print(f"{'request':<20}{'count':>8}{'req/s':>8}{'median ms':>11}{'p95 ms':>9}{'errors':>8}")
    rows = sorted(stats.entries.values(), key=lambda e: e.name)
    for entry in [*rows, stats.total]:
        print(
            f"{entry.name:<20}{entry.num_requests:>8}{entry.total_rps:>8.1f}"
            f"{entry.median_response_time or 0:>11.0f}"
            f"{entry.get_response_time_percentile(0.95) or 0:>9.0f}{entry.num_failures:>8}"
        )
    total = stats.total
    p95 = total.get_response_time_percentile(0.95) or 0
    print(
        f"\naim: no errors ({'met' if total.num_failures == 0 else 'NOT met'}), "
        f"p95 under 500 ms ({'met' if p95 < 500 else 'NOT met'}: {p95:.0f} ms)"
    )
    for error in stats.errors.values():
        print(f"  error: {error.method} {error.name}: {error.error} x{error.occurrences}")


if __name__ == "__main__":
    sys.exit(main())
