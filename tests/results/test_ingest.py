"""Reading and checking measurement rows, with plain data."""

import datetime
from decimal import Decimal

import pytest

from results.ingest import FileProblem, KpiInfo, check_rows, guess_mapping, parse_period, read_csv

TODAY = datetime.date(2026, 11, 23)
KPIS = {"conversion rate": KpiInfo(1, "percent"), "orders": KpiInfo(2, "count")}
SEGMENTS = {"new visitors": 7}
MAPPING = {
    f: f for f in ("kpi", "period", "value", "segment", "variant", "numerator", "denominator")
}


def check(*rows):
    return check_rows(
        list(enumerate(rows, start=2)), MAPPING, kpis=KPIS, segments=SEGMENTS, today=TODAY
    )


@pytest.mark.parametrize(
    ("raw", "kind", "start"),
    [
        ("2026-03-14", "day", datetime.date(2026, 3, 14)),
        ("2026-03-14T10:00:00", "day", datetime.date(2026, 3, 14)),
        ("2026-W11", "week", datetime.date(2026, 3, 9)),
        ("2026-03", "month", datetime.date(2026, 3, 1)),
    ],
)
def test_periods(raw, kind, start):
    assert parse_period(raw) == (kind, start)


def test_good_rows_become_records():
    checked = check(
        {
            "kpi": "Conversion rate",
            "period": "2026-11-01",
            "value": "2.4",
            "variant": "Personalized",
            "numerator": "240",
            "denominator": "10000",
        },
        {"kpi": "orders", "period": "2026-W40", "value": 12, "segment": "New visitors"},
    )
    assert checked.ok and checked.rows_read == 2
    first, second = checked.records
    assert (first.kpi_id, first.variant, first.value, first.denominator) == (
        1,
        "personalized",
        Decimal("2.4"),
        Decimal(10000),
    )
    assert (second.period_kind, second.segment_id) == ("week", 7)


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        ({"kpi": "Revenue", "period": "2026-11-01", "value": "1"}, "kpi", "no KPI “Revenue”"),
        ({"kpi": "", "period": "2026-11-01", "value": "1"}, "kpi", "empty"),
        ({"kpi": "orders", "period": "yesterday", "value": "1"}, "period", "not a date"),
        ({"kpi": "orders", "period": "2026-12-24", "value": "1"}, "period", "in the future"),
        ({"kpi": "orders", "period": "2026-11-01", "value": "many"}, "value", "not a number"),
        ({"kpi": "orders", "period": "2026-11-01", "value": "NaN"}, "value", "not a number"),
        ({"kpi": "orders", "period": "2026-11-01", "value": "-3"}, "value", "negative"),
        (
            {"kpi": "conversion rate", "period": "2026-11-01", "value": "140"},
            "value",
            "between 0 and 100",
        ),
        (
            {"kpi": "orders", "period": "2026-11-01", "value": "1", "segment": "Martians"},
            "segment",
            "no segment",
        ),
        (
            {"kpi": "orders", "period": "2026-11-01", "value": "1", "variant": "B"},
            "variant",
            "personalized, control",
        ),
        (
            {"kpi": "orders", "period": "2026-11-01", "value": "1", "denominator": "0"},
            "denominator",
            "zero",
        ),
    ],
)
def test_bad_rows_are_named_with_line_column_and_reason(row, column, reason):
    checked = check({"kpi": "orders", "period": "2026-11-02", "value": "5"}, row)
    assert not checked.ok and checked.records[0].value == 5
    (error,) = checked.errors
    assert (error.line, error.column) == (3, column) and reason in error.reason


def test_the_same_measurement_twice_in_a_file_is_refused():
    row = {"kpi": "orders", "period": "2026-11-01", "value": "1"}
    checked = check(row, {**row, "value": "2"})
    assert [(e.line, e.reason) for e in checked.errors] == [(3, "the same measurement as line 2")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"   \n", "The file is empty."),
        ("kpi,period,value\nCaf\xe9,2026-01-01,1\n".encode("latin-1"), "not UTF-8"),
        (b"kpi,kpi,value\nx,y,1\n", "Two columns have the same name: kpi"),
    ],
)
def test_unreadable_files(data, message):
    with pytest.raises(FileProblem, match=message):
        _header, rows = read_csv(data)
        list(rows)


def test_a_huge_cell_is_refused():
    data = b"kpi,period,value\norders,2026-01-01," + b"9" * 20_000 + b"\n"
    _header, rows = read_csv(data)
    with pytest.raises(FileProblem, match="over 10,000 characters"):
        list(rows)


def test_semicolon_files_and_mapping_guess():
    header, rows = read_csv(b"Metric;Date;Value\norders;2026-01-01;4\n")
    assert header == ["Metric", "Date", "Value"]
    assert guess_mapping(header)["kpi"] == "Metric" and guess_mapping(header)["period"] == "Date"
    assert list(rows) == [(2, {"Metric": "orders", "Date": "2026-01-01", "Value": "4"})]
