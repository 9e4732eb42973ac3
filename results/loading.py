"""Loading checked measurements into the database: upserts on the natural key.

On PostgreSQL the records are copied into a temporary staging table and merged with one
INSERT ... ON CONFLICT, close to COPY's own speed. Elsewhere (the SQLite default of
`make run`) the ORM compares and writes in bulk. Either way the caller's transaction
makes the load all or nothing.
"""

from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from results.ingest import Record
from results.models import Measurement


@dataclass(frozen=True)
class LoadCounts:
    inserted: int
    updated: int
    unchanged: int


NULL = "\\N"

STAGING = """
CREATE TEMPORARY TABLE measurement_staging (
    kpi_id bigint, period_kind varchar(5), period_start date, segment_id bigint,
    variant varchar(12), value numeric, numerator numeric, denominator numeric
) ON COMMIT DROP
"""

MERGE = """
WITH upserted AS (
    INSERT INTO kpis_measurement (kpi_id, period_kind, period_start, segment_id, variant,
                                  value, numerator, denominator, source_id, loaded_at)
    SELECT kpi_id, period_kind, period_start, segment_id, variant,
           value, numerator, denominator, %(source)s, %(now)s
    FROM measurement_staging
    ON CONFLICT (kpi_id, period_kind, period_start, segment_id, variant) DO UPDATE
        SET value = EXCLUDED.value, numerator = EXCLUDED.numerator,
            denominator = EXCLUDED.denominator, source_id = EXCLUDED.source_id,
            loaded_at = EXCLUDED.loaded_at
        WHERE (kpis_measurement.value, kpis_measurement.numerator, kpis_measurement.denominator)
              IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.numerator, EXCLUDED.denominator)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM upserted
"""


def measurements_load(*, records: list[Record], source_id: int | None) -> LoadCounts:
    """Upsert the records. Call inside a transaction (the staging table lives in it)."""
    if not records:
        return LoadCounts(0, 0, 0)
    if connection.vendor == "postgresql":
        return _load_postgresql(records, source_id)
    return _load_orm(records, source_id)


def _load_postgresql(records: list[Record], source_id: int | None) -> LoadCounts:
    now = timezone.now()
    with connection.cursor() as cursor:
        # First loads of history are the big ones: when none of these KPIs has a
        # measurement in the file's date range, every row is new (the file itself has no
        # duplicates), and one COPY straight into the table does the whole load.
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM kpis_measurement WHERE kpi_id = ANY(%s)"
            " AND period_start BETWEEN %s AND %s)",
            [
                sorted({r.kpi_id for r in records}),
                min(r.period_start for r in records),
                max(r.period_start for r in records),
            ],
        )
        if not cursor.fetchone()[0]:
            tail = f"\t{NULL if source_id is None else source_id}\t{now.isoformat()}\n"
            with cursor.copy(
                "COPY kpis_measurement (kpi_id, period_kind, period_start, segment_id, variant,"
                " value, numerator, denominator, source_id, loaded_at) FROM STDIN"
            ) as copy:
                copy.write("".join(_line(r)[:-1] + tail for r in records))
            return LoadCounts(len(records), 0, 0)
        cursor.execute("DROP TABLE IF EXISTS measurement_staging")
        cursor.execute(STAGING)
        buffer = "".join(_line(r) for r in records)
        with cursor.copy(
            "COPY measurement_staging (kpi_id, period_kind, period_start, segment_id, variant,"
            " value, numerator, denominator) FROM STDIN"
        ) as copy:
            copy.write(buffer)
        cursor.execute(MERGE, {"source": source_id, "now": now})
        inserted, updated = cursor.fetchone()
        cursor.execute("DROP TABLE measurement_staging")
    return LoadCounts(inserted, updated, len(records) - inserted - updated)


def _line(r: Record) -> str:
    """A record as one line of COPY's text format (tab-separated, \\N for NULL)."""
    return (
        f"{r.kpi_id}\t{r.period_kind}\t{r.period_start.isoformat()}\t"
        f"{NULL if r.segment_id is None else r.segment_id}\t{r.variant}\t{r.value}\t"
        f"{NULL if r.numerator is None else r.numerator}\t"
        f"{NULL if r.denominator is None else r.denominator}\n"
    )


def _load_orm(records: list[Record], source_id: int | None) -> LoadCounts:
    kpi_ids = {r.kpi_id for r in records}
    first = min(r.period_start for r in records)
    last = max(r.period_start for r in records)
    existing = {
        (m.kpi_id, m.period_kind, m.period_start, m.segment_id, m.variant): m
        for m in Measurement.objects.filter(kpi_id__in=kpi_ids, period_start__range=(first, last))
    }
    now = timezone.now()
    new, changed = [], []
    for r in records:
        current = existing.get(r.key)
        if current is None:
            new.append(
                Measurement(
                    kpi_id=r.kpi_id,
                    period_kind=r.period_kind,
                    period_start=r.period_start,
                    segment_id=r.segment_id,
                    variant=r.variant,
                    value=r.value,
                    numerator=r.numerator,
                    denominator=r.denominator,
                    source_id=source_id,
                    loaded_at=now,
                )
            )
        elif (current.value, current.numerator, current.denominator) != (
            r.value,
            r.numerator,
            r.denominator,
        ):
            current.value, current.numerator, current.denominator = (
                r.value,
                r.numerator,
                r.denominator,
            )
            current.source_id, current.loaded_at = source_id, now
            changed.append(current)
    Measurement.objects.bulk_create(new, batch_size=2000)
    Measurement.objects.bulk_update(
        changed, ["value", "numerator", "denominator", "source_id", "loaded_at"], batch_size=2000
    )
    return LoadCounts(len(new), len(changed), len(records) - len(new) - len(changed))
