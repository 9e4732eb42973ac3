from decimal import Decimal

import structlog
from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from programs.models import Organization
from segments import conditions, wording
from segments.models import Attribute, Segment, SegmentCondition

log = structlog.get_logger(__name__)


def attribute_save(
    *, organization: Organization, key: str, label: str, type: str, allowed_values: list[str]
) -> Attribute:
    values = [v.strip() for v in allowed_values if v.strip()]
    if type == conditions.AttributeType.CATEGORY and not values:
        raise ValidationError({"allowed_values": _("A category needs its allowed values.")})
    attribute = Attribute(
        organization=organization,
        key=key,
        label=label.strip(),
        type=type,
        allowed_values=values if type == conditions.AttributeType.CATEGORY else [],
    )
    attribute.full_clean()
    attribute.save()
    return attribute


def segment_save(
    *,
    organization: Organization,
    by: AbstractBaseUser,
    segment: Segment | None = None,
    name: str,
    description: str = "",
    estimated_size: int | None = None,
    estimated_value: Decimal | None = None,
) -> Segment:
    segment = segment or Segment(organization=organization)
    segment.name = name.strip()
    segment.description = description
    segment.estimated_size = estimated_size
    segment.estimated_value = estimated_value
    segment.full_clean()
    segment.save()
    log.info("segment_saved", segment=segment.pk, by=by.pk)
    return segment


def segment_condition_add(
    *, segment: Segment, attribute: Attribute, operator: str, value: object, by: AbstractBaseUser
) -> SegmentCondition:
    """Add one positive statement to a segment's definition, checked against its type."""
    if attribute.organization_id != segment.organization_id:
        raise ValidationError({"attribute": _("This attribute belongs to another organization.")})
    try:
        stored = conditions.normalize_value(
            attribute.as_plain(), operator, value, wording.current()
        )
    except conditions.ConditionError as error:
        raise ValidationError({"value": wording.message(error)}) from error
    condition = SegmentCondition.objects.create(
        segment=segment, attribute=attribute, operator=operator, value=stored
    )
    log.info("segment_condition_added", segment=segment.pk, by=by.pk)
    return condition


def segment_condition_delete(*, condition: SegmentCondition, by: AbstractBaseUser) -> None:
    log.info("segment_condition_deleted", segment=condition.segment_id, by=by.pk)
    condition.delete()


def segment_delete(*, segment: Segment, by: AbstractBaseUser) -> None:
    """Delete a segment; refused while results were measured for it (they would go too)."""
    try:
        with transaction.atomic():
            segment.delete()
    except ProtectedError:
        raise ValidationError(
            _("“%(name)s” has measurements; it cannot be deleted without losing them.")
            % {"name": segment.name}
        ) from None
    log.info("segment_deleted", segment=segment.name, by=by.pk)
