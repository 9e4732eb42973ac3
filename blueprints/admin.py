from django.contrib import admin

from blueprints.models import Blueprint, Offer, OfferCondition, SimulationBatch, Stage
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
