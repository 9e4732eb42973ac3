from django.apps import AppConfig
from django.db.models.signals import post_save
from django.utils.translation import gettext_lazy as _


class InitiativesConfig(AppConfig):
    name = "initiatives"
    verbose_name = _("Initiatives")

    def ready(self) -> None:
        post_save.connect(
            _organization_created,
            sender="programs.Organization",
            dispatch_uid="initiatives.organization_created",
        )


def _organization_created(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    """A new organization gets the usual departments and channels for question 3's plan,
    once (it may edit them after). Pages read them and never make them (GET never writes)."""
    if created and not raw:
        from initiatives.services import plan_defaults_ensure

        plan_defaults_ensure(organization=instance)
