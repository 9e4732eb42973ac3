from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from programs.admin import ClosedCycleReadOnly
from results.models import ApiToken, Measurement, Pull, ResultSource


@admin.register(ResultSource)
class ResultSourceAdmin(SimpleHistoryAdmin):
    list_display = ["name", "program", "kind", "schedule", "paused"]
    list_filter = ["kind", "schedule", "paused"]
    exclude = ["headers", "db_password"]  # secrets are not shown back
    # Where a source reaches is changed on its page, where secrets follow their host.
    readonly_fields = ["kind", "url", "db_host", "db_port", "db_name", "db_user", "query"]


@admin.register(Pull)
class PullAdmin(admin.ModelAdmin):
    list_display = [
        "source",
        "status",
        "trigger",
        "queued_at",
        "rows_read",
        "inserted",
        "updated",
        "rejected",
    ]
    list_filter = ["status"]
    exclude = ["payload"]


@admin.register(Measurement)
class MeasurementAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    cycle_path = "kpi__goal__cycle"
    list_display = ["kpi", "period_start", "period_kind", "segment", "variant", "value"]
    list_filter = ["period_kind", "variant"]
    list_select_related = ["kpi", "segment"]


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ["name", "program", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "token_hash", "created_at", "last_used_at"]
