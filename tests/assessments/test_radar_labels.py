"""Issue 18, item 16: the radar's dimension names fit the chart ("Strategy & visio" was
cut at the card's edge) and the scale's numbers do not sit on the first label."""

from assessments.charts import maturity_radar, wrap_label
from assessments.defaults import DEFAULT_DIMENSIONS
from assessments.selectors import RadarData


def test_every_default_dimension_name_wraps_to_short_lines_and_reads_back_whole():
    for name, _low, _high in DEFAULT_DIMENSIONS:
        name = str(name)
        lines = wrap_label(name).split("<br>")
        assert all(len(line) <= 12 or " " not in line for line in lines), lines
        assert " ".join(lines) == name


def test_the_radar_keeps_room_for_its_labels_and_moves_the_scale_off_them():
    names = [str(n) for n, _l, _h in DEFAULT_DIMENSIONS]
    figure = maturity_radar(
        RadarData(
            dimensions=names,
            current=[3] * len(names),
            previous=None,
            cycle_number=1,
            previous_number=None,
        )
    )
    theta = figure["data"][0]["theta"]
    assert theta[0] == "Strategy &amp;<br>vision"  # escaped, then wrapped
    assert figure["layout"]["margin"]["l"] >= 75 and figure["layout"]["margin"]["r"] >= 75
    assert figure["layout"]["polar"]["radialaxis"]["angle"] != 90  # not on the first label
    # The numbers beside the chart still name each dimension in full.
    assert [row[0] for row in figure["numbers"]["rows"]] == names
