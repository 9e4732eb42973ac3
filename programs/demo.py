"""The demo program's story, one question at a time. Each step is safe to run again."""

import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from assessments import services as assessment_services
from assessments.models import ChangeKind
from programs.models import Program

# Dimension name → (score, evidence, opportunity)
DEMO_MATURITY = {
    "Strategy & vision": (
        3,
        "Personalization goals are in the annual plan, but not tied to KPIs.",
        "Tie each personalization goal to a KPI with a target.",
    ),
    "Data": (
        2,
        "Web behaviour and orders are joined weekly by hand in a spreadsheet.",
        "A daily customer view in the warehouse.",
    ),
    "Decisioning": (
        2,
        "Rules in the CMS; the first matching rule wins.",
        "Choose offers by propensity; keep a control group.",
    ),
    "Design & content": (
        3,
        "Home page banners have variants for new and returning visitors.",
        "A content library per journey stage.",
    ),
    "Distribution & channels": (
        2,
        "E-mail and web personalize separately.",
        "Share segments between e-mail and web.",
    ),
    "Process": (1, "Changes ship when there is time; no reviews.", "Run this cycle."),
    "Technology & software": (
        3,
        "A testing tool is licensed; recommendations come from the shop platform.",
        "Connect the testing tool to the shop's product feed.",
    ),
    "Culture & resources": (
        4,
        "A team of four across marketing, analytics and IT meets weekly.",
        "Share results company-wide each month.",
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
            name="Conversion rate",
            definition="Orders ÷ sessions, per day, all devices.",
            source_system="Google Analytics 4",
            owner="Analytics team",
            calendar="calendar",
            frequency="daily",
        )
        assessment_services.driver_validate(
            driver=conversion,
            by=by,
            note="Matched to order system",
            on=today - datetime.timedelta(days=200),
        )
        assessment_services.driver_change_add(
            driver=conversion,
            changed_on=today - datetime.timedelta(days=120),
            kind=ChangeKind.TOOL_SWITCH,
            description="Moved from Universal Analytics to GA4; sessions are counted differently.",
            by=by,
        )
        revenue = assessment_services.driver_save(
            program=program,
            by=by,
            name="Net revenue",
            definition="Order value after returns and VAT.",
            source_system="Finance data warehouse",
            owner="Finance",
            calendar="fiscal",
            fiscal_start_month=4,
            frequency="monthly",
        )
        assessment_services.driver_validate(driver=revenue, by=by, note="Reconciled with the books")
