from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = _("Programs")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in
        from django.utils.translation import gettext

        from programs import messages, numbers
        from programs.languages import remember_on_login

        user_logged_in.connect(remember_on_login, dispatch_uid="programs.languages")
        # The pure modules' messages read in the active language where they are shown.
        messages.translate = gettext
        messages.localize_number = numbers.localized_number
