from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GonvConfig(AppConfig):
    name = "gonv"
    verbose_name = _("GONV-uppföljning")

    def ready(self) -> None:
        from django.apps import apps
        from django_celery_beat.models import PeriodicTask

        from . import checks, security_log  # noqa: F401 (checks registers itself)

        security_log.connect()
        # django-celery-beat labels this field with a literal English string, out of reach of
        # the translation catalogue; the admin's schedule pages are Swedish like the rest.
        PeriodicTask._meta.get_field("task").verbose_name = _("Uppgiftens namn")
        # django-axes has no verbose name: the admin would list the app as "Axes".
        apps.get_app_config("axes").verbose_name = _("Inloggningsspärr")
