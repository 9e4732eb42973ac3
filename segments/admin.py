from django.contrib import admin

from programs.admin import ReadOnly
from segments.models import Attribute, ClusterRun, CustomerTable, Segment, SegmentCondition


@admin.register(Attribute)
class AttributeAdmin(admin.ModelAdmin):
    list_display = ["label", "key", "type", "organization"]
    list_filter = ["organization", "type"]


class SegmentConditionInline(admin.TabularInline):
    model = SegmentCondition
    extra = 0


@admin.register(Segment)
class SegmentAdmin(admin.ModelAdmin):
    list_display = ["name", "organization", "estimated_size", "estimated_value"]
    list_filter = ["organization"]
    inlines = [SegmentConditionInline]


@admin.register(SegmentCondition)
class SegmentConditionAdmin(admin.ModelAdmin):
    list_display = ["segment", "attribute", "operator", "value"]


@admin.register(CustomerTable)
class CustomerTableAdmin(ReadOnly):
    list_display = ["name", "organization", "status", "rows", "uploaded_by", "uploaded_at"]
    list_filter = ["status"]
    exclude = ["columns"]


@admin.register(ClusterRun)
class ClusterRunAdmin(ReadOnly):
    list_display = ["table", "number", "status", "k", "seed", "created_by", "created_at"]
    list_filter = ["status"]
    list_select_related = ["table", "created_by"]
    exclude = ["result"]
