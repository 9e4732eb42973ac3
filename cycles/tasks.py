from celery import shared_task


# Its name is the one it had in programs/: beat's stored entry and messages already queued
# keep finding it (ARCHITECTURE.md, moving without losing a row).
@shared_task(name="programs.tasks.mark_cycles_ready", ignore_result=True)
def mark_cycles_ready() -> None:
    """Beat's daily entry: cycles whose review is due, and their managers told once."""
    from cycles.review import cycles_mark_ready

    cycles_mark_ready()
