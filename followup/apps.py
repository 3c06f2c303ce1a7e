from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FollowupConfig(AppConfig):
    name = "followup"
    verbose_name = _("Uppföljning")

    def ready(self) -> None:
        from goals.models import register_closed_quarters

        from . import selectors, signals
        from .imports import tasks  # noqa: F401  (registers the import tasks with Celery)

        signals.connect()
        # A quarter whose report is closed keeps its assessments (goals.services.assessment_check).
        register_closed_quarters(selectors.closed_report_quarters)
