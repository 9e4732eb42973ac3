"""Return on investment of a cycle's plan, as plain arithmetic (no Django).

Over a horizon of H months:
    investment = one-off + running cost per month * H
    return     = expected incremental return per month * H
    ROI        = (return - investment) / investment
    payback    = one-off / (monthly return - running cost), in months; none when the
                 monthly return does not exceed the running cost.

What the results realize of it is progress' part (progress/roi.py).
"""

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal


@dataclass(frozen=True)
class RoiFigures:
    investment: Decimal
    expected_return: Decimal
    roi_percent: Decimal | None  # None when nothing is invested
    payback_months: Decimal | None  # None when it never pays back at this rate
    acceptable: bool | None  # None without an ROI


def roi_figures(
    *,
    one_off: Decimal,
    running_per_month: Decimal,
    return_per_month: Decimal,
    horizon_months: int,
    acceptable_roi_percent: Decimal,
) -> RoiFigures:
    investment = one_off + running_per_month * horizon_months
    expected_return = return_per_month * horizon_months
    roi = None
    if investment > 0:
        roi = ((expected_return - investment) / investment * 100).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP
        )
    net_per_month = return_per_month - running_per_month
    payback = None
    if net_per_month > 0:
        payback = (one_off / net_per_month).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return RoiFigures(
        investment=investment,
        expected_return=expected_return,
        roi_percent=roi,
        payback_months=payback,
        acceptable=None if roi is None else roi >= acceptable_roi_percent,
    )
