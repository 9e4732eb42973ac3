"""The initiative timeline: one bar per initiative, coloured by status."""

import datetime

from django.utils.translation import gettext as _

from initiatives.models import Initiative, Status
from programs import chart_numbers, numbers, plotly_text

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
    """Bars from start to end (open-ended ones run to the cycle's end, drawn lighter).

    Written as the figure's plain JSON rather than through plotly.graph_objects: the map is
    one of the most visited pages, and building and validating the figure object took
    35 ms of every view of it (0.2 ms as plain JSON, for the demo's eleven initiatives)."""
    rows = list(reversed(initiatives))  # first starting at the top
    data = []
    for status in Status:
        shown = [i for i in rows if i.status == status]
        if not shown:
            continue
        ends = [(i.ends_on or max(cycle_end, i.starts_on)) for i in shown]
        data.append(
            {
                "type": "bar",
                "name": str(status.label),
                "orientation": "h",
                "y": [plotly_text.escape(i.name) for i in shown],
                "base": [i.starts_on.isoformat() for i in shown],
                "x": [
                    ((end - i.starts_on).days + 1) * MS_PER_DAY
                    for i, end in zip(shown, ends, strict=True)
                ],
                "marker": {
                    "color": STATUS_COLOURS[status],
                    "opacity": [0.55 if i.ends_on is None else 1 for i in shown],
                },
                "customdata": [
                    [
                        i.starts_on.isoformat(),
                        i.ends_on.isoformat() if i.ends_on else _("open-ended"),
                    ]
                    for i in shown
                ],
                "hovertemplate": "%{y}<br>%{customdata[0]} → %{customdata[1]}<extra>"
                + str(status.label)
                + "</extra>",
            }
        )
    shapes, annotations = [], []
    # The labels sit above the plot area (anchored at their bottom, so no bar is under
    # them); "today" takes a second row, so that it never covers a cycle label near it.
    lines = [
        (cycle_start, _("cycle start"), "#9aa5bd", 0, "dot"),
        (cycle_end, _("cycle end"), "#9aa5bd", 0, "dot"),
    ]
    # "Today" only where it falls on the plotted range (the cycle and its bars): after a
    # closed cycle it would stretch the axis far to the right of everything else.
    first = min([cycle_start, *(i.starts_on for i in rows)])
    last = max([cycle_end, *(i.ends_on or i.starts_on for i in rows)])
    if first <= today <= last:
        lines.append((today, _("today"), "#c77d0a", 1, "solid"))
    for day, label, colour, row, dash in lines:
        shapes.append(
            {
                "type": "line",
                "x0": day.isoformat(),
                "x1": day.isoformat(),
                "xref": "x",
                "y0": 0,
                "y1": 1,
                "yref": "y domain",
                "line": {
                    "color": colour,
                    "dash": dash,
                    "width": 1.5,
                },
            }
        )
        annotations.append(
            {
                "x": day.isoformat(),
                "y": 1,
                "yref": "paper",
                "yanchor": "bottom",
                "yshift": 2 + 15 * row,
                "text": label,
                "showarrow": False,
                "font": {"size": 11, "color": colour},
            }
        )
    layout = {
        "barmode": "overlay",
        "height": max(236, 64 + 30 * len(rows)),
        "margin": {"l": 10, "r": 10, "t": 46, "b": 30},
        "xaxis": {"type": "date"},
        "yaxis": {
            "automargin": True,
            "categoryorder": "array",
            "categoryarray": [plotly_text.escape(i.name) for i in rows],
        },
        "legend": {"orientation": "h", "y": -0.15},
        "font": {"family": "system-ui, sans-serif", "size": 12},
        "paper_bgcolor": "rgba(0,0,0,0)",
        "plot_bgcolor": "rgba(0,0,0,0)",
        "shapes": shapes,
        "annotations": annotations,
    }
    return chart_numbers.attach(
        {"data": data, "layout": layout},
        label=_(
            "Timeline of %(count)s initiatives from %(start)s to %(end)s, one bar per "
            "initiative coloured by status; the dates are in the table below"
        )
        % {
            "count": numbers.count(len(initiatives)),
            "start": cycle_start.isoformat(),
            "end": cycle_end.isoformat(),
        },
        caption=_("Initiatives by start date: status, start and end"),
        columns=[_("Initiative"), _("Status"), _("Starts"), _("Ends")],
        rows=[
            [
                i.name,
                i.get_status_display(),
                i.starts_on.isoformat(),
                i.ends_on.isoformat() if i.ends_on else _("open-ended"),
            ]
            for i in initiatives
        ],
    )
