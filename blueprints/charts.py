"""Expected value per stage, and how often each offer wins in a batch."""

import json

import plotly.graph_objects as go

PALETTE = ["#3b7cf0", "#7152e8", "#14956d", "#c77d0a", "#d9534f", "#5b6478"]


def expected_value(structure) -> dict:
    """Per stage, each offer's propensity x value x weight: the bars a decision picks from."""
    fig = go.Figure()
    for index, view in enumerate(structure):
        fig.add_trace(
            go.Bar(
                name=view.stage.name,
                x=[o.offer.name for o in view.offers],
                y=[float(o.offer.expected_value) for o in view.offers],
                marker={"color": PALETTE[index % len(PALETTE)]},
                hovertemplate="%{x}<br>expected value %{y:.2f}<extra></extra>",
            )
        )
    fig.update_layout(
        height=320,
        margin={"l": 40, "r": 10, "t": 10, "b": 110},
        yaxis={"title": {"text": "propensity x value"}},
        xaxis={"tickangle": -35},
        legend={"orientation": "h", "y": 1.12},
        font={"family": "system-ui, sans-serif", "size": 11},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return json.loads(fig.to_json())


def wins(counts: dict[str, int]) -> dict:
    ordered = sorted(counts.items(), key=lambda kv: kv[1])
    fig = go.Figure(
        go.Bar(
            orientation="h",
            y=[k for k, _v in ordered],
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
    return json.loads(fig.to_json())
