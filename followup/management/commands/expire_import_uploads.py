"""`manage.py expire_import_uploads`: the hourly cleanup of waiting import files, by hand."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from followup.imports import jobs


class Command(BaseCommand):
    help = (
        "Ta bort uppladdade importfiler som väntat längre än GONV_IMPORT_MAX_AGE_HOURS på "
        "”Importera” och markera deras jobb som utgångna."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        result = jobs.import_uploads_expire()
        self.stdout.write(
            f"{result.jobs_expired} uppladdningar äldre än {settings.GONV_IMPORT_MAX_AGE_HOURS} "
            f"timmar markerades som utgångna; {result.files_removed} filer togs bort."
        )
