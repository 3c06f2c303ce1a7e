"""`manage.py expire_import_uploads`: the hourly cleanup of waiting import files, by hand."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand
from django.utils.translation import gettext as _

from followup.imports import jobs


class Command(BaseCommand):
    help = (
        "Ta bort uppladdade importfiler som väntat längre än GONV_IMPORT_MAX_AGE_HOURS på "
        "”Importera” och markera deras jobb som utgångna."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = jobs.import_uploads_expire()
        self.stdout.write(
            _(
                "%(jobs)s uppladdningar äldre än %(hours)s timmar markerades som utgångna; "
                "%(files)s filer togs bort."
            )
            % {
                "jobs": result.jobs_expired,
                "hours": settings.GONV_IMPORT_MAX_AGE_HOURS,
                "files": result.files_removed,
            }
        )
