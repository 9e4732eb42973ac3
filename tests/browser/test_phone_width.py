"""Every main page fits a phone: at 390 x 844 no page scrolls sideways.

Wide content (tables, the blueprint board, charts) scrolls inside its own box; the page
itself stays as wide as the screen. One test per role, each walking every main page of the
rich demo program, so a page that grows too wide is named with the element that sticks out.
"""

from dataclasses import dataclass

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from cycles.wheel import QUESTIONS
from programs.models import Program
from tests.browser.test_program_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class MainPage:
    name: str
    path: str
    status: int = 200


def main_pages(program: Program) -> list[MainPage]:
    """The pages a person reads the program on, with the demo's own objects."""
    org = program.organization.slug
    pk = program.pk
    cycle = program.cycles.get(closed_at__isnull=True)
    kpi = cycle.goals.first().kpis.order_by("name").first()
    blueprint = cycle.blueprints.first()
    source = program.sources.first()
    initiative = cycle.initiatives.first()
    driver = program.drivers.first()
    segment = program.organization.segments.order_by("name").first()
    pages = [
        MainPage("program list", reverse("programs:program_list", kwargs={"org": org})),
        MainPage("program home", reverse("cycles:program_home", kwargs={"pk": pk})),
    ]
    for question in QUESTIONS:
        pages.append(
            MainPage(
                f"question {question.number}",
                reverse("cycles:question", kwargs={"pk": pk, "phase": question.phase.value}),
            )
        )
    pages += [
        MainPage("where are we", reverse("assessments:summary", kwargs={"pk": pk})),
        MainPage("assessment", reverse("assessments:assessment", kwargs={"pk": pk})),
        MainPage("drivers", reverse("assessments:drivers", kwargs={"pk": pk})),
        MainPage("gaps", reverse("assessments:gaps", kwargs={"pk": pk})),
        MainPage("goals", reverse("kpis:summary", kwargs={"pk": pk})),
        MainPage("KPI detail", reverse("kpis:kpi", kwargs={"pk": pk, "kpi_pk": kpi.pk})),
        MainPage("ROI", reverse("kpis:roi", kwargs={"pk": pk})),
        MainPage("strategic questions", reverse("kpis:questions", kwargs={"pk": pk})),
        MainPage("initiative map", reverse("initiatives:map", kwargs={"pk": pk})),
        MainPage("backlog", reverse("initiatives:backlog", kwargs={"pk": pk})),
        MainPage(
            "initiative",
            reverse("initiatives:initiative", kwargs={"pk": pk, "initiative_pk": initiative.pk}),
        ),
        MainPage("blueprints", reverse("blueprints:list", kwargs={"pk": pk})),
        MainPage(
            "blueprint",
            reverse("blueprints:blueprint", kwargs={"pk": pk, "blueprint_pk": blueprint.pk}),
        ),
        MainPage(
            "simulator",
            reverse("blueprints:simulator", kwargs={"pk": pk, "blueprint_pk": blueprint.pk}),
        ),
        MainPage("sources", reverse("results:sources", kwargs={"pk": pk})),
        MainPage("source", reverse("results:source", kwargs={"pk": pk, "source_pk": source.pk})),
        MainPage(
            "measurements", reverse("results:measurements", kwargs={"pk": pk, "kpi_pk": kpi.pk})
        ),
        MainPage("segments", reverse("segments:segments", kwargs={"org": org})),
        MainPage(
            "segment", reverse("segments:segment", kwargs={"org": org, "segment_pk": segment.pk})
        ),
        MainPage("discovery", reverse("segments:discovery", kwargs={"org": org})),
        MainPage("dashboard", reverse("progress:dashboard", kwargs={"pk": pk})),
        MainPage("portfolio", reverse("progress:portfolio", kwargs={"org": org})),
        MainPage("review", reverse("cycles:review", kwargs={"pk": pk})),
        MainPage("history", reverse("cycles:cycle_history", kwargs={"pk": pk})),
        MainPage("comparison", reverse("cycles:cycle_compare", kwargs={"pk": pk})),
        MainPage("notifications", reverse("progress:notifications", kwargs={"org": org})),
        MainPage(
            "driver", reverse("assessments:driver", kwargs={"pk": pk, "driver_pk": driver.pk})
        ),
        MainPage("404", "/programs/999999/", status=404),
    ]
    return pages


# The element that sticks out furthest past the right edge of the screen. An element inside
# a box that scrolls or clips does not widen the page, unless it is positioned absolutely
# against something outside that box (a visually hidden label in a scrolling board does):
# so walk up the chain of containing blocks, not of parents.
WIDEST_OFFENDER = """() => {
  const width = window.innerWidth;
  const clips = (el) =>
    ["auto", "scroll", "hidden", "clip"].includes(getComputedStyle(el).overflowX);
  const containingBlock = (el) => {
    const position = getComputedStyle(el).position;
    if (position === "fixed") return null;
    let p = el.parentElement;
    if (position === "absolute") {
      while (p && p !== document.body && getComputedStyle(p).position === "static"
             && getComputedStyle(p).transform === "none") p = p.parentElement;
    }
    return p && p !== document.body && p !== document.documentElement ? p : null;
  };
  const widensPage = (el) => {
    if (getComputedStyle(el).position === "fixed") return false;
    for (let cb = containingBlock(el); cb; cb = containingBlock(cb)) {
      if (clips(cb)) return false;
    }
    return true;
  };
  let worst = null;
  for (const el of document.querySelectorAll("body *")) {
    const box = el.getBoundingClientRect();
    if (box.width === 0 || box.right <= width + 1 || !widensPage(el)) continue;
    if (!worst || box.right > worst.right + 0.5) {
      const id = el.id ? "#" + el.id : "";
      const cls = el.classList.length ? "." + [...el.classList].join(".") : "";
      const testid = el.dataset.testid ? `[data-testid=${el.dataset.testid}]` : "";
      const text = (el.innerText || "").trim().replace(/\\s+/g, " ").slice(0, 40);
      worst = {right: box.right, what: `<${el.tagName.toLowerCase()}${id}${cls}${testid}>`
               + ` right edge at ${Math.round(box.right)} px` + (text ? ` ("${text}")` : "")};
    }
  }
  return {
    scrollWidth: document.documentElement.scrollWidth,
    innerWidth: width,
    offender: worst ? worst.what : null,
  };
}"""


def too_wide(page, live_server, pages: list[MainPage]) -> list[str]:
    """Open each page at phone width; what each one that scrolls sideways sticks out with."""
    page.set_viewport_size(PHONE)
    problems = []
    for main_page in pages:
        response = page.goto(f"{live_server.url}{main_page.path}")
        assert response.status == main_page.status, (main_page.name, response.status)
        page.wait_for_load_state("networkidle")  # htmx fragments (charts) are in
        measured = page.evaluate(WIDEST_OFFENDER)
        if measured["scrollWidth"] > measured["innerWidth"]:
            problems.append(
                f"{main_page.name} ({main_page.path}) is {measured['scrollWidth']} px wide "
                f"on a {measured['innerWidth']} px screen: {measured['offender']}"
            )
    return problems


def test_every_main_page_fits_a_phone_for_the_admin(live_server, page, demo):
    log_in(page, live_server.url, "admin")
    members = reverse("programs:member_list", kwargs={"org": demo.organization.slug})
    pages = [*main_pages(demo), MainPage("members", members)]

    problems = too_wide(page, live_server, pages)
    assert not problems, "Wider than a phone:\n" + "\n".join(problems)


def test_every_main_page_fits_a_phone_for_the_executive(live_server, page, demo):
    log_in(page, live_server.url, "executive")
    # Members are the admins' page: the executive meets the 403 page there.
    members = reverse("programs:member_list", kwargs={"org": demo.organization.slug})
    pages = [*main_pages(demo), MainPage("403", members, status=403)]

    problems = too_wide(page, live_server, pages)
    assert not problems, "Wider than a phone:\n" + "\n".join(problems)

    # On the phone the top bar folds into its menu button, which opens the way to the
    # portfolio and, from there, to a program's dashboard.
    page.goto(f"{live_server.url}{reverse('cycles:program_home', kwargs={'pk': demo.pk})}")
    portfolio = page.get_by_test_id("nav-portfolio")
    expect(portfolio).to_be_hidden()
    page.get_by_role("button", name="Toggle navigation").click()
    portfolio.click()
    expect(page.get_by_role("heading", name="Portfolio")).to_be_visible()
    row = page.get_by_test_id("portfolio-row").filter(has_text="Web shop")
    # The row is a card: its cells one under another, each named by its column.
    cells = row.locator("td").evaluate_all(
        """cells => cells.map(td => [Math.round(td.getBoundingClientRect().left),
                                     getComputedStyle(td, "::before").content])"""
    )
    assert [left for left, _ in cells] == [cells[0][0]] * 5, cells
    assert [label for _, label in cells[1:]] == [
        '"KPIs"',
        '"ROI planned"',
        '"ROI at realized rate"',
        '"Initiatives in progress"',
    ]
    row.get_by_role("link", name="Web shop").click()
    expect(page.get_by_test_id("kpi-card")).to_have_count(4)
