import csv
import io
from collections import Counter

import structlog
from celery import shared_task
from django.utils import timezone

from blueprints import engine, selectors, services
from blueprints.models import SimulationBatch
from programs.jobs import job_fail, job_succeed

log = structlog.get_logger(__name__)
PROGRESS_EVERY = 5_000


@shared_task(name="blueprints.tasks.run_batch", ignore_result=True)
def run_batch(*, batch_id: int) -> None:
    """Decide every profile of a batch; progress is written as it goes. Safe to run twice:
    only the run that claims the batch works on it."""
    if not services.batch_claim(batch_id=batch_id):
        return
    batch = SimulationBatch.objects.select_related("blueprint").get(pk=batch_id)
    try:
        structure = selectors.blueprint_structure(blueprint=batch.blueprint)
        compiled = engine.compile_blueprint(selectors.to_engine(structure, on=timezone.localdate()))
        names = {o.offer.pk: o.offer.name for view in structure for o in view.offers}
        stages = [view.stage.name for view in structure]
        # Rows as lists, not dicts: a column named twice keeps both cells in the result
        # (a dict kept one, and the row came back a cell short, its decisions shifted).
        reader = csv.reader(io.StringIO(batch.profiles_csv, newline=""))
        header = next(reader, [])
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*header, *stages])
        wins: Counter[str] = Counter()
        profiles = (row for row in reader if row)  # an empty line is no profile
        for done, cells in enumerate(profiles, start=1):
            row = dict(zip(header, cells, strict=True))
            chosen = [names.get(w, "") if w else "" for w in engine.decide_winners(compiled, row)]
            wins.update(c for c in chosen if c)
            writer.writerow([*cells, *chosen])
            if done % PROGRESS_EVERY == 0:
                SimulationBatch.objects.filter(pk=batch_id).update(rows_done=done)
        job_succeed(
            SimulationBatch.objects,
            pk=batch_id,
            rows_done=batch.rows_total,
            result_csv=out.getvalue(),
            wins=dict(wins.most_common()),
            finished_at=timezone.now(),
        )
        log.info("batch_decided", batch=batch_id, rows=batch.rows_total)
    except Exception as error:
        job_fail(
            SimulationBatch.objects,
            pk=batch_id,
            error=f"{type(error).__name__}: {error}",
            finished_at=timezone.now(),
        )
        log.exception("batch_failed", batch=batch_id)


# Reading a 100 MB history and training its offers takes minutes, not hours: past the soft
# limit the run fails with a message; the hard limit ends a job stuck in C code.
@shared_task(
    name="blueprints.tasks.train_propensity",
    bind=True,
    ignore_result=True,
    acks_late=True,
    soft_time_limit=20 * 60,
    time_limit=25 * 60,
)
def train_propensity(self, *, run_id: int) -> None:
    """Read, check and train a queued propensity run, within the time limits and (while
    reading) the job memory limit. Safe to deliver twice (services.propensity_run_execute)."""
    services.propensity_run_execute(run_id=run_id, task_id=self.request.id or "")
