from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class AssessmentsConfig(AppConfig):
    name = "assessments"
    verbose_name = _("Assessments")

    def ready(self) -> None:
        post_save.connect(
            _program_created, sender="programs.Program", dispatch_uid="assessments.program_created"
        )


def _program_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A new program's organization gets the default maturity dimensions for question 1,
    once (programs/ knows nothing of assessments; it only saves the program)."""
    if created and not raw:
        from assessments.services import dimensions_ensure_defaults

        dimensions_ensure_defaults(organization=instance.organization)
