from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ResultsConfig(AppConfig):
    """Q4 what comes in: result sources, pulls, uploads, the push API and the measurements
    they load (layer 3). It announces each load (measurements_loaded); what the results mean
    is progress' part."""

    name = "results"
    verbose_name = _("Results")
