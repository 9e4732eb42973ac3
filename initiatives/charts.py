"""The initiative timeline: one bar per initiative, coloured by status."""

import datetime
import json

import plotly.graph_objects as go

from initiatives.models import Initiative, Status

STATUS_COLOURS = {
    Status.IDEA: "#b8c2d6",
    Status.PLANNED: "#7c9cf5",
    Status.IN_PROGRESS: "#14956d",
    Status.DONE: "#5b6478",
    Status.STOPPED: "#d9534f",
}
MS_PER_DAY = 24 * 60 * 60 * 1000


def timeline(
    *,
    initiatives: list[Initiative],
    cycle_start: datetime.date,
    cycle_end: datetime.date,
    today: datetime.date,
) -> dict:
    """Bars from start to end (open-ended ones run to the cycle's end, drawn lighter)."""
    fig = go.Figure()
    rows = list(reversed(initiatives))  # first starting at the top
    for status in Status:
        shown = [i for i in rows if i.status == status]
        if not shown:
            continue
        ends = [(i.ends_on or max(cycle_end, i.starts_on)) for i in shown]
        fig.add_trace(
            go.Bar(
                name=str(status.label),
                orientation="h",
                y=[i.name for i in shown],
                base=[i.starts_on.isoformat() for i in shown],
                x=[
                    ((end - i.starts_on).days + 1) * MS_PER_DAY
                    for i, end in zip(shown, ends, strict=True)
                ],
                marker={
                    "color": STATUS_COLOURS[status],
                    "opacity": [0.55 if i.ends_on is None else 1 for i in shown],
                },
                customdata=[
                    [i.starts_on.isoformat(), i.ends_on.isoformat() if i.ends_on else "open-ended"]
                    for i in shown
                ],
                hovertemplate="%{y}<br>%{customdata[0]} → %{customdata[1]}<extra>"
                + str(status.label)
                + "</extra>",
            )
        )
    for day, label, colour in [
        (cycle_start, "cycle start", "#9aa5bd"),
        (cycle_end, "cycle end", "#9aa5bd"),
        (today, "today", "#c77d0a"),
    ]:
        fig.add_vline(
            x=day.isoformat(),
            line={"color": colour, "dash": "dot" if label != "today" else "solid", "width": 1.5},
        )
        fig.add_annotation(
            x=day.isoformat(),
            y=1.02,
            yref="paper",
            text=label,
            showarrow=False,
            font={"size": 11, "color": colour},
        )
    fig.update_layout(
        barmode="overlay",
        height=max(220, 48 + 30 * len(rows)),
        margin={"l": 10, "r": 10, "t": 30, "b": 30},
        xaxis={"type": "date"},
        yaxis={
            "automargin": True,
            "categoryorder": "array",
            "categoryarray": [i.name for i in rows],
        },
        legend={"orientation": "h", "y": -0.15},
        font={"family": "system-ui, sans-serif", "size": 12},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
    )
    return json.loads(fig.to_json())
