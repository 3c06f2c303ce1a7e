from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Uppföljning")

    def ready(self) -> None:
        from . import signals

        signals.connect()
