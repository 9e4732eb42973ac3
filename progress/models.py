"""What progress keeps: each KPI's snapshot and its status changes, the refresh waiting to
run, when people last saw the dashboard and the views they saved. The tables kept the names
they had in kpis/ and programs/ (ARCHITECTURE.md, moving a model)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from kpis.models import Kpi
from programs.models import Program
from segments.models import Segment


class DashboardVisit(models.Model):
    """When a person last opened a program's dashboard, so it can say what changed since.

    A visit within VISIT_GAP of the last one continues it: reloading the page keeps showing
    the changes since the visit before."""

    VISIT_GAP = datetime.timedelta(minutes=30)

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="+")
    seen_at = models.DateTimeField()
    previous_seen_at = models.DateTimeField(null=True)

    class Meta:
        db_table = "programs_dashboardvisit"
        constraints = [
            models.UniqueConstraint(fields=["user", "program"], name="dashboard_visit_one_per_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} saw {self.program} at {self.seen_at}"

    def since(self, now: datetime.datetime) -> datetime.datetime | None:
        """When the visit before one at `now` began: "what changed" counts from there. A
        visit within VISIT_GAP of the last continues it, so it counts from the one before."""
        return self.seen_at if now - self.seen_at > self.VISIT_GAP else self.previous_seen_at


class SavedFilter(models.Model):
    """A named set of dashboard filters (segment, period, goal) a person keeps; the filters
    themselves live in the URL, so a saved one is its query string."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    program = models.ForeignKey(Program, on_delete=models.CASCADE, related_name="saved_filters")
    name = models.CharField(_("name"), max_length=80)
    query = models.CharField(max_length=300)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        db_table = "programs_savedfilter"
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                "user",
                "program",
                Lower("name"),
                name="saved_filter_name_unique",
                violation_error_message=_("You already have a saved filter with this name."),
            ),
            models.CheckConstraint(
                condition=~models.Q(name=""), name="saved_filter_name_not_empty"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class RefreshRequest(models.Model):
    """A progress refresh of a program that is queued and has not started yet. Loads that
    finish meanwhile join it instead of queueing their own: a burst of 150 pushes queues
    one refresh (and one more if results arrive while it runs), not 85."""

    program = models.OneToOneField("programs.Program", on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField()

    class Meta:
        db_table = "kpis_refreshrequest"

    def __str__(self) -> str:
        return f"Refresh of {self.program_id} requested {self.requested_at:%H:%M:%S}"


class ProgressStatus(models.TextChoices):
    """How a KPI is doing (progress.pace decides); ordered from best to worst."""

    ACHIEVED = "achieved", _("Achieved")
    ON_TRACK = "on_track", _("On track")
    BEHIND = "behind", _("Behind")
    AT_RISK = "at_risk", _("At risk")
    NO_DATA = "no_data", _("No data")

    @classmethod
    def worsened(cls, before: str, after: str) -> bool:
        """A move down the order; losing or gaining data is not a change of course."""
        ranked = [cls.ACHIEVED, cls.ON_TRACK, cls.BEHIND, cls.AT_RISK]
        if before not in ranked or after not in ranked:
            return False
        return ranked.index(after) > ranked.index(before)


class KpiSnapshot(models.Model):
    """A KPI's progress as of its last refresh, for all traffic (no segment) or one
    segment: what the dashboards read, so that no page aggregates years of daily results
    per request. Refreshed by a Celery job after every load and every night."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="snapshots")
    segment = models.ForeignKey(Segment, on_delete=models.CASCADE, null=True, related_name="+")
    status = models.CharField(max_length=10, choices=ProgressStatus.choices, blank=True)
    actual = models.FloatField(null=True)
    actual_day = models.DateField(null=True)
    trend = models.FloatField(null=True)
    progress_pct = models.FloatField(null=True)
    expected_pct = models.FloatField(null=True)
    pace = models.FloatField(null=True)
    projected_day = models.DateField(null=True)
    # The 7-day mean of each of the last 91 days with results, oldest first, ending on
    # actual_day (the dashboard cuts 4 or 13 weeks from it), and of every 7th day of the
    # last year (for 12 months): a sparkline needs no more points than that.
    trail = models.JSONField(default=list)
    trail_year = models.JSONField(default=list)
    # Personalized against control, for KPIs with both (all traffic only): see
    # progress.selectors.LiftSummary for the keys.
    lift = models.JSONField(null=True)
    # The KPI in the periods of its calendar (all traffic only): its months and quarters
    # from the baseline date to today, each period's total or mean and what the plan
    # expected of it (progress.periods; see progress.selectors.snapshot_periods).
    periods = models.JSONField(default=dict)
    # Why this KPI's progress could not be computed (its other figures are then empty):
    # one KPI's impossible results never stop the others' refresh.
    problem = models.TextField(blank=True, default="")
    computed_at = models.DateTimeField()

    class Meta:
        db_table = "kpis_kpisnapshot"
        constraints = [
            # One snapshot per KPI and segment; "all traffic" (no segment) counts once too.
            models.UniqueConstraint(
                fields=["kpi", "segment"], nulls_distinct=False, name="kpi_snapshot_one_per_segment"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} ({self.segment or 'all traffic'}): {self.status}"


class StatusChange(models.Model):
    """A KPI's status moving between refreshes, kept for "what changed", alerts and the
    weekly digest."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="status_changes")
    before = models.CharField(max_length=10, choices=ProgressStatus.choices)
    after = models.CharField(max_length=10, choices=ProgressStatus.choices)
    trend = models.FloatField(null=True)
    threshold_crossed = models.BooleanField(default=False)
    changed_at = models.DateTimeField(db_index=True)
    notified = models.PositiveSmallIntegerField(default=0)  # e-mails sent about it

    class Meta:
        db_table = "kpis_statuschange"
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.kpi}: {self.before} → {self.after}"

    @property
    def worsened(self) -> bool:
        return ProgressStatus.worsened(self.before, self.after)
