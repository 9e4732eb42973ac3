from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from kpis.models import Goal, Kpi, KpiPeriodTarget, RoiTarget, StrategicAnswer
from programs.admin import ClosedCycleReadOnly


class KpiInline(admin.TabularInline):
    model = Kpi
    extra = 0
    fields = ["name", "unit", "direction", "baseline", "target", "target_date"]


@admin.register(Goal)
class GoalAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    list_display = ["title", "cycle", "line", "horizon", "owner"]
    inlines = [KpiInline]


@admin.register(Kpi)
class KpiAdmin(ClosedCycleReadOnly, SimpleHistoryAdmin):
    cycle_path = "goal__cycle"
    list_display = ["name", "goal", "unit", "direction", "baseline", "target", "target_date"]


@admin.register(KpiPeriodTarget)
class KpiPeriodTargetAdmin(ClosedCycleReadOnly, SimpleHistoryAdmin):
    cycle_path = "kpi__goal__cycle"
    list_display = ["kpi", "grain", "starts_on", "ends_on", "target"]


@admin.register(RoiTarget)
class RoiTargetAdmin(ClosedCycleReadOnly, SimpleHistoryAdmin):
    list_display = [
        "cycle",
        "one_off_investment",
        "running_cost_per_month",
        "expected_return_per_month",
    ]


@admin.register(StrategicAnswer)
class StrategicAnswerAdmin(ClosedCycleReadOnly, SimpleHistoryAdmin):
    list_display = ["cycle", "question", "confidence", "updated_at"]
