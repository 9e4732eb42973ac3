from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from cycles.models import Countermeasure, CycleReview, InitiativeReview, KpiReview
from programs.admin import ClosedCycleReadOnly


class KpiReviewInline(admin.TabularInline):
    model = KpiReview
    extra = 0
    fields = ["kpi", "baseline", "planned", "actual", "decision", "new_target", "note"]
    readonly_fields = ["kpi", "baseline", "planned", "actual"]


class InitiativeReviewInline(admin.TabularInline):
    model = InitiativeReview
    extra = 0
    fields = ["initiative", "outcome", "decision", "note"]
    readonly_fields = ["initiative"]


@admin.register(CycleReview)
class CycleReviewAdmin(ClosedCycleReadOnly, SimpleHistoryAdmin):
    list_display = ["cycle", "updated_at", "updated_by"]
    list_select_related = ["cycle__program", "updated_by"]
    inlines = [KpiReviewInline, InitiativeReviewInline]


@admin.register(KpiReview)
class KpiReviewAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    cycle_path = "review__cycle"
    list_display = ["kpi", "planned", "actual", "decision", "new_target"]
    list_select_related = ["kpi"]


@admin.register(InitiativeReview)
class InitiativeReviewAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    cycle_path = "review__cycle"
    list_display = ["initiative", "outcome", "decision"]
    list_select_related = ["initiative"]


@admin.register(Countermeasure)
class CountermeasureAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    cycle_path = "review__cycle"
    list_display = ["what", "who", "due"]
