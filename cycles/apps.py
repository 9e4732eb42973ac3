from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CyclesConfig(AppConfig):
    """Act, and the cycle as a whole: the wheel and program home, the phase, the review,
    starting the next cycle and the comparison over cycles (layer 5)."""

    name = "cycles"
    verbose_name = _("Cycles")
