"""Plotly figures of question 1, built from selector output; views only render them."""

import json

import plotly.graph_objects as go

from assessments.selectors import RadarData
from programs import chart_numbers, plotly_text

COLOURS = {"current": "#3b7cf0", "previous": "#9aa5bd"}


def maturity_radar(data: RadarData) -> dict:
    """Maturity per dimension on a 1-5 radar, this cycle over the previous one.

    Returns the figure as plain JSON-ready data for the page's chart script.
    """
    dimensions = [plotly_text.escape(d) for d in data.dimensions]
    theta = [*dimensions, dimensions[0]]  # close the polygon

    def closed(values: list[int | None]) -> list[int | None]:
        return [*values, values[0]]

    fig = go.Figure()
    if data.previous is not None:
        fig.add_trace(
            go.Scatterpolar(
                r=closed(data.previous),
                theta=theta,
                name=f"Cycle {data.previous_number}",
                line={"color": COLOURS["previous"], "dash": "dot"},
                connectgaps=True,
            )
        )
    fig.add_trace(
        go.Scatterpolar(
            r=closed(data.current),
            theta=theta,
            name=f"Cycle {data.cycle_number}",
            fill="toself",
            fillcolor="rgba(59, 124, 240, 0.15)",
            line={"color": COLOURS["current"], "width": 2},
            connectgaps=True,
        )
    )
    fig.update_layout(
        polar={
            "radialaxis": {"range": [0, 5], "tickvals": [1, 2, 3, 4, 5], "angle": 90},
            "angularaxis": {"direction": "clockwise"},
        },
        margin={"l": 60, "r": 60, "t": 30, "b": 30},
        height=380,
        showlegend=True,
        legend={"orientation": "h", "y": -0.08},
        font={"family": "system-ui, sans-serif", "size": 12},
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return _with_numbers(json.loads(fig.to_json()), data)


def _with_numbers(figure: dict, data: RadarData) -> dict:
    """The scores as a table (dimension by cycle) and a label that reads them out."""
    columns = ["Dimension", f"Cycle {data.cycle_number}"]
    previous = data.previous or [None] * len(data.dimensions)
    if data.previous is not None:
        columns.append(f"Cycle {data.previous_number}")
    rows = []
    for name, now, before in zip(data.dimensions, data.current, previous, strict=True):
        rows.append([name, now] + ([before] if data.previous is not None else []))
    scores = "; ".join(
        f"{name} {'not scored' if now is None else f'{now} of 5'}"
        for name, now in zip(data.dimensions, data.current, strict=True)
    )
    return chart_numbers.attach(
        figure,
        label=f"Radar chart of maturity per dimension in cycle {data.cycle_number}: {scores}",
        caption=f"Maturity score (1-5) per dimension, cycle {data.cycle_number}"
        + (f" and cycle {data.previous_number}" if data.previous is not None else ""),
        columns=columns,
        rows=rows,
    )
