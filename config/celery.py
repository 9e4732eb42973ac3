"""The Celery application: settings come from Django's under the CELERY_ namespace."""

import logging.config
import os

from celery import Celery
from celery.signals import setup_logging
from django_structlog.celery.steps import DjangoStructLogInitStep

from config.schedule import SCHEDULE

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("fourfold")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.steps["worker"].add(DjangoStructLogInitStep)
app.conf.beat_schedule = SCHEDULE
app.autodiscover_tasks()


@setup_logging.connect
def configure_worker_logging(**kwargs) -> None:
    """Workers log through Django's LOGGING, so tasks get the same structured lines."""
    from django.conf import settings

    logging.config.dictConfig(settings.LOGGING)
