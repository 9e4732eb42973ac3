from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SegmentsConfig(AppConfig):
    """Who the customers are: customer attributes, segments, the condition language, customer
    tables and clustering (layer 1)."""

    name = "segments"
    verbose_name = _("Segments")
