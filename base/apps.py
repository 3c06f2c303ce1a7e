from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BaseConfig(AppConfig):
    name = "base"
    verbose_name = _("Gemensamt")

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_out
        from simple_history.signals import pre_create_historical_record

        from .history import fill_change_reason
        from .http import logged_out_message

        user_logged_out.connect(logged_out_message, dispatch_uid="base.logged_out_message")
        pre_create_historical_record.connect(
            fill_change_reason, dispatch_uid="base.fill_change_reason"
        )
