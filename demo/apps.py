from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo organization and its generated data (layer 6: it may use every app)."""

    name = "demo"
    verbose_name = _("Demo")
