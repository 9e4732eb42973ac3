"""The cast of every test: one organization with a person in each role, and an outsider.

alice is admin, mia manager, tom team member, eve executive of Acme; oscar is admin of
Globex, another organization, and must never see Acme's data.
"""

import html
import logging
import os
import re
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.conf import settings
from django.test import Client

from assessments.models import Dimension, Gap, MeasurementDriver
from assessments.services import driver_save, gap_create
from kpis.models import Goal, Kpi
from kpis.services import goal_save, kpi_save
from programs.models import Invitation, Membership, Organization, Program, Role
from programs.services import program_create
from segments.models import Segment
from segments.services import segment_save
from tests.factories import MembershipFactory, OrganizationFactory, UserFactory

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to
# run in one unless told this is a test.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

INVITATION_TOKEN = "test-invitation-token"


@dataclass
class World:
    acme: Organization
    globex: Organization
    members: dict[str, Membership]  # by role
    outsider: Membership
    program: Program
    foreign_program: Program
    invitation: Invitation
    driver: MeasurementDriver
    gap: Gap
    dimension: Dimension
    goal: Goal
    kpi: Kpi
    segment: Segment

    def user(self, who: str):
        return self.outsider.user if who == "outsider" else self.members[who].user


@pytest.fixture
def tasks_run_here():
    """Celery tasks run in the test's own process (in the live server's thread for browser
    tests), where a test is about what a job does rather than about the worker."""
    from config.celery import app

    before = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = before


@pytest.fixture(scope="session")
def warehouse_server():
    """A PostgreSQL server of the run's own that checks passwords (tests/warehouse.py)."""
    from tests.warehouse import warehouse_server as start

    with start() as server:
        yield server


@pytest.fixture
def local_sources_allowed(settings):
    """The operator allows sources on this machine (the tests' own servers on 127.0.0.1),
    as FOURFOLD_SOURCE_ALLOWED_HOSTS would on a real network for a warehouse."""
    settings.FOURFOLD_SOURCE_ALLOWED_HOSTS = ["127.0.0.0/8"]


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "queued_on_commit: work queued with transaction.on_commit stays queued (the test is "
        "about the queueing itself); by default it runs as it would after a real commit",
    )


def _run_pending_commit_hooks(connection) -> None:
    """Run what a real commit would run now: the callbacks queued while only the test's
    own transaction is open (Django's TestCase marks its atomic blocks `_from_testcase`)."""
    if getattr(connection, "_ff_running_hooks", False):
        return  # a callback queued from a callback: the loop below picks it up
    if not connection.in_atomic_block or connection.needs_rollback:
        return
    if not all(getattr(block, "_from_testcase", False) for block in connection.atomic_blocks):
        return  # inside the code's own transaction: its commit has not happened yet
    connection._ff_running_hooks = True
    try:
        while connection.run_on_commit:
            _sids, func, robust = connection.run_on_commit.pop(0)
            if robust:
                try:
                    func()
                except Exception:
                    logging.getLogger("django.db.backends.base").exception(
                        "Error calling %s in on_commit() (test run).", func
                    )
            else:
                func()
    finally:
        connection._ff_running_hooks = False


@pytest.fixture(autouse=True)
def _each_test_starts_in_english():
    """A request activates its language for the rest of the thread (Django never resets
    it): each test starts in the default language, whatever the one before it spoke."""
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _follow_up_work_runs(request, monkeypatch):
    """Work queued with `transaction.on_commit` runs, as after a real commit: under the
    `db` fixture the test's transaction never commits, so refreshes, reads of uploads and
    e-mails queued on commit would never run (TESTING.md, 4). Callbacks run when the
    code's own outermost atomic block ends (or at once outside one), and the Celery tasks
    they send run here. A test about the queueing itself opts out with
    `@pytest.mark.queued_on_commit` (or by capturing the callbacks); transactional tests
    commit for real and are left alone."""
    names = set(request.fixturenames)
    marker = request.node.get_closest_marker("django_db")
    transactional = bool(
        names & {"transactional_db", "live_server", "django_db_reset_sequences"}
        or (marker and any(marker.kwargs.get(k) for k in ("transaction", "serialized_rollback")))
        or request.node.get_closest_marker("celery_worker")
        or request.node.get_closest_marker("browser")
    )
    if (
        transactional
        or request.node.get_closest_marker("queued_on_commit")
        or "django_capture_on_commit_callbacks" in names
    ):
        yield
        return
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.transaction import Atomic

    from config.celery import app

    queue = BaseDatabaseWrapper.on_commit
    leave = Atomic.__exit__

    def on_commit(self, func, robust=False):
        queue(self, func, robust)
        _run_pending_commit_hooks(self)

    def exit_block(self, exc_type, exc_value, traceback):
        result = leave(self, exc_type, exc_value, traceback)
        if exc_type is None:
            from django.db import connections

            _run_pending_commit_hooks(connections[self.using or "default"])
        return result

    monkeypatch.setattr(BaseDatabaseWrapper, "on_commit", on_commit)
    monkeypatch.setattr(Atomic, "__exit__", exit_block)
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = eager


@pytest.fixture
def refreshes_stay_queued(monkeypatch):
    """The refresh a page queues is the worker's write, not the page's: it is recorded
    here, not run."""
    from progress import snapshots

    queued = []
    monkeypatch.setattr(
        snapshots, "enqueue_on_commit", lambda task, **kwargs: queued.append((task, kwargs))
    )
    return queued


@pytest.fixture
def jobs_run_now(tasks_run_here, monkeypatch):
    """Jobs queued on commit (the upload's reading and loading) run at once, in this
    process: the test's transaction never commits, so on_commit work would never start."""
    from django.db import transaction

    monkeypatch.setattr(transaction, "on_commit", lambda func, using=None, robust=False: func())


@pytest.fixture
def world(db) -> World:
    acme = OrganizationFactory(name="Acme Retail", slug="acme")
    globex = OrganizationFactory(name="Globex", slug="globex")
    names = {Role.ADMIN: "alice", Role.MANAGER: "mia", Role.TEAM: "tom", Role.EXECUTIVE: "eve"}
    members = {
        role.value: MembershipFactory(
            organization=acme, role=role, user=UserFactory(username=name, first_name=name.title())
        )
        for role, name in names.items()
    }
    outsider = MembershipFactory(
        organization=globex, role=Role.ADMIN, user=UserFactory(username="oscar")
    )
    program = program_create(
        organization=acme, name="Web shop", by=members["manager"].user, context="Web shop NL"
    )
    foreign_program = program_create(organization=globex, name="Globex shop", by=outsider.user)
    invitation = Invitation.objects.create(
        organization=acme,
        email="newcomer@example.com",
        role=Role.TEAM,
        token_hash=Invitation.hash_token(INVITATION_TOKEN),
        invited_by=members["admin"].user,
    )
    manager = members["manager"].user
    driver = driver_save(program=program, by=manager, name="Conversion rate", owner="Analytics")
    gap = gap_create(
        cycle=program.cycles.get(), title="No control group", priority="high", by=manager
    )
    dimension = acme.dimensions.first()
    cycle = program.cycles.get()
    segment = segment_save(organization=acme, by=manager, name="Returning visitors")
    goal = goal_save(cycle=cycle, by=manager, title="Convert more visitors", segments=[segment])
    kpi = kpi_save(
        goal=goal,
        by=manager,
        name="Conversion rate",
        unit="percent",
        direction="higher",
        baseline=Decimal("2.0"),
        baseline_date=cycle.starts_on,
        target=Decimal("2.4"),
        target_date=cycle.ends_on,
    )
    return World(
        acme=acme,
        globex=globex,
        members=members,
        outsider=outsider,
        program=program,
        foreign_program=foreign_program,
        invitation=invitation,
        driver=driver,
        gap=gap,
        dimension=dimension,
        goal=goal,
        kpi=kpi,
        segment=segment,
    )


def client_for(world: World, who: str) -> Client:
    client = Client()
    if who != "anonymous":
        client.force_login(world.user(who))
    return client


LOADED_SLOT = re.compile(r'hx-get="([^"]+)"[^>]*hx-trigger="load"')


def shown(client: Client, url: str) -> str:
    """A page as a browser shows it once loaded: its text, then the text of every fragment
    it loads (hx-trigger="load"), fetched as htmx fetches them, and theirs in turn."""
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return _with_fragments(client, response.content.decode(), depth=2)


def _with_fragments(client: Client, text: str, *, depth: int) -> str:
    for slot in LOADED_SLOT.findall(text) if depth else []:
        fragment = client.get(html.unescape(slot), headers={"HX-Request": "true"})
        assert fragment.status_code == 200, (slot, fragment.status_code)
        text += _with_fragments(client, fragment.content.decode(), depth=depth - 1)
    return text


@pytest.fixture
def as_user(world):
    """as_user("manager") is a test client logged in as Acme's manager."""
    return lambda who: client_for(world, who)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    # Debian's chromium: Playwright cannot download its own browser on this network.
    return {
        **browser_type_launch_args,
        "executable_path": os.environ.get("CHROMIUM", "/usr/bin/chromium"),
        "args": [
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(autouse=True, scope="session")
def _patient_expectations():
    """Browser expectations wait up to 15 s, not Playwright's 5: on a busy 2-core machine
    loading plotly.js (4.8 MB) and drawing a chart can take longer than 5 s."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)


def pytest_collection_modifyitems(config, items):
    """Browser tests last: Playwright keeps an event loop in the test thread until the
    session ends, and Django's test client cannot call async views (the health checks)
    from a thread with a running loop."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)
