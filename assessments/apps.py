from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Assessments")

    def ready(self) -> None:
        post_save.connect(
            _organization_created,
            sender="programs.Organization",
            dispatch_uid="assessments.organization_created",
        )


def _organization_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A new organization gets the default maturity dimensions for question 1, once (it may
    edit them after); programs/ knows nothing of assessments, it only saves the row. Pages
    read them and never make them (GET never writes)."""
    if created and not raw:
        from assessments.services import dimensions_ensure_defaults

        dimensions_ensure_defaults(organization=instance)
