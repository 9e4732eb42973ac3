"""Names people type are text in every chart, never Plotly markup (issue 17, item 6).

Plotly draws `<a href>`, `<b>`, `<span style>`… inside the texts of a figure; each chart
module escapes the people's parts, and Plotly shows the entities as the typed characters
(the browser test at the end checks that in Chromium). The chart code's own
markup (`<br>`, `<extra>`) stays markup."""

import datetime
import html
import json
import re
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from assessments import services as assessment_services
from assessments.charts import maturity_radar
from assessments.selectors import RadarData
from blueprints import charts as blueprint_charts
from blueprints import services as blueprint_services
from blueprints.tasks import run_batch
from cycles import charts as program_charts
from cycles.selectors import Comparison, CycleColumn
from initiatives import services as initiative_services
from kpis.services import kpi_save
from programs import plotly_text
from progress import charts as kpi_charts
from progress.pace import Plan, Point, progress
from progress.snapshots import progress_refresh
from segments import charts
from segments.services import attribute_save
from tests.browser.test_initiative_map import add_initiative
from tests.browser.test_program_flow import log_in

pytestmark = pytest.mark.django_db

HOSTILE = '<a href="https://evil.example" target="_self">x</a>'
ESCAPED = "&lt;a href=&#34;https://evil.example&#34; target=&#34;_self&#34;&gt;x&lt;/a&gt;"
CODE_MARKUP = {"<br>", "<extra>", "</extra>"}  # what the chart modules write themselves


def strings(value) -> list[str]:
    """Every text Plotly draws. A figure's "numbers" (its table for people who cannot see
    the chart, programs/chart_numbers.py) are not Plotly's: the page's template writes them
    as escaped HTML, which test_the_numbers_table_shows_a_hostile_name_as_text checks."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() if k != "numbers" for s in strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings(v)]
    return []


def assert_plain(figure: dict, *, shows: str = ESCAPED) -> None:
    """No text of the figure holds markup but the chart code's, and the hostile name is
    in it, escaped."""
    texts = strings(figure)
    tags = {tag for text in texts for tag in re.findall(r"<[^>]*>", text)}
    assert tags <= CODE_MARKUP, tags
    assert any(shows in text for text in texts), texts


def page_figure(response, element_id: str) -> dict:
    """The figure a page hands its chart script, as json_script wrote it."""
    body = response.content.decode()
    match = re.search(rf'<script id="{element_id}" type="application/json">(.*?)</script>', body)
    assert match, f"no {element_id} on the page"
    return json.loads(match[1])


def test_the_helper_escapes_what_plotly_reads_as_markup_and_nothing_else():
    assert plotly_text.escape(HOSTILE) == ESCAPED
    assert plotly_text.escape("Strategy & vision") == "Strategy &amp; vision"
    assert plotly_text.escape("O'Brien's \"best\"") == "O&#39;Brien&#39;s &#34;best&#34;"
    assert plotly_text.escape("Conversion rate") == "Conversion rate"
    # Plotly's entity decoder knows &amp; &lt; &gt; and numeric references: these give the
    # typed text back, character for character.
    assert html.unescape(plotly_text.escape(HOSTILE)) == HOSTILE


# --- kpis/charts.py ---------------------------------------------------------------------


def test_kpi_names_on_the_dashboard_chart_are_text(world, as_user):
    kpi_save(
        goal=world.goal,
        kpi=world.kpi,
        by=world.user("manager"),
        name=HOSTILE,
        unit="percent",
        direction="higher",
        baseline=Decimal("2.0"),
        baseline_date=world.kpi.baseline_date,
        target=Decimal("2.4"),
        target_date=world.kpi.target_date,
    )
    progress_refresh(cycle=world.program.cycles.get())
    response = as_user("executive").get(
        reverse("progress:dashboard_chart", kwargs={"pk": world.program.pk})
    )
    figure = page_figure(response, "progress-figure")
    assert_plain(figure)
    assert figure["data"][0]["y"] == [ESCAPED]
    assert figure["data"][0]["hovertemplate"].startswith("%{y}: ")  # the code's markup kept
    assert "<extra></extra>" in figure["data"][0]["hovertemplate"]


def test_the_numbers_table_shows_a_hostile_name_as_text(world, as_user):
    """The chart's table and its role="img" label hold the typed name, escaped as HTML."""
    kpi_save(
        goal=world.goal,
        kpi=world.kpi,
        by=world.user("manager"),
        name=HOSTILE,
        unit="percent",
        direction="higher",
        baseline=Decimal("2.0"),
        baseline_date=world.kpi.baseline_date,
        target=Decimal("2.4"),
        target_date=world.kpi.target_date,
    )
    progress_refresh(cycle=world.program.cycles.get())
    response = as_user("executive").get(
        reverse("progress:dashboard_chart", kwargs={"pk": world.program.pk})
    )
    body = response.content.decode()
    assert HOSTILE not in body
    assert f'<th scope="row" class="fw-normal">{html.escape(HOSTILE)}</th>' in body
    label = "Bar chart of each KPI&#x27;s way from baseline to target: "
    assert f'aria-label="{label}{html.escape(HOSTILE)}' in body
    assert page_figure(response, "progress-figure")["numbers"]["rows"][0][0] == HOSTILE


def test_a_driver_change_on_the_kpi_chart_is_text(world):
    change = assessment_services.driver_change_add(
        driver=world.driver,
        changed_on=world.kpi.baseline_date,
        kind="tool_switch",
        description='<a href="//evil.example">x</a> and more',  # cut at 40 characters
        by=world.user("manager"),
    )
    plan = Plan("higher", 2.0, world.kpi.baseline_date, 2.4, world.kpi.target_date)
    series = [Point(world.kpi.baseline_date + datetime.timedelta(days=d), 2.1) for d in range(3)]
    today = world.kpi.baseline_date + datetime.timedelta(days=3)
    # As the KPI chart view labels a change.
    text = f"{change.get_kind_display()}: {change.description[:40]}"
    figure = kpi_charts.kpi_progress(
        series=series,
        plan=plan,
        result=progress(plan, series, today),
        changes=[(change.changed_on, text)],
        today=today,
    )
    assert_plain(figure, shows="Tool switch: &lt;a href=&#34;//evil.example&#34;&gt;x&lt;/a&gt;")


def test_cluster_names_on_the_cluster_map_are_text():
    clusters = [
        {"index": 0, "number": 1, "name": HOSTILE},
        {"index": 1, "number": 2, "name": "spend < 50 %{x}"},
    ]
    chart = {"x": [0.1, 0.2], "y": [0.3, 0.4], "cluster": [0, 1], "centres": [[0, 0], [1, 1]]}
    figure = charts.cluster_map(chart, clusters)
    assert_plain(figure, shows=f"1. {ESCAPED}")
    centre = figure["data"][3]
    # A name is data for the hover label, not part of its template: "%{x}" stays as typed.
    assert centre["customdata"] == ["2. spend &lt; 50 %{x}"]
    assert centre["hovertemplate"] == "%{customdata}<extra></extra>"


# --- assessments/charts.py and programs/charts.py ---------------------------------------


@pytest.fixture
def hostile_dimension(world, as_user):
    """The admin renames a dimension on its page; the manager scores it."""
    dimension = world.dimension
    response = as_user("admin").post(
        reverse("assessments:dimension_edit", kwargs={"org": "acme", "dimension_pk": dimension.pk}),
        {"name": HOSTILE, "rubric_low": "Silos", "rubric_high": "One view"},
    )
    assert response.status_code == 302
    response = as_user("manager").post(
        reverse(
            "assessments:answer_save",
            kwargs={"pk": world.program.pk, "dimension_pk": dimension.pk},
        ),
        {"score": "3", "evidence": "", "opportunity": ""},
    )
    assert response.status_code in (200, 302)
    dimension.refresh_from_db()
    assert dimension.name == HOSTILE
    return dimension


def test_dimension_names_on_the_maturity_radar_are_text(world, as_user, hostile_dimension):
    response = as_user("executive").get(
        reverse("assessments:summary", kwargs={"pk": world.program.pk})
    )
    figure = page_figure(response, "radar-figure")
    assert_plain(figure)
    # "Design & content", a default dimension, is drawn as typed too (the label around the
    # radar wrapped on two lines, the hover text whole).
    assert "Design &amp;<br>content" in figure["data"][-1]["theta"]
    assert "Design &amp; content" in figure["data"][-1]["text"]


def test_dimension_names_on_the_cycle_comparison_are_text(world, as_user, hostile_dimension):
    response = as_user("executive").get(
        reverse("cycles:cycle_compare", kwargs={"pk": world.program.pk})
    )
    assert_plain(page_figure(response, "radar-figure"))


def test_the_radar_functions_escape_every_dimension():
    data = RadarData(
        dimensions=[HOSTILE, "Data"],
        current=[3, 4],
        previous=[2, 2],
        cycle_number=2,
        previous_number=1,
    )
    figure = maturity_radar(data)
    assert_plain(figure)
    assert figure["data"][1]["text"] == [ESCAPED, "Data", ESCAPED]
    assert [t.replace("<br>", " ") for t in figure["data"][1]["theta"]] == figure["data"][1]["text"]
    comparison = Comparison(
        cycles=[],
        columns=[
            CycleColumn(
                cycle=SimpleNamespace(number=1), kpis=[], outcomes={}, maturity={HOSTILE: 3}
            )
        ],
        dimensions=[HOSTILE],
    )
    figure = program_charts.maturity_by_cycle(comparison=comparison)
    assert_plain(figure)
    assert figure["data"][0]["r"] == [3, 3]  # looked up by the name as typed


# --- initiatives/charts.py --------------------------------------------------------------


def test_initiative_names_on_the_timeline_are_text(world, as_user):
    initiative_services.plan_defaults_ensure(organization=world.acme)
    cycle = world.program.cycles.get()
    marketing = world.acme.departments.get(name="Marketing")
    response = as_user("team").post(
        reverse("initiatives:initiative_create", kwargs={"pk": world.program.pk}),
        {
            "name": HOSTILE,
            "objective": "",
            "kind": "main",
            "status": "planned",
            "owner_department": marketing.pk,
            "starts_on": cycle.starts_on.isoformat(),
            "ends_on": cycle.ends_on.isoformat(),
            "cost": "0",
        },
    )
    assert response.status_code == 302
    response = as_user("executive").get(reverse("initiatives:map", kwargs={"pk": world.program.pk}))
    figure = page_figure(response, "timeline-figure")
    assert_plain(figure)
    assert figure["data"][0]["y"] == [ESCAPED]
    assert figure["layout"]["yaxis"]["categoryarray"] == [ESCAPED]
    assert figure["data"][0]["hovertemplate"].startswith("%{y}<br>")  # the code's line break


# --- blueprints/charts.py ---------------------------------------------------------------


@pytest.fixture
def hostile_offer(world):
    team = world.user("team")
    blueprint = blueprint_services.blueprint_create(
        cycle=world.program.cycles.get(), name="Web shop", by=team
    )
    stage = blueprint_services.stage_rename(stage=blueprint.stages.all()[2], name=HOSTILE, by=team)
    offer = blueprint_services.offer_save(
        stage=stage,
        by=team,
        name=HOSTILE,
        kind="recommendation",
        propensity=Decimal("0.02"),
        value=Decimal(40),
    )
    return SimpleNamespace(blueprint=blueprint, offer=offer)


def test_offer_and_stage_names_on_the_expected_value_chart_are_text(world, as_user, hostile_offer):
    response = as_user("executive").get(
        reverse(
            "blueprints:blueprint",
            kwargs={"pk": world.program.pk, "blueprint_pk": hostile_offer.blueprint.pk},
        )
    )
    figure = page_figure(response, "value-figure")
    assert_plain(figure)
    bars = next(trace for trace in figure["data"] if trace["x"])
    assert (bars["name"], bars["x"]) == (ESCAPED, [ESCAPED])


def test_offer_names_on_the_batch_wins_chart_are_text(world, as_user, hostile_offer):
    attribute_save(
        organization=world.acme,
        key="visitor_type",
        label="Visitor type",
        type="category",
        allowed_values=["new", "returning"],
    )
    batch = blueprint_services.batch_create(
        blueprint=hostile_offer.blueprint,
        file_name="people.csv",
        data=b"visitor_type\nnew\nreturning\n",
        by=world.user("team"),
    )
    run_batch(batch_id=batch.pk)
    response = as_user("executive").get(
        reverse(
            "blueprints:batch",
            kwargs={
                "pk": world.program.pk,
                "blueprint_pk": hostile_offer.blueprint.pk,
                "batch_pk": batch.pk,
            },
        )
    )
    figure = page_figure(response, "wins-figure")
    assert_plain(figure)
    assert figure["data"][0]["y"] == [ESCAPED]


def test_the_blueprint_chart_functions_escape_every_name():
    structure = [
        SimpleNamespace(
            stage=SimpleNamespace(name=HOSTILE),
            offers=[SimpleNamespace(offer=SimpleNamespace(name=HOSTILE), expected_value=0.8)],
        )
    ]
    assert_plain(blueprint_charts.expected_value(structure))
    assert_plain(blueprint_charts.wins({HOSTILE: 3, "Bestsellers": 1}))


# --- In the browser ---------------------------------------------------------------------


def no_link_and_the_typed_text(chart, typed: str) -> None:
    expect(chart.locator(".main-svg").first).to_be_visible()
    expect(chart).to_contain_text(typed)  # the literal text, entities decoded by Plotly
    expect(chart.locator("a")).to_have_count(0)


def hover_first_bar(chart) -> None:
    """Plotly's own hover on the first bar, as the pointer would call it (a KPI with no
    results yet has a bar of no width to point at)."""
    chart.evaluate("el => Plotly.Fx.hover(el, [{curveNumber: 0, pointNumber: 0}])")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("tasks_run_here")  # the refresh the dashboard queues, done here
def test_hostile_kpi_and_initiative_names_are_drawn_as_text_not_links(live_server, page, world):
    """The manager names a KPI and an initiative with a link on their forms; the executive's
    dashboard and the initiative map draw the names as typed, with no <a> in the charts
    and none in their hover labels."""
    base, pk = live_server.url, world.program.pk
    initiative = '<a href="https://evil.example" target="_self">plan</a>'
    log_in(page, base, "mia")
    page.goto(f"{base}/programs/{pk}/where-are-we-going/kpis/{world.kpi.pk}/edit/")
    form = page.get_by_test_id("kpi-form")
    form.get_by_label("Name").fill(HOSTILE)
    form.get_by_role("button", name="Save KPI").click()
    expect(page.get_by_text("KPI saved")).to_be_visible()
    cycle = world.program.cycles.get()
    add_initiative(
        page, base, pk, initiative, cycle.starts_on.isoformat(), cycle.ends_on.isoformat()
    )
    page.context.clear_cookies()

    log_in(page, base, "eve")
    page.goto(f"{base}/programs/{pk}/dashboard/")
    chart = page.get_by_test_id("progress-chart")
    no_link_and_the_typed_text(chart, HOSTILE)
    hover_first_bar(chart)
    hover = chart.locator(".hoverlayer")
    expect(hover).to_contain_text(HOSTILE)
    expect(hover.locator("a")).to_have_count(0)

    page.goto(f"{base}/programs/{pk}/how-do-we-get-there/map/")
    timeline = page.get_by_test_id("timeline")
    no_link_and_the_typed_text(timeline, initiative)
    hover_first_bar(timeline)
    expect(timeline.locator(".hoverlayer")).to_contain_text(initiative)
    expect(timeline.locator(".hoverlayer a")).to_have_count(0)
