"""Question 1, "Where are we?": maturity, the measures the business runs on, and the gaps.

Dimensions belong to the organization (every program is assessed on the same ones);
assessments and gaps belong to a cycle; measurement drivers belong to the program, because
the measures outlive cycles.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from programs.models import Cycle, Organization, Program

MIN_SCORE, MAX_SCORE = 1, 5


class Dimension(models.Model):
    """An aspect of the program's maturity, scored 1-5 in every cycle's assessment.

    Retiring a dimension takes it out of new assessments; its old scores stay.
    """

    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="dimensions"
    )
    name = models.CharField(_("name"), max_length=80)
    rubric_low = models.TextField(_("what a 1 looks like"))
    rubric_high = models.TextField(_("what a 5 looks like"))
    position = models.PositiveIntegerField(_("position"), default=0)
    retired_at = models.DateTimeField(_("retired at"), null=True, blank=True)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("maturity dimension")
        verbose_name_plural = _("maturity dimensions")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "organization",
                name="dimension_name_unique_in_org",
                violation_error_message=_("There is already a dimension with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_active(self) -> bool:
        return self.retired_at is None


class Assessment(models.Model):
    """The maturity assessment of one cycle."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="assessment")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    copied_from = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return f"Assessment of {self.cycle}"


class MaturityScore(models.Model):
    """One dimension's answer: a score, the evidence for it, the opportunity it suggests.

    The score may be empty while evidence is being written: the form saves as you type.
    """

    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="scores")
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="scores")
    score = models.PositiveSmallIntegerField(
        _("score"),
        null=True,
        blank=True,
        validators=[MinValueValidator(MIN_SCORE), MaxValueValidator(MAX_SCORE)],
    )
    evidence = models.TextField(_("evidence"), blank=True)
    opportunity = models.TextField(_("opportunity"), blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # False for an answer carried over from the cycle before that nobody has confirmed or
    # changed yet: it counts for nothing in the completeness until someone does.
    confirmed = models.BooleanField(_("confirmed"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["dimension__position", "dimension_id"]
        verbose_name = _("maturity score")
        verbose_name_plural = _("maturity scores")
        constraints = [
            models.UniqueConstraint(
                fields=["assessment", "dimension"], name="score_one_per_dimension"
            ),
            models.CheckConstraint(
                condition=models.Q(score__isnull=True)
                | models.Q(score__gte=MIN_SCORE, score__lte=MAX_SCORE),
                name="score_between_1_and_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.dimension}: {self.score or '-'}"


class ReportingCalendar(models.TextChoices):
    """Which periods a driver reports in: the calendar's (months, ISO weeks) or the
    organization's fiscal ones (its settings say where the year starts, and whether it is
    a retail calendar of weeks)."""

    CALENDAR = "calendar", _("Calendar months")
    FISCAL = "fiscal", _("Fiscal calendar")


class Frequency(models.TextChoices):
    DAILY = "daily", _("Daily")
    WEEKLY = "weekly", _("Weekly")
    MONTHLY = "monthly", _("Monthly")
    QUARTERLY = "quarterly", _("Quarterly")


class MeasurementDriver(models.Model):
    """A measure the business is run on today, e.g. "Conversion rate (GA4)".

    Not trusted until someone validates it; a known change dated after the last
    validation (a tool switch, a new definition) makes it suspect again.
    """

    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="drivers")
    name = models.CharField(_("name"), max_length=120)
    definition = models.TextField(_("definition"), blank=True)
    source_system = models.CharField(
        _("source system"),
        max_length=120,
        blank=True,
        help_text=_("e.g. Google Analytics 4, Adobe Analytics, the in-house warehouse"),
    )
    owner = models.CharField(_("owner"), max_length=120, blank=True)
    calendar = models.CharField(
        _("reporting calendar"),
        max_length=10,
        choices=ReportingCalendar.choices,
        default=ReportingCalendar.CALENDAR,
        help_text=_(
            "Fiscal: the organization's fiscal calendar, which its admins set under Settings."
        ),
    )
    frequency = models.CharField(
        _("frequency"), max_length=10, choices=Frequency.choices, default=Frequency.MONTHLY
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]
        verbose_name = _("measurement driver")
        verbose_name_plural = _("measurement drivers")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "program",
                name="driver_name_unique_in_program",
                violation_error_message=_("This program already has a driver with this name."),
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="driver_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name


class DriverValidation(models.Model):
    """Someone checked that the driver measures what it says. Kept as a history."""

    driver = models.ForeignKey(
        MeasurementDriver, on_delete=models.CASCADE, related_name="validations"
    )
    validated_on = models.DateField(_("validated on"))
    validated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-validated_on", "-recorded_at"]
        verbose_name = _("driver validation")
        verbose_name_plural = _("driver validations")

    def __str__(self) -> str:
        return f"{self.driver} validated on {self.validated_on}"


class ChangeKind(models.TextChoices):
    TOOL_SWITCH = "tool_switch", _("Tool switch")
    DEFINITION_CHANGE = "definition_change", _("Definition change")
    CALENDAR_CHANGE = "calendar_change", _("Calendar change")
    TRACKING_OUTAGE = "tracking_outage", _("Tracking outage")


CALENDAR_ARROW = " \u2192 "


class DriverChange(models.Model):
    """A known break in comparability, dated so KPI charts can mark it."""

    driver = models.ForeignKey(MeasurementDriver, on_delete=models.CASCADE, related_name="changes")
    changed_on = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=ChangeKind.choices)
    description = models.CharField(_("description"), max_length=300)
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-changed_on", "-pk"]
        verbose_name = _("driver change")
        verbose_name_plural = _("driver changes")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=ChangeKind.values), name="driver_change_kind_known"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.changed_on}"

    @property
    def text(self) -> str:
        """Its description as a reader sees it: a switch of calendar that Fourfold recorded
        ("calendar → fiscal") in the reader's words, anything a person typed as typed."""
        if self.kind == ChangeKind.CALENDAR_CHANGE:
            before, arrow, after = self.description.partition(CALENDAR_ARROW)
            if arrow and {before, after} <= set(ReportingCalendar.values):
                return (
                    f"{ReportingCalendar(before).label}{CALENDAR_ARROW}"
                    f"{ReportingCalendar(after).label}"
                )
        return self.description


class GapSource(models.TextChoices):
    DIMENSION = "dimension", _("Low maturity score")
    DRIVER = "driver", _("Untrusted driver")
    MANUAL = "manual", _("Added by hand")


class GapStatus(models.TextChoices):
    OPEN = "open", _("Open")
    PLANNED = "planned", _("Planned")
    DEFERRED = "deferred", _("Deferred")
    CLOSED = "closed", _("Closed")


class GapPriority(models.TextChoices):
    HIGH = "high", _("High")
    MEDIUM = "medium", _("Medium")
    LOW = "low", _("Low")


class Gap(models.Model):
    """Something that must be implemented or revamped; question 3 turns gaps into initiatives.

    Generated gaps carry an `origin_key` ("dimension:7", "driver:3") so that regenerating
    finds them again instead of adding twins. Once a person edits one, `edited_at` is set
    and regeneration leaves it alone.
    """

    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="gaps")
    title = models.CharField(_("title"), max_length=200)
    source = models.CharField(
        _("comes from"), max_length=10, choices=GapSource.choices, default=GapSource.MANUAL
    )
    dimension = models.ForeignKey(
        Dimension, on_delete=models.SET_NULL, null=True, blank=True, related_name="gaps"
    )
    driver = models.ForeignKey(
        MeasurementDriver, on_delete=models.SET_NULL, null=True, blank=True, related_name="gaps"
    )
    origin_key = models.CharField(max_length=40, blank=True, editable=False)
    priority = models.CharField(
        _("priority"), max_length=10, choices=GapPriority.choices, default=GapPriority.MEDIUM
    )
    status = models.CharField(
        _("status"), max_length=10, choices=GapStatus.choices, default=GapStatus.OPEN
    )
    deferred_reason = models.CharField(_("reason for deferring"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    edited_at = models.DateTimeField(_("edited by a person at"), null=True, blank=True)
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["pk"]
        verbose_name = _("gap")
        verbose_name_plural = _("gaps")
        constraints = [
            # Regeneration upserts on this key: a cause yields at most one gap per cycle.
            models.UniqueConstraint(
                fields=["cycle", "origin_key"],
                condition=~models.Q(origin_key=""),
                name="gap_one_per_origin_in_cycle",
            ),
            models.CheckConstraint(
                condition=~models.Q(status="deferred") | ~models.Q(deferred_reason=""),
                name="gap_deferred_has_reason",
                violation_error_message=_("Say why the gap is deferred."),
            ),
            models.CheckConstraint(condition=~models.Q(title=""), name="gap_title_not_empty"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_generated(self) -> bool:
        return bool(self.origin_key)
