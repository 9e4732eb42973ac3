from django.db.models import Prefetch, QuerySet

from programs.models import Organization
from segments.models import Segment, SegmentCondition


def segment_list(*, organization: Organization) -> QuerySet[Segment]:
    return organization.segments.prefetch_related(
        Prefetch("conditions", queryset=SegmentCondition.objects.select_related("attribute"))
    )
