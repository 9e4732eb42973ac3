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
}
