"""Question 2, "Where are we going?": goals with KPIs, the ROI target, segments, and the
strategic questions. (Question 4 adds results and dashboards to this app.)"""

import datetime
from decimal import Decimal

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from assessments.models import MeasurementDriver
from programs.models import Cycle
from segments.models import Segment

currency_code_validator = RegexValidator(
    r"^[A-Z]{3}$", _("Give the currency's three-letter ISO code, e.g. EUR.")
)


class Line(models.TextChoices):
    TOP = "top", _("Top line (revenue)")
    BOTTOM = "bottom", _("Bottom line (profit)")


class Horizon(models.TextChoices):
    SHORT = "short", _("Short term")
    LONG = "long", _("Long term")


class Goal(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="goals")
    title = models.CharField(_("title"), max_length=200)
    why = models.TextField(_("why it matters"), blank=True)
    line = models.CharField(
        _("top or bottom line"), max_length=6, choices=Line.choices, default=Line.TOP
    )
    horizon = models.CharField(
        _("term"), max_length=5, choices=Horizon.choices, default=Horizon.SHORT
    )
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("owner"),
    )
    segments = models.ManyToManyField(
        Segment, blank=True, related_name="goals", verbose_name=_("segments")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        constraints = [
            models.CheckConstraint(condition=~models.Q(title=""), name="goal_title_not_empty")
        ]

    def __str__(self) -> str:
        return self.title


class Unit(models.TextChoices):
    PERCENT = "percent", _("Percent (0-100)")
    PERCENT_CHANGE = "percent_change", _("Percent change (lift)")
    CURRENCY = "currency", _("Currency")
    COUNT = "count", _("Count")
    RATIO = "ratio", _("Ratio")
    DURATION = "duration", _("Duration (seconds)")


class Direction(models.TextChoices):
    HIGHER = "higher", _("Higher is better")
    LOWER = "lower", _("Lower is better")


class Kpi(models.Model):
    """A measure a goal is judged by, from a baseline to a target by a date."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="kpis")
    name = models.CharField(_("name"), max_length=120)
    definition = models.TextField(_("definition"), blank=True)
    library_key = models.CharField(max_length=40, blank=True, editable=False)
    unit = models.CharField(_("unit"), max_length=15, choices=Unit.choices)
    currency_code = models.CharField(
        _("currency"), max_length=3, blank=True, validators=[currency_code_validator]
    )
    direction = models.CharField(_("direction"), max_length=6, choices=Direction.choices)
    baseline = models.DecimalField(_("baseline"), max_digits=16, decimal_places=4)
    baseline_date = models.DateField(_("baseline date"))
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=4)
    target_date = models.DateField(_("target date"))
    segments = models.ManyToManyField(
        Segment, blank=True, related_name="kpis", verbose_name=_("segments")
    )
    driver = models.ForeignKey(
        MeasurementDriver,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="kpis",
        verbose_name=_("measured by driver"),
    )
    personalized_share = models.DecimalField(
        _("planned share of personalized traffic"),
        max_digits=4,
        decimal_places=3,
        default=Decimal("0.5"),
        validators=[MinValueValidator(Decimal("0.01")), MaxValueValidator(Decimal("0.99"))],
        help_text=_(
            "For KPIs measured on personalized and control (or holdout) traffic: the split "
            "you planned, e.g. 0.9 for 90% personalized; a different split is flagged."
        ),
    )
    alert_threshold = models.DecimalField(
        _("alert threshold"),
        max_digits=16,
        decimal_places=4,
        null=True,
        blank=True,
        help_text=_(
            "Managers get an e-mail when the trend crosses this value the wrong way "
            "(below it when higher is better, above it when lower is better)."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(excluded_fields=["library_key", "updated_at"])

    class Meta:
        ordering = ["goal_id", "pk"]
        verbose_name = _("KPI")
        verbose_name_plural = _("KPIs")
        constraints = [
            models.CheckConstraint(condition=~models.Q(name=""), name="kpi_name_not_empty"),
            models.CheckConstraint(
                condition=models.Q(target_date__gt=models.F("baseline_date")),
                name="kpi_target_after_baseline",
            ),
            # Never a target that is no improvement: the direction decides which way is up.
            models.CheckConstraint(
                condition=(
                    models.Q(direction="higher", target__gt=models.F("baseline"))
                    | models.Q(direction="lower", target__lt=models.F("baseline"))
                ),
                name="kpi_target_better_than_baseline",
            ),
            models.CheckConstraint(
                condition=~models.Q(unit="currency") | ~models.Q(currency_code=""),
                name="kpi_currency_has_code",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def is_breached(self, value) -> bool:
        """Whether `value` lies on the wrong side of the alert threshold (none: never)."""
        if self.alert_threshold is None or value is None:
            return False
        if self.direction == Direction.HIGHER:
            return value < self.alert_threshold
        return value > self.alert_threshold

    def is_met(self, value) -> bool:
        """Whether a measured value reaches the target, whichever way is better."""
        return value >= self.target if self.direction == Direction.HIGHER else value <= self.target


class TargetGrain(models.TextChoices):
    """The length of a KPI's per-period targets, in its reporting calendar."""

    WEEK = "week", _("Weekly")
    MONTH = "month", _("Monthly")
    QUARTER = "quarter", _("Quarterly")


class KpiPeriodTarget(models.Model):
    """A target for one week, month or quarter of the KPI's reporting calendar (its
    driver's: calendar months and ISO weeks, or the organization's fiscal periods), when
    the path to the target is not a line. The period's first and last day are kept, so a
    target keeps its days when the organization's calendar changes later."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="period_targets")
    grain = models.CharField(
        _("period"), max_length=7, choices=TargetGrain.choices, default=TargetGrain.MONTH
    )
    starts_on = models.DateField(_("first day"))
    ends_on = models.DateField(_("last day"))
    target = models.DecimalField(_("target"), max_digits=16, decimal_places=4)
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_on"]
        constraints = [
            models.UniqueConstraint(
                fields=["kpi", "starts_on"], name="period_target_one_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(ends_on__gte=models.F("starts_on")),
                name="period_target_ends_after_it_starts",
            ),
            models.CheckConstraint(
                condition=models.Q(grain__in=TargetGrain.values), name="period_target_grain_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.starts_on}\u2013{self.ends_on}: {self.target}"

    def __contains__(self, day: datetime.date) -> bool:
        return self.starts_on <= day <= self.ends_on


class ReturnBasis(models.TextChoices):
    REVENUE = "revenue", _("Incremental revenue")
    MARGIN = "margin", _("Incremental margin")


class RoiTarget(models.Model):
    """The cycle's planned investment against the return it should bring."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="roi_target")
    currency_code = models.CharField(
        _("currency"), max_length=3, default="EUR", validators=[currency_code_validator]
    )
    one_off_investment = models.DecimalField(
        _("one-off investment"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    running_cost_per_month = models.DecimalField(
        _("running cost per month"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    return_basis = models.CharField(
        _("return counted as"),
        max_length=8,
        choices=ReturnBasis.choices,
        default=ReturnBasis.MARGIN,
    )
    expected_return_per_month = models.DecimalField(
        _("expected incremental return per month"),
        max_digits=14,
        decimal_places=2,
        validators=[MinValueValidator(0)],
    )
    horizon_months = models.PositiveSmallIntegerField(
        _("horizon (months)"), default=12, validators=[MinValueValidator(1)]
    )
    acceptable_roi_percent = models.DecimalField(
        _("acceptable ROI (%)"), max_digits=7, decimal_places=1, default=100
    )
    # What realized ROI is measured by: the extra conversions personalization brings on
    # this KPI (personalized against control), each worth `value_per_conversion`.
    attribution_kpi = models.ForeignKey(
        "Kpi",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("return measured by KPI"),
        help_text=_("A rate KPI with personalized and control results, e.g. conversion rate."),
    )
    value_per_conversion = models.DecimalField(
        _("value per extra conversion"),
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
        help_text=_(
            "Revenue or margin (as above) one extra conversion brings, e.g. an order's margin."
        ),
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("ROI target")
        verbose_name_plural = _("ROI targets")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(one_off_investment__gte=0, running_cost_per_month__gte=0),
                name="roi_investment_not_negative",
            ),
            models.CheckConstraint(
                condition=models.Q(horizon_months__gte=1), name="roi_horizon_positive"
            ),
        ]

    def __str__(self) -> str:
        return f"ROI target of {self.cycle}"

    def figures(self):
        from kpis.roi import roi_figures

        return roi_figures(
            one_off=self.one_off_investment,
            running_per_month=self.running_cost_per_month,
            return_per_month=self.expected_return_per_month,
            horizon_months=self.horizon_months,
            acceptable_roi_percent=self.acceptable_roi_percent,
        )


class StrategicQuestion(models.TextChoices):
    SEGMENTS = "segments", _("Are we targeting the right audience segments?")
    LINE = "line", _("Should we focus on the top line or the bottom line?")
    GOALS = "goals", _("Are these the right goals?")
    ROI = "roi", _("What return on investment is acceptable?")
    COMPETITION = "competition", _("What does the competitive landscape look like?")
    BUSINESS_MODEL = "business_model", _("Does the plan fit our business model?")
    TERMS = "terms", _("What are our short-term and long-term goals?")
    RESOURCES = "resources", _("Which resources are committed?")


class Confidence(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")


class StrategicAnswer(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="strategic_answers")
    question = models.CharField(max_length=20, choices=StrategicQuestion.choices)
    answer = models.TextField(_("answer"), blank=True)
    confidence = models.CharField(
        _("confidence"), max_length=6, choices=Confidence.choices, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["cycle", "question"], name="strategic_answer_one_per_question"
            ),
        ]

    def __str__(self) -> str:
        return self.get_question_display()

    @property
    def is_answered(self) -> bool:
        return bool(self.answer.strip()) and bool(self.confidence)


# --- Question 4: results ----------------------------------------------------------------
