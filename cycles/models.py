"""The cycle review (the A3 that closes a cycle) and what it decides for each KPI and
initiative. The tables kept the names they had in programs/ (ARCHITECTURE.md, moving a
model)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from programs.models import Cycle
from progress.models import ProgressStatus


class KpiDecision(models.TextChoices):
    KEEP = "keep", _("Keep target")
    RAISE = "raise", _("Raise target")
    LOWER = "lower", _("Lower target")
    DROP = "drop", _("Drop KPI")


class InitiativeOutcome(models.TextChoices):
    WON = "won", _("Won")
    LOST = "lost", _("Lost")
    INCONCLUSIVE = "inconclusive", _("Inconclusive")
    NOT_FINISHED = "not_finished", _("Not finished")


class InitiativeDecision(models.TextChoices):
    CONTINUE = "continue", _("Continue")
    STOP = "stop", _("Stop")
    DONE = "done", _("Done")


class CycleReview(models.Model):
    """The cycle's A3: what came of each KPI and initiative, what worked, what did not,
    countermeasures and lessons. Managers write it; closing it starts the next cycle."""

    cycle = models.OneToOneField(Cycle, on_delete=models.CASCADE, related_name="review")
    what_worked = models.TextField(_("what worked"), blank=True)
    what_did_not = models.TextField(_("what did not"), blank=True)
    lessons = models.TextField(_("lessons learned"), blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    history = HistoricalRecords(table_name="programs_historicalcyclereview")

    class Meta:
        db_table = "programs_cyclereview"
        verbose_name = _("cycle review")
        verbose_name_plural = _("cycle reviews")

    def __str__(self) -> str:
        return f"Review of {self.cycle}"


class KpiReview(models.Model):
    """A KPI's planned against actual outcome, and what the next cycle does with it."""

    review = models.ForeignKey(CycleReview, on_delete=models.CASCADE, related_name="kpis")
    kpi = models.OneToOneField("kpis.Kpi", on_delete=models.CASCADE, related_name="review")
    baseline = models.DecimalField(max_digits=16, decimal_places=4)
    planned = models.DecimalField(_("planned"), max_digits=16, decimal_places=4)
    actual = models.DecimalField(_("actual"), max_digits=16, decimal_places=4, null=True)
    status = models.CharField(  # the KPI's progress status when the review was last opened
        max_length=10, choices=ProgressStatus.choices, blank=True
    )
    decision = models.CharField(
        _("decision"), max_length=6, choices=KpiDecision.choices, default=KpiDecision.KEEP
    )
    new_target = models.DecimalField(
        _("new target"), max_digits=16, decimal_places=4, null=True, blank=True
    )
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        db_table = "programs_kpireview"
        ordering = ["kpi__goal_id", "kpi_id"]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.decision}"


class InitiativeReview(models.Model):
    """An initiative's outcome and whether it continues in the next cycle."""

    review = models.ForeignKey(CycleReview, on_delete=models.CASCADE, related_name="initiatives")
    initiative = models.OneToOneField(
        "initiatives.Initiative", on_delete=models.CASCADE, related_name="review"
    )
    outcome = models.CharField(
        _("outcome"),
        max_length=12,
        choices=InitiativeOutcome.choices,
        default=InitiativeOutcome.NOT_FINISHED,
    )
    decision = models.CharField(
        _("decision"),
        max_length=8,
        choices=InitiativeDecision.choices,
        default=InitiativeDecision.CONTINUE,
    )
    note = models.CharField(_("note"), max_length=300, blank=True)
    # The dates a continuing initiative runs in the next cycle (the review proposes them
    # moved into it; empty until the review is saved).
    next_starts_on = models.DateField(_("starts in the next cycle on"), null=True, blank=True)
    next_ends_on = models.DateField(_("ends in the next cycle on"), null=True, blank=True)

    class Meta:
        db_table = "programs_initiativereview"
        ordering = ["initiative__starts_on", "initiative_id"]

    def __str__(self) -> str:
        return f"{self.initiative}: {self.outcome}, {self.decision}"


class Countermeasure(models.Model):
    """What will be done about something that did not work: what, who, by when."""

    review = models.ForeignKey(
        CycleReview, on_delete=models.CASCADE, related_name="countermeasures"
    )
    what = models.CharField(_("what"), max_length=300)
    who = models.CharField(_("who"), max_length=120)
    due = models.DateField(_("by when"))

    class Meta:
        db_table = "programs_countermeasure"
        ordering = ["due", "pk"]

    def __str__(self) -> str:
        return self.what
