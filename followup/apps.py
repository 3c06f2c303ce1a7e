from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Uppföljning")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out

        from . import signals
        from .views import logged_out_message

        signals.connect()
        user_logged_out.connect(logged_out_message, dispatch_uid="followup.logged_out_message")
