from celery import shared_task

# The tasks keep the names they had in kpis/: messages already queued still find them
# (ARCHITECTURE.md, moving without losing a row).


@shared_task(
    name="kpis.tasks.read_customer_table",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=5 * 60,
    time_limit=6 * 60,
)
def read_customer_table(*, table_id: int) -> None:
    """Read an uploaded customer table into column arrays (segment discovery), within the
    time limit and the job memory limit; a file that cannot be read fails its table. A
    100,000-row workbook takes about half a minute, hence a longer limit than a preview's."""
    from segments.discovery import customer_table_read

    customer_table_read(table_id=table_id)


@shared_task(
    name="kpis.tasks.discover_segments",
    ignore_result=True,
    acks_late=True,
    soft_time_limit=30 * 60,
    time_limit=35 * 60,
)
def discover_segments(*, run_id: int) -> None:
    """Run one queued cluster run (segment discovery); a finished run is left alone."""
    from segments.discovery import cluster_run_execute

    cluster_run_execute(run_id=run_id)
