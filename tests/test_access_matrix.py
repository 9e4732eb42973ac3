"""Every URL, for every role, an outsider and an anonymous visitor.

The list of URLs comes from the URL configuration itself: a view added without a row in
MATRIX fails `test_every_url_is_in_the_matrix`, so no page escapes the access rules.

Expected answers: a role the rule allows gets `ok`; a member whose role may not do it
gets 403; a member of another organization gets 404 (the object is not revealed); an
anonymous visitor is sent to the login page.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from tests.conftest import INVITATION_TOKEN, World, client_for

ROLES = ("admin", "manager", "team", "executive")
EVERYONE = frozenset(ROLES)
MANAGERS = frozenset({"admin", "manager"})
ADMINS = frozenset({"admin"})


@dataclass(frozen=True)
class Rule:
    kwargs: Callable[[World], dict]
    allowed: frozenset[str]
    method: str = "get"
    data: Callable[[World], dict] = field(default=lambda w: {})
    ok: int = 200
    # Pages that are not about one organization (an outsider is just another user there).
    public: bool = False
    anonymous_ok: bool = False
    # What a member of the organization outside `allowed` gets: 403 for a role that may not
    # do it, 404 for something that is another person's own (a saved view).
    refused: int = 403
    # The token API: every caller, whatever their session, gets this without a token.
    everyone: int | None = None


def org(w: World) -> dict:
    return {"org": w.acme.slug}


def program(w: World) -> dict:
    return {"pk": w.program.pk}


MATRIX: dict[str, Rule] = {
    "home": Rule(kwargs=lambda w: {}, allowed=EVERYONE, ok=302, public=True),
    "programs:program_list": Rule(kwargs=org, allowed=EVERYONE),
    "programs:program_create": Rule(kwargs=org, allowed=MANAGERS),
    "programs:member_list": Rule(kwargs=org, allowed=ADMINS),
    "programs:member_invite": Rule(
        kwargs=org,
        allowed=ADMINS,
        method="post",
        data=lambda w: {"email": "someone@example.com", "role": "team"},
        ok=302,
    ),
    "programs:member_role": Rule(
        kwargs=lambda w: {"org": w.acme.slug, "pk": w.members["team"].pk},
        allowed=ADMINS,
        method="post",
        data=lambda w: {"role": "manager"},
        ok=302,
    ),
    "programs:member_remove": Rule(
        kwargs=lambda w: {"org": w.acme.slug, "pk": w.members["executive"].pk},
        allowed=ADMINS,
        method="post",
        ok=302,
    ),
    "programs:invitation_revoke": Rule(
        kwargs=lambda w: {"org": w.acme.slug, "pk": w.invitation.pk},
        allowed=ADMINS,
        method="post",
        ok=302,
    ),
    "programs:invitation_accept": Rule(
        kwargs=lambda w: {"token": INVITATION_TOKEN},
        allowed=EVERYONE,
        public=True,
        anonymous_ok=True,
    ),
    "programs:organization_files": Rule(kwargs=org, allowed=ADMINS),
    # The top bar's language switch: anyone, signed in or not (tests/programs/test_languages.py).
    "programs:language_set": Rule(
        kwargs=lambda w: {},
        allowed=EVERYONE,
        method="post",
        data=lambda w: {"language": "da", "next": "/"},
        ok=302,
        public=True,
        anonymous_ok=True,
    ),
    "cycles:mini_wheel": Rule(kwargs=program, allowed=EVERYONE),
    "cycles:program_home": Rule(kwargs=program, allowed=EVERYONE),
    "programs:program_edit": Rule(kwargs=program, allowed=MANAGERS),
    "cycles:cycle_history": Rule(kwargs=program, allowed=EVERYONE),
    "progress:dashboard": Rule(kwargs=program, allowed=EVERYONE),
    "cycles:cycle_phase": Rule(
        kwargs=program,
        allowed=MANAGERS,
        method="post",
        data=lambda w: {"phase": "where-are-we-going"},
        ok=302,
    ),
    "cycles:question": Rule(
        kwargs=lambda w: {"pk": w.program.pk, "phase": "where-are-we"}, allowed=EVERYONE
    ),
}


def driver(w: World) -> dict:
    return {"pk": w.program.pk, "driver_pk": w.driver.pk}


MATRIX |= {
    "assessments:summary": Rule(kwargs=program, allowed=EVERYONE),
    "assessments:assessment": Rule(kwargs=program, allowed=EVERYONE),
    "assessments:assessment_csv": Rule(kwargs=program, allowed=EVERYONE),
    "assessments:assessment_copy": Rule(kwargs=program, allowed=MANAGERS, method="post", ok=302),
    "assessments:answer_save": Rule(
        kwargs=lambda w: {"pk": w.program.pk, "dimension_pk": w.dimension.pk},
        allowed=MANAGERS,
        method="post",
        data=lambda w: {"score": "3", "evidence": "", "opportunity": ""},
        ok=302,
    ),
    "assessments:answer_confirm": Rule(
        kwargs=lambda w: {"pk": w.program.pk, "dimension_pk": w.dimension.pk},
        allowed=MANAGERS,
        method="post",
        ok=302,
    ),
    "assessments:assessment_confirm_all": Rule(
        kwargs=program, allowed=MANAGERS, method="post", ok=302
    ),
    "assessments:drivers": Rule(kwargs=program, allowed=EVERYONE),
    "assessments:drivers_csv": Rule(kwargs=program, allowed=EVERYONE),
    "assessments:driver": Rule(kwargs=driver, allowed=EVERYONE),
    "assessments:driver_edit": Rule(kwargs=driver, allowed=MANAGERS),
    "assessments:driver_delete": Rule(kwargs=driver, allowed=MANAGERS, method="post", ok=302),
    "assessments:driver_validate": Rule(kwargs=driver, allowed=MANAGERS, method="post", ok=302),
    "assessments:driver_change_add": Rule(
        kwargs=driver,
        allowed=MANAGERS,
        method="post",
        data=lambda w: {"changed_on": "2026-01-05", "kind": "tool_switch", "description": "GA4"},
        ok=302,
    ),
    "assessments:gaps": Rule(kwargs=program, allowed=EVERYONE),
    "assessments:gaps_regenerate": Rule(kwargs=program, allowed=MANAGERS, method="post", ok=302),
    "assessments:gap_edit": Rule(
        kwargs=lambda w: {"pk": w.program.pk, "gap_pk": w.gap.pk}, allowed=MANAGERS
    ),
    "assessments:dimensions": Rule(kwargs=org, allowed=ADMINS),
    "assessments:dimension_edit": Rule(
        kwargs=lambda w: {"org": w.acme.slug, "dimension_pk": w.dimension.pk}, allowed=ADMINS
    ),
    "assessments:dimension_retire": Rule(
        kwargs=lambda w: {"org": w.acme.slug, "dimension_pk": w.dimension.pk},
        allowed=ADMINS,
        method="post",
        ok=302,
    ),
}


def kpi(w: World) -> dict:
    return {"pk": w.program.pk, "kpi_pk": w.kpi.pk}


def goal(w: World) -> dict:
    return {"pk": w.program.pk, "goal_pk": w.goal.pk}


def segment(w: World) -> dict:
    return {"org": w.acme.slug, "segment_pk": w.segment.pk}


MATRIX |= {
    "kpis:summary": Rule(kwargs=program, allowed=EVERYONE),
    "kpis:goal_create": Rule(kwargs=program, allowed=MANAGERS),
    "kpis:goal_edit": Rule(kwargs=goal, allowed=MANAGERS),
    "kpis:goal_delete": Rule(kwargs=goal, allowed=MANAGERS, method="post", ok=302),
    "kpis:kpi_create": Rule(kwargs=goal, allowed=MANAGERS),
    "kpis:kpi": Rule(kwargs=kpi, allowed=EVERYONE),
    "kpis:kpi_edit": Rule(kwargs=kpi, allowed=MANAGERS),
    "kpis:kpi_delete": Rule(kwargs=kpi, allowed=MANAGERS, method="post", ok=302),
    "kpis:kpi_period_targets": Rule(kwargs=kpi, allowed=MANAGERS, method="post", ok=302),
    "kpis:roi": Rule(kwargs=program, allowed=EVERYONE),
    "kpis:questions": Rule(kwargs=program, allowed=EVERYONE),
    "kpis:question_save": Rule(
        kwargs=lambda w: {"pk": w.program.pk, "question": "goals"},
        allowed=MANAGERS,
        method="post",
        data=lambda w: {"answer": "Yes", "confidence": "high"},
        ok=302,
    ),
    "segments:segments": Rule(kwargs=org, allowed=EVERYONE),
    "segments:segment": Rule(kwargs=segment, allowed=EVERYONE),
    "segments:segment_delete": Rule(kwargs=segment, allowed=MANAGERS, method="post", ok=302),
    "segments:segment_condition_add": Rule(kwargs=segment, allowed=MANAGERS, method="post", ok=422),
    "segments:segment_condition_delete": Rule(
        kwargs=lambda w: {**segment(w), "condition_pk": 0}, allowed=MANAGERS, method="post", ok=404
    ),
    "segments:attributes": Rule(kwargs=org, allowed=EVERYONE),
}


def discovered(w: World) -> dict:
    """A clustered customer table of Acme with one cluster saved as a segment."""
    if not hasattr(w, "run"):
        import io

        from segments import discovery
        from segments.models import ClusterRun

        rows = "\n".join(
            f"{i},{10 + i % 2 * 90 + i % 5},{'NL' if i % 2 else 'BE'}" for i in range(80)
        )
        w.table = discovery.customer_table_upload(
            organization=w.acme,
            name="customers.csv",
            stream=io.BytesIO(f"id,spend,country\n{rows}\n".encode()),
            by=w.user("team"),
        )
        discovery.customer_table_read(table_id=w.table.pk)
        w.run = ClusterRun.objects.create(table=w.table, number=1, keys=["spend"], k=2, seed=1)
        discovery.cluster_run_execute(run_id=w.run.pk)
        w.run.refresh_from_db()
        w.discovered = discovery.segment_from_cluster(
            run=w.run, number=1, name="Big spenders", by=w.user("manager")
        )
    return {"org": w.acme.slug, "table_pk": w.table.pk, "run_pk": w.run.pk}


def table(w: World) -> dict:
    return {"org": w.acme.slug, "table_pk": discovered(w)["table_pk"]}


def run(w: World) -> dict:
    return {"org": w.acme.slug, "run_pk": discovered(w)["run_pk"]}


MATRIX |= {
    "segments:discovery": Rule(kwargs=org, allowed=EVERYONE),
    "segments:customer_table": Rule(kwargs=table, allowed=EVERYONE),
    "segments:customer_table_delete": Rule(
        kwargs=table, allowed=frozenset({"admin", "manager", "team"}), method="post", ok=302
    ),
    "segments:cluster_run": Rule(kwargs=run, allowed=EVERYONE),
    "segments:cluster_save": Rule(
        kwargs=lambda w: {**run(w), "number": 2},
        allowed=MANAGERS,
        method="post",
        data=lambda w: {"cluster-2-name": "Small spenders"},
        ok=302,
    ),
    "segments:segment_reach": Rule(
        kwargs=lambda w: {"org": w.acme.slug, "segment_pk": (discovered(w), w.discovered.pk)[1]},
        allowed=EVERYONE,
    ),
}


def initiative(w: World) -> dict:
    """An initiative of Acme's program, made on first use."""
    if not hasattr(w, "initiative"):
        import datetime

        from initiatives.services import initiative_save, plan_defaults_ensure

        plan_defaults_ensure(organization=w.acme)
        w.initiative = initiative_save(
            cycle=w.program.cycles.get(),
            by=w.user("team"),
            name="Homepage hero",
            owner_department=w.acme.departments.first(),
            starts_on=datetime.date(2026, 12, 1),
        )
    return {"pk": w.program.pk, "initiative_pk": w.initiative.pk}


PLANNERS = frozenset({"admin", "manager", "team"})

MATRIX |= {
    "initiatives:map": Rule(kwargs=program, allowed=EVERYONE),
    "initiatives:in_flight": Rule(kwargs=program, allowed=EVERYONE),
    "initiatives:backlog": Rule(kwargs=program, allowed=EVERYONE),
    "initiatives:export_csv": Rule(kwargs=program, allowed=EVERYONE),
    "initiatives:import_csv": Rule(kwargs=program, allowed=PLANNERS, method="post", ok=302),
    "initiatives:initiative_create": Rule(kwargs=program, allowed=PLANNERS),
    "initiatives:collision_acknowledge": Rule(
        kwargs=program, allowed=PLANNERS, method="post", ok=302
    ),
    "initiatives:initiative": Rule(kwargs=initiative, allowed=EVERYONE),
    "initiatives:initiative_edit": Rule(kwargs=initiative, allowed=PLANNERS),
    "initiatives:initiative_delete": Rule(
        kwargs=initiative, allowed=PLANNERS, method="post", ok=302
    ),
    "initiatives:effect_add": Rule(
        kwargs=initiative,
        allowed=PLANNERS,
        method="post",
        data=lambda w: {"kpi": w.kpi.pk, "direction": "up", "size": ""},
        ok=302,
    ),
    "initiatives:effect_delete": Rule(
        kwargs=lambda w: {**initiative(w), "effect_pk": 0}, allowed=PLANNERS, method="post", ok=404
    ),
    "initiatives:pie_score": Rule(
        kwargs=initiative,
        allowed=PLANNERS,
        method="post",
        data=lambda w: {"potential": 5, "importance": 6, "ease": 7},
        ok=302,
    ),
    "initiatives:settings": Rule(kwargs=org, allowed=ADMINS),
    "initiatives:vocabulary_delete": Rule(
        kwargs=lambda w: {"org": w.acme.slug, "kind": "channel", "item_pk": 0},
        allowed=ADMINS,
        method="post",
        ok=404,
    ),
}


def blueprint(w: World) -> dict:
    """A blueprint of Acme's program with one offer and condition, made on first use."""
    if not hasattr(w, "blueprint"):
        from decimal import Decimal

        from blueprints import services
        from segments.services import attribute_save

        attribute_save(
            organization=w.acme,
            key="visitor_type",
            label="Visitor type",
            type="category",
            allowed_values=["new", "returning"],
        )
        w.blueprint = services.blueprint_create(
            cycle=w.program.cycles.get(), name="Web", by=w.user("team")
        )
        w.stage = w.blueprint.stages.first()
        w.offer = services.offer_save(
            stage=w.stage,
            by=w.user("team"),
            name="Hero",
            propensity=Decimal("0.1"),
            value=Decimal(5),
        )
        w.condition = services.condition_add(
            offer=w.offer, sentence="visitor type is new", by=w.user("team")
        )
        w.batch = services.batch_create(
            blueprint=w.blueprint, file_name="p.csv", data=b"visitor_type\nnew\n", by=w.user("team")
        )
    return {"pk": w.program.pk, "blueprint_pk": w.blueprint.pk}


def blueprint_and(**extra):
    return lambda w: {**blueprint(w), **{k: getattr(w, v).pk for k, v in extra.items()}}


MATRIX |= {
    "blueprints:list": Rule(kwargs=program, allowed=EVERYONE),
    "blueprints:import": Rule(kwargs=program, allowed=PLANNERS, method="post", ok=302),
    "blueprints:blueprint": Rule(kwargs=blueprint, allowed=EVERYONE),
    "blueprints:export": Rule(kwargs=blueprint, allowed=EVERYONE),
    "blueprints:stage_add": Rule(
        kwargs=blueprint,
        allowed=PLANNERS,
        method="post",
        data=lambda w: {"name": "Advocacy"},
        ok=302,
    ),
    "blueprints:stage_action": Rule(
        kwargs=lambda w: {**blueprint_and(stage_pk="stage")(w), "action": "later"},
        allowed=PLANNERS,
        method="post",
        ok=302,
    ),
    "blueprints:offer_create": Rule(kwargs=blueprint_and(stage_pk="stage"), allowed=PLANNERS),
    "blueprints:offer_edit": Rule(kwargs=blueprint_and(offer_pk="offer"), allowed=PLANNERS),
    "blueprints:offer_action": Rule(
        kwargs=lambda w: {**blueprint_and(offer_pk="offer")(w), "action": "condition"},
        allowed=PLANNERS,
        method="post",
        data=lambda w: {"sentence": "visitor type is returning"},
        ok=302,
    ),
    "blueprints:condition_delete": Rule(
        kwargs=blueprint_and(condition_pk="condition"), allowed=PLANNERS, method="post", ok=302
    ),
    "blueprints:simulator": Rule(kwargs=blueprint, allowed=EVERYONE),
    "blueprints:batch_create": Rule(kwargs=blueprint, allowed=PLANNERS, method="post", ok=302),
    "blueprints:batch": Rule(kwargs=blueprint_and(batch_pk="batch"), allowed=EVERYONE),
    # The batch ran (its job is follow-up work on commit): its results download.
    "blueprints:batch_download": Rule(kwargs=blueprint_and(batch_pk="batch"), allowed=EVERYONE),
}


def propensity_version(w: World) -> dict:
    """A trained propensity version of the blueprint's offer "Hero", made on first use."""
    if not hasattr(w, "propensity_run"):
        from blueprints import services
        from blueprints.propensity import Columns
        from tests.blueprints.histories import hero_history

        blueprint(w)
        w.propensity_run = services.propensity_run_create(
            blueprint=w.blueprint,
            file_name="history.csv",
            data=hero_history(),
            columns=Columns("offer", "converted", ()),
            by=w.user("team"),
        )
        services.propensity_run_execute(run_id=w.propensity_run.pk)
        w.learned = w.propensity_run.models.get()
    return {**blueprint(w), "version": w.propensity_run.version}


def learned_offer(w: World) -> dict:
    propensity_version(w)
    return blueprint_and(offer_pk="offer")(w)


def history_upload(w: World) -> dict:
    from tests.blueprints.histories import hero_history, history_form

    return history_form(hero_history())


MATRIX |= {
    # Propensity from history: planners upload and switch, everyone reads the results.
    "blueprints:propensity": Rule(kwargs=blueprint, allowed=EVERYONE),
    "blueprints:propensity_upload": Rule(
        kwargs=blueprint, allowed=PLANNERS, method="post", data=history_upload, ok=302
    ),
    "blueprints:propensity_run": Rule(kwargs=propensity_version, allowed=EVERYONE),
    "blueprints:propensity_chart": Rule(kwargs=propensity_version, allowed=EVERYONE),
    "blueprints:propensity_download": Rule(kwargs=propensity_version, allowed=EVERYONE),
    "blueprints:offer_propensity": Rule(
        kwargs=learned_offer,
        allowed=PLANNERS,
        method="post",
        data=lambda w: {"model": w.learned.pk},
        ok=302,
    ),
}


def source(w: World) -> dict:
    if not hasattr(w, "source"):
        from results import sources

        w.source = sources.source_save(
            program=w.program,
            by=w.user("manager"),
            name="Feed",
            kind="http",
            url="http://127.0.0.1:9/feed",
            headers={},
        )
        w.pull = w.source.pulls.create(status="failed", error="unreachable")
        w.token, _secret = sources.token_create(program=w.program, name="T", by=w.user("admin"))
    return {"pk": w.program.pk, "source_pk": w.source.pk}


MATRIX |= {
    "results:sources": Rule(kwargs=program, allowed=EVERYONE),
    "results:source": Rule(kwargs=source, allowed=EVERYONE),
    "results:pull": Rule(kwargs=lambda w: {**source(w), "pull_pk": w.pull.pk}, allowed=EVERYONE),
    "results:pull_now": Rule(kwargs=source, allowed=MANAGERS, method="post", ok=302),
    "results:upload": Rule(kwargs=source, allowed=MANAGERS, method="post", ok=302),
    # A finished run's preview sends the manager to the run's page.
    "results:upload_preview": Rule(
        kwargs=lambda w: {**source(w), "pull_pk": w.pull.pk}, allowed=MANAGERS, ok=302
    ),
    "results:token_create": Rule(
        kwargs=program, allowed=ADMINS, method="post", data=lambda w: {"name": "CI"}, ok=302
    ),
    "results:token_revoke": Rule(
        kwargs=lambda w: {"pk": w.program.pk, "token_pk": (source(w), w.token)[1].pk},
        allowed=ADMINS,
        method="post",
        ok=302,
    ),
    "results:measurements": Rule(
        kwargs=lambda w: {"pk": w.program.pk, "kpi_pk": w.kpi.pk}, allowed=EVERYONE
    ),
}


def saved_filter(w: World) -> dict:
    """The executive's own saved dashboard view."""
    from progress.models import SavedFilter

    if not hasattr(w, "saved_filter"):
        w.saved_filter = SavedFilter.objects.create(
            user=w.user("executive"), program=w.program, name="New visitors", query="period=28"
        )
    return {"pk": w.program.pk, "filter_pk": w.saved_filter.pk}


MATRIX |= {
    "progress:portfolio": Rule(kwargs=org, allowed=EVERYONE),
    "progress:notifications": Rule(kwargs=org, allowed=EVERYONE),
    "progress:dashboard_seen": Rule(kwargs=program, allowed=EVERYONE, method="post", ok=204),
    "progress:dashboard_chart": Rule(kwargs=program, allowed=EVERYONE),
    # Saving a view of the dashboard changes nothing shared: every role may.
    "progress:dashboard_filter_save": Rule(
        kwargs=program,
        allowed=EVERYONE,
        method="post",
        data=lambda w: {"name": "Four weeks", "period": "28"},
        ok=302,
    ),
    "progress:dashboard_filter_delete": Rule(
        kwargs=saved_filter, allowed=frozenset({"executive"}), refused=404, method="post", ok=302
    ),
    "progress:kpi_chart": Rule(kwargs=kpi, allowed=EVERYONE),
    "progress:kpi_progress": Rule(kwargs=kpi, allowed=EVERYONE),
    "progress:roi_realized": Rule(kwargs=program, allowed=EVERYONE),
}


MATRIX |= {
    "cycles:review": Rule(kwargs=program, allowed=EVERYONE),
    "cycles:cycle_compare": Rule(kwargs=program, allowed=EVERYONE),
    "cycles:cycle_start_next": Rule(kwargs=program, allowed=MANAGERS, method="post", ok=302),
}

MATRIX |= {
    # A backup holds the whole program and its people's e-mail addresses: admins only.
    # Restoring (a POST with a file) is tested in tests/backups/test_backup.py.
    "backups:program_backup": Rule(kwargs=program, allowed=ADMINS),
    "backups:program_restore": Rule(kwargs=org, allowed=ADMINS),
}

MATRIX |= {
    # The push API answers to a program's token, never to a session: a logged-in member,
    # an outsider and an anonymous caller alike get 401 (tokens: tests/results/test_results.py).
    "api:push_measurements": Rule(
        kwargs=lambda w: {},
        allowed=frozenset(),
        method="post",
        data=lambda w: {"measurements": []},
        everyone=401,
    ),
    # The API's description is public, as the shapes it documents are.
    "api:openapi-json": Rule(kwargs=lambda w: {}, allowed=EVERYONE, public=True, anonymous_ok=True),
    # Django Ninja names its root; there is no page there.
    "api:api-root": Rule(kwargs=lambda w: {}, allowed=frozenset(), everyone=404),
}

# URLs with access rules of their own, checked elsewhere.
EXEMPT_PREFIXES = ("admin:",)  # Django's admin: staff only (tests/programs/test_admin.py)
EXEMPT = {
    "login",  # public by nature
    "logout",  # POST only, for anyone
    # Public for load balancers, answering only "up" or "down" unless the caller is staff
    # (tests/test_health.py, tests/security/test_health_access.py).
    "health",
    "health_worker",
}


def named_urls(resolver: URLResolver | None = None, namespace: str = "") -> set[str]:
    names = set()
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= named_urls(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}{pattern.name}")
    return names


def test_every_url_is_in_the_matrix():
    uncovered = {
        name
        for name in named_urls()
        if name not in MATRIX and name not in EXEMPT and not name.startswith(EXEMPT_PREFIXES)
    }
    assert not uncovered, f"Add these URLs to the access matrix: {sorted(uncovered)}"


def test_matrix_names_only_existing_urls():
    assert set(MATRIX) <= named_urls()


CASES = [(name, who) for name in MATRIX for who in (*ROLES, "outsider", "anonymous")]


@pytest.mark.parametrize(("name", "who"), CASES, ids=[f"{n}-{w}" for n, w in CASES])
def test_access(world, name, who):
    rule = MATRIX[name]
    url = reverse(name, kwargs=rule.kwargs(world))
    client = client_for(world, who)
    response = getattr(client, rule.method)(url, rule.data(world))

    if rule.everyone is not None:
        assert response.status_code == rule.everyone
    elif who == "anonymous":
        if rule.anonymous_ok:
            assert response.status_code == rule.ok
        else:
            assert response.status_code == 302
            assert response["Location"].startswith(reverse("login"))
    elif who == "outsider":
        expected = rule.ok if rule.public else 404
        assert response.status_code == expected
    elif who in rule.allowed:
        assert response.status_code == rule.ok, response.content[:500]
    else:
        assert response.status_code == rule.refused


# (Django Ninja's schema view answers any method with the schema, a harmless read.)
@pytest.mark.parametrize(
    "name", [n for n, r in MATRIX.items() if r.method == "get" and not n.startswith("api:")]
)
def test_wrong_method_is_refused(world, name):
    rule = MATRIX[name]
    response = client_for(world, "admin").delete(reverse(name, kwargs=rule.kwargs(world)))
    assert response.status_code == 405


# --- The rich demo program ------------------------------------------------------------


@dataclass(frozen=True)
class Demo:
    program_pages: list[str]
    organization_pages: list[str]


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo organization (`seed_demo`: three cycles, eighteen months of results,
    blueprints, propensity runs, customer tables) and an outsider, made once for the
    module and rolled back after it, as Django's TestCase does with setUpTestData: each
    test runs in a savepoint inside this transaction."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from config.celery import app
    from demo.management.commands.seed_demo import Command
    from programs.models import Program
    from programs.services import organization_create
    from tests.conftest import _run_pending_commit_hooks
    from tests.pages import organization_pages, program_pages

    with django_db_blocker.unblock():
        block = transaction.atomic()
        block._from_testcase = True  # the tests' own transaction, as for TestCase
        block.__enter__()
        eager, app.conf.task_always_eager = app.conf.task_always_eager, True
        try:
            Command()._seed()
            _run_pending_commit_hooks(connection)  # the progress refresh the seed queued
            organization_create(
                name="Outside", admin=get_user_model().objects.create_user("outsider")
            )
            program = Program.objects.get(organization__slug="demo", name="Web shop")
            made = Demo(program_pages(program), organization_pages(program.organization))
        finally:
            app.conf.task_always_eager = eager
    yield made
    with django_db_blocker.unblock():
        transaction.set_rollback(True)
        block.__exit__(None, None, None)


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_every_page_of_the_demo_program_answers_for_every_role(db, demo, who):
    """Status codes of hand-made objects prove the rules; the rich demo program shows
    the data-dependent failures (TESTING.md, 8): every page of every object, each cycle."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username=who))
    expected = 404 if who == "outsider" else 200

    answers = {url: client.get(url).status_code for url in demo.program_pages}
    answers |= {url: client.get(url).status_code for url in demo.organization_pages}

    assert len(answers) > 150  # 175 when written
    assert {url: code for url, code in answers.items() if code != expected} == {}
