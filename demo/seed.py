"""The demo program's story, one question at a time. Each step is safe to run again."""

import datetime
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext_noop

from assessments import services as assessment_services
from assessments.models import ChangeKind, Dimension, MaturityScore
from blueprints import services as blueprint_services
from cycles import review as act
from cycles.models import InitiativeDecision, InitiativeOutcome, KpiDecision
from demo.language import in_language, named
from initiatives import services as plan_services
from initiatives.models import Status
from kpis import services as kpi_services
from kpis.models import Kpi, StrategicQuestion
from programs.jobs import JobStatus
from programs.models import Phase, Program
from programs.services import cycle_set_phase
from progress.models import DashboardVisit, StatusChange
from progress.pace import Plan, Point, progress
from progress.snapshots import progress_refresh
from results import sources
from results.models import Measurement, Pull, ResultSource, Schedule, SourceKind
from segments import discovery, services
from segments.models import Attribute, ClusterRun

# Dimension name → (score, evidence, opportunity)
DEMO_MATURITY = {
    gettext_noop("Strategy & vision"): (
        3,
        gettext_noop("Personalization goals are in the annual plan, but not tied to KPIs."),
        gettext_noop("Tie each personalization goal to a KPI with a target."),
    ),
    gettext_noop("Data"): (
        2,
        gettext_noop("Web behaviour and orders are joined weekly by hand in a spreadsheet."),
        gettext_noop("A daily customer view in the warehouse."),
    ),
    gettext_noop("Decisioning"): (
        2,
        gettext_noop("Rules in the CMS; the first matching rule wins."),
        gettext_noop("Choose offers by propensity; keep a control group."),
    ),
    gettext_noop("Design & content"): (
        3,
        gettext_noop("Home page banners have variants for new and returning visitors."),
        gettext_noop("A content library per journey stage."),
    ),
    gettext_noop("Distribution & channels"): (
        2,
        gettext_noop("E-mail and web personalize separately."),
        gettext_noop("Share segments between e-mail and web."),
    ),
    gettext_noop("Process"): (
        1,
        gettext_noop("Changes ship when there is time; no reviews."),
        gettext_noop("Run this cycle."),
    ),
    gettext_noop("Technology & software"): (
        3,
        gettext_noop("A testing tool is licensed; recommendations come from the shop platform."),
        gettext_noop("Connect the testing tool to the shop's product feed."),
    ),
    gettext_noop("Culture & resources"): (
        4,
        gettext_noop("A team of four across marketing, analytics and IT meets weekly."),
        gettext_noop("Share results company-wide each month."),
    ),
}


def seed_assessment(*, program: Program, by: AbstractBaseUser) -> None:
    """A filled assessment for the open cycle and two drivers, one after a tool switch."""
    cycle = program.cycles.get(closed_at__isnull=True)
    if not hasattr(cycle, "assessment"):
        for dimension in program.organization.dimensions.filter(retired_at__isnull=True):
            if dimension.name in DEMO_MATURITY:
                score, evidence, opportunity = DEMO_MATURITY[dimension.name]
                assessment_services.maturity_score_save(
                    cycle=cycle,
                    dimension=dimension,
                    score=score,
                    evidence=evidence,
                    opportunity=opportunity,
                    by=by,
                )
    if not program.drivers.exists():
        today = timezone.localdate()
        conversion = assessment_services.driver_save(
            program=program,
            by=by,
            name=gettext_noop("Conversion rate"),
            definition=gettext_noop("Orders ÷ sessions, per day, all devices."),
            source_system="Google Analytics 4",
            owner=gettext_noop("Analytics team"),
            calendar="calendar",
            frequency="daily",
        )
        assessment_services.driver_validate(
            driver=conversion,
            by=by,
            note=gettext_noop("Matched to order system"),
            on=today - datetime.timedelta(days=200),
        )
        assessment_services.driver_change_add(
            driver=conversion,
            changed_on=today - datetime.timedelta(days=120),
            kind=ChangeKind.TOOL_SWITCH,
            description=gettext_noop(
                "Moved from Universal Analytics to GA4; sessions are counted differently."
            ),
            by=by,
        )
        revenue = assessment_services.driver_save(
            program=program,
            by=by,
            name=gettext_noop("Net revenue"),
            definition=gettext_noop("Order value after returns and VAT."),
            source_system=gettext_noop("Finance data warehouse"),
            owner=gettext_noop("Finance"),
            calendar="calendar",
            frequency="monthly",
        )
        # Finance moved its reporting to the retail calendar a few months ago; the charts of
        # the KPIs it measures mark the day.
        assessment_services.driver_save(
            program=program,
            by=by,
            driver=revenue,
            calendar="fiscal",
            calendar_since=today - datetime.timedelta(days=75),
        )
        assessment_services.driver_validate(
            driver=revenue, by=by, note=gettext_noop("Reconciled with the books")
        )


def seed_goals(*, program: Program, by: AbstractBaseUser) -> None:
    """Three segments, two goals with five KPIs, an ROI target and strategic answers."""
    from decimal import Decimal

    organization = program.organization
    cycle = program.cycles.get(closed_at__isnull=True)
    if not organization.attributes.exists():
        services.attribute_save(
            organization=organization,
            key="visitor_type",
            label=gettext_noop("Visitor type"),
            type="category",
            allowed_values=["new", "returning"],
        )
        services.attribute_save(
            organization=organization,
            key="cart_value",
            label=gettext_noop("Cart value"),
            type="number",
            allowed_values=[],
        )
        services.attribute_save(
            organization=organization,
            key="has_account",
            label=gettext_noop("Has an account"),
            type="boolean",
            allowed_values=[],
        )
        services.attribute_save(
            organization=organization,
            key="country",
            label=gettext_noop("Country"),
            type="category",
            allowed_values=["NL", "BE", "DE"],
        )
    attributes = {a.key: a for a in Attribute.objects.filter(organization=organization)}
    if not organization.segments.exists():
        for name, description, size, value, conditions in [
            (
                gettext_noop("New visitors"),
                gettext_noop("First visit to the shop."),
                420_000,
                Decimal("1900000"),
                [("visitor_type", "is", "new")],
            ),
            (
                gettext_noop("Loyal customers"),
                gettext_noop("Returning, with an account."),
                38_000,
                Decimal("5200000"),
                [("visitor_type", "is", "returning"), ("has_account", "is_true", True)],
            ),
            (
                gettext_noop("Big baskets"),
                gettext_noop("Carts of 150 or more."),
                12_000,
                Decimal("2400000"),
                [("cart_value", "at_least", "150")],
            ),
        ]:
            segment = services.segment_save(
                organization=organization,
                by=by,
                name=name,
                description=description,
                estimated_size=size,
                estimated_value=value,
            )
            for key, operator, raw in conditions:
                services.segment_condition_add(
                    segment=segment, attribute=attributes[key], operator=operator, value=raw, by=by
                )
    if cycle.goals.exists():
        return
    segments = {s.name: s for s in organization.segments.all()}
    conversion_driver = program.drivers.filter(name=gettext_noop("Conversion rate")).first()
    revenue_driver = program.drivers.filter(name=gettext_noop("Net revenue")).first()
    start, end = cycle.starts_on, cycle.ends_on
    grow = kpi_services.goal_save(
        cycle=cycle,
        by=by,
        title=gettext_noop("Convert more first-time visitors"),
        why=gettext_noop(
            "Half of our traffic is new and converts at half the rate of returning visitors."
        ),
        line="top",
        horizon="short",
        owner=by,
        segments=[segments[gettext_noop("New visitors")]],
    )
    loyal = kpi_services.goal_save(
        cycle=cycle,
        by=by,
        title=gettext_noop("Grow the value of loyal customers"),
        why=gettext_noop(
            "Loyal customers bring most of the margin; recommendations should raise it."
        ),
        line="bottom",
        horizon="long",
        owner=by,
        segments=[segments[gettext_noop("Loyal customers")]],
    )
    for goal, name, key, unit, direction, baseline, target, driver, targeted in [
        (
            grow,
            gettext_noop("Conversion rate"),
            "conversion_rate",
            "percent",
            "higher",
            "2.1",
            "2.5",
            conversion_driver,
            [gettext_noop("New visitors")],
        ),
        (
            grow,
            gettext_noop("Bounce rate"),
            "bounce_rate",
            "percent",
            "lower",
            "48",
            "42",
            None,
            [gettext_noop("New visitors")],
        ),
        (
            grow,
            gettext_noop("Conversion lift (personalized vs control)"),
            "conversion_lift",
            "percent_change",
            "higher",
            "0",
            "8",
            conversion_driver,
            [],
        ),
        (
            loyal,
            gettext_noop("Average order value"),
            "average_order_value",
            "currency",
            "higher",
            "64",
            "67.8",
            revenue_driver,
            [gettext_noop("Loyal customers")],
        ),
        (
            loyal,
            gettext_noop("Repeat-purchase rate"),
            "repeat_purchase_rate",
            "percent",
            "higher",
            "21.5",
            "23.5",
            None,
            [gettext_noop("Loyal customers")],
        ),
    ]:
        kpi_services.kpi_save(
            goal=goal,
            by=by,
            library_key=key,
            name=name,
            definition="",
            unit=unit,
            currency_code="EUR" if unit == "currency" else "",
            direction=direction,
            baseline=Decimal(baseline),
            baseline_date=start,
            target=Decimal(target),
            target_date=end,
            driver=driver,
            segments=[segments[s] for s in targeted],
        )
    kpi_services.roi_target_save(
        cycle=cycle,
        by=by,
        currency_code="EUR",
        one_off_investment=Decimal("60000"),
        running_cost_per_month=Decimal("4000"),
        return_basis="margin",
        expected_return_per_month=Decimal("14000"),
        horizon_months=12,
        acceptable_roi_percent=Decimal("50"),
        # Realized ROI: each extra order personalization brings is worth its margin.
        attribution_kpi=Kpi.objects.get(goal__cycle=cycle, name=gettext_noop("Conversion rate")),
        value_per_conversion=Decimal("30"),
    )
    answers = {
        StrategicQuestion.SEGMENTS: (
            gettext_noop("New visitors and loyal customers: most traffic, most margin."),
            "medium",
        ),
        StrategicQuestion.LINE: (
            gettext_noop("Top line for new visitors, bottom line for loyal customers."),
            "high",
        ),
        StrategicQuestion.GOALS: (
            gettext_noop("Yes for this cycle; revisit after the first results."),
            "medium",
        ),
        StrategicQuestion.ROI: (gettext_noop("At least 50% over twelve months."), "high"),
        StrategicQuestion.RESOURCES: (
            gettext_noop("Four people, one day a week each, and the testing tool."),
            "high",
        ),
    }
    for question, (text, confidence) in answers.items():
        kpi_services.strategic_answer_save(
            cycle=cycle, question=question, answer=text, confidence=confidence, by=by
        )


def seed_initiatives(*, program: Program, by: AbstractBaseUser) -> None:
    """About ten initiatives across departments and channels, colliding in each way."""
    from decimal import Decimal

    cycle = program.cycles.get(closed_at__isnull=True)
    if cycle.initiatives.exists():
        return
    organization = program.organization
    plan_services.plan_defaults_ensure(organization=organization)
    departments = {d.name: d for d in organization.departments.all()}
    channels = {c.name: c for c in organization.channels.all()}
    kpis = {k.name: k for k in Kpi.objects.filter(goal__cycle=cycle)}

    def cause(gap) -> str:
        source = gap.dimension or gap.driver
        return f"{gap.origin_key.split(':')[0]}:{source.name if source else ''}"

    gaps = {
        cause(g): g for g in cycle.gaps.exclude(origin_key="").select_related("dimension", "driver")
    }
    start = cycle.starts_on
    week = datetime.timedelta(weeks=1)
    plan = [
        # name, owner, others, channels, stages, from week, weeks (None: open-ended),
        # status, kind, cost, expected effects, gaps it closes
        (
            gettext_noop("Homepage hero by visitor type"),
            "E-commerce",
            [gettext_noop("Marketing"), "IT"],
            [gettext_noop("Website")],
            [gettext_noop("Discover")],
            0,
            6,
            "in_progress",
            "main",
            12000,
            [
                (gettext_noop("Conversion rate"), "up", "+0.2 pt"),
                (gettext_noop("Bounce rate"), "down", "-3 pt"),
            ],
            ["dimension:Design & content"],
        ),
        (
            gettext_noop("Product recommendations on product pages"),
            gettext_noop("Merchandising"),
            ["IT", gettext_noop("Analytics")],
            [gettext_noop("Website")],
            [gettext_noop("Consider"), gettext_noop("Purchase")],
            2,
            8,
            "planned",
            "main",
            18000,
            [(gettext_noop("Average order value"), "up", "+EUR 3")],
            ["dimension:Decisioning"],
        ),
        (
            gettext_noop("Free-shipping threshold banner"),
            gettext_noop("Marketing"),
            ["E-commerce"],
            [gettext_noop("Website")],
            [gettext_noop("Purchase")],
            4,
            4,
            "planned",
            "main",
            3000,
            [
                (gettext_noop("Average order value"), "up", ""),
                (gettext_noop("Conversion rate"), "down", "small"),
            ],
            [],
        ),
        (
            gettext_noop("Exit-intent discount for new visitors"),
            gettext_noop("Marketing"),
            [],
            [gettext_noop("Website")],
            [gettext_noop("Purchase")],
            5,
            3,
            "idea",
            "main",
            2000,
            [(gettext_noop("Conversion rate"), "up", "+0.1 pt")],
            [],
        ),
        (
            gettext_noop("Welcome e-mail series"),
            gettext_noop("Marketing"),
            [gettext_noop("Customer service")],
            ["E-mail"],
            [],
            1,
            10,
            "in_progress",
            "main",
            6000,
            [(gettext_noop("Repeat-purchase rate"), "up", "+1 pt")],
            [],
        ),
        (
            gettext_noop("Loyalty tier e-mails"),
            gettext_noop("Marketing"),
            [gettext_noop("Analytics")],
            ["E-mail"],
            [gettext_noop("Loyalty")],
            8,
            5,
            "planned",
            "main",
            4000,
            [(gettext_noop("Repeat-purchase rate"), "up", "+2 pt")],
            [],
        ),
        (
            gettext_noop("Daily customer view in the warehouse"),
            "IT",
            [gettext_noop("Analytics")],
            [],
            [],
            -6,
            12,
            "in_progress",
            "software",
            25000,
            [],
            ["dimension:Data"],
        ),
        (
            gettext_noop("Monthly cycle review"),
            gettext_noop("Analytics"),
            [gettext_noop("Marketing"), "E-commerce"],
            [],
            [],
            0,
            None,
            "planned",
            "best_practice",
            0,
            [],
            ["dimension:Process"],
        ),
        (
            gettext_noop("Re-validate conversion rate after GA4"),
            gettext_noop("Analytics"),
            [],
            [],
            [],
            0,
            2,
            "planned",
            "best_practice",
            1000,
            [],
            ["driver:Conversion rate"],
        ),
        (
            gettext_noop("Personalization newsletter to all staff"),
            gettext_noop("Marketing"),
            [],
            [],
            [],
            2,
            None,
            "idea",
            "communication",
            0,
            [],
            [],
        ),
        (
            gettext_noop("Search results re-ranking"),
            "E-commerce",
            ["IT"],
            [gettext_noop("Mobile app")],
            [],
            3,
            6,
            "planned",
            "main",
            9000,
            [(gettext_noop("Conversion rate"), "up", "+0.1 pt")],
            [],
        ),
    ]
    for (
        name,
        owner,
        others,
        on,
        stages,
        from_week,
        weeks,
        status,
        kind,
        cost,
        effects,
        closes,
    ) in plan:
        starts_on = start + from_week * week
        initiative = plan_services.initiative_save(
            cycle=cycle,
            by=by,
            name=name,
            owner_department=departments[owner],
            departments=[departments[d] for d in others],
            channels=[channels[c] for c in on],
            stages=stages,
            starts_on=starts_on,
            ends_on=None
            if weeks is None
            else starts_on + weeks * week - datetime.timedelta(days=1),
            cost=Decimal(cost),
            status=status,
            kind=kind,
            gaps=[gaps[g] for g in closes if g in gaps],
        )
        for kpi_name, direction, size in effects:
            plan_services.effect_add(
                initiative=initiative, kpi=kpis[kpi_name], direction=direction, size=size, by=by
            )


def seed_blueprint(*, program: Program, by: AbstractBaseUser) -> None:
    """The web shop's blueprint: five stages, fourteen offers, chosen by propensity."""
    from decimal import Decimal

    cycle = program.cycles.get(closed_at__isnull=True)
    if cycle.blueprints.exists():
        return
    blueprint = blueprint_services.blueprint_create(
        cycle=cycle, name=gettext_noop("Web shop — desktop and mobile"), context="Web shop", by=by
    )
    kpis = {k.name: k for k in Kpi.objects.filter(goal__cycle=cycle)}
    stages = {s.name: s for s in blueprint.stages.all()}
    offers = {
        gettext_noop("Discover"): [
            (
                gettext_noop("Welcome hero for first visits"),
                "content",
                "0.030",
                "40",
                gettext_noop("Conversion rate"),
                ["visitor type is new"],
            ),
            (
                gettext_noop("Bestsellers carousel"),
                "recommendation",
                "0.025",
                "45",
                gettext_noop("Conversion rate"),
                [],
            ),
            (
                gettext_noop("Pick up where you left off"),
                "recommendation",
                "0.060",
                "45",
                gettext_noop("Conversion rate"),
                ["visitor type is returning"],
            ),
        ],
        gettext_noop("Consider"): [
            (
                gettext_noop("Similar products"),
                "recommendation",
                "0.040",
                "50",
                gettext_noop("Average order value"),
                [],
            ),
            (
                gettext_noop("Reviews from Dutch buyers"),
                "content",
                "0.035",
                "40",
                gettext_noop("Conversion rate"),
                ["country is NL"],
            ),
            (
                gettext_noop("Size advice chat"),
                "service_action",
                "0.050",
                "35",
                gettext_noop("Conversion rate"),
                ["visitor type is returning", "has an account is true"],
            ),
        ],
        gettext_noop("Purchase"): [
            (
                gettext_noop("Free shipping from 75"),
                "promotion",
                "0.080",
                "30",
                gettext_noop("Average order value"),
                ["cart value is between 50 and 75"],
            ),
            (
                gettext_noop("Complete the look"),
                "recommendation",
                "0.060",
                "55",
                gettext_noop("Average order value"),
                ["cart value is at least 30"],
            ),
            (
                gettext_noop("10% off the first order"),
                "promotion",
                "0.120",
                "18",
                gettext_noop("Conversion rate"),
                ["visitor type is new"],
            ),
        ],
        gettext_noop("Service"): [
            (
                gettext_noop("Track your parcel"),
                "service_action",
                "0.300",
                "5",
                None,
                ["has an account is true"],
            ),
            (gettext_noop("Easy returns explained"), "content", "0.150", "8", None, []),
        ],
        gettext_noop("Loyalty"): [
            (
                gettext_noop("Members' early access"),
                "next_best_action",
                "0.070",
                "60",
                gettext_noop("Repeat-purchase rate"),
                ["has an account is true", "visitor type is returning"],
            ),
            (
                gettext_noop("Replenish favourites"),
                "next_best_action",
                "0.090",
                "40",
                gettext_noop("Repeat-purchase rate"),
                ["visitor type is returning"],
            ),
            (
                gettext_noop("Join the club"),
                "next_best_action",
                "0.040",
                "25",
                gettext_noop("Repeat-purchase rate"),
                [],
            ),
        ],
    }
    for stage_name, stage_offers in offers.items():
        for name, kind, propensity, value, kpi, sentences in stage_offers:
            offer = blueprint_services.offer_save(
                stage=stages[stage_name],
                by=by,
                name=name,
                kind=kind,
                description="",
                propensity=Decimal(propensity),
                value=Decimal(value),
                weight=Decimal(1),
                kpi=kpis.get(kpi) if kpi else None,
            )
            for sentence in sentences:
                blueprint_services.condition_add(offer=offer, sentence=sentence, by=by)


# --- Cycles 1 and 2: reviewed, closed, compared ---------------------------------------

# What each finished cycle's review says, and what its countermeasures were.
DEMO_REVIEWS = {
    1: (
        gettext_noop(
            "Product recommendations beat the bestseller lists; the control group made the "
            "lift visible for the first time."
        ),
        gettext_noop(
            "The exit pop-up annoyed returning visitors; e-mail and web sent clashing offers."
        ),
        gettext_noop("Keep a control group on every change; one change per channel at a time."),
        [(gettext_noop("Share segments between e-mail and web"), gettext_noop("CRM team"), 30)],
    ),
    2: (
        gettext_noop("Next-best-action in the service pages; loyal customers buy again sooner."),
        gettext_noop("Bounce rate barely moved: new visitors still land on generic pages."),
        gettext_noop("Landing pages need their own offers per segment."),
        [(gettext_noop("Landing-page offers for new visitors"), gettext_noop("Content team"), 45)],
    ),
}
# How the demo's open cycle should stand today: its targets, set in cycle 2's review, are
# worked out from the results so that each KPI is this far along against the plan.
DEMO_PACE = {
    gettext_noop("Conversion rate"): 1.08,  # on track
    gettext_noop("Bounce rate"): 0.5,  # at risk
    gettext_noop(
        "Average order value"
    ): 0.6,  # behind: the recent line reaches the target weeks late
    gettext_noop("Repeat-purchase rate"): 1.15,  # on track
}
# The status each KPI should show. The pace above is where the search starts; the recent
# line of the day's numbers decides the status too (progress.pace), so other paces are
# tried until the status is this one: the story holds whatever today's date is.
DEMO_STATUS = {
    gettext_noop("Conversion rate"): "on_track",
    gettext_noop("Bounce rate"): "at_risk",
    gettext_noop("Average order value"): "behind",
    gettext_noop("Repeat-purchase rate"): "on_track",
}
OTHER_PACES = (0.7, 0.8, 0.9, 0.5, 0.4, 0.3, 1.0, 1.2, 1.4, 0.2)
# Better scores per cycle, where the team grew: dimension → (cycle 1, cycle 2).
DEMO_EARLIER_SCORES = {
    gettext_noop("Strategy & vision"): (2, 3),
    gettext_noop("Data"): (1, 2),
    gettext_noop("Decisioning"): (1, 1),
    gettext_noop("Process"): (1, 1),
    gettext_noop("Technology & software"): (2, 3),
}


def seed_history(*, program: Program, by: AbstractBaseUser) -> None:
    """Run the new program's first two cycles: plan cycle 1, load its results, review it
    and start cycle 2 from the review; load cycle 2's results, review it and start cycle
    3, the open one. Only for a program that was just created."""

    first = program.cycles.get(closed_at__isnull=True)
    for dimension in Dimension.objects.filter(
        organization=program.organization, name__in=DEMO_EARLIER_SCORES
    ):
        _rescore(first, dimension, DEMO_EARLIER_SCORES[dimension.name][0], by)
    seed_initiatives(program=program, by=by)
    seed_blueprint(program=program, by=by)
    seed_results(program=program, by=by, until=first.ends_on)
    second = _review_and_start(first, by, decide=_decide_after_cycle_1)
    for dimension in Dimension.objects.filter(
        organization=program.organization, name__in=DEMO_EARLIER_SCORES
    ):
        _rescore(second, dimension, DEMO_EARLIER_SCORES[dimension.name][1], by)
    seed_results(program=program, by=by, until=second.ends_on)
    third = _review_and_start(second, by, decide=_decide_after_cycle_2)
    for dimension in program.organization.dimensions.filter(name__in=DEMO_MATURITY):
        _rescore(third, dimension, DEMO_MATURITY[dimension.name][0], by)


def _rescore(cycle, dimension, score: int, by) -> None:

    current = MaturityScore.objects.filter(assessment__cycle=cycle, dimension=dimension).first()
    assessment_services.maturity_score_save(
        cycle=cycle,
        dimension=dimension,
        score=score,
        evidence=current.evidence if current else "",
        opportunity=current.opportunity if current else "",
        by=by,
    )


def _review_and_start(cycle, by, *, decide):
    """Write the cycle's review (decisions by `decide`) and start the next cycle the day
    after this one ends."""

    review = act.review_open(cycle=cycle)
    kpi_rows = {}
    for row in review.kpis.select_related("kpi"):
        decision, target = decide(cycle, row)
        kpi_rows[row.pk] = {"decision": decision, "new_target": target, "note": ""}
    initiative_rows = {}
    for n, row in enumerate(review.initiatives.select_related("initiative")):
        status, ends = row.initiative.status, row.initiative.ends_on
        ended = ends is not None and ends <= cycle.ends_on
        if status in (Status.DONE, Status.STOPPED) or ended or cycle.number == 2:
            outcome = [
                InitiativeOutcome.WON,
                InitiativeOutcome.INCONCLUSIVE,
                InitiativeOutcome.LOST,
            ][n % 3]
            decision = (
                InitiativeDecision.STOP if status == Status.STOPPED else InitiativeDecision.DONE
            )
        else:
            outcome, decision = InitiativeOutcome.NOT_FINISHED, InitiativeDecision.CONTINUE
        initiative_rows[row.pk] = {"outcome": outcome, "decision": decision, "note": ""}
    worked, did_not, lessons, measures = DEMO_REVIEWS[cycle.number]
    act.review_save(
        review=review,
        by=by,
        what_worked=worked,
        what_did_not=did_not,
        lessons=lessons,
        kpi_rows=kpi_rows,
        initiative_rows=initiative_rows,
    )
    for what, who, days in measures:
        act.countermeasure_add(
            review=review,
            what=what,
            who=who,
            due=cycle.ends_on + datetime.timedelta(days=days),
            by=by,
        )
    cycle_set_phase(cycle=cycle, phase=Phase.REVIEW, by=by)  # the phase it ends in
    # Closed on its planned end, in the past: it ends that day, the next starts the day after.
    return act.cycle_start_next(cycle=cycle, by=by, closes_on=cycle.ends_on)


def _decide_after_cycle_1(cycle, row):
    """A target the cycle reached is raised by as much again; the others are kept."""

    kpi = row.kpi
    if row.actual is not None and kpi.is_met(row.actual):
        step = abs(row.planned - row.baseline) / 2 or Decimal("1")
        better = row.actual + step if kpi.direction == "higher" else row.actual - step
        return KpiDecision.RAISE, better.quantize(Decimal("0.01"))
    return KpiDecision.KEEP, None


def _decide_after_cycle_2(cycle, row):
    """Targets for cycle 3 such that today each KPI stands as DEMO_PACE says; the lift KPI
    is dropped (the lift is read from the conversion test itself)."""

    kpi = row.kpi
    if kpi.name not in DEMO_PACE or row.actual is None:
        return KpiDecision.DROP, None
    today = timezone.localdate()
    starts = cycle.ends_on + datetime.timedelta(days=1)
    ends = starts + (cycle.ends_on - cycle.starts_on)
    expected = (today - starts).days / (cycle.ends_on - cycle.starts_on).days
    daily = _combined_daily(kpi.name, days=max((today - starts).days, 7))
    recent = list(daily.values())[-7:]
    trend = Decimal(str(sum(recent) / len(recent)))
    direction = 1 if kpi.direction == "higher" else -1
    moved = (trend - row.actual) * direction
    if moved <= 0:  # it went the wrong way: any target is out of reach at this pace
        target = (row.actual * (1 + Decimal("0.04") * direction)).quantize(Decimal("0.01"))
    for pace in (DEMO_PACE[kpi.name], *OTHER_PACES) if moved > 0 else ():
        step = (trend - row.actual) / Decimal(str(pace * expected))
        target = (row.actual + step).quantize(Decimal("0.01"))
        plan = Plan(kpi.direction, float(row.actual), starts, float(target), ends)
        points = [Point(datetime.date.fromisoformat(d), v) for d, v in daily.items()]
        if progress(plan, points, today).status == DEMO_STATUS[kpi.name]:
            break
    raised = target > row.planned if kpi.direction == "higher" else target < row.planned
    if target == row.planned:
        return KpiDecision.KEEP, None
    return (KpiDecision.RAISE if raised else KpiDecision.LOWER), target


def _combined_daily(name: str, *, days: int) -> dict[str, float]:
    """A KPI's daily values of the last `days` days in the demo's results, combined over
    personalized and control traffic as the progress is (conversions over visits)."""
    cells: dict[str, list] = {}
    for row in demo_series(days=days):
        if row["kpi"] != name or row["segment"]:
            continue
        cell = cells.setdefault(row["period"], [0.0, 0.0, []])
        cell[2].append(float(row["value"]))
        if row.get("denominator"):
            cell[0] += float(row["numerator"])
            cell[1] += float(row["denominator"])
    return {day: 100 * n / d if d else sum(v) / len(v) for day, (n, d, v) in sorted(cells.items())}


# --- The dashboard's story -------------------------------------------------------------

DEMO_CYCLE_DAYS = 182  # a half-year cycle ...
DEMO_CYCLE_DAYS_DONE = 100  # ... a little past halfway


def seed_dashboard_story(*, program: Program) -> None:
    """Compute the KPIs' progress, and give the demo executive a last visit three days ago
    in which Bounce rate was still "behind", so the dashboard has something to say under
    "what changed since your last visit"."""

    cycle = program.cycles.get(closed_at__isnull=True)
    progress_refresh(cycle=cycle)
    executive = program.organization.memberships.filter(role="executive").first()
    if executive is None or DashboardVisit.objects.filter(program=program).exists():
        return
    now = timezone.now()
    # What was set up before that visit is not news to her.
    before = now - datetime.timedelta(days=4)
    Kpi.history.filter(goal__cycle=cycle).update(history_date=before)
    Pull.objects.filter(source__program=program, trigger="seed").update(finished_at=before)
    DashboardVisit.objects.create(
        user=executive.user, program=program, seen_at=now - datetime.timedelta(days=3)
    )
    bounce = cycle.goals.get(title__startswith="Convert").kpis.get(name=gettext_noop("Bounce rate"))
    snapshot = bounce.snapshots.get(segment__isnull=True)
    StatusChange.objects.create(
        kpi=bounce,
        before="behind",
        after=snapshot.status,
        trend=snapshot.trend,
        changed_at=now - datetime.timedelta(days=2),
        notified=1,
    )


# --- Results --------------------------------------------------------------------------

DEMO_DAYS = 548  # eighteen months
TREND_START = datetime.date(2025, 5, 1)  # numbers depend on the day only, never on "today"


def demo_series(*, days: int, today: datetime.date | None = None) -> list[dict]:
    """Daily measurements of the demo KPIs, as a push or pull would deliver them.

    Deterministic: the same day always has the same numbers, so a pull of recent days
    over seeded history finds them unchanged. Personalized traffic converts about 9%
    better than control; bounce rate falls slowly; order value rises.
    """
    import math
    import random

    today = today or timezone.localdate()
    rows = []
    for back in range(days, 0, -1):
        day = today - datetime.timedelta(days=back)
        rng = random.Random(day.toordinal())  # noqa: S311 (demo numbers, not secrets)
        season = (
            1
            + 0.08 * math.sin(2 * math.pi * day.timetuple().tm_yday / 365)
            + (0.05 if day.weekday() >= 5 else 0)
        )
        years = max(0.0, (day - TREND_START).days / 365)
        traffic = int(16000 * season * rng.uniform(0.9, 1.1))
        personalized_share = rng.uniform(0.497, 0.503)  # a 50/50 split, as planned
        arms = {}
        for variant, rate in (("personalized", 0.0228), ("control", 0.0209)):
            share = personalized_share if variant == "personalized" else 1 - personalized_share
            sessions = int(traffic * share)
            orders = int(sessions * rate * (1 + 0.2 * years) * rng.uniform(0.95, 1.05))
            arms[variant] = orders / sessions
            rows.append(
                {
                    "kpi": gettext_noop("Conversion rate"),
                    "period": day.isoformat(),
                    "variant": variant,
                    "value": round(100 * orders / sessions, 4),
                    "numerator": orders,
                    "denominator": sessions,
                    "segment": "",
                }
            )
        rows.append(
            {
                "kpi": gettext_noop("Conversion lift (personalized vs control)"),
                "period": day.isoformat(),
                "segment": "",
                "variant": "",
                "value": round(100 * (arms["personalized"] / arms["control"] - 1), 2),
            }
        )
        for segment, rate in (
            (gettext_noop("New visitors"), 0.014),
            (gettext_noop("Loyal customers"), 0.041),
        ):
            sessions = int(3500 * season * rng.uniform(0.9, 1.1))
            orders = int(sessions * rate * (1 + 0.15 * years) * rng.uniform(0.92, 1.08))
            rows.append(
                {
                    "kpi": gettext_noop("Conversion rate"),
                    "period": day.isoformat(),
                    "segment": segment,
                    "variant": "",
                    "value": round(100 * orders / sessions, 4),
                    "numerator": orders,
                    "denominator": sessions,
                }
            )
        rows.append(
            {
                "kpi": gettext_noop("Bounce rate"),
                "period": day.isoformat(),
                "segment": "",
                "variant": "",
                "value": round(49 - 3 * years + rng.uniform(-1.2, 1.2), 2),
            }
        )
        rows.append(
            {
                "kpi": gettext_noop("Average order value"),
                "period": day.isoformat(),
                "segment": "",
                "variant": "",
                "value": round(63 + 3 * years + rng.uniform(-0.8, 0.8), 2),
            }
        )
        rows.append(
            {
                "kpi": gettext_noop("Repeat-purchase rate"),
                "period": day.isoformat(),
                "segment": "",
                "variant": "",
                "value": round(21.5 + 2 * years + rng.uniform(-0.8, 0.8), 2),
            }
        )
    return rows


def seed_results(
    *,
    program: Program,
    by: AbstractBaseUser,
    until: datetime.date | None = None,
    language: str = "en",
) -> None:
    """Daily results from eighteen months ago (or the day after the last loaded) through
    `until` (default yesterday), loaded into the open cycle's KPIs as an upload would;
    then, once everything is in, an HTTP source the app itself serves in debug mode,
    pulled every hour so a scheduled pull can be watched after `make run`. The file names
    KPIs and segments in the demo's `language`, as they are named by then."""
    from django.db.models import Max

    fields = ("kpi", "period", "value", "segment", "variant", "numerator", "denominator")
    export = gettext_noop("Analytics warehouse export")
    archive = program.sources.filter(named("name", export, language)).first()
    if archive is None:
        archive = ResultSource.objects.create(
            program=program,
            name=gettext_noop("Analytics warehouse export"),
            kind=SourceKind.UPLOAD,
            mapping={f: f for f in fields},
        )
    last = Measurement.objects.filter(kpi__goal__cycle__program=program).aggregate(
        last=Max("period_start")
    )["last"]
    until = until or timezone.localdate() - datetime.timedelta(days=1)
    rows = [
        {**row, "kpi": in_language(row["kpi"], language)}
        | ({"segment": in_language(row["segment"], language)} if row["segment"] else {})
        for row in demo_series(days=DEMO_DAYS)
        if (last is None or row["period"] > last.isoformat()) and row["period"] <= until.isoformat()
    ]
    if rows:
        pull = Pull.objects.create(
            source=archive, trigger="seed", file_name=f"history-{until}.csv", created_by=by
        )
        numbered = ((n, row) for n, row in enumerate(rows, start=2))
        sources._check_and_load(pull, archive, list(archive.mapping), numbered, archive.mapping)
        pull.refresh_from_db()
        if pull.status != JobStatus.SUCCEEDED:
            raise RuntimeError(f"demo results did not load: {pull.error} {pull.rejected_rows[:3]}")
    if until < timezone.localdate() - datetime.timedelta(days=1):
        return
    if program.sources.filter(kind=SourceKind.HTTP).exists():
        return
    sources.source_save(
        program=program,
        by=by,
        name=gettext_noop("Web analytics feed"),
        kind=SourceKind.HTTP,
        url=f"{settings.FOURFOLD_BASE_URL}/demo/results-feed/",  # this very server (make run)
        schedule=Schedule.HOURLY,
        schedule_time=datetime.time(0, 5),
        mapping={f: f for f in archive.mapping},
        headers={},
    )


def demo_customers(*, rows: int = 6000, seed: int = 2026) -> bytes:
    """A customer table of the web shop as CSV, with four groups planted in it: bargain
    hunters new on mobile, loyal big baskets, lapsing customers, and frequent German
    shoppers."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    group = rng.choice(4, size=rows, p=[0.4, 0.2, 0.25, 0.15])
    cart = np.array([28, 145, 62, 55])[group] * rng.lognormal(0, 0.25, rows)
    visits = np.array([5, 4, 1.2, 16])[group] * rng.lognormal(0, 0.3, rows)
    days_since = np.array([25, 14, 160, 4])[group] * rng.lognormal(0, 0.35, rows)
    mobile = np.clip(np.array([0.85, 0.35, 0.5, 0.3])[group] + rng.normal(0, 0.08, rows), 0, 1)
    returning = rng.random(rows) < np.array([0.1, 0.99, 0.95, 0.9])[group]
    account = rng.random(rows) < np.array([0.05, 0.97, 0.6, 0.8])[group]
    country = np.where(
        group == 3,
        rng.choice(["DE", "NL"], rows, p=[0.92, 0.08]),
        rng.choice(["NL", "BE", "DE"], rows, p=[0.7, 0.25, 0.05]),
    )
    frame = pd.DataFrame(
        {
            "customer_id": [f"C{100000 + i}" for i in range(rows)],
            "visitor_type": np.where(returning, "returning", "new"),
            "cart_value": cart.round(2),
            "has_account": account.astype(int),
            "country": country,
            "visits_per_month": visits.round(1),
            "days_since_last_order": days_since.round().astype(int),
            "mobile_share": mobile.round(2),
        }
    )
    return frame.to_csv(index=False).encode()


def seed_customers(*, organization, by: AbstractBaseUser) -> None:
    """The demo's customer table, clustered once, so segment discovery has a result to
    show and a table to run again on other columns."""
    import io

    if organization.customer_tables.exists():
        return
    table = discovery.customer_table_upload(
        organization=organization,
        name="web-shop-customers.csv",
        stream=io.BytesIO(demo_customers()),
        by=by,
    )
    # Read here, not by the job the upload queued (which then finds it read): the demo
    # ends with a table to show.
    discovery.customer_table_read(table_id=table.pk)
    table.refresh_from_db()
    run = ClusterRun.objects.create(
        table=table,
        number=1,
        keys=[c["key"] for c in table.columns if c["kind"] != "other"],
        seed=42,
        created_by=by,
    )
    discovery.cluster_run_execute(run_id=run.pk)
