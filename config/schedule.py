"""Every periodic task Fourfold runs, in one place.

Beat's DatabaseScheduler (django-celery-beat) copies these entries into the database at
start; schedules that users edit (result-source pulls) are created there by the app.
"""

from celery.schedules import crontab

SCHEDULE = {
    # Lets /health/worker/ tell a silent worker from an idle one.
    "worker-heartbeat": {
        "task": "programs.tasks.record_heartbeat",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    # Runs whose worker died (past their lease), lost in the queue, or uploads left
    # waiting for their mapping end failed, so no source stays held.
    "expire-pulls": {
        "task": "kpis.tasks.expire_pulls",
        "schedule": crontab(minute="*"),
        "options": {"expires": 50},
    },
    # Expected progress moves with the date: recompute every open cycle's KPI snapshots
    # (and so their statuses and alerts) even on days without new results.
    "refresh-progress-nightly": {
        "task": "kpis.tasks.refresh_all_progress",
        "schedule": crontab(hour=0, minute=15),
    },
    # The executives' weekly digest, Monday morning.
    "weekly-digest": {
        "task": "kpis.tasks.send_weekly_digest",
        "schedule": crontab(day_of_week="mon", hour=7, minute=0),
    },
    # Cycles whose end date passed (or whose KPIs all have results through their target
    # dates) are marked ready for review, and their managers told once.
    "cycles-ready-for-review": {
        "task": "programs.tasks.mark_cycles_ready",  # cycles/tasks.py, its name kept
        "schedule": crontab(hour=6, minute=0),
    },
}
