from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from assessments.models import (
    Assessment,
    Dimension,
    DriverChange,
    DriverValidation,
    Gap,
    MaturityScore,
    MeasurementDriver,
)
from programs.admin import ClosedCycleReadOnly


@admin.register(Dimension)
class DimensionAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "position", "retired_at"]
    list_filter = ["organization"]
    search_fields = ["name"]


class MaturityScoreInline(admin.TabularInline):
    model = MaturityScore
    extra = 0
    fields = ["dimension", "score", "evidence", "opportunity"]


@admin.register(Assessment)
class AssessmentAdmin(ClosedCycleReadOnly, admin.ModelAdmin):
    list_display = ["cycle", "created_at"]
    inlines = [MaturityScoreInline]


@admin.register(MaturityScore)
class MaturityScoreAdmin(ClosedCycleReadOnly, SimpleHistoryAdmin):
    cycle_path = "assessment__cycle"
    list_display = ["assessment", "dimension", "score", "updated_by", "updated_at"]


class DriverChangeInline(admin.TabularInline):
    model = DriverChange
    extra = 0


class DriverValidationInline(admin.TabularInline):
    model = DriverValidation
    extra = 0


@admin.register(MeasurementDriver)
class MeasurementDriverAdmin(SimpleHistoryAdmin):
    list_display = ["name", "program", "source_system", "owner", "calendar", "frequency"]
    list_filter = ["program__organization", "calendar"]
    search_fields = ["name", "source_system", "owner"]
    inlines = [DriverValidationInline, DriverChangeInline]


@admin.register(DriverChange)
class DriverChangeAdmin(admin.ModelAdmin):
    list_display = ["driver", "changed_on", "kind", "description"]


@admin.register(DriverValidation)
class DriverValidationAdmin(admin.ModelAdmin):
    list_display = ["driver", "validated_on", "validated_by", "note"]


@admin.register(Gap)
class GapAdmin(ClosedCycleReadOnly, SimpleHistoryAdmin):
    list_display = ["title", "cycle", "source", "priority", "status", "edited_at"]
    list_filter = ["status", "priority", "source"]
    search_fields = ["title"]
