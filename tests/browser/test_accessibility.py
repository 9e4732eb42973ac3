"""Every main page passes axe-core's WCAG 2.0/2.1 A and AA rules, and works from the keyboard.

axe-core (bundled by axe-playwright-python) runs in the page once its htmx fragments and
charts are drawn; a failure lists each page's rule ids with the elements that break them.
The keyboard tests follow a person who cannot use a mouse: the skip link is the first stop
and shows above the navbar, the active menu item shows where the focus is, an autosave's
"Saved" and the simulator's decisions are read out by a screen reader (live regions), and
each chart's numbers are there as a table.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import expect

from cycles.wheel import QUESTIONS
from programs.models import Program
from tests.browser.test_program_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WCAG_AA = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def main_pages(program: Program) -> dict[str, str]:
    """The pages a person reads and edits the program on, with the demo's own objects."""
    org = program.organization.slug
    pk = program.pk
    cycle = program.cycles.get(closed_at__isnull=True)
    kpi = cycle.goals.first().kpis.order_by("name").first()
    blueprint = cycle.blueprints.first()
    pages = {
        "program list": reverse("programs:program_list", kwargs={"org": org}),
        "program home": reverse("cycles:program_home", kwargs={"pk": pk}),
    }
    for question in QUESTIONS:
        pages[f"question {question.number}"] = reverse(
            "cycles:question", kwargs={"pk": pk, "phase": question.phase.value}
        )
    pages |= {
        "where are we": reverse("assessments:summary", kwargs={"pk": pk}),
        "assessment": reverse("assessments:assessment", kwargs={"pk": pk}),
        "drivers": reverse("assessments:drivers", kwargs={"pk": pk}),
        "gaps": reverse("assessments:gaps", kwargs={"pk": pk}),
        "goals": reverse("kpis:summary", kwargs={"pk": pk}),
        "KPI detail": reverse("kpis:kpi", kwargs={"pk": pk, "kpi_pk": kpi.pk}),
        "ROI": reverse("kpis:roi", kwargs={"pk": pk}),
        "strategic questions": reverse("kpis:questions", kwargs={"pk": pk}),
        "initiative map": reverse("initiatives:map", kwargs={"pk": pk}),
        "backlog": reverse("initiatives:backlog", kwargs={"pk": pk}),
        "blueprint": reverse(
            "blueprints:blueprint", kwargs={"pk": pk, "blueprint_pk": blueprint.pk}
        ),
        "simulator": reverse(
            "blueprints:simulator", kwargs={"pk": pk, "blueprint_pk": blueprint.pk}
        ),
        "sources": reverse("results:sources", kwargs={"pk": pk}),
        "measurements": reverse("results:measurements", kwargs={"pk": pk, "kpi_pk": kpi.pk}),
        "segments": reverse("segments:segments", kwargs={"org": org}),
        "discovery": reverse("segments:discovery", kwargs={"org": org}),
        "dashboard": reverse("progress:dashboard", kwargs={"pk": pk}),
        "portfolio": reverse("progress:portfolio", kwargs={"org": org}),
        "review": reverse("cycles:review", kwargs={"pk": pk}),
        "history": reverse("cycles:cycle_history", kwargs={"pk": pk}),
        "comparison": reverse("cycles:cycle_compare", kwargs={"pk": pk}),
        "members": reverse("programs:member_list", kwargs={"org": org}),
        "notifications": reverse("progress:notifications", kwargs={"org": org}),
    }
    # Pages one level down, each with a chart or a table of its own.
    from blueprints.models import PropensityRun
    from segments.models import ClusterRun

    run = ClusterRun.objects.filter(table__organization=program.organization).first()
    trained = PropensityRun.objects.filter(blueprint=blueprint).first()
    pages |= {
        "blueprints": reverse("blueprints:list", kwargs={"pk": pk}),
        "initiative": reverse(
            "initiatives:initiative",
            kwargs={"pk": pk, "initiative_pk": cycle.initiatives.first().pk},
        ),
        "driver": reverse(
            "assessments:driver", kwargs={"pk": pk, "driver_pk": program.drivers.first().pk}
        ),
        "source": reverse(
            "results:source", kwargs={"pk": pk, "source_pk": program.sources.first().pk}
        ),
        "segment": reverse(
            "segments:segment",
            kwargs={"org": org, "segment_pk": program.organization.segments.first().pk},
        ),
        "customer table": reverse(
            "segments:customer_table", kwargs={"org": org, "table_pk": run.table.pk}
        ),
        "cluster run": reverse("segments:cluster_run", kwargs={"org": org, "run_pk": run.pk}),
        "propensity": reverse(
            "blueprints:propensity", kwargs={"pk": pk, "blueprint_pk": blueprint.pk}
        ),
        "propensity run": reverse(
            "blueprints:propensity_run",
            kwargs={"pk": pk, "blueprint_pk": blueprint.pk, "version": trained.version},
        ),
    }
    return pages


def open_drawn(page, url: str) -> None:
    """Open a page and wait until its htmx fragments are in and every chart is drawn."""
    response = page.goto(url)
    assert response.status == 200, (url, response.status)
    page.wait_for_load_state("networkidle")
    page.wait_for_function(
        "() => [...document.querySelectorAll('[data-plotly]')]"
        ".every(el => el.querySelector('.main-svg'))"
    )


def violations(page) -> list[str]:
    """axe's WCAG 2.0/2.1 A and AA violations on the page: rule, its help, the elements."""
    found = Axe().run(page, options=WCAG_AA).response["violations"]
    return [
        f"{v['id']} ({v['help']}): " + ", ".join(" ".join(n["target"]) for n in v["nodes"])
        for v in found
    ]


def listing(report: dict[str, list[str]]) -> str:
    return "\n".join(f"{name}:\n  " + "\n  ".join(found) for name, found in report.items())


def test_every_main_page_passes_axe_wcag_a_and_aa(live_server, page, demo):
    log_in(page, live_server.url, "admin")
    report = {}
    for name, path in main_pages(demo).items():
        open_drawn(page, f"{live_server.url}{path}")
        found = violations(page)
        if found:
            report[f"{name} ({path})"] = found
    assert not report, listing(report)


def test_every_main_page_passes_axe_at_phone_width(live_server, page, demo):
    """At 390 px the navbar folds into its toggler and wide tables scroll in their own
    boxes, which the keyboard must reach (fourfold.js makes them focusable regions)."""
    page.set_viewport_size({"width": 390, "height": 844})
    log_in(page, live_server.url, "admin")
    report = {}
    for name, path in main_pages(demo).items():
        open_drawn(page, f"{live_server.url}{path}")
        found = violations(page)
        if found:
            report[name] = found
    assert not report, listing(report)


def test_the_first_tab_shows_the_skip_link_above_the_navbar(live_server, page, demo):
    log_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/programs/{demo.pk}/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box["width"] > 20 and box["height"] > 10, box
    # Nothing (the navbar) is painted over it: the point at its centre is the link itself.
    on_top = page.evaluate(
        "([x, y]) => document.elementFromPoint(x, y).closest('a')?.textContent.trim()",
        [box["x"] + box["width"] / 2, box["y"] + box["height"] / 2],
    )
    assert on_top == "Skip to content"
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{live_server.url}/programs/{demo.pk}/#main")


def test_the_active_menu_item_shows_where_the_focus_is(live_server, page, demo):
    log_in(page, live_server.url, "admin")
    page.goto(f"{live_server.url}/o/demo/portfolio/")
    active = page.get_by_test_id("nav-portfolio")
    expect(active).to_have_attribute("aria-current", "page")
    for _ in range(20):  # from the top, as a keyboard user gets there
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement.dataset.testid") == "nav-portfolio":
            break
    expect(active).to_be_focused()
    outline = active.evaluate(
        "el => { const s = getComputedStyle(el);"
        " return [s.outlineStyle, s.outlineWidth, s.outlineColor]; }"
    )
    assert outline[0] != "none" and float(outline[1].rstrip("px")) >= 2, outline
    assert outline[2] == "rgb(255, 255, 255)", outline  # white on the dark navbar


def test_autosave_says_saved_to_screen_readers(live_server, page, demo):
    log_in(page, live_server.url, "manager")
    page.goto(f"{live_server.url}{reverse('assessments:assessment', kwargs={'pk': demo.pk})}")
    form = page.get_by_test_id("dimension-form").first
    form.get_by_label("Evidence").fill("Quarterly reviews, written down since spring.")
    expect(form.get_by_text("Saved")).to_be_visible()
    announced = page.locator("[aria-live=polite]", has_text="Saved")
    expect(announced).to_have_count(1)
    expect(announced).to_contain_text("last change")


def test_the_simulators_decisions_are_announced(live_server, page, demo):
    log_in(page, live_server.url, "manager")
    blueprint = demo.cycles.get(closed_at__isnull=True).blueprints.first()
    page.goto(
        f"{live_server.url}"
        + reverse("blueprints:simulator", kwargs={"pk": demo.pk, "blueprint_pk": blueprint.pk})
    )
    page.get_by_label("Start from a segment").select_option(index=1)
    chosen = page.get_by_test_id("stage-decision").first.get_by_test_id("chosen")
    expect(chosen).to_be_visible()
    first_stage = blueprint.stages.order_by("position").first().name
    announced = page.locator("#ff-announce")
    expect(announced).to_have_attribute("aria-live", "polite")
    expect(announced).to_contain_text(f"{first_stage}: {chosen.inner_text()}.")


def test_each_chart_has_its_numbers_as_a_table(live_server, page, demo):
    log_in(page, live_server.url, "manager")
    cycle = demo.cycles.get(closed_at__isnull=True)

    # The radar: every dimension's score, as the assessment recorded it.
    open_drawn(page, f"{live_server.url}{reverse('assessments:summary', kwargs={'pk': demo.pk})}")
    radar = page.get_by_test_id("radar")
    page.get_by_text("Show the numbers").click()
    numbers = page.get_by_test_id("chart-numbers")
    for score in cycle.assessment.scores.select_related("dimension").exclude(score=None):
        row = numbers.get_by_role("row", name=score.dimension.name, exact=False).first
        expect(row).to_contain_text(str(score.score))
        expect(radar).to_have_attribute(
            "aria-label", re.compile(re.escape(f"{score.dimension.name} {score.score} of 5"))
        )

    # The dashboard: each KPI with the status its card shows.
    open_drawn(page, f"{live_server.url}{reverse('progress:dashboard', kwargs={'pk': demo.pk})}")
    page.get_by_text("Show the numbers").click()
    numbers = page.get_by_test_id("chart-numbers")
    for card in page.get_by_test_id("kpi-card").all():
        name = card.locator(".fw-semibold").inner_text()
        status = card.locator(".ff-status-badge").inner_text()
        expect(numbers.get_by_role("row").filter(has_text=name)).to_contain_text(status)

    # The comparison: each KPI's actual per cycle, as its table says.
    compare = reverse("cycles:cycle_compare", kwargs={"pk": demo.pk})
    open_drawn(page, f"{live_server.url}{compare}")
    charts = page.get_by_test_id("compare-kpi")
    expect(charts.first).to_have_attribute("aria-label", re.compile(r"Cycle \d+ actual "))
    tables = page.get_by_test_id("chart-numbers")
    expect(tables).to_have_count(charts.count() + 1)  # one per KPI, and the radar's
    tables.nth(1).locator("summary").click()
    expect(tables.nth(1).get_by_role("columnheader")).to_have_text(
        ["Cycle", "Baseline", "Target", "Actual"]
    )
    expect(tables.nth(1).get_by_role("row").nth(1)).to_contain_text(re.compile(r"Cycle \d+"))
