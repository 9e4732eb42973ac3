"""Backup and restore of a whole program (backups.backup, README: Backup and restore).

The demo program (three cycles, two reviewed and closed, eighteen months of results) with
what the demo lacks added on top is exported, restored into another organization and
into a fresh database, and exported again: the two files must be the same. Bad files
must be refused with a message that says what is wrong, writing nothing.
"""

import datetime
import json
import os
import subprocess
import sys
from collections import deque
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.urls import reverse

from backups import backup
from blueprints.models import Blueprint, Offer, SimulationBatch
from initiatives.models import Initiative, PieScore
from kpis.models import Goal, Kpi, RoiTarget
from programs.models import Cycle, Organization, Program, Role
from programs.services import membership_add, organization_create
from progress.models import KpiSnapshot, SavedFilter
from results import sources
from results.models import ApiToken, Measurement, Pull, ResultSource, Schedule, SourceKind
from segments.models import Segment
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).absolute().parents[2]
SECRET_HEADER = "Bearer secret-header-value-0123456789"
SECRET_DSN_PASSWORD = "secret-dsn-password"


# --- Every model under a program is in the file, or left out with a reason --------------


def reaches_program(model) -> bool:
    """Whether the model hangs under a program: a chain of foreign keys leads to one."""
    seen, queue = {model}, deque([model])
    while queue:
        current = queue.popleft()
        if current is Program:
            return True
        for field in current._meta.get_fields():
            if (field.many_to_one or field.one_to_one) and field.concrete:
                target = field.related_model
                if target not in seen:
                    seen.add(target)
                    queue.append(target)
    return False


def test_every_model_under_a_program_is_in_the_backup_or_left_out_with_a_reason():
    """A new model that hangs under Program (or a cycle, a KPI, …) fails here until it is
    a part of backups/backup.py or left out there with the reason: backups never miss
    data silently."""
    parts = {part.model for part in backup.PARTS}
    many_to_many = {
        column.field.remote_field.through
        for part in backup.PARTS
        for column in backup.columns(part)
        if column.kind == "many"
    }
    missing = sorted(
        model._meta.label_lower
        for model in apps.get_models()
        if reaches_program(model)
        and model not in parts
        and model not in many_to_many
        and model._meta.label_lower not in backup.LEFT_OUT
    )
    assert not missing, (
        f"Add these models to PROGRAM_PARTS in backups/backup.py, or to LEFT_OUT with the "
        f"reason: {missing}"
    )
    known = {model._meta.label_lower for model in apps.get_models()}
    assert set(backup.LEFT_OUT) <= known
    assert all(reason.strip() for reason in backup.LEFT_OUT.values())


def test_every_part_can_be_written_and_restored_in_order():
    """Each field is in the file or left out by name with a reason; each required relation
    points at a part restored before it (an optional one is set once both have ids)."""
    restored_before: set = set()
    for part in backup.PARTS:
        names = {f.name for f in part.model._meta.get_fields()}
        assert set(part.leave_out) <= names, f"{part.label} leaves out fields it lacks"
        assert all(reason.strip() for reason in part.leave_out.values())
        for column in backup.columns(part):  # raises for a field a file cannot carry
            if column.kind == "many" or (column.kind == "row" and not column.field.null):
                assert column.target in restored_before, (
                    f"{part.label}.{column.name} points at {column.target._meta.label}, "
                    "which is not restored before it"
                )
        restored_before.add(part.model)


# --- A rich program -------------------------------------------------------------------


@dataclass(frozen=True)
class Rich:
    """The backup of a rich program, and what its original showed, for comparing."""

    text: str
    token: tuple[str, str]  # the push token's hash and prefix
    statuses: list[tuple]  # (cycle, KPI, status) of every KPI's progress
    history: list[tuple]  # Bounce rate's changes in cycle 3: (target, when, who)
    measurements: int

    @property
    def document(self) -> dict:
        return json.loads(self.text)


@pytest.fixture(scope="module")
def rich(django_db_setup, django_db_blocker) -> Rich:
    """The demo program, plus what the demo does not have: ratings, an accepted collision,
    monthly targets, a saved view, a deferred gap, sources with secrets, a failed run, a
    run still queued, a push token, an offer scored by its learned propensity model and a
    decision simulation. Made once, backed up, and
    rolled back: each test restores the file into an organization of its own."""
    with django_db_blocker.unblock(), transaction.atomic():
        program = _rich_program()
        token = ApiToken.objects.get(program=program)
        made = Rich(
            text=backup.program_export_text(program=program),
            token=(token.token_hash, token.prefix),
            statuses=statuses(program),
            history=bounce_history(program),
            measurements=Measurement.objects.filter(kpi__goal__cycle__program=program).count(),
        )
        transaction.set_rollback(True)
    return made


def _rich_program() -> Program:
    from assessments.services import gap_update
    from demo.management.commands.seed_demo import Command
    from initiatives import selectors as plan
    from initiatives.services import collision_acknowledge, pie_score_save
    from kpis.services import kpi_period_targets_save

    Command()._seed()
    program = Program.objects.get(organization__slug="demo", name="Web shop")
    users = {u.username: u for u in get_user_model().objects.all()}
    cycle = program.cycles.get(closed_at__isnull=True)
    initiatives = plan.initiative_list(cycle=cycle)
    for who, scores in (("team", (8, 7, 5)), ("manager", (6, 9, 4))):
        pie_score_save(
            initiative=initiatives[0],
            rater=users[who],
            potential=scores[0],
            importance=scores[1],
            ease=scores[2],
        )
    collision = plan.collisions(cycle=cycle, initiatives=initiatives)[0]
    collision_acknowledge(
        cycle=cycle,
        key=collision.collision.key,
        reason="Measured apart by page type",
        by=users["team"],
    )
    kpi = Kpi.objects.get(goal__cycle=cycle, name="Conversion rate")
    month = cycle.starts_on.replace(day=1) + datetime.timedelta(days=40)
    kpi_period_targets_save(
        kpi=kpi,
        organization=program.organization,
        grain="month",
        targets={month.replace(day=1): kpi.target - Decimal("0.01")},
        by=users["manager"],
    )
    gap = cycle.gaps.order_by("pk").first()
    gap_update(
        gap=gap,
        title=gap.title,
        priority="low",
        status="deferred",
        deferred_reason="After the warehouse work",
        by=users["manager"],
    )
    SavedFilter.objects.create(
        user=users["executive"],
        program=program,
        name="Loyal, four weeks",
        query=f"segment={Segment.objects.get(name='Loyal customers').pk}"
        f"&goal={cycle.goals.order_by('pk').last().pk}&period=28",
    )
    mapping = {"kpi": "kpi", "period": "period", "value": "value"}
    sources.source_save(
        program=program,
        by=users["admin"],
        name="Shop API",
        kind=SourceKind.HTTP,
        url="https://shop.example/api/results",
        headers={"Authorization": SECRET_HEADER},
        schedule=Schedule.DAILY,
        schedule_time=datetime.time(6, 30),
        mapping=mapping,
    )
    warehouse = sources.source_save(
        program=program,
        by=users["admin"],
        name="Warehouse",
        kind=SourceKind.SQL,
        db_host="warehouse.example",
        db_name="shop",
        db_user="reader",
        db_password=SECRET_DSN_PASSWORD,
        query="SELECT kpi, period, value FROM results",
        mapping=mapping,
        headers={},
    )
    Pull.objects.create(
        source=warehouse,
        status="failed",
        error="Row 2: no KPI named “Orders”",
        rejected=1,
        rejected_rows=[{"line": 2, "column": "kpi", "reason": "no KPI named “Orders”"}],
        finished_at=datetime.datetime(2026, 1, 5, 6, 30, tzinfo=datetime.UTC),
    )
    Pull.objects.create(source=warehouse, status="queued", task_id="still-in-the-queue")
    sources.token_create(program=program, name="Analytics", by=users["admin"])
    from blueprints.models import PropensityModel
    from blueprints.services import offer_propensity_use

    learned = PropensityModel.objects.filter(
        run__blueprint__cycle=cycle, run__status="succeeded", auc__isnull=False
    ).first()
    offer_propensity_use(offer=learned.offer, model=learned, by=users["team"])
    SimulationBatch.objects.create(
        blueprint=cycle.blueprints.get(),
        file_name="profiles.csv",
        profiles_csv="visitor_type\nnew\n",
        rows_total=1,
    )
    return program


def statuses(program: Program) -> list[tuple]:
    return sorted(
        KpiSnapshot.objects.filter(
            kpi__goal__cycle__program=program, segment__isnull=True
        ).values_list("kpi__goal__cycle__number", "kpi__name", "status")
    )


def bounce_history(program: Program) -> list[tuple]:
    kpi = Kpi.objects.get(goal__cycle__program=program, goal__cycle__number=3, name="Bounce rate")
    return list(
        kpi.history.order_by("history_id").values_list(
            "target", "history_date", "history_user__username"
        )
    )


def organization_with_people(document: dict, name: str = "Other Retail") -> Organization:
    """A new organization whose members are the file's people (as on another
    installation: their accounts made anew)."""
    User = get_user_model()
    organization = organization_create(name=name)
    for person in document["people"]:
        first, _sep, last = person["name"].partition(" ")
        user = User.objects.filter(username=person["username"]).first() or (
            User.objects.create_user(
                person["username"], person["email"], first_name=first, last_name=last
            )
        )
        membership_add(organization=organization, user=user, role=Role.MANAGER)
    return organization


def body(document: dict) -> dict:
    """What a backup holds about the program, without when and where it was made; sources
    restored without their secrets and HTTP sources are paused, the one difference a
    restore makes."""
    document = json.loads(json.dumps(document))
    for source in document["models"]["results.resultsource"]:
        if source["kind"] in ("sql", "http") or source["headers"]:
            source["paused"] = True
    return {key: document[key] for key in ("format", "version", "people", "models")}


def test_a_program_restored_into_another_organization_exports_the_same(rich):
    other = organization_with_people(rich.document)

    restored = backup.program_import(organization=other, data=rich.text)

    assert restored.notes == [
        "Source “Shop API” is paused: its secrets (password or header values) are not in backups. "
        "Fill them in on its page and resume it.",
        "Source “Warehouse” is paused: its secrets (password or header values) are not in backups. "
        "Fill them in on its page and resume it.",
        "Source “Web analytics feed” is paused: a restored HTTP source waits until someone "
        "here has checked the address it pulls from. Resume it on its page.",
    ]
    program = restored.program
    assert (program.organization, program.name) == (other, "Web shop")
    assert body(backup.program_export(program=program)) == body(rich.document)
    # Everything is there, in every cycle, as a person sees it.
    for model, n in ((Cycle, 3), (Goal, 6), (Kpi, 14), (Initiative, 24), (Blueprint, 3)):
        assert restored.count(model) == n
    assert restored.count(Measurement) == rich.measurements > 4000
    cycles = list(program.cycles.order_by("number"))
    assert [(c.number, c.is_open, c.previous) for c in cycles] == [
        (1, False, None),
        (2, False, cycles[0]),
        (3, True, cycles[1]),
    ]
    # Progress is recomputed for every cycle and tells the same story.
    assert statuses(program) == rich.statuses
    # The change history came along: who changed a KPI's target, and when.
    assert bounce_history(program) == rich.history
    # Offers scored by a learned propensity model use the restored model of that offer.
    learned = Offer.objects.filter(
        stage__blueprint__cycle__program=program, learned_model__isnull=False
    ).select_related("learned_model__run__blueprint")
    in_file = [o for o in rich.document["models"]["blueprints.offer"] if o["learned_model"]]
    assert len(learned) == len(in_file) > 0
    assert all(
        o.learned_model.offer_id == o.pk
        and o.learned_model.run.blueprint_id == o.stage.blueprint_id
        for o in learned
    )


def test_a_backup_holds_no_secrets_and_says_what_it_leaves_out(rich):
    for secret in (SECRET_HEADER, "secret-dsn-password", *rich.token):
        assert secret not in rich.text
    document = rich.document
    source = next(s for s in document["models"]["results.resultsource"] if s["name"] == "Shop API")
    assert source["headers"] == {"Authorization": ""}  # the name, for the admin to refill
    assert "db_password" not in source and "periodic_task" not in source
    assert "results.apitoken" not in document["models"]
    assert "blueprints.simulationbatch" not in document["models"]
    assert "progress.kpisnapshot" not in document["models"]
    # Runs that had not finished belong to the old job queue.
    assert {p["status"] for p in document["models"]["results.pull"]} == {"succeeded", "failed"}
    assert all(
        "payload" not in p and "task_id" not in p for p in document["models"]["results.pull"]
    )
    assert "secrets" in " ".join(document["about"])
    # The rich program has rows of every part, so every part is exercised.
    assert [label for label, rows in document["models"].items() if not rows] == []
    assert list(document["models"]) == [part.label for part in backup.PARTS]


def test_restored_sources_wait_for_their_secrets(rich):
    program = backup.program_import(
        organization=organization_with_people(rich.document), data=rich.text
    ).program

    shop = program.sources.get(name="Shop API")
    warehouse = program.sources.get(name="Warehouse")
    feed = program.sources.get(name="Web analytics feed")
    assert (shop.headers, shop.paused) == ({"Authorization": ""}, True)
    assert (warehouse.db_password, warehouse.paused) == ("", True)
    # Scheduled sources are on beat's schedule again, paused where secrets are missing
    # and HTTP sources always (someone here checks the address they pull from first).
    assert shop.periodic_task.enabled is False
    assert (shop.periodic_task.crontab.hour, shop.periodic_task.crontab.minute) == ("6", "30")
    assert feed.periodic_task.enabled is False and feed.paused is True
    assert not ApiToken.objects.filter(program=program).exists()


def test_the_same_file_twice_into_one_organization_makes_a_second_program(rich):
    organization = organization_with_people(rich.document)

    first = backup.program_import(organization=organization, data=rich.text)
    second = backup.program_import(organization=organization, data=rich.text)

    assert [first.program.name, second.program.name] == ["Web shop", "Web shop (2)"]
    assert "A program named “Web shop” is already here: this one is “Web shop (2)”." in (
        second.notes
    )
    # Segments, attributes, departments and channels are the organization's: reused.
    assert Segment.objects.filter(organization=organization).count() == 2
    assert (first.count(Segment), second.count(Segment), second.count(Cycle)) == (2, 0, 3)
    renamed = backup.program_import(organization=organization, data=rich.text, name="Web shop BE")
    assert renamed.program.name == "Web shop BE"


def test_people_who_are_not_members_are_left_empty(rich):
    User = get_user_model()
    newcomer = User.objects.create_user("nina", "nina@elsewhere.example")
    # Matched by e-mail, whatever the username.
    manager = User.objects.create_user("mia.m", "MANAGER@demo.example")
    other = organization_create(name="Other Retail", admin=newcomer)
    membership_add(organization=other, user=manager, role=Role.MANAGER)

    restored = backup.program_import(organization=other, data=rich.text)

    program = restored.program
    assert program.created_by == manager
    owners = Goal.objects.filter(cycle__program=program).values_list("owner", flat=True)
    assert set(owners) == {manager.pk}
    assert list(
        PieScore.objects.filter(initiative__cycle__program=program).values_list("rater", flat=True)
    ) == [manager.pk]
    assert not SavedFilter.objects.filter(program=program).exists()
    assert restored.notes[:2] == [
        # The admin who entered the sources' secrets is named in their history.
        "Not members of Other Retail, so the fields that named them are empty: "
        "admin (admin@demo.example), executive (executive@demo.example), "
        "team (team@demo.example).",
        "Left out because they belong to someone who is not a member here: "
        "1 pie score, 1 dashboard visit, 1 saved filter.",
    ]


def test_a_saved_view_and_an_accepted_collision_point_at_the_restored_rows(rich):
    from assessments.services import gaps_regenerate
    from initiatives import selectors as plan

    other = organization_with_people(rich.document)
    program = backup.program_import(organization=other, data=rich.text).program

    cycle = program.cycles.get(number=3)
    saved = SavedFilter.objects.get(program=program)
    segment = Segment.objects.get(organization=other, name="Loyal customers")
    assert (
        saved.query == f"segment={segment.pk}&goal={cycle.goals.order_by('pk').last().pk}&period=28"
    )
    # The map still shows the collision as accepted: its key names the new initiatives.
    shown = plan.collisions(cycle=cycle, initiatives=plan.initiative_list(cycle=cycle))
    accepted = [c for c in shown if c.acknowledgement is not None]
    assert [c.acknowledgement.reason for c in accepted] == ["Measured apart by page type"]
    # Generated gaps still find their causes, so regenerating adds no twins.
    gaps = cycle.gaps.count()
    gaps_regenerate(cycle=cycle)
    assert cycle.gaps.count() == gaps


# --- Bad files ------------------------------------------------------------------------


def tables() -> dict:
    return {
        model._meta.label: model.objects.count()
        for model in (Program, Cycle, Segment, Kpi, Measurement, ResultSource)
    } | {"departments": apps.get_model("initiatives", "Department").objects.count()}


def edited(text: str, change) -> str:
    document = json.loads(text)
    change(document)
    return json.dumps(document)


@pytest.fixture
def small(world) -> str:
    """A backup of the world's small program, with one person named."""
    return backup.program_export_text(program=world.program)


BAD_FILES = {
    "not JSON": (lambda text: "Goals,KPIs\nConversion,2.4\n", "it is not JSON (line 1"),
    "cut short": (
        lambda text: text[: len(text) // 2],
        "The file is cut short: it ends in the middle of the backup. Download or export it again.",
    ),
    "not a backup": (lambda text: '{"stages": []}', 'it has no "format": "fourfold-program"'),
    "another format": (
        lambda text: edited(text, lambda d: d.update(format="fourfold-blueprint")),
        "The file is a “fourfold-blueprint”, not a Fourfold program backup",
    ),
    "a newer version": (
        lambda text: edited(text, lambda d: d.update(version=4)),
        "The file is version 4 of the backup format; this Fourfold reads versions 1, 2 and 3. "
        "Restore it with a newer Fourfold.",
    ),
    "a version that is a list": (
        lambda text: edited(text, lambda d: d.update(version=[1])),
        "The file is version a list of the backup format; this Fourfold reads versions 1, 2 and 3.",
    ),
    "a ref to nothing": (
        lambda text: edited(text, lambda d: d["models"]["kpis.kpi"][0].update(goal=99)),
        "KPI 1 “Conversion rate”: its goal is goal 99, which is not in the file.",
    ),
    "a value of the wrong kind": (
        lambda text: edited(text, lambda d: d["models"]["kpis.kpi"][0].update(baseline="lots")),
        "KPI 1 “Conversion rate”, baseline: “lots” value must be a decimal number.",
    ),
    "an unknown field": (
        lambda text: edited(text, lambda d: d["models"]["programs.cycle"][0].update(mood="good")),
        "cycle 1: fields this Fourfold does not know: mood",
    ),
    "a NUL character": (
        lambda text: edited(text, lambda d: d["models"]["kpis.goal"][0].update(title="a\x00b")),
        "holds a NUL character",
    ),
    "no program": (
        lambda text: edited(text, lambda d: d["models"].update({"programs.program": []})),
        "The file must hold exactly one program",
    ),
}


@pytest.mark.parametrize("case", BAD_FILES, ids=list(BAD_FILES))
def test_a_bad_file_is_refused_with_a_clear_message_and_writes_nothing(world, small, case):
    spoil, message = BAD_FILES[case]
    before = tables()

    with pytest.raises(ValidationError) as refused:
        backup.program_import(organization=world.globex, data=spoil(small))

    assert refused.value.messages[0] == "Nothing was restored."
    assert any(message in m for m in refused.value.messages), refused.value.messages
    assert tables() == before


def test_a_file_the_database_refuses_halfway_writes_nothing(world, small):
    """A KPI whose target is no improvement passes every field's check but not the
    database's rule: the segments and departments made before it are undone too."""
    spoiled = edited(
        small, lambda d: d["models"]["kpis.kpi"][0].update(target="1.5", baseline="2.0")
    )
    fresh = organization_create(name="Fresh")  # with its default dimensions, made with it
    before = tables()
    dimensions = list(fresh.dimensions.values_list("pk", "name"))

    with pytest.raises(ValidationError) as refused:
        backup.program_import(organization=fresh, data=spoiled)

    assert "The file breaks a rule of the database (kpi_target_better_than_baseline)." in (
        refused.value.messages
    )
    assert tables() == before
    assert list(fresh.dimensions.values_list("pk", "name")) == dimensions


def test_a_category_attribute_gains_the_values_the_file_uses(rich):
    from segments.models import Attribute
    from segments.services import attribute_save

    other = organization_with_people(rich.document)
    attribute_save(
        organization=other,
        key="visitor_type",
        label="Type",
        type="category",
        allowed_values=["new"],
    )
    attribute_save(
        organization=other, key="cart_value", label="Cart", type="number", allowed_values=[]
    )

    restored = backup.program_import(organization=other, data=rich.text)

    assert Attribute.objects.get(organization=other, key="visitor_type").allowed_values == [
        "new",
        "returning",
    ]
    assert "Attribute “Type” now also allows returning." in restored.notes


def test_an_attribute_of_another_type_stops_the_restore(rich):
    from segments.services import attribute_save

    other = organization_with_people(rich.document)
    attribute_save(
        organization=other,
        key="cart_value",
        label="Cart",
        type="category",
        allowed_values=["small", "big"],
    )

    with pytest.raises(ValidationError) as refused:
        backup.program_import(organization=other, data=rich.text)

    assert (
        "The attribute “cart_value” is a category here and a number in the file: rename one "
        "of them first."
    ) in refused.value.messages
    assert not other.programs.exists()


# --- Commands -------------------------------------------------------------------------


def test_the_commands_export_and_import(world, tmp_path, capsys):
    target = tmp_path / "backup.json"
    call_command("program_export", str(world.program.pk), "-o", str(target))
    assert "Wrote “Web shop” of Acme Retail" in capsys.readouterr().err

    call_command("program_import", "globex", str(target))

    out = capsys.readouterr().out
    program = Program.objects.get(organization=world.globex, name="Web shop")
    assert f"Restored “Web shop” (id {program.pk}) into Globex: 1 cycle, 1 goal, 1 KPI." in out
    assert "Note: Not members of Globex" in out


def test_the_import_command_says_what_is_wrong(world, tmp_path):
    bad = tmp_path / "backup.json"
    bad.write_text('{"format": "fourfold-program", "version": 7}')

    with pytest.raises(CommandError, match="version 7 of the backup format"):
        call_command("program_import", "globex", str(bad))
    with pytest.raises(CommandError, match="No organization “nowhere”"):
        call_command("program_import", "nowhere", str(bad))
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("program_import", "globex", str(tmp_path / "missing.json"))
    with pytest.raises(CommandError, match="No program with id 999999"):
        call_command("program_export", "999999")
    assert not world.globex.programs.exclude(pk=world.foreign_program.pk).exists()


# --- Pages ----------------------------------------------------------------------------


def test_an_admin_downloads_the_backup_from_the_program_page(world, as_user):
    admin = as_user("admin")
    home = admin.get(reverse("cycles:program_home", kwargs={"pk": world.program.pk}))
    url = reverse("backups:program_backup", kwargs={"pk": world.program.pk})
    assert url in home.content.decode()
    assert url not in as_user("manager").get(home.request["PATH_INFO"]).content.decode()

    response = admin.get(url)

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        'attachment; filename="fourfold-acme-web-shop-'
    )
    document = json.loads(response.content)
    assert (document["format"], document["version"]) == ("fourfold-program", 3)
    assert [p["name"] for p in document["models"]["programs.program"]] == ["Web shop"]


def test_an_admin_restores_a_file_as_a_new_program(world, small):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = client_for(world, "outsider")  # Globex's admin
    url = reverse("backups:program_restore", kwargs={"org": "globex"})
    assert (
        url
        in admin.get(reverse("programs:program_list", kwargs={"org": "globex"})).content.decode()
    )

    response = admin.post(
        url,
        {"file": SimpleUploadedFile("web-shop.json", small.encode()), "name": "Web shop copy"},
        follow=True,
    )

    program = Program.objects.get(organization=world.globex, name="Web shop copy")
    assert response.redirect_chain[-1][0] == reverse(
        "cycles:program_home", kwargs={"pk": program.pk}
    )
    page = response.content.decode()
    assert "Restored “Web shop copy”: 1 cycle, 1 goal, 1 KPI." in page
    assert "Not members of Globex, so the fields that named them are empty" in page


def test_a_bad_upload_shows_what_is_wrong_and_writes_nothing(world, small):
    from django.core.files.uploadedfile import SimpleUploadedFile

    admin = client_for(world, "outsider")
    before = tables()

    response = admin.post(
        reverse("backups:program_restore", kwargs={"org": "globex"}),
        {"file": SimpleUploadedFile("web-shop.json", small[:-200].encode())},
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "This file cannot be restored" in page
    assert "The file is cut short: it ends in the middle of the backup." in page
    assert tables() == before


def test_a_refusal_that_quotes_half_a_character_is_shown_not_a_500(world, small):
    """A file whose "format" is a lone surrogate (JSON may escape one: "\\ud800") is refused
    with the message quoting it as a replacement character, instead of the page failing
    to encode itself."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    document = json.loads(small)
    document["format"] = "shop\ud800"
    client = client_for(world, "outsider")
    client.raise_request_exception = False

    response = client.post(
        reverse("backups:program_restore", kwargs={"org": "globex"}),
        {"file": SimpleUploadedFile("web-shop.json", json.dumps(document).encode())},
    )

    assert response.status_code == 422
    page = response.content.decode()
    assert "The file is a “shop\ufffd”, not a Fourfold program backup" in page


def test_a_file_too_large_for_the_page_points_to_the_command(world, small, monkeypatch):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from backups.forms import RestoreForm

    monkeypatch.setattr(RestoreForm, "MAX_BYTES", len(small) - 1)
    response = client_for(world, "outsider").post(
        reverse("backups:program_restore", kwargs={"org": "globex"}),
        {"file": SimpleUploadedFile("web-shop.json", small.encode())},
    )

    assert response.status_code == 422
    assert "python manage.py program_import &lt;organization&gt; &lt;file&gt;" in (
        response.content.decode()
    )
    assert not world.globex.programs.filter(name="Web shop").exists()


@pytest.mark.parametrize("who", ["manager", "team", "executive"])
def test_only_admins_restore(world, small, who):
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client_for(world, who).post(
        reverse("backups:program_restore", kwargs={"org": "acme"}),
        {"file": SimpleUploadedFile("web-shop.json", small.encode())},
    )
    assert response.status_code == 403
    assert Program.objects.filter(organization=world.acme).count() == 1


def test_another_organizations_admin_cannot_restore_into_it_or_download(world, small):
    from django.core.files.uploadedfile import SimpleUploadedFile

    outsider = client_for(world, "outsider")
    restore = outsider.post(
        reverse("backups:program_restore", kwargs={"org": "acme"}),
        {"file": SimpleUploadedFile("web-shop.json", small.encode())},
    )
    download = outsider.get(reverse("backups:program_backup", kwargs={"pk": world.program.pk}))
    assert (restore.status_code, download.status_code) == (404, 404)
    assert Program.objects.filter(organization=world.acme).count() == 1


# --- A fresh database -----------------------------------------------------------------


@pytest.fixture
def fresh_database():
    """An empty PostgreSQL database beside the test database, migrated by a separate
    process as a new installation would be, and dropped afterwards."""
    settings = connection.settings_dict
    host, port = settings["HOST"] or "127.0.0.1", settings["PORT"] or 5432
    admin = f"postgresql://{settings['USER']}@{host}:{port}/postgres"
    name = f"fourfold_restore_{os.getpid()}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = f"postgres://{settings['USER']}@{host}:{port}/{name}"
    try:
        manage(url, "migrate", "--no-input", "-v", "0")
        yield url
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")},
        "DJANGO_SETTINGS_MODULE": "config.test_settings",
        "DATABASE_URL": database_url,
    }
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return result


def test_a_program_restored_into_a_fresh_database_exports_the_same(rich, fresh_database, tmp_path):
    (tmp_path / "backup.json").write_text(rich.text, encoding="utf-8")
    # The new installation: the file's people and their organization.
    people = [
        [p["username"], p["email"], *p["name"].split(" ", 1)] for p in rich.document["people"]
    ]
    manage(fresh_database, "shell", "-c", _shell_people(people))

    imported = manage(
        fresh_database, "program_import", "demo-retail", str(tmp_path / "backup.json")
    )
    program_id = imported.stdout.split("(id ")[1].split(")")[0]
    manage(fresh_database, "program_export", program_id, "-o", str(tmp_path / "again.json"))

    assert "Restored “Web shop”" in imported.stdout and "3 cycles" in imported.stdout
    again = json.loads((tmp_path / "again.json").read_text(encoding="utf-8"))
    for label in body(rich.document)["models"]:
        assert body(again)["models"][label] == body(rich.document)["models"][label], label
    assert body(again) == body(rich.document)


def _shell_people(people: list[list[str]]) -> str:
    """Python for `manage.py shell -c`: the people of the file and an organization with
    them as members."""
    return (
        "from django.contrib.auth import get_user_model\n"
        "from programs.services import membership_add, organization_create\n"
        "users = [\n"
        "    get_user_model().objects.create_user(u, e, first_name=f, last_name=l)\n"
        f"    for u, e, f, l in {people!r}\n"
        "]\n"
        "org = organization_create(name='Demo Retail', admin=users[0])\n"
        "for user in users[1:]:\n"
        "    membership_add(organization=org, user=user, role='team')\n"
    )


def test_a_file_without_a_field_that_has_a_whole_number_default_restores_with_it(rich):
    """Found by the fuzz tests: a file from before `acceptable_roi_percent` existed (its
    default is 100, a whole number) was checked as if 100 were a Decimal, and crashed."""
    document = json.loads(rich.text)
    for row in document["models"]["kpis.roitarget"]:
        del row["acceptable_roi_percent"]
    organization = organization_with_people(rich.document)
    restored = backup.program_import(organization=organization, data=json.dumps(document))
    targets = RoiTarget.objects.filter(cycle__program=restored.program)
    assert targets.exists()
    assert {t.acceptable_roi_percent for t in targets} == {Decimal(100)}
