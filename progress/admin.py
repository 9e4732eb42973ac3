from django.contrib import admin

from progress.models import DashboardVisit, SavedFilter


@admin.register(DashboardVisit)
class DashboardVisitAdmin(admin.ModelAdmin):
    list_display = ["user", "program", "seen_at", "previous_seen_at"]
    list_select_related = ["user", "program"]


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "program", "query", "created_at"]
    list_select_related = ["user", "program"]
