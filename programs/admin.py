from django.contrib import admin

from programs.models import (
    Cycle,
    DashboardVisit,
    Invitation,
    Membership,
    Organization,
    Program,
    SavedFilter,
    WorkerHeartbeat,
)


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(Organization)
class OrganizationAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "created_at"]
    search_fields = ["name", "slug"]
    prepopulated_fields = {"slug": ["name"]}
    inlines = [MembershipInline]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "organization", "role", "created_at"]
    list_filter = ["role", "organization"]
    search_fields = ["user__username", "user__email", "organization__name"]
    autocomplete_fields = ["user", "organization"]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organization", "role", "created_at", "accepted_at"]
    list_filter = ["role", "organization"]
    search_fields = ["email"]
    readonly_fields = ["token_hash", "created_at", "accepted_at"]


class CycleInline(admin.TabularInline):
    model = Cycle
    extra = 0
    fields = ["number", "starts_on", "ends_on", "phase", "closed_at"]


@admin.register(Program)
class ProgramAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "context", "created_at"]
    list_filter = ["organization"]
    search_fields = ["name", "context"]
    inlines = [CycleInline]


@admin.register(Cycle)
class CycleAdmin(admin.ModelAdmin):
    list_display = ["program", "number", "phase", "starts_on", "ends_on", "closed_at"]
    list_filter = ["phase", "program__organization"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "seen_at"]
    readonly_fields = ["hostname", "seen_at"]


@admin.register(DashboardVisit)
class DashboardVisitAdmin(admin.ModelAdmin):
    list_display = ["user", "program", "seen_at", "previous_seen_at"]
    list_select_related = ["user", "program"]


@admin.register(SavedFilter)
class SavedFilterAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "program", "query", "created_at"]
    list_select_related = ["user", "program"]
