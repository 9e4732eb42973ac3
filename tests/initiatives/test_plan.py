import datetime
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from initiatives import selectors, services
from initiatives.models import CollisionAcknowledgement, ExpectedEffect, Initiative, PieScore

pytestmark = pytest.mark.django_db


def url(name, world, **kwargs):
    return reverse(f"initiatives:{name}", kwargs={"pk": world.program.pk, **kwargs})


@pytest.fixture
def plan(world):
    services.plan_defaults_ensure(organization=world.acme)
    org = world.acme
    world.website = org.channels.get(name="Website")
    world.email = org.channels.get(name="E-mail")
    world.marketing = org.departments.get(name="Marketing")
    world.it = org.departments.get(name="IT")
    return world


def make(world, name, start, end, channels=(), status="planned", **extra):
    return services.initiative_save(
        cycle=world.program.cycles.get(),
        by=world.user("team"),
        name=name,
        owner_department=world.marketing,
        channels=list(channels),
        starts_on=start,
        ends_on=end,
        status=status,
        **extra,
    )


D = datetime.date


def form_data(world, **changes):
    data = {
        "name": "Homepage hero",
        "objective": "",
        "kind": "main",
        "status": "planned",
        "owner_department": world.marketing.pk,
        "departments": [world.it.pk],
        "channels": [world.website.pk],
        "stages": ["Discover"],
        "starts_on": "2026-12-01",
        "ends_on": "2026-12-31",
        "cost": "5000",
        "gaps": [world.gap.pk],
    }
    return {**data, **changes}


def test_team_member_plans_an_initiative(plan, as_user):
    response = as_user("team").post(url("initiative_create", plan), form_data(plan))
    initiative = Initiative.objects.get(name="Homepage hero")
    assert response.status_code == 302
    assert (initiative.owner_department, initiative.stages, initiative.cost) == (
        plan.marketing,
        ["Discover"],
        Decimal(5000),
    )
    assert list(initiative.gaps.all()) == [plan.gap]
    assert initiative.history.latest("history_date").history_user.username == "tom"


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"ends_on": "2026-11-30"}, "ends_on", "cannot end before it starts"),
        ({"name": ""}, "name", "required"),
        ({"cost": "-1"}, "cost", "greater than or equal to 0"),
        ({"stages": ["Teleport"]}, "stages", "Select a valid choice"),
    ],
    ids=["end-before-start", "no-name", "negative-cost", "unknown-stage"],
)
def test_bad_initiative_input_is_refused_and_nothing_is_written(
    plan, as_user, changes, field, message
):
    response = as_user("team").post(url("initiative_create", plan), form_data(plan, **changes))
    assert response.status_code == 422
    assert message in " ".join(response.context["form"].errors[field])
    assert not Initiative.objects.exists()


def test_a_channel_of_another_organization_is_refused(plan, as_user):
    services.plan_defaults_ensure(organization=plan.globex)
    foreign = plan.globex.channels.get(name="Website")
    response = as_user("team").post(
        url("initiative_create", plan), form_data(plan, channels=[foreign.pk])
    )
    assert response.status_code == 422
    assert "channels" in response.context["form"].errors
    assert not Initiative.objects.exists()


def test_an_effect_on_a_kpi_of_another_program_is_refused(plan, as_user):
    from kpis.services import goal_save, kpi_save

    foreign_cycle = plan.foreign_program.cycles.get()
    goal = goal_save(cycle=foreign_cycle, by=plan.user("outsider"), title="Theirs")
    theirs = kpi_save(
        goal=goal,
        by=plan.user("outsider"),
        name="Their KPI",
        unit="count",
        direction="higher",
        baseline=Decimal(1),
        baseline_date=foreign_cycle.starts_on,
        target=Decimal(2),
        target_date=foreign_cycle.ends_on,
    )
    initiative = make(plan, "Hero", D(2026, 12, 1), D(2026, 12, 31))
    response = as_user("team").post(
        url("effect_add", plan, initiative_pk=initiative.pk),
        {"kpi": theirs.pk, "direction": "up", "size": ""},
    )
    assert response.status_code == 422
    assert not ExpectedEffect.objects.exists()


@pytest.mark.parametrize("score", ["0", "11", "x"])
def test_a_pie_score_outside_1_to_10_is_refused(plan, as_user, score):
    initiative = make(plan, "Hero", D(2026, 12, 1), D(2026, 12, 31), status="idea")
    response = as_user("team").post(
        url("pie_score", plan, initiative_pk=initiative.pk),
        {"potential": score, "importance": "5", "ease": "5"},
    )
    assert response.status_code == 422
    assert not PieScore.objects.exists()


def test_pie_average_over_raters_orders_the_backlog(plan, as_user):
    low = make(plan, "Low", D(2026, 12, 1), None, status="idea")
    high = make(plan, "High", D(2026, 12, 1), None, status="idea")
    for who, scores in [("team", (9, 9, 9)), ("manager", (6, 6, 6))]:
        as_user(who).post(
            url("pie_score", plan, initiative_pk=high.pk),
            dict(zip(["potential", "importance", "ease"], scores, strict=True)),
        )
    as_user("team").post(
        url("pie_score", plan, initiative_pk=low.pk), {"potential": 2, "importance": 3, "ease": 4}
    )
    as_user("team").post(
        url("pie_score", plan, initiative_pk=low.pk), {"potential": 3, "importance": 3, "ease": 3}
    )  # re-rating replaces
    ordered = selectors.initiative_list(cycle=plan.program.cycles.get())
    assert [(i.name, round(i.pie_average, 1), i.pie_raters) for i in ordered] == [
        ("High", 7.5, 2),
        ("Low", 3.0, 1),
    ]
    body = as_user("executive").get(url("backlog", plan)).content.decode()
    assert body.index(">High<") < body.index(">Low<")


def test_executive_cannot_rate(plan, as_user):
    initiative = make(plan, "Hero", D(2026, 12, 1), None, status="idea")
    response = as_user("executive").post(
        url("pie_score", plan, initiative_pk=initiative.pk),
        {"potential": 5, "importance": 5, "ease": 5},
    )
    assert response.status_code == 403


def test_the_map_shows_collisions_and_accepting_one_keeps_it_visible(plan, as_user):
    a = make(plan, "Hero", D(2026, 12, 1), D(2026, 12, 20), [plan.website])
    b = make(plan, "Banner", D(2026, 12, 15), D(2027, 1, 10), [plan.website])
    make(plan, "Idea only", D(2026, 12, 1), None, [plan.website], status="idea")
    client = as_user("team")
    body = client.get(url("map", plan)).content.decode()
    assert body.count('data-testid="collision"') == 1
    assert "“Hero” and “Banner” both change Website 2026-12-15 to 2026-12-20" in body
    key = f"interference:{a.pk}-{b.pk}:Website"

    refused = client.post(
        url("collision_acknowledge", plan), {"key": key, "reason": ""}, follow=True
    )
    assert "Say why" in refused.content.decode()
    client.post(
        url("collision_acknowledge", plan), {"key": key, "reason": "A/B test keeps them apart"}
    )
    ack = CollisionAcknowledgement.objects.get()
    assert (ack.reason, ack.by.username) == ("A/B test keeps them apart", "tom")
    body = client.get(url("map", plan)).content.decode()
    assert (
        body.count('data-testid="collision"') == 1
        and "accepted" in body
        and "A/B test keeps them apart" in body
    )
    detail = client.get(url("initiative", plan, initiative_pk=b.pk)).content.decode()
    assert "A/B test keeps them apart" in detail


def test_program_home_counts_open_collisions(plan, as_user):
    make(plan, "Hero", D(2026, 12, 1), D(2026, 12, 20), [plan.website])
    make(plan, "Banner", D(2026, 12, 15), None, [plan.website])
    body = (
        as_user("executive")
        .get(reverse("cycles:program_home", kwargs={"pk": plan.program.pk}))
        .content.decode()
    )
    assert 'data-testid="collision-count">1 collision<' in body


def test_the_open_collision_count_is_what_the_map_shows_unaccepted(plan):
    """The count on the program home and dashboard reads plain values; it must find what
    the map finds: interference by channel and by stage, cross-purposes, overload."""
    cycle = plan.program.cycles.get()
    plan.acme.overload_limit = 2
    plan.acme.save()
    hero = make(plan, "Hero", D(2026, 12, 1), D(2026, 12, 20), [plan.website])
    make(plan, "Banner", D(2026, 12, 15), None, [plan.website], stages=["Consider"])
    mail = make(plan, "Mail", D(2026, 12, 10), D(2026, 12, 31), [plan.email], stages=["Consider"])
    make(plan, "Promo", D(2026, 12, 16), D(2026, 12, 18), [plan.website])
    make(plan, "Tips", D(2026, 12, 1), None, [plan.website], kind="software")
    make(plan, "Idea only", D(2026, 12, 1), None, [plan.website], status="idea")
    services.effect_add(
        initiative=hero, kpi=plan.kpi, direction="up", size="", by=plan.user("team")
    )
    services.effect_add(
        initiative=mail, kpi=plan.kpi, direction="down", size="", by=plan.user("team")
    )

    def shown_open():
        shown = selectors.collisions(
            cycle=cycle, initiatives=selectors.initiative_list(cycle=cycle)
        )
        return [s.collision for s in shown if s.acknowledgement is None]

    kinds = {c.kind for c in shown_open()}
    assert len(kinds) >= 3, kinds  # the plan above collides in several ways
    assert selectors.open_collision_count(cycle=cycle) == len(shown_open())

    first = shown_open()[0]
    services.collision_acknowledge(
        cycle=cycle, key=first.key, reason="Kept apart by an A/B split", by=plan.user("team")
    )
    assert selectors.open_collision_count(cycle=cycle) == len(shown_open())


def test_filters_stay_in_the_url_and_htmx_gets_the_map_body(plan, as_user):
    make(plan, "Hero", D(2026, 12, 1), D(2026, 12, 20), [plan.website])
    make(plan, "Mail", D(2026, 12, 1), D(2026, 12, 20), [plan.email])
    client = as_user("executive")
    response = client.get(
        url("map", plan),
        {"channel": plan.email.pk},
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="map-body",
    )
    body = response.content.decode()
    assert body.lstrip().startswith('<div id="map-body">')
    assert ">Mail<" in body and ">Hero<" not in body
    full = client.get(url("map", plan) + f"?channel={plan.email.pk}").content.decode()
    assert f'<option value="{plan.email.pk}" selected>' in full and ">Hero<" not in full


def test_plan_coverage_lists_uncovered_gaps_and_unmoved_kpis(plan, as_user):
    cycle = plan.program.cycles.get()
    coverage = selectors.plan_coverage(cycle=cycle)
    assert plan.gap in coverage.uncovered_gaps and plan.kpi in coverage.unmoved_kpis

    initiative = make(plan, "Hero", D(2026, 12, 1), None, [plan.website], gaps=[plan.gap])
    services.effect_add(
        initiative=initiative, kpi=plan.kpi, direction="up", size="", by=plan.user("team")
    )
    from assessments.services import gap_update

    for gap in cycle.gaps.exclude(pk=plan.gap.pk):
        gap_update(
            gap=gap,
            title=gap.title,
            priority=gap.priority,
            status="deferred",
            deferred_reason="Next cycle",
            by=plan.user("manager"),
        )
    coverage = selectors.plan_coverage(cycle=cycle)
    assert coverage.uncovered_gaps == [] and coverage.unmoved_kpis == []
    assert selectors.completeness(cycle=cycle).percent == 100


CSV_HEADER = (
    "name,objective,kind,owner_department,departments,channels,stages,starts_on,ends_on,cost,"
    "status\n"
)


def upload(client, world, text, name="plan.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return client.post(
        url("import_csv", world),
        {"file": SimpleUploadedFile(name, text.encode() if isinstance(text, str) else text)},
        follow=True,
    )


def test_csv_import_loads_all_rows(plan, as_user):
    body = CSV_HEADER + (
        "Hero,Show the right hero,main,Marketing,IT|Analytics,Website,Discover,"
        "2026-12-01,2026-12-31,5000,planned\n"
        "Newsletter,,communication,marketing,,E-mail,,2026-12-05,,0,idea\n"
    )
    response = upload(as_user("team"), plan, body)
    assert "2 initiatives imported." in response.content.decode()
    hero = Initiative.objects.get(name="Hero")
    assert sorted(d.name for d in hero.departments.all()) == ["Analytics", "IT"]
    assert Initiative.objects.get(name="Newsletter").ends_on is None


def test_csv_import_with_one_bad_row_writes_nothing_and_names_the_row(plan, as_user):
    rows = "".join(
        f"I{n},,main,Marketing,,Website,,2026-12-01,2026-12-31,10,planned\n" for n in range(20)
    )
    rows += "Broken,,main,Nowhere,,Website,,2026-13-01,2026-12-31,-5,planned\n"
    response = upload(as_user("team"), plan, CSV_HEADER + rows)
    body = (
        response.content.decode()
        .replace("&#x27;", "'")
        .replace("&ldquo;", "“")
        .replace("&rdquo;", "”")
    )
    assert "Nothing was imported" in body
    assert "line 22, owner_department: unknown: “Nowhere”" in body
    assert "line 22, starts_on: not a date" in body
    assert "line 22, cost: must be a positive number" in body
    assert not Initiative.objects.exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("", "The submitted file is empty."),
        ("title,when\nx,y\n", "no column name, owner_department, starts_on"),
        (CSV_HEADER, "header but no initiatives"),
        (
            "name,owner_department,starts_on\nCafé,Marketing,2026-12-01\n".encode("latin-1"),
            "not UTF-8",
        ),
    ],
    ids=["empty", "wrong-headers", "no-rows", "wrong-encoding"],
)
def test_bad_csv_files_get_clear_messages(plan, as_user, content, message):
    response = upload(as_user("team"), plan, content)
    assert message in response.content.decode()
    assert not Initiative.objects.exists()


def test_csv_export_round_trips_through_import(plan, as_user):
    make(plan, "Hero", D(2026, 12, 1), D(2026, 12, 31), [plan.website], stages=["Discover"])
    exported = as_user("team").get(url("export_csv", plan)).content.decode("utf-8-sig")
    assert exported.splitlines()[1].startswith(
        "Hero,,main,Marketing,,Website,Discover,2026-12-01,2026-12-31"
    )
    Initiative.objects.all().delete()
    upload(as_user("team"), plan, exported)
    assert Initiative.objects.get().stages == ["Discover"]


def test_in_flight_initiatives_show_on_question_one(plan, as_user):
    cycle = plan.program.cycles.get()
    make(
        plan,
        "Old migration",
        cycle.starts_on - datetime.timedelta(days=30),
        None,
        status="in_progress",
    )
    make(plan, "New thing", cycle.starts_on, None, status="in_progress")
    client = as_user("executive")
    page = client.get(reverse("assessments:summary", kwargs={"pk": plan.program.pk}))
    # Question 1's page loads the card from initiatives/ (hx-get, with a link without JS).
    slot = re.search(r'hx-get="([^"]+)"[^>]*data-testid="in-flight-slot"', page.content.decode())
    section = client.get(html.unescape(slot.group(1))).content.decode()
    assert 'data-testid="in-flight"' in section
    assert "Old migration" in section and "New thing" not in section


def test_map_queries_do_not_grow_with_200_initiatives(plan, as_user):
    client = as_user("executive")
    make(plan, "First", D(2026, 12, 1), D(2026, 12, 10), [plan.website])
    client.get(url("map", plan))
    with CaptureQueriesContext(connection) as few:
        client.get(url("map", plan))
    cycle = plan.program.cycles.get()
    channels = list(plan.acme.channels.all())
    for n in range(199):
        start = D(2026, 1, 1) + datetime.timedelta(days=n * 3)
        initiative = Initiative.objects.create(
            cycle=cycle,
            name=f"Initiative {n}",
            owner_department=plan.marketing,
            starts_on=start,
            ends_on=start + datetime.timedelta(days=20),
            status="planned",
        )
        initiative.channels.set([channels[n % len(channels)]])
        ExpectedEffect.objects.create(
            initiative=initiative, kpi=plan.kpi, direction="up" if n % 2 else "down"
        )
    with CaptureQueriesContext(connection) as many:
        response = client.get(url("map", plan))
    assert response.status_code == 200
    assert 'data-testid="collision"' in response.content.decode()
    assert len(many) == len(few) <= 20


def test_admin_sets_the_overload_limit_and_bad_values_are_refused(plan, as_user):
    url_ = reverse("initiatives:settings", kwargs={"org": "acme"})
    assert (
        as_user("admin").post(url_, {"action": "limit", "overload_limit": "3"}).status_code == 302
    )
    plan.acme.refresh_from_db()
    assert plan.acme.overload_limit == 3
    response = as_user("admin").post(url_, {"action": "limit", "overload_limit": "0"})
    assert response.status_code == 422
    plan.acme.refresh_from_db()
    assert plan.acme.overload_limit == 3


def test_admin_adds_a_channel_and_cannot_remove_one_in_use(plan, as_user):
    url_ = reverse("initiatives:settings", kwargs={"org": "acme"})
    as_user("admin").post(url_, {"action": "add", "kind": "channel", "name": "Kiosk"})
    assert plan.acme.channels.filter(name="Kiosk").exists()
    make(plan, "Hero", D(2026, 12, 1), None, [plan.website])
    delete = reverse(
        "initiatives:vocabulary_delete",
        kwargs={"org": "acme", "kind": "channel", "item_pk": plan.website.pk},
    )
    body = as_user("admin").post(delete, follow=True).content.decode()
    assert "is used by initiatives" in body.replace("&ldquo;", "“").replace("&rdquo;", "”")
    assert plan.acme.channels.filter(pk=plan.website.pk).exists()
