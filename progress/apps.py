from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    """Q4 what the results mean: the dashboard, the portfolio, saved views and the e-mails
    about them (layer 4)."""

    name = "progress"
    verbose_name = _("Progress")
