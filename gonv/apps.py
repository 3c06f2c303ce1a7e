from django.apps import AppConfig


class GonvConfig(AppConfig):
    name = "gonv"

    def ready(self) -> None:
        from . import security_log

        security_log.connect()
