"""The demo in another language (`seed_demo --language da`).

The demo is seeded in English, its texts marked for the catalogs (gettext_noop in
demo/seed.py); then every text the organization shows (dimension rubrics, departments,
channels, attributes, segments, drivers, goals and KPIs, initiatives, the blueprint's
stages and offers, reviews, sources, the program's own description) is replaced by its
translation where the catalog has one. What a person typed later has no entry and stays as
typed. Run again, the demo keeps the language it was seeded in (read from its data), and
the step that loads each day's results names KPIs and segments in it.
"""

from django.conf import settings
from django.db.models import Model, Q
from django.utils import translation
from django.utils.translation import gettext

from assessments.models import (
    Dimension,
    DriverChange,
    DriverValidation,
    MaturityScore,
    MeasurementDriver,
)
from blueprints.models import Blueprint, Offer, Stage
from cycles.models import Countermeasure, CycleReview, InitiativeReview, KpiReview
from initiatives.models import Channel, Department, Initiative
from kpis.models import Goal, Kpi, StrategicAnswer
from programs.models import Organization, Program
from results.models import ResultSource
from segments.models import Attribute, Segment

# Each model's texts, and how its rows reach the organization.
TEXTS: tuple[tuple[type[Model], tuple[str, ...], str], ...] = (
    (Dimension, ("name", "rubric_low", "rubric_high"), "organization"),
    (Department, ("name",), "organization"),
    (Channel, ("name",), "organization"),
    (Attribute, ("label",), "organization"),
    (Segment, ("name", "description"), "organization"),
    (Program, ("context", "description"), "organization"),
    (MeasurementDriver, ("name", "definition", "source_system", "owner"), "program__organization"),
    (DriverValidation, ("note",), "driver__program__organization"),
    (DriverChange, ("description",), "driver__program__organization"),
    (MaturityScore, ("evidence", "opportunity"), "assessment__cycle__program__organization"),
    (Goal, ("title", "why"), "cycle__program__organization"),
    (Kpi, ("name", "definition"), "goal__cycle__program__organization"),
    (StrategicAnswer, ("answer",), "cycle__program__organization"),
    (Initiative, ("name", "objective"), "cycle__program__organization"),
    (Blueprint, ("name", "context"), "cycle__program__organization"),
    (Stage, ("name",), "blueprint__cycle__program__organization"),
    (Offer, ("name", "description"), "stage__blueprint__cycle__program__organization"),
    (CycleReview, ("what_worked", "what_did_not", "lessons"), "cycle__program__organization"),
    (KpiReview, ("note",), "review__cycle__program__organization"),
    (InitiativeReview, ("note",), "review__cycle__program__organization"),
    (Countermeasure, ("what", "who"), "review__cycle__program__organization"),
    (ResultSource, ("name",), "program__organization"),
)


def demo_translate(*, organization: Organization, language: str) -> int:
    """Put the organization's texts in `language` where the catalog translates them; the
    rows are updated in place (no history: nobody edited them). Returns how many texts."""
    changed = 0
    with translation.override(language):
        for model, fields, path in TEXTS:
            rows = model.objects.filter(**{path: organization}).only("pk", *fields)
            for row in rows.iterator():
                new = {f: gettext(v) for f in fields if (v := getattr(row, f))}
                new = {f: v for f, v in new.items() if v != getattr(row, f)}
                if new:
                    model.objects.filter(pk=row.pk).update(**new)
                    changed += len(new)
    return changed


def in_language(text: str, language: str) -> str:
    """`text` (an English text of the demo) as the demo in `language` names it."""
    with translation.override(language):
        return gettext(text)


def named(field: str, text: str, language: str) -> Q:
    """Rows whose `field` is `text` in English or in the demo's language."""
    return Q(**{field: text}) | Q(**{field: in_language(text, language)})


def demo_language(organization: Organization) -> str:
    """The language the demo was seeded in, read from its data: the language its
    Conversion rate KPI is named in (English before any)."""
    names = set(
        Kpi.objects.filter(
            goal__cycle__program__organization=organization, library_key="conversion_rate"
        ).values_list("name", flat=True)
    )
    for code, _name in settings.LANGUAGES:
        if code != "en" and in_language("Conversion rate", code) in names:
            return code
    return "en"
