"""The demo's exposure history: the web shop's blueprint learns its offers' propensity."""

from django.contrib.auth.models import AbstractBaseUser

from blueprints import history, services
from blueprints.propensity import Columns
from programs.models import Program

DEMO_BLUEPRINT = "Web shop — desktop and mobile"
DEMO_FILE = "web-shop-exposures.csv"


def seed_propensity(*, program: Program, by: AbstractBaseUser) -> None:
    """Version 1 of the open cycle's web-shop blueprint, from half a year of exposures
    generated with a fixed seed (blueprints.history.DEMO_OFFERS), trained here rather than
    by the worker so the demo shows results at once. Every offer keeps its estimate; the
    person trying the demo switches one to learned. Safe to run again: a blueprint that has
    a version is left alone."""
    blueprint = (
        program.cycles.get(closed_at__isnull=True).blueprints.filter(name=DEMO_BLUEPRINT).first()
    )
    if blueprint is None or blueprint.propensity_runs.exists():
        return
    data = history.to_csv(history.generate(history.DEMO_OFFERS, seed=history.DEMO_SEED))
    run = services.propensity_run_create(
        blueprint=blueprint,
        file_name=DEMO_FILE,
        data=data,
        columns=Columns("offer", "converted", (), value="value"),
        by=by,
        seed=history.DEMO_SEED,
    )
    # The job queued on commit finds the run trained and does nothing.
    services.propensity_run_execute(run_id=run.pk)
