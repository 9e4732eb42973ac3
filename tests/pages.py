"""Every page of a program, as a list of URLs, for tests that walk them all.

A restore (tests/backups/test_backup_pages.py) and the access matrix's rich demo program
(tests/test_access_matrix.py) open each of them: data-dependent failures (a history row
whose person is gone, a KPI whose results cannot be computed) show as a 500 on one page
of one object, which a test of one hand-made object never reaches.
"""

from django.urls import reverse

from assessments.models import MeasurementDriver
from blueprints.models import Blueprint, Offer, PropensityRun, SimulationBatch
from initiatives.models import Initiative
from kpis.models import Goal, Kpi
from programs.models import Phase, Program
from results.models import Pull, ResultSource


def program_pages(program: Program) -> list[str]:
    """The pages a member reads: the program's own, each of every cycle (``?cycle=N``), and
    one per object (every KPI, driver, initiative, blueprint, source, run)."""
    pk = {"pk": program.pk}
    cycles = list(program.cycles.order_by("number").values_list("number", flat=True))
    per_cycle = [
        reverse(name, kwargs=pk)
        for name in (
            "cycles:program_home",
            "progress:dashboard",
            "progress:dashboard_chart",
            "cycles:review",
            "assessments:summary",
            "assessments:assessment",
            "assessments:drivers",
            "assessments:gaps",
            "kpis:summary",
            "kpis:roi",
            "kpis:questions",
            "initiatives:map",
            "initiatives:in_flight",
            "initiatives:backlog",
            "blueprints:list",
        )
    ] + [
        reverse("cycles:question", kwargs={**pk, "phase": phase})
        for phase in Phase.values
        if phase != Phase.REVIEW
    ]
    urls = [*per_cycle, *(f"{url}?cycle={n}" for url in per_cycle for n in cycles)]
    urls += [
        reverse(name, kwargs=pk)
        for name in (
            "cycles:cycle_history",
            "cycles:cycle_compare",
            "assessments:assessment_csv",
            "assessments:drivers_csv",
            "initiatives:export_csv",
            "results:sources",
        )
    ]
    for driver in MeasurementDriver.objects.filter(program=program).order_by("pk"):
        urls.append(reverse("assessments:driver", kwargs={**pk, "driver_pk": driver.pk}))
    for kpi in Kpi.objects.filter(goal__cycle__program=program).order_by("pk"):
        for name in (
            "kpis:kpi",
            "progress:kpi_progress",
            "progress:kpi_chart",
            "results:measurements",
        ):
            urls.append(reverse(name, kwargs={**pk, "kpi_pk": kpi.pk}))
    for initiative in Initiative.objects.filter(cycle__program=program).order_by("pk"):
        urls.append(
            reverse("initiatives:initiative", kwargs={**pk, "initiative_pk": initiative.pk})
        )
    for blueprint in Blueprint.objects.filter(cycle__program=program).order_by("pk"):
        at = {**pk, "blueprint_pk": blueprint.pk}
        for name in (
            "blueprints:blueprint",
            "blueprints:export",
            "blueprints:simulator",
            "blueprints:propensity",
        ):
            urls.append(reverse(name, kwargs=at))
        for version in PropensityRun.objects.filter(blueprint=blueprint).values_list(
            "version", flat=True
        ):
            urls.append(reverse("blueprints:propensity_run", kwargs={**at, "version": version}))
        for batch in SimulationBatch.objects.filter(blueprint=blueprint).values_list(
            "pk", flat=True
        ):
            urls.append(reverse("blueprints:batch", kwargs={**at, "batch_pk": batch}))
    for source in ResultSource.objects.filter(program=program).order_by("pk"):
        at = {**pk, "source_pk": source.pk}
        urls.append(reverse("results:source", kwargs=at))
        for pull in Pull.objects.filter(source=source).values_list("pk", flat=True):
            urls.append(reverse("results:pull", kwargs={**at, "pull_pk": pull}))
    return urls


def program_forms(program: Program) -> list[str]:
    """The edit forms of the program's objects (they show history too); a form of a closed
    cycle may send the person away, but never fails."""
    pk = {"pk": program.pk}
    urls = [reverse("programs:program_edit", kwargs=pk)]
    for goal in Goal.objects.filter(cycle__program=program).order_by("pk"):
        urls.append(reverse("kpis:goal_edit", kwargs={**pk, "goal_pk": goal.pk}))
    for kpi in Kpi.objects.filter(goal__cycle__program=program).order_by("pk"):
        urls.append(reverse("kpis:kpi_edit", kwargs={**pk, "kpi_pk": kpi.pk}))
    for driver in MeasurementDriver.objects.filter(program=program).order_by("pk"):
        urls.append(reverse("assessments:driver_edit", kwargs={**pk, "driver_pk": driver.pk}))
    for initiative in Initiative.objects.filter(cycle__program=program).order_by("pk"):
        urls.append(
            reverse("initiatives:initiative_edit", kwargs={**pk, "initiative_pk": initiative.pk})
        )
    for offer in Offer.objects.filter(stage__blueprint__cycle__program=program).select_related(
        "stage"
    ):
        urls.append(
            reverse(
                "blueprints:offer_edit",
                kwargs={**pk, "blueprint_pk": offer.stage.blueprint_id, "offer_pk": offer.pk},
            )
        )
    return urls


def organization_pages(organization) -> list[str]:
    """The organization's own pages a member reads: programs, portfolio, segments (each),
    customer attributes, discovery with its tables and runs, notifications."""
    from segments.models import ClusterRun, CustomerTable, Segment

    org = {"org": organization.slug}
    urls = [
        reverse(name, kwargs=org)
        for name in (
            "programs:program_list",
            "progress:portfolio",
            "progress:notifications",
            "segments:segments",
            "segments:attributes",
            "segments:discovery",
        )
    ]
    for segment in Segment.objects.filter(organization=organization).values_list("pk", flat=True):
        urls.append(reverse("segments:segment", kwargs={**org, "segment_pk": segment}))
    for table in CustomerTable.objects.filter(organization=organization).values_list(
        "pk", flat=True
    ):
        urls.append(reverse("segments:customer_table", kwargs={**org, "table_pk": table}))
    for run in ClusterRun.objects.filter(table__organization=organization).values_list(
        "pk", flat=True
    ):
        urls.append(reverse("segments:cluster_run", kwargs={**org, "run_pk": run}))
    return urls
