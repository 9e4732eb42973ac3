"""Return on investment realized so far, as plain arithmetic (no Django): the plan's side is
kpis/roi.py.

From the results (see `realized_roi`):
    extra conversions = (personalized rate - control rate) * personalized visits, since
                        the cycle began (personalization's effect on the traffic it got)
    return to date    = extra conversions * value of one conversion
    return per month  = return to date / months with results
    cost to date      = one-off + running cost per month * months since the cycle began
    ROI to date       = (return to date - cost to date) / cost to date
    projected ROI     = the plan's ROI with the realized return per month in place of the
                        expected one: what the horizon brings if the effect holds.
"""

import datetime
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from kpis.roi import RoiFigures, roi_figures

DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12


@dataclass(frozen=True)
class RealizedRoi:
    extra_conversions: Decimal
    return_to_date: Decimal
    return_per_month: Decimal
    cost_to_date: Decimal
    roi_to_date_percent: Decimal | None  # None when nothing has been spent yet
    projected: RoiFigures  # the plan's horizon at the realized monthly return


def realized_roi(
    *,
    extra_conversions: float,
    value_per_conversion: Decimal,
    measured_since: datetime.date,
    measured_until: datetime.date,
    cycle_start: datetime.date,
    today: datetime.date,
    one_off: Decimal,
    running_per_month: Decimal,
    horizon_months: int,
    acceptable_roi_percent: Decimal,
) -> RealizedRoi:
    """What personalization has returned so far against what the cycle has cost so far."""
    extra = Decimal(str(round(extra_conversions, 2)))
    returned = (extra * value_per_conversion).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    months_measured = Decimal((measured_until - measured_since).days + 1) / DAYS_PER_MONTH
    per_month = (returned / months_measured).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    months_running = Decimal(max(0, (today - cycle_start).days + 1)) / DAYS_PER_MONTH
    cost = (one_off + running_per_month * months_running).quantize(
        Decimal("0.01"), rounding=ROUND_HALF_UP
    )
    roi = None
    if cost > 0:
        roi = ((returned - cost) / cost * 100).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return RealizedRoi(
        extra_conversions=extra,
        return_to_date=returned,
        return_per_month=per_month,
        cost_to_date=cost,
        roi_to_date_percent=roi,
        projected=roi_figures(
            one_off=one_off,
            running_per_month=running_per_month,
            return_per_month=max(per_month, Decimal(0)),
            horizon_months=horizon_months,
            acceptable_roi_percent=acceptable_roi_percent,
        ),
    )
