"""Question 3, "How do we get there?", its plan half: initiatives across departments and
channels, their expected effects, how the team rates them, and where they collide."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from assessments.models import Gap
from kpis.models import Kpi
from programs.models import Cycle, Organization

# Journey stages, shared in name with the blueprint's default stages.
STAGES = ("Discover", "Consider", "Purchase", "Service", "Loyalty")


class Department(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="departments"
    )
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "organization",
                name="department_name_unique_in_org",
                violation_error_message=_("There is already a department with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Channel(models.Model):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="channels"
    )
    name = models.CharField(_("name"), max_length=80)

    class Meta:
        ordering = ["name"]
        verbose_name = _("marketing channel")
        verbose_name_plural = _("marketing channels")
        constraints = [
            models.UniqueConstraint(
                Lower("name"),
                "organization",
                name="channel_name_unique_in_org",
                violation_error_message=_("There is already a channel with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class Kind(models.TextChoices):
    MAIN = "main", _("Main element")
    SOFTWARE = "software", _("Supporting: software")
    BEST_PRACTICE = "best_practice", _("Supporting: best practice")
    COMMUNICATION = "communication", _("Supporting: communication")
    MARKET_STABILITY = "market_stability", _("Supporting: market stability")


class Status(models.TextChoices):
    IDEA = "idea", _("Idea")
    PLANNED = "planned", _("Planned")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    STOPPED = "stopped", _("Stopped")


ACTIVE_STATUSES = (Status.PLANNED, Status.IN_PROGRESS)


class Initiative(models.Model):
    cycle = models.ForeignKey(Cycle, on_delete=models.CASCADE, related_name="initiatives")
    name = models.CharField(_("name"), max_length=160)
    objective = models.TextField(_("objective"), blank=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.MAIN)
    owner_department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="owned_initiatives",
        verbose_name=_("owner department"),
    )
    departments = models.ManyToManyField(
        Department, blank=True, related_name="initiatives", verbose_name=_("departments involved")
    )
    channels = models.ManyToManyField(
        Channel, blank=True, related_name="initiatives", verbose_name=_("channels")
    )
    stages = models.JSONField(_("journey stages"), default=list, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(
        _("ends on"), null=True, blank=True, help_text=_("Empty: open-ended.")
    )
    cost = models.DecimalField(
        _("cost"), max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.IDEA
    )
    gaps = models.ManyToManyField(
        Gap, blank=True, related_name="initiatives", verbose_name=_("gaps it closes")
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # The same initiative in the cycle before, when a review carried it over.
    carried_from = models.OneToOneField(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="carried_to",
        editable=False,
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["starts_on", "pk"]
        verbose_name = _("initiative")
        verbose_name_plural = _("initiatives")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_on__isnull=True)
                | models.Q(ends_on__gte=models.F("starts_on")),
                name="initiative_ends_after_start",
                violation_error_message=_("An initiative cannot end before it starts."),
            ),
            models.CheckConstraint(
                condition=models.Q(cost__gte=0), name="initiative_cost_not_negative"
            ),
            models.CheckConstraint(condition=~models.Q(name=""), name="initiative_name_not_empty"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_significant(self) -> bool:
        """Main elements that are planned or running count toward a channel's overload."""
        return self.kind == Kind.MAIN and self.status in ACTIVE_STATUSES

    @property
    def is_overdue(self) -> bool:
        """Its end date has passed while it is still Planned or In progress: the plan is
        stale until someone marks it done or stopped, or gives it a new end date."""
        return (
            self.status in ACTIVE_STATUSES
            and self.ends_on is not None
            and self.ends_on < timezone.localdate()
        )


class EffectDirection(models.TextChoices):
    """Which way an initiative is expected to move a KPI (not kpis.Direction, which says
    whether higher or lower values of the KPI are better)."""

    UP = "up", _("Up")
    DOWN = "down", _("Down")


class ExpectedEffect(models.Model):
    """Which KPI an initiative should move, which way, and roughly how far."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="effects")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="expected_effects")
    direction = models.CharField(_("direction"), max_length=4, choices=EffectDirection.choices)
    size = models.CharField(
        _("by roughly"), max_length=60, blank=True, help_text=_("e.g. +0.2 points, 5%")
    )

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["initiative", "kpi"], name="effect_one_per_kpi"),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.direction}"


class PieScore(models.Model):
    """One person's rating of an idea: Potential, Importance, Ease, each 1-10."""

    initiative = models.ForeignKey(Initiative, on_delete=models.CASCADE, related_name="pie_scores")
    rater = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    potential = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    importance = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    ease = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(10)]
    )
    rated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["initiative", "rater"], name="pie_one_per_rater"),
            models.CheckConstraint(
                condition=models.Q(
                    potential__range=(1, 10), importance__range=(1, 10), ease__range=(1, 10)
                ),
                name="pie_scores_1_to_10",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.initiative}: {self.potential}/{self.importance}/{self.ease}"


class CollisionAcknowledgement(models.Model):
    """A person looked at a collision and accepted it, with a reason. It stays visible."""

    cycle = models.ForeignKey(
        Cycle, on_delete=models.CASCADE, related_name="acknowledged_collisions"
    )
    key = models.CharField(max_length=200)
    reason = models.CharField(_("reason"), max_length=500)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cycle", "key"], name="collision_acknowledged_once"),
            models.CheckConstraint(condition=~models.Q(reason=""), name="collision_ack_has_reason"),
        ]

    def __str__(self) -> str:
        return self.key
