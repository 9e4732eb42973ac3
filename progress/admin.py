from django.contrib import admin

from programs.admin import ReadOnly
from progress.models import DashboardVisit, KpiSnapshot, RefreshRequest, SavedFilter, StatusChange


@admin.register(DashboardVisit)
class DashboardVisitAdmin(admin.ModelAdmin):
    list_display = ["user", "program", "seen_at", "previous_seen_at"]
    list_select_related = ["user", "program"]


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "program", "query", "created_at"]
    list_select_related = ["user", "program"]


@admin.register(KpiSnapshot)
class KpiSnapshotAdmin(admin.ModelAdmin):
    """Computed by the refresh job; read here, never edited."""

    list_display = ["kpi", "segment", "status", "trend", "progress_pct", "computed_at"]
    list_filter = ["status"]
    list_select_related = ["kpi", "segment"]
    exclude = ["trail"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(StatusChange)
class StatusChangeAdmin(admin.ModelAdmin):
    list_display = ["kpi", "before", "after", "threshold_crossed", "changed_at", "notified"]
    list_filter = ["after", "threshold_crossed"]
    list_select_related = ["kpi"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(RefreshRequest)
class RefreshRequestAdmin(ReadOnly):
    list_display = ["program", "requested_at"]
