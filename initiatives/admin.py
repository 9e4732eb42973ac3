from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from initiatives.models import (
    Channel,
    CollisionAcknowledgement,
    Department,
    ExpectedEffect,
    Initiative,
    PieScore,
)
from programs.admin import ClosedCycleReadOnly


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "organization"]
    list_filter = ["organization"]


@admin.register(Channel)
class ChannelAdmin(admin.ModelAdmin):
    list_display = ["name", "organization"]
    list_filter = ["organization"]


class ExpectedEffectInline(admin.TabularInline):
    model = ExpectedEffect
    extra = 0


@admin.register(Initiative)
class InitiativeAdmin(ClosedCycleReadOnly, SimpleHistoryAdmin):
    list_display = ["name", "cycle", "kind", "status", "starts_on", "ends_on", "cost"]
    list_filter = ["status", "kind"]
    search_fields = ["name"]
    inlines = [ExpectedEffectInline]


@admin.register(ExpectedEffect)
class ExpectedEffectAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    cycle_path = "initiative__cycle"
    list_display = ["initiative", "kpi", "direction", "size"]


@admin.register(PieScore)
class PieScoreAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    cycle_path = "initiative__cycle"
    list_display = ["initiative", "rater", "potential", "importance", "ease"]


@admin.register(CollisionAcknowledgement)
class CollisionAcknowledgementAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    list_display = ["key", "cycle", "reason", "by", "at"]
