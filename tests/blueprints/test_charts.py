from types import SimpleNamespace

from blueprints.charts import reliability


def test_the_calibration_chart_draws_zero_whole_on_one_scale():
    """An offer whose lowest group never converted: its point at 0% is inside the plot, and
    predicted and observed share one scale, so the dotted diagonal means 'came true'."""
    model = SimpleNamespace(
        offer_name="Free shipping",
        reliability=[
            {"predicted": 0.02, "observed": 0.0, "exposures": 120},
            {"predicted": 0.08, "observed": 0.1, "exposures": 120},
            {"predicted": 0.2, "observed": 0.25, "exposures": 120},
        ],
    )
    layout = reliability(model)["layout"]
    x, y = layout["xaxis"], layout["yaxis"]
    assert x["range"] == y["range"]
    assert x["range"][0] < 0 < 0.25 < x["range"][1]
    assert (y["scaleanchor"], y["scaleratio"]) == ("x", 1)
