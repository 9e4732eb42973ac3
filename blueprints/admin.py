from django.contrib import admin

from blueprints.models import (
    Blueprint,
    Offer,
    OfferCondition,
    PropensityModel,
    PropensityRun,
    SimulationBatch,
    Stage,
)
from programs.admin import ClosedCycleReadOnly


class StageInline(admin.TabularInline):
    model = Stage
    extra = 0


@admin.register(Blueprint)
class BlueprintAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    list_display = ["name", "cycle", "context", "updated_at"]
    inlines = [StageInline]


class OfferInline(admin.TabularInline):
    model = Offer
    extra = 0
    fields = ["name", "kind", "propensity", "value", "weight", "position"]


@admin.register(Stage)
class StageAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    cycle_path = "blueprint__cycle"
    list_display = ["name", "blueprint", "position"]
    inlines = [OfferInline]


class OfferConditionInline(admin.TabularInline):
    model = OfferCondition
    extra = 0


@admin.register(Offer)
class OfferAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    cycle_path = "stage__blueprint__cycle"
    list_display = ["name", "stage", "kind", "propensity", "value", "weight"]
    inlines = [OfferConditionInline]


@admin.register(OfferCondition)
class OfferConditionAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    cycle_path = "offer__stage__blueprint__cycle"
    list_display = ["offer", "attribute", "operator", "value"]


@admin.register(SimulationBatch)
class SimulationBatchAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    cycle_path = "blueprint__cycle"
    list_display = ["file_name", "blueprint", "status", "rows_total", "rows_done", "created_at"]
    exclude = ["profiles_csv", "result_csv"]


class PropensityModelInline(admin.TabularInline):
    model = PropensityModel
    extra = 0
    fields = ["offer_name", "exposures", "conversions", "auc", "mean_predicted", "reason"]
    readonly_fields = fields
    can_delete = False


@admin.register(PropensityRun)
class PropensityRunAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    """Runs are made by the upload and the training job; here they are read (a model's
    numbers only mean something as trained, so nothing is edited by hand)."""

    cycle_path = "blueprint__cycle"
    list_display = ["blueprint", "version", "file_name", "rows", "status", "seed", "created_at"]
    readonly_fields = [f.name for f in PropensityRun._meta.fields]
    inlines = [PropensityModelInline]

    def has_add_permission(self, request) -> bool:
        return False


@admin.register(PropensityModel)
class PropensityModelAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    cycle_path = "run__blueprint__cycle"
    list_display = ["offer_name", "run", "exposures", "conversions", "auc"]
    readonly_fields = [f.name for f in PropensityModel._meta.fields]

    def has_add_permission(self, request) -> bool:
        return False
