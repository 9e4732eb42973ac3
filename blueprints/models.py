"""Question 3's design half: the personalization blueprint of a context or channel.

Journey stages in order; offers per stage; conditions that decide who is eligible. Among
the eligible offers, the one with the highest propensity x value x weight wins (blueprints.engine).
A blueprint belongs to a cycle, so each cycle keeps the version it ran.
"""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from kpis.models import Kpi
from programs.jobs import JobStatus, job_status_constraint
from programs.models import Cycle
from segments import wording
from segments.conditions import Operator, describe
from segments.models import Attribute

# Named in the language of the person who creates the blueprint (stage names are data).
DEFAULT_STAGES = (_("Discover"), _("Consider"), _("Purchase"), _("Service"), _("Loyalty"))


class Blueprint(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="blueprints")
    name = models.CharField(_("name"), max_length=120)
    context = models.CharField(
        _("context or channel"),
        max_length=120,
        blank=True,
        help_text=_("Where it applies, e.g. “Web shop — desktop” or “E-mail”."),
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("blueprint")
        verbose_name_plural = _("blueprints")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "cycle",
                name="blueprint_name_unique_in_cycle",
                violation_error_message=_("This cycle already has a blueprint with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=60)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("journey stage")
        verbose_name_plural = _("journey stages")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "blueprint",
                name="stage_name_unique_in_blueprint",
                violation_error_message=_("The blueprint already has a stage with this name."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class OfferKind(models.TextChoices):
    CONTENT = "content", _("Content")
    RECOMMENDATION = "recommendation", _("Product recommendation")
    PROMOTION = "promotion", _("Promotion")
    SERVICE_ACTION = "service_action", _("Service action")
    NEXT_BEST_ACTION = "next_best_action", _("Next-best-action")


class Offer(models.Model):
    stage = models.ForeignKey(Stage, on_delete=models.CASCADE, related_name="offers")
    name = models.CharField(_("name"), max_length=120)
    kind = models.CharField(
        _("kind"), max_length=20, choices=OfferKind.choices, default=OfferKind.CONTENT
    )
    description = models.TextField(_("description"), blank=True)
    value = models.DecimalField(
        _("value to the business"),
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(0)],
        help_text=_("What one conversion is worth, e.g. the margin of an order."),
    )
    propensity = models.DecimalField(
        _("propensity"),
        max_digits=5,
        decimal_places=4,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("Estimated chance an eligible customer converts, 0 to 1 (0.05 = 5%)."),
    )
    weight = models.DecimalField(
        _("business weight"),
        max_digits=6,
        decimal_places=2,
        default=1,
        validators=[MinValueValidator(0)],
        help_text=_("Optional: 1 is neutral; 2 doubles its score."),
    )
    kpi = models.ForeignKey(
        Kpi,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="offers",
        verbose_name=_("serves KPI"),
    )
    active_from = models.DateField(_("active from"), null=True, blank=True)
    active_to = models.DateField(_("active to"), null=True, blank=True)
    position = models.PositiveIntegerField(default=0)
    # Set: the engine scores this offer with the learned model's prediction for each
    # profile instead of `propensity` (blueprints.services.offer_propensity_use).
    learned_model = models.ForeignKey(
        "PropensityModel",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("learned propensity model"),
    )

    class Meta:
        ordering = ["position", "pk"]
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(propensity__gte=0, propensity__lte=1),
                name="offer_propensity_0_to_1",
            ),
            models.CheckConstraint(
                condition=models.Q(value__gte=0), name="offer_value_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(weight__gte=0), name="offer_weight_not_negative"
            ),
            models.CheckConstraint(
                condition=models.Q(active_to__isnull=True)
                | models.Q(active_from__isnull=True)
                | models.Q(active_to__gte=models.F("active_from")),
                name="offer_active_to_after_from",
                violation_error_message=_("An offer cannot stop before it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def expected_value(self):
        return self.propensity * self.value * self.weight

    @property
    def uses_learned_propensity(self) -> bool:
        """Whether decisions score it with its learned model instead of `propensity`."""
        return self.learned_model_id is not None

    def is_active_on(self, day) -> bool:
        return (self.active_from is None or self.active_from <= day) and (
            self.active_to is None or day <= self.active_to
        )


class OfferCondition(models.Model):
    """One positive statement on a customer attribute; all of an offer's must hold."""

    offer = models.ForeignKey(Offer, on_delete=models.CASCADE, related_name="conditions")
    attribute = models.ForeignKey(Attribute, on_delete=models.PROTECT, related_name="+")
    operator = models.CharField(max_length=12, choices=[(o.value, o.value) for o in Operator])
    value = models.JSONField(default=str, blank=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("offer condition")
        verbose_name_plural = _("offer conditions")

    def __str__(self) -> str:

        return describe(self.attribute.as_plain(), self.operator, self.value, wording.current())


class SimulationBatch(models.Model):
    """A CSV of customer profiles decided in the background; the result is a CSV too."""

    blueprint = models.ForeignKey(Blueprint, on_delete=models.CASCADE, related_name="batches")
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    file_name = models.CharField(max_length=200)
    profiles_csv = models.TextField()
    result_csv = models.TextField(blank=True)
    rows_total = models.PositiveIntegerField(default=0)
    rows_done = models.PositiveIntegerField(default=0)
    wins = models.JSONField(default=dict, blank=True)  # offer name -> times chosen
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]
        constraints = [job_status_constraint("simulation_batch_status_known")]

    def __str__(self) -> str:
        return f"{self.file_name} ({self.status})"

    @property
    def percent(self) -> int:
        return round(100 * self.rows_done / self.rows_total) if self.rows_total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)


def _history_path(run: "PropensityRun", filename: str) -> str:
    return f"propensity/blueprint-{run.blueprint_id}/v{run.version}-{filename}"


class PropensityRun(models.Model):
    """One training of propensity models from an uploaded exposure history: a version.

    The file stays in default storage (MEDIA_ROOT, shared by web and workers) beside the
    columns chosen and the random seed, so a version can be reproduced: the same file,
    columns and seed give the same models (blueprints.propensity).
    """

    blueprint = models.ForeignKey(
        Blueprint, on_delete=models.CASCADE, related_name="propensity_runs"
    )
    version = models.PositiveIntegerField()
    file = models.FileField(upload_to=_history_path, max_length=300)
    file_name = models.CharField(max_length=200)
    rows = models.PositiveIntegerField(null=True, blank=True)  # None until the job read the file
    offer_column = models.CharField(max_length=200)
    converted_column = models.CharField(max_length=200)
    value_column = models.CharField(max_length=200, blank=True)
    # As chosen (empty: the columns named after attributes) until the job read the file,
    # then in the order the model uses them.
    feature_columns = models.JSONField(default=list, blank=True)
    feature_kinds = models.JSONField(default=dict, blank=True)  # column -> kind, once read
    seed = models.PositiveIntegerField(
        help_text=_("Draws the held-out rows; recorded to reproduce.")
    )
    holdout = models.FloatField(default=0.25)
    status = models.CharField(max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED)
    offers_total = models.PositiveIntegerField(default=0)
    offers_done = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)
    task_id = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-version"]
        constraints = [
            job_status_constraint("propensity_run_status_known"),
            # The version is how people and offers name a run; it must never repeat.
            models.UniqueConstraint(
                fields=["blueprint", "version"], name="propensity_run_version_unique"
            ),
            models.CheckConstraint(
                condition=models.Q(offers_done__lte=models.F("offers_total")),
                name="propensity_run_progress_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(holdout__gt=0, holdout__lt=1),
                name="propensity_run_holdout_share",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.blueprint} · propensity v{self.version}"

    @property
    def percent(self) -> int:
        return round(100 * self.offers_done / self.offers_total) if self.offers_total else 0

    @property
    def is_finished(self) -> bool:
        return self.status in (JobStatus.SUCCEEDED, JobStatus.FAILED)

    @property
    def step(self) -> str:
        """What the job is doing, for the page that follows it: the file is read and checked
        first (rows unknown until then), then the offers are trained one by one."""
        if self.status == JobStatus.RUNNING and self.rows is None:
            return _("Reading the file")
        # The one job vocabulary, in this job's own words where they differ.
        words = {JobStatus.RUNNING: _("Training"), JobStatus.SUCCEEDED: _("Trained")}
        return str(words.get(self.status, self.get_status_display()))


class PropensityModel(models.Model):
    """One offer's result in a run: the fitted model as plain JSON (not pickle: loading it
    runs no code and needs no particular scikit-learn), its held-out quality and the volume
    behind it; or, with too little data, no model and the reason."""

    run = models.ForeignKey(PropensityRun, on_delete=models.CASCADE, related_name="models")
    offer = models.ForeignKey(
        Offer, on_delete=models.SET_NULL, null=True, related_name="propensity_models"
    )
    offer_name = models.CharField(max_length=120)  # as the file named it
    reason = models.TextField(blank=True)  # why there is no model
    exposures = models.PositiveIntegerField()
    conversions = models.PositiveIntegerField()
    exposures_test = models.PositiveIntegerField(default=0)
    conversions_test = models.PositiveIntegerField(default=0)
    auc = models.FloatField(null=True, blank=True)
    brier = models.FloatField(null=True, blank=True)
    mean_predicted = models.FloatField(null=True, blank=True)
    observed_rate = models.FloatField(null=True, blank=True)
    value_per_conversion = models.FloatField(null=True, blank=True)
    reliability = models.JSONField(default=list, blank=True)
    model = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["offer_name"]
        constraints = [
            # The task upserts on it, so a run delivered twice stores each offer once.
            models.UniqueConstraint(
                fields=["run", "offer_name"], name="propensity_model_offer_unique_in_run"
            ),
            # Either a model with its held-out AUC, or a reason why there is none.
            models.CheckConstraint(
                condition=(models.Q(auc__isnull=False) & models.Q(reason=""))
                | (models.Q(auc__isnull=True) & ~models.Q(reason="")),
                name="propensity_model_trained_or_why_not",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.offer_name} · v{self.run.version}"

    @property
    def is_trained(self) -> bool:
        return self.auc is not None

    @property
    def exposures_train(self) -> int:
        return self.exposures - self.exposures_test

    @property
    def conversions_train(self) -> int:
        return self.conversions - self.conversions_test
