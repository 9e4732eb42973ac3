from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgressConfig(AppConfig):
    """Q4 what the results mean: snapshots, status and pace, lift, alerts and digests, the
    dashboard, the portfolio, saved views and the e-mails about them (layer 4)."""

    name = "progress"
    verbose_name = _("Progress")

    def ready(self) -> None:
        from progress import receivers  # noqa: F401  (connects them)
