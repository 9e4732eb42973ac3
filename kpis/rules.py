"""What makes a KPI's numbers acceptable, as plain functions (no Django)."""

import datetime
import re
from decimal import Decimal

from programs.messages import Message, _

MAX_HORIZON_DAYS = 5 * 366  # a target further out than five years is not a plan
CURRENCY_CODE = re.compile(r"^[A-Z]{3}$")


def kpi_errors(
    *,
    unit: str,
    direction: str,
    baseline: Decimal | None,
    target: Decimal | None,
    baseline_date: datetime.date | None,
    target_date: datetime.date | None,
    currency_code: str = "",
) -> dict[str, Message]:
    """Field name → message (shown in the reader's language) for every rule the KPI
    breaks; empty when it is sound.

    - a target must be better than its baseline in the KPI's direction;
    - a target date comes after the baseline date, within five years;
    - a percent lies between 0 and 100 (a percent change may be anything);
    - counts and durations are not negative;
    - a currency needs its ISO 4217 code (three capitals, e.g. EUR).
    """
    errors: dict[str, str] = {}
    for field, value in (("baseline", baseline), ("target", target)):
        if value is None:
            continue
        if unit == "percent" and not (0 <= value <= 100):
            errors[field] = Message(_("A percent lies between 0 and 100."))
        elif unit in ("count", "duration", "currency", "ratio") and value < 0:
            errors[field] = Message(_("This unit cannot be negative."))
    if unit == "currency" and not CURRENCY_CODE.match(currency_code or ""):
        errors["currency_code"] = Message(_("Give the currency's three-letter ISO code, e.g. EUR."))
    if baseline is not None and target is not None and "target" not in errors:
        if direction == "higher" and target <= baseline:
            errors["target"] = Message(
                _("Higher is better for this KPI: the target must be above the baseline.")
            )
        elif direction == "lower" and target >= baseline:
            errors["target"] = Message(
                _("Lower is better for this KPI: the target must be below the baseline.")
            )
    if baseline_date and target_date:
        if target_date <= baseline_date:
            errors["target_date"] = Message(_("The target date must come after the baseline date."))
        elif (target_date - baseline_date).days > MAX_HORIZON_DAYS:
            errors["target_date"] = Message(
                _("A target more than five years after its baseline is not a plan.")
            )
    return errors


def progress_needed(*, baseline: Decimal, target: Decimal) -> Decimal:
    """How far the KPI must move, as a share of its baseline (None-safe for 0)."""
    if baseline == 0:
        return Decimal(0)
    return (target - baseline) / abs(baseline)
