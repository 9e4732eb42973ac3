"""Plotly figures of question 1, built from selector output; views only render them."""

import json
import re

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from assessments.selectors import RadarData
from programs import chart_numbers, plotly_text

COLOURS = {"current": "#3b7cf0", "previous": "#9aa5bd"}


def maturity_radar(data: RadarData) -> dict:
    """Maturity per dimension on a 1-5 radar, this cycle over the previous one.

    Returns the figure as plain JSON-ready data for the page's chart script.
    """
    names = [plotly_text.escape(d) for d in data.dimensions]
    dimensions = [wrap_label(name) for name in names]
    theta = [*dimensions, dimensions[0]]  # close the polygon
    # Hovering a point names its dimension whole, on one line.
    hover = {
        "text": [*names, names[0]],
        "hovertemplate": "%{text}: %{r}<extra>%{fullData.name}</extra>",
    }

    def closed(values: list[int | None]) -> list[int | None]:
        return [*values, values[0]]

    fig = go.Figure()
    if data.previous is not None:
        fig.add_trace(
            go.Scatterpolar(
                r=closed(data.previous),
                theta=theta,
                name=_("Cycle %(n)s") % {"n": data.previous_number},
                line={"color": COLOURS["previous"], "dash": "dot"},
                connectgaps=True,
                **hover,
            )
        )
    fig.add_trace(
        go.Scatterpolar(
            r=closed(data.current),
            theta=theta,
            name=_("Cycle %(n)s") % {"n": data.cycle_number},
            fill="toself",
            fillcolor="rgba(59, 124, 240, 0.15)",
            line={"color": COLOURS["current"], "width": 2},
            connectgaps=True,
            **hover,
        )
    )
    fig.update_layout(
        polar={
            # The scale's numbers run between the first two dimensions, not over a label.
            "radialaxis": {
                "range": [0, 5],
                "tickvals": [1, 2, 3, 4, 5],
                "angle": 90 - 180 / max(len(dimensions), 1),
                "tickfont": {"size": 10},
            },
            "angularaxis": {"direction": "clockwise", "tickfont": {"size": 11}},
        },
        # Room for the longest (wrapped) label on either side: at 60 px "Strategy & vision"
        # and "Technology & software" were cut at the card's edge.
        margin={"l": 78, "r": 78, "t": 50, "b": 40},
        height=380,
        showlegend=True,
        legend={"orientation": "h", "y": -0.08},
        font={"family": "system-ui, sans-serif", "size": 12},
        paper_bgcolor="rgba(0,0,0,0)",
    )
    return _with_numbers(json.loads(fig.to_json()), data)


def wrap_label(text: str, width: int = 12) -> str:
    """Break a dimension's name into lines of about `width` characters (plotly's <br>),
    so that the labels around the radar stay inside the chart on a phone."""

    def shown(part: str) -> int:  # "&amp;" shows as one character
        return len(re.sub(r"&#?\w+;", "&", part))

    lines: list[str] = []
    for word in text.split(" "):
        if lines and shown(lines[-1]) + 1 + shown(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    return "<br>".join(lines)


def _with_numbers(figure: dict, data: RadarData) -> dict:
    """The scores as a table (dimension by cycle) and a label that reads them out."""
    columns = [_("Dimension"), _("Cycle %(n)s") % {"n": data.cycle_number}]
    previous = data.previous or [None] * len(data.dimensions)
    if data.previous is not None:
        columns.append(_("Cycle %(n)s") % {"n": data.previous_number})
    rows = []
    for name, now, before in zip(data.dimensions, data.current, previous, strict=True):
        rows.append([name, now] + ([before] if data.previous is not None else []))
    scores = "; ".join(
        _("%(dimension)s not scored") % {"dimension": name}
        if now is None
        else _("%(dimension)s %(score)s of 5") % {"dimension": name, "score": now}
        for name, now in zip(data.dimensions, data.current, strict=True)
    )
    if data.previous is not None:
        caption = _("Maturity score (1-5) per dimension, cycle %(n)s and cycle %(previous)s") % {
            "n": data.cycle_number,
            "previous": data.previous_number,
        }
    else:
        caption = _("Maturity score (1-5) per dimension, cycle %(n)s") % {"n": data.cycle_number}
    return chart_numbers.attach(
        figure,
        label=_("Radar chart of maturity per dimension in cycle %(n)s: %(scores)s")
        % {"n": data.cycle_number, "scores": scores},
        caption=caption,
        columns=columns,
        rows=rows,
    )
