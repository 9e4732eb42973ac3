from django.contrib import admin

from programs.models import (
    Cycle,
    Invitation,
    Membership,
    Organization,
    Profile,
    Program,
    WorkerHeartbeat,
)


class ClosedCycleReadOnly:
    """A closed cycle's objects are shown here but never changed or deleted, as in the
    app. `cycle_path` leads from the object to its cycle ("" for a cycle itself)."""

    cycle_path = "cycle"

    def _closed(self, obj) -> bool:
        for step in filter(None, self.cycle_path.split("__")):
            obj = getattr(obj, step, None)
        return obj is not None and obj.closed_at is not None

    def has_change_permission(self, request, obj=None) -> bool:
        if obj is not None and self._closed(obj):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        if obj is not None and self._closed(obj):
            return False
        return super().has_delete_permission(request, obj)

    def save_model(self, request, obj, form, change) -> None:
        """Nothing new under a closed cycle either (its add form cannot know the cycle)."""
        if self._closed(obj):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied("This cycle is closed; its record can no longer change.")
        super().save_model(request, obj, form, change)


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


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "language"]
    list_filter = ["language"]
    search_fields = ["user__username", "user__email"]
    autocomplete_fields = ["user"]


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
class CycleAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    cycle_path = ""
    list_display = ["program", "number", "phase", "starts_on", "ends_on", "closed_at"]
    list_filter = ["phase", "program__organization"]


@admin.register(WorkerHeartbeat)
class WorkerHeartbeatAdmin(admin.ModelAdmin):
    list_display = ["hostname", "seen_at"]
    readonly_fields = ["hostname", "seen_at"]


class ReadOnly(admin.ModelAdmin):
    """Made by an upload or a job; the pages are where they are changed."""

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
