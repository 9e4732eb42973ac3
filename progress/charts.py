"""Plotly figures of the KPIs, built from selector output; views only render them."""

import datetime
import json

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from programs import chart_numbers, numbers, plotly_text
from progress.models import ProgressStatus
from progress.pace import Plan, Point, Progress, expected_value

COLOURS = {"actual": "#3b7cf0", "expected": "#9aa5bd", "target": "#14956d", "projection": "#c77d0a"}


def kpi_progress(
    *,
    series: list[Point],
    plan: Plan,
    result: Progress,
    changes: list[tuple[datetime.date, str]],
    today: datetime.date,
    unit_suffix: str = "",
) -> dict:
    """The measured series against the baseline, the expected path to the target, the
    projection from the recent trend, and dated breaks in comparability (a tool switch
    explains a jump)."""
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[p.day.isoformat() for p in series],
            y=[p.value for p in series],
            name=_("Actual"),
            mode="lines",
            line={"color": COLOURS["actual"], "width": 1.5},
            hovertemplate="%{x}: " + _with_unit("%{y:.3~f}", unit_suffix) + "<extra></extra>",
        )
    )
    path_days = [
        plan.baseline_date + datetime.timedelta(days=d)
        for d in range(0, (plan.target_date - plan.baseline_date).days + 1, 7)
    ]
    path_days.append(plan.target_date)
    fig.add_trace(
        go.Scatter(
            x=[d.isoformat() for d in path_days],
            y=[expected_value(plan, d) for d in path_days],
            name=_("Expected path"),
            mode="lines",
            line={"color": COLOURS["expected"], "dash": "dash", "width": 1.5},
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[plan.target_date.isoformat()],
            y=[plan.target],
            name=_("Target"),
            mode="markers",
            marker={"color": COLOURS["target"], "size": 11, "symbol": "star"},
            hovertemplate=_("target %(value)s by %(date)s")
            % {"value": _with_unit("%{y}", unit_suffix), "date": "%{x}"}
            + "<extra></extra>",
        )
    )
    if result.projected_day and result.actual_day and result.trend is not None:
        fig.add_trace(
            go.Scatter(
                x=[result.actual_day.isoformat(), result.projected_day.isoformat()],
                y=[result.trend, plan.target],
                name=_("Projection"),
                mode="lines",
                line={"color": COLOURS["projection"], "dash": "dot", "width": 2},
                hoverinfo="skip",
            )
        )
    fig.add_hline(
        y=plan.baseline,
        line={"color": "#b8c2d6", "width": 1},
        annotation_text=_("baseline"),
        annotation_position="bottom left",
    )
    fig.add_vline(x=today.isoformat(), line={"color": "#c77d0a", "width": 1})
    for day, text in changes:
        _mark_change(fig, day.isoformat(), text)
    fig.update_layout(
        height=360,
        margin={"l": 50, "r": 10, "t": 20, "b": 30},
        legend={"orientation": "h", "y": -0.15, "itemsizing": "constant"},
        font={"family": "system-ui, sans-serif", "size": 12},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"type": "date"},
    )
    return _kpi_numbers(
        json.loads(fig.to_json()),
        series=series,
        plan=plan,
        result=result,
        changes=changes,
        today=today,
        suffix=unit_suffix,
    )


def kpi_periods(
    *,
    values: list,
    labels: list[str],
    total: bool,
    changes: list[tuple[datetime.date, str]],
    unit_suffix: str = "",
) -> dict:
    """The KPI per period of its calendar (progress.periods): the measured totals as bars,
    or the means as a line (a period still running drawn lighter or open), what the plan
    expected of each as a dashed line, and the driver's dated changes (a switch to the
    fiscal calendar) at their period."""
    fig = go.Figure()
    name = _("Total") if total else _("Average")
    hover = "%{x}: " + _with_unit("%{y:.3~f}", unit_suffix) + "<extra></extra>"
    if total:  # totals stand on zero; a mean is read against its neighbours
        actual = go.Bar(
            x=labels,
            y=[v.actual for v in values],
            name=name,
            marker={
                "color": COLOURS["actual"],
                "opacity": [0.45 if v.partial else 0.9 for v in values],
            },
            hovertemplate=hover,
        )
    else:
        actual = go.Scatter(
            x=labels,
            y=[v.actual for v in values],
            name=name,
            mode="lines+markers",
            line={"color": COLOURS["actual"], "width": 2},
            marker={
                "size": 9,
                "symbol": ["circle-open" if v.partial else "circle" for v in values],
            },
            hovertemplate=hover,
        )
    fig.add_trace(actual)
    fig.add_trace(
        go.Scatter(
            x=labels,
            y=[v.expected for v in values],
            name=_("Expected"),
            mode="lines+markers",
            line={"color": COLOURS["target"], "dash": "dash", "width": 1.5, "shape": "hvh"},
            hovertemplate=_("expected %(value)s") % {"value": _with_unit("%{y:.3~f}", unit_suffix)}
            + "<extra></extra>",
        )
    )
    for day, text in changes:
        at = next((label for v, label in zip(values, labels, strict=True) if day in v.period), None)
        if at is None:
            continue
        _mark_change(fig, labels.index(at) - 0.5, text)  # at the period's left edge
    fig.update_layout(
        height=360,
        # room on the right for the last period's label, which is centred on its bar
        margin={"l": 50, "r": 36, "t": 20, "b": 60},
        legend={"orientation": "h", "y": -0.25, "itemsizing": "constant"},
        font={"family": "system-ui, sans-serif", "size": 12},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"type": "category", "tickangle": -30 if len(values) > 8 else 0, "automargin": True},
        bargap=0.25,
    )

    rows = [
        [
            label + (" " + _("(to date)") if v.partial else ""),
            _shown(v.actual, unit_suffix),
            _shown(v.expected, unit_suffix),
            numbers.count(v.points),
        ]
        for v, label in zip(values, labels, strict=True)
    ]
    return chart_numbers.attach(
        json.loads(fig.to_json()),
        label=_("Chart of the KPI per period, against what the plan expected of each"),
        caption=_("The KPI per period: measured, expected, and how many measurements"),
        columns=[_("Period"), _("Total") if total else _("Average"), _("Expected"), _("Values")],
        rows=rows,
    )


LAST_POINTS = 12  # the table lists the latest values; the Measurements page has them all


def _kpi_numbers(figure, *, series, plan, result, changes, today, suffix) -> dict:
    rows = [
        [_("Baseline"), plan.baseline_date.isoformat(), _shown(plan.baseline, suffix)],
        [_("Expected by today"), today.isoformat(), _shown(expected_value(plan, today), suffix)],
        [_("Target"), plan.target_date.isoformat(), _shown(plan.target, suffix)],
    ]
    if result.projected_day:
        rows.append([_("Target reached at the recent trend"), result.projected_day.isoformat(), ""])
    rows += [
        [_("Change: %(change)s") % {"change": text}, day.isoformat(), ""] for day, text in changes
    ]
    rows += [
        [_("Actual"), p.day.isoformat(), _shown(p.value, suffix)] for p in series[-LAST_POINTS:]
    ]
    latest = series[-1]
    status = ProgressStatus(result.status).label if result.status in ProgressStatus.values else ""
    reading = {
        "value": _shown(latest.value, suffix),
        "day": latest.day.isoformat(),
        "baseline": _shown(plan.baseline, suffix),
        "target": _shown(plan.target, suffix),
        "target_date": plan.target_date.isoformat(),
    }
    if status:
        label = _(
            "Line chart of the KPI over time: %(value)s on %(day)s, from a baseline of "
            "%(baseline)s, towards %(target)s by %(target_date)s; %(status)s"
        ) % {**reading, "status": str(status).lower()}
    else:
        label = (
            _(
                "Line chart of the KPI over time: %(value)s on %(day)s, from a baseline of "
                "%(baseline)s, towards %(target)s by %(target_date)s"
            )
            % reading
        )
    return chart_numbers.attach(
        figure,
        label=label,
        caption=_("Baseline, expected path, target and the last %(count)s measured values")
        % {"count": numbers.count(min(LAST_POINTS, len(series)))},
        columns=["", _("Date"), _("Value")],
        rows=rows,
    )


def _mark_change(fig, x, text: str) -> None:
    """A driver's dated break in comparability: a dotted line and its words, at `x`."""
    fig.add_vline(x=x, line={"color": "#d9534f", "width": 1, "dash": "dot"})
    fig.add_annotation(
        x=x,
        y=1,
        yref="paper",
        text=plotly_text.escape(text),
        showarrow=False,
        xanchor="left",
        font={"size": 10, "color": "#d9534f"},
    )


def _shown(value: float | None, suffix: str) -> str:
    """A chart table's number: three decimals at most, with its unit; none: a dash."""
    if value is None:
        return chart_numbers.NOTHING
    return _with_unit(chart_numbers.number(value, digits=3), suffix)


def _with_unit(number_text: str, suffix: str) -> str:
    """A number already written as text, with its unit: a percent sign the way the active
    language writes it ("2.4%", "2,4 %"), any other suffix as it is."""
    return numbers.percent(number_text) if suffix == "%" else f"{number_text}{suffix}"


SPARK_POINTS = 46  # about three pixels apart: more would not show


def sparkline(values: list[float], *, width: int = 140, height: int = 32) -> str:
    """SVG polyline points for a small trend line (drawn inline, no script needed), of at
    most SPARK_POINTS points taken evenly and always ending with the latest."""
    if len(values) < 2:
        return ""
    step = -(-len(values) // SPARK_POINTS)
    values = values[::-1][::step][::-1]
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    step = width / (len(values) - 1)
    return " ".join(
        f"{i * step:.1f},{height - 2 - (v - low) / span * (height - 4):.1f}"
        for i, v in enumerate(values)
    )


STATUS_COLOURS = {
    "achieved": "#14956d",
    "on_track": "#3fae7a",
    "behind": "#d9a21b",
    "at_risk": "#d9534f",
    "no_data": "#b8c2d6",
}


def program_progress(*, cards: list) -> dict:
    """Every KPI's way from baseline (0%) to target (100%): a bar for how far it has come,
    coloured by status, and a tick where it should be by today."""
    # Plotly draws the first bar at the bottom.
    names = [plotly_text.escape(c.kpi.name) for c in cards][::-1]
    snaps = [c.overall for c in cards][::-1]
    clip = [max(-50.0, min(150.0, s.progress_pct or 0.0)) for s in snaps]
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=clip,
            y=names,
            orientation="h",
            name=_("Progress"),
            marker={"color": [STATUS_COLOURS.get(s.status, "#b8c2d6") for s in snaps]},
            customdata=[
                [round(s.progress_pct or 0, 1), round(s.expected_pct or 0, 1)] for s in snaps
            ],
            hovertemplate="%{y}: "
            + _("%(progress)s of the way (expected %(expected)s)")
            % {
                "progress": numbers.percent("%{customdata[0]}"),
                "expected": numbers.percent("%{customdata[1]}"),
            }
            + "<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[max(-50.0, min(150.0, s.expected_pct or 0.0)) for s in snaps],
            y=names,
            mode="markers",
            name=_("Expected by today"),
            marker={"symbol": "line-ns-open", "size": 22, "line": {"width": 3}, "color": "#1f2a44"},
            hoverinfo="skip",
        )
    )
    fig.add_vline(x=100, line={"color": COLOURS["target"], "width": 1, "dash": "dash"})
    fig.update_layout(
        height=max(180, 46 * len(cards) + 70),
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h", "y": -0.2},
        font={"family": "system-ui, sans-serif", "size": 12},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={
            "title": {
                "text": _("%(percent)s of the way from baseline to target") % {"percent": "%"}
            },
            "range": [-50, 150],
        },
        yaxis={"automargin": True},
        bargap=0.35,
    )

    def status(s) -> str:
        return ProgressStatus(s.status).label if s.status in ProgressStatus.values else ""

    def pct(v) -> str:
        if v is None:
            return chart_numbers.NOTHING
        return numbers.percent(chart_numbers.number(v, digits=1))

    return chart_numbers.attach(
        json.loads(fig.to_json()),
        label=_("Bar chart of each KPI's way from baseline to target: %(kpis)s")
        % {
            "kpis": "; ".join(
                _("%(kpi)s %(progress)s of the way, %(status)s")
                % {
                    "kpi": c.kpi.name,
                    "progress": pct(c.overall.progress_pct),
                    "status": str(status(c.overall)).lower(),
                }
                for c in cards
            )
        },
        caption=_(
            "Each KPI's progress from baseline (%(zero)s) to target (%(full)s), and where it "
            "should be by today"
        )
        % {"zero": numbers.percent("0"), "full": numbers.percent("100")},
        columns=[_("KPI"), _("Progress"), _("Expected by today"), _("Status")],
        rows=[
            [
                c.kpi.name,
                pct(c.overall.progress_pct),
                pct(c.overall.expected_pct),
                status(c.overall),
            ]
            for c in cards
        ],
    )
