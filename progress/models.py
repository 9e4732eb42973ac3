"""What people keep of the dashboard: when they last saw it and the views they saved. The
tables kept the names they had in programs/ (ARCHITECTURE.md, moving a model)."""

import datetime

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from programs.models import Program


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
