"""The usual KPIs of a personalization program, with definitions and direction filled in."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class LibraryKpi:
    key: str
    name: str
    definition: str
    unit: str
    direction: str


LIBRARY: tuple[LibraryKpi, ...] = (
    LibraryKpi(
        "conversion_rate",
        _("Conversion rate"),
        _("Orders divided by sessions, in percent."),
        "percent",
        "higher",
    ),
    LibraryKpi(
        "revenue_per_visit",
        _("Revenue per visit"),
        _("Revenue divided by sessions."),
        "currency",
        "higher",
    ),
    LibraryKpi(
        "average_order_value",
        _("Average order value"),
        _("Revenue divided by orders."),
        "currency",
        "higher",
    ),
    LibraryKpi(
        "click_through_rate",
        _("Click-through rate"),
        _("Clicks on personalized content divided by its impressions, in percent."),
        "percent",
        "higher",
    ),
    LibraryKpi(
        "bounce_rate",
        _("Bounce rate"),
        _("Sessions with a single page view divided by all sessions, in percent."),
        "percent",
        "lower",
    ),
    LibraryKpi(
        "repeat_purchase_rate",
        _("Repeat-purchase rate"),
        _("Customers with two or more orders in the period divided by all customers, in percent."),
        "percent",
        "higher",
    ),
    LibraryKpi(
        "retention",
        _("Retention"),
        _("Customers active in the previous period who are active again, in percent."),
        "percent",
        "higher",
    ),
    LibraryKpi(
        "conversion_lift",
        _("Conversion lift (personalized vs control)"),
        _("Conversion rate of the personalized group over control's, minus one, in percent."),
        "percent_change",
        "higher",
    ),
)

LIBRARY_BY_KEY = {kpi.key: kpi for kpi in LIBRARY}
