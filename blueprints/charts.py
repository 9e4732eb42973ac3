"""Expected value per stage, how often each offer wins in a batch, and how well a learned
propensity model is calibrated."""

import json

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from programs import chart_numbers, numbers, plotly_text

PALETTE = ["#3b7cf0", "#7152e8", "#14956d", "#c77d0a", "#d9534f", "#5b6478"]


def expected_value(structure) -> dict:
    """Per stage, each offer's propensity x value x weight: the bars a decision picks from
    (for an offer on learned propensity, with its model's mean prediction)."""
    fig = go.Figure()
    for index, view in enumerate(structure):
        fig.add_trace(
            go.Bar(
                name=plotly_text.escape(view.stage.name),
                x=[plotly_text.escape(o.offer.name) for o in view.offers],
                y=[o.expected_value for o in view.offers],
                marker={"color": PALETTE[index % len(PALETTE)]},
                hovertemplate="%{x}<br>"
                + _("expected value %(value)s") % {"value": "%{y:.2f}"}
                + "<extra></extra>",
            )
        )
    fig.update_layout(
        height=320,
        margin={"l": 40, "r": 10, "t": 10, "b": 110},
        yaxis={"title": {"text": _("propensity x value x weight")}},
        xaxis={"tickangle": -35},
        legend={"orientation": "h", "y": 1.12},
        font={"family": "system-ui, sans-serif", "size": 11},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    best = [
        f"{view.stage.name}: {max(view.offers, key=lambda o: o.expected_value).offer.name}"
        for view in structure
        if view.offers
    ]
    return chart_numbers.attach(
        json.loads(fig.to_json()),
        label=_(
            "Bar chart of each offer's expected value (propensity x value x weight), "
            "grouped by stage; highest per stage: %(best)s"
        )
        % {"best": "; ".join(best)},
        caption=_("Expected value (propensity x value x weight) of each offer, by stage"),
        columns=[_("Offer"), _("Stage"), _("Expected value")],
        rows=[
            [o.offer.name, view.stage.name, chart_numbers.number(o.expected_value, digits=3)]
            for view in structure
            for o in view.offers
        ],
    )


def wins(counts: dict[str, int]) -> dict:
    ordered = sorted(counts.items(), key=lambda kv: kv[1])
    fig = go.Figure(
        go.Bar(
            orientation="h",
            y=[plotly_text.escape(k) for k, _v in ordered],
            x=[v for _k, v in ordered],
            marker={"color": "#14956d"},
        )
    )
    fig.update_layout(
        height=max(200, 40 + 26 * len(ordered)),
        margin={"l": 10, "r": 10, "t": 10, "b": 30},
        yaxis={"automargin": True},
        font={"family": "system-ui, sans-serif", "size": 11},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    most = ordered[::-1]
    return chart_numbers.attach(
        json.loads(fig.to_json()),
        label=_("Bar chart of how often each offer was chosen: %(counts)s")
        % {"counts": "; ".join(f"{name} {numbers.count(count)}" for name, count in most)},
        caption=_("How often each offer was chosen"),
        columns=[_("Offer"), _("Times chosen")],
        rows=[[name, numbers.count(count)] for name, count in most],
    )


def reliability(model) -> dict:
    """A learned model's calibration on held-out exposures: predicted against observed
    conversion per bin of equal size. On the dotted diagonal, "6%" means 6 in 100."""
    points = model.reliability
    top = max([p["predicted"] for p in points] + [p["observed"] for p in points]) * 1.1 or 0.01
    fig = go.Figure()
    fig.add_trace(
        go.Scatter(
            x=[0, top],
            y=[0, top],
            mode="lines",
            line={"color": "#9aa3b2", "dash": "dot", "width": 1},
            hoverinfo="skip",
            name=_("calibrated"),
        )
    )
    fig.add_trace(
        go.Scatter(
            x=[p["predicted"] for p in points],
            y=[p["observed"] for p in points],
            customdata=[p["exposures"] for p in points],
            mode="lines+markers",
            marker={"color": PALETTE[0], "size": 7},
            line={"color": PALETTE[0], "width": 1.5},
            hovertemplate=(
                _("predicted %(share)s") % {"share": "%{x:.1%}"}
                + "<br>"
                + _("observed %(share)s") % {"share": "%{y:.1%}"}
                + "<br>"
                + _("%(n)s exposures") % {"n": "%{customdata:,}"}
                + "<extra></extra>"
            ),
            name=_("held-out exposures"),
        )
    )
    # Both axes on one scale (the diagonal at 45°), starting a little below zero so that
    # points at 0% are drawn whole and the two "0%" labels do not meet in the corner.
    axis = {"range": [-top * 0.05, top], "tickformat": ".0%", "zeroline": False}
    fig.update_layout(
        height=240,
        margin={"l": 50, "r": 10, "t": 10, "b": 40},
        showlegend=False,
        xaxis={**axis, "title": {"text": _("predicted")}, "constrain": "domain"},
        yaxis={**axis, "title": {"text": _("observed")}, "scaleanchor": "x", "scaleratio": 1},
        font={"family": "system-ui, sans-serif", "size": 11},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return chart_numbers.attach(
        json.loads(fig.to_json()),
        label=_(
            "Calibration chart of %(offer)s: predicted against observed conversion per group "
            "of held-out exposures; the numbers are in the table below"
        )
        % {"offer": model.offer_name},
        caption=_("%(offer)s: predicted and observed conversion per group of exposures")
        % {"offer": model.offer_name},
        columns=[_("Group"), _("Predicted"), _("Observed"), _("Exposures")],
        rows=[
            [
                n,
                _percent(p["predicted"]),
                _percent(p["observed"]),
                numbers.count(p["exposures"]),
            ]
            for n, p in enumerate(points, start=1)
        ],
    )


def _percent(fraction: float) -> str:
    """A share as a percentage with one decimal at most, in the active language: 6.2%."""
    return numbers.percent(chart_numbers.number(fraction * 100, digits=1))
