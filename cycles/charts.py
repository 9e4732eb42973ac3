"""Plotly figures of the cycle comparison, built from selector output."""

import json

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from cycles.selectors import Comparison
from programs import chart_numbers, plotly_text

PALETTE = ["#c3cbe0", "#9aa5bd", "#6f86c7", "#3b7cf0", "#1d4fb8", "#14956d"]
LAYOUT = {
    "font": {"family": "system-ui, sans-serif", "size": 12},
    "paper_bgcolor": "rgba(0,0,0,0)",
    "plot_bgcolor": "rgba(0,0,0,0)",
}


def maturity_by_cycle(*, comparison: Comparison) -> dict | None:
    """Maturity per dimension on a 1-5 radar, one line per cycle (the latest strongest)."""
    dimensions = comparison.dimensions
    if not dimensions:
        return None
    theta = [plotly_text.escape(d) for d in dimensions]
    fig = go.Figure()
    columns = [c for c in comparison.columns if c.maturity]
    for n, column in enumerate(columns):
        latest = n == len(columns) - 1
        values = [column.maturity.get(d) for d in dimensions]
        fig.add_trace(
            go.Scatterpolar(
                r=[*values, values[0]],
                theta=[*theta, theta[0]],
                name=_("Cycle %(n)s") % {"n": column.cycle.number},
                line={
                    "color": PALETTE[-1 - (len(columns) - 1 - n) % len(PALETTE)],
                    "width": 2.5 if latest else 1.5,
                },
                fill="toself" if latest else None,
                fillcolor="rgba(20, 149, 109, 0.12)" if latest else None,
                connectgaps=True,
            )
        )
    fig.update_layout(
        polar={
            "radialaxis": {"range": [0, 5], "tickvals": [1, 2, 3, 4, 5], "angle": 90},
            "angularaxis": {"tickfont": {"size": 10}},
        },
        margin={"l": 80, "r": 80, "t": 30, "b": 30},
        height=400,
        legend={"orientation": "h", "y": -0.08},
        **LAYOUT,
    )
    names = [_("Cycle %(n)s") % {"n": c.cycle.number} for c in columns]
    return chart_numbers.attach(
        json.loads(fig.to_json()),
        label=_(
            "Radar chart of maturity per dimension, one line per cycle (%(cycles)s); the "
            "scores are in the table below"
        )
        % {"cycles": ", ".join(names)},
        caption=_("Maturity score (1-5) per dimension and cycle"),
        columns=[_("Dimension"), *names],
        rows=[[d, *(c.maturity.get(d) for c in columns)] for d in dimensions],
    )


def kpis_by_cycle(*, comparison: Comparison) -> list[tuple[str, dict]]:
    """Per KPI (by name), its baseline, target and actual in each cycle that had it."""
    names: list[str] = []
    for column in comparison.columns:
        names += [k.name for k in column.kpis if k.name not in names]
    figures = []
    for name in names:
        rows = [
            (_("Cycle %(n)s") % {"n": column.cycle.number}, kpi)
            for column in comparison.columns
            for kpi in column.kpis
            if kpi.name == name
        ]
        labels = [label for label, _kpi in rows]
        fig = go.Figure()
        for field, title, colour, symbol in (
            ("baseline", _("Baseline"), "#9aa5bd", "circle"),
            ("planned", _("Target"), "#14956d", "star"),
            ("actual", _("Actual"), "#3b7cf0", "diamond"),
        ):
            fig.add_trace(
                go.Scatter(
                    x=labels,
                    y=[_number(getattr(k, field)) for _label, k in rows],
                    name=title,
                    mode="lines+markers",
                    line={"color": colour, "width": 1, "dash": "dot"},
                    marker={"color": colour, "size": 11, "symbol": symbol},
                )
            )
        fig.update_layout(
            height=240,
            margin={"l": 45, "r": 10, "t": 10, "b": 30},
            legend={"orientation": "h", "y": -0.25},
            xaxis={"type": "category"},
            **LAYOUT,
        )
        unit = rows[0][1].unit
        figure = chart_numbers.attach(
            json.loads(fig.to_json()),
            label=_("%(kpi)s: baseline, target and actual per cycle; %(cycles)s")
            % {
                "kpi": name,
                "cycles": "; ".join(
                    _("%(cycle)s actual %(actual)s against target %(target)s")
                    % {
                        "cycle": label,
                        "actual": chart_numbers.in_unit(k.actual, unit),
                        "target": chart_numbers.in_unit(k.planned, unit),
                    }
                    for label, k in rows
                ),
            },
            caption=_("%(kpi)s: baseline, target and actual per cycle") % {"kpi": name},
            columns=[_("Cycle"), _("Baseline"), _("Target"), _("Actual")],
            rows=[
                [
                    label,
                    *(chart_numbers.in_unit(v, unit) for v in (k.baseline, k.planned, k.actual)),
                ]
                for label, k in rows
            ],
        )
        figures.append((name, figure))
    return figures


def _number(value) -> float | None:
    return None if value is None else float(value)
