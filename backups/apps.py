from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BackupsConfig(AppConfig):
    """Whole-program export and restore (layer 6: it reads and writes every app's rows)."""

    name = "backups"
    verbose_name = _("Backups")
