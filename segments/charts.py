import json

import plotly.graph_objects as go
from django.utils.translation import gettext as _

from programs import chart_numbers, numbers, plotly_text

CLUSTER_COLOURS = (
    "#3b7cf0",
    "#c77d0a",
    "#14956d",
    "#d9534f",
    "#7b5cd6",
    "#0f8aa3",
    "#b3467e",
    "#6b7a2b",
    "#8a5a2b",
    "#4a5a80",
    "#e07b39",
    "#2b9e8f",
)


def cluster_map(chart: dict, clusters: list[dict]) -> dict | None:
    """A sample of the customers on the table's first two principal components, coloured
    by cluster, with each cluster's centre marked and named."""
    if not chart:
        return None
    names = {c["index"]: plotly_text.escape(f"{c['number']}. {c['name']}") for c in clusters}
    fig = go.Figure()
    for index, name in names.items():
        shown = [i for i, c in enumerate(chart["cluster"]) if c == index]
        colour = CLUSTER_COLOURS[index % len(CLUSTER_COLOURS)]
        fig.add_trace(
            go.Scatter(  # SVG, not WebGL: drawn without a graphics card too
                x=[chart["x"][i] for i in shown],
                y=[chart["y"][i] for i in shown],
                mode="markers",
                name=name,
                marker={"color": colour, "size": 4, "opacity": 0.45},
                hoverinfo="skip",
            )
        )
        centre = chart["centres"][index]
        fig.add_trace(
            go.Scatter(
                x=[centre[0]],
                y=[centre[1]],
                mode="markers+text",
                text=[str(index + 1)],
                textposition="top center",
                marker={"color": colour, "size": 16, "symbol": "x", "line": {"width": 1}},
                showlegend=False,
                # The name as data, not in the template: "%{x}" in a name stays as typed.
                customdata=[name],
                hovertemplate="%{customdata}<extra></extra>",
            )
        )
    explained = chart.get("explained", [0, 0])
    fig.update_layout(
        height=420,
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        legend={"orientation": "h", "y": -0.15, "itemsizing": "constant"},
        font={"family": "system-ui, sans-serif", "size": 12},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={
            "title": {
                "text": _("First component (%(share)s of the variation)")
                % {"share": _whole_percent(explained[0])}
            }
        },
        yaxis={
            "title": {
                "text": _("Second component (%(share)s)") % {"share": _whole_percent(explained[1])}
            }
        },
    )
    return chart_numbers.attach(
        json.loads(fig.to_json()),
        label=_(
            "Scatter chart of a sample of %(customers)s customers on the two main directions "
            "of difference, in %(clusters)s clusters; each cluster's centre and share of the "
            "sample are in the table below"
        )
        % {
            "customers": numbers.count(len(chart["cluster"])),
            "clusters": numbers.count(len(clusters)),
        },
        caption=_(
            "Each cluster in the sample: customers drawn and its centre on the two directions"
        ),
        columns=[
            _("Cluster"),
            _("Customers in the sample"),
            _("First component"),
            _("Second component"),
        ],
        rows=[
            [
                f"{c['number']}. {c['name']}",
                numbers.count(sum(1 for k in chart["cluster"] if k == c["index"])),
                chart_numbers.number(chart["centres"][c["index"]][0]),
                chart_numbers.number(chart["centres"][c["index"]][1]),
            ]
            for c in clusters
        ],
    )


def silhouettes(scores: dict[str, float], chosen: int) -> dict:
    """The silhouette of each number of clusters tried; the highest was chosen."""
    ks = sorted(int(k) for k in scores)
    fig = go.Figure(
        go.Bar(
            x=ks,
            y=[scores[str(k)] for k in ks],
            marker={"color": ["#3b7cf0" if k == chosen else "#b8c2d6" for k in ks]},
            hovertemplate=_("%(clusters)s clusters: silhouette %(score)s")
            % {"clusters": "%{x}", "score": "%{y:.3f}"}
            + "<extra></extra>",
        )
    )
    fig.update_layout(
        height=220,
        margin={"l": 10, "r": 10, "t": 10, "b": 40},
        font={"family": "system-ui, sans-serif", "size": 12},
        paper_bgcolor="rgba(0,0,0,0)",
        plot_bgcolor="rgba(0,0,0,0)",
        xaxis={"title": {"text": _("Number of clusters")}, "dtick": 1},
        yaxis={"title": {"text": _("Silhouette")}},
    )
    return chart_numbers.attach(
        json.loads(fig.to_json()),
        label=_(
            "Bar chart of the silhouette per number of clusters tried; %(clusters)s scored "
            "best with %(score)s"
        )
        % {
            "clusters": numbers.count(chosen),
            "score": chart_numbers.number(scores.get(str(chosen)), digits=3),
        },
        caption=_("Silhouette (-1 to 1) per number of clusters; the highest was chosen"),
        columns=[_("Clusters"), _("Silhouette"), _("Chosen")],
        rows=[
            [k, chart_numbers.number(scores[str(k)], digits=3), _("yes") if k == chosen else ""]
            for k in ks
        ],
    )


def _whole_percent(fraction: float) -> str:
    """A share as a whole percentage in the active language: 0.62 -> "62%" ("62 %")."""
    return numbers.percent(chart_numbers.number(fraction * 100, digits=0))
