"""System checks of the installation (run by runserver, migrate and `check --deploy`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Warning, register


@register()
def compiled_catalogues(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """Warn when a catalogue in LOCALE_PATHS is not compiled, or older than its .po.

    The app's own text is Swedish in the code, but the Swedish of the third-party admins
    (django-simple-history's history and revert pages, django-celery-beat, django-axes) is in
    locale/sv: without its .mo those pages are in English, with nothing else telling why.
    """
    problems: list[CheckMessage] = []
    for locale_path in settings.LOCALE_PATHS:
        for po in sorted(Path(locale_path).glob("*/LC_MESSAGES/*.po")):
            mo = po.with_suffix(".mo")
            if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
                problems.append(
                    Warning(
                        f"{mo} is missing or older than {po.name}: the pages it translates "
                        "(in locale/sv the admin's history and revert pages) are shown in English.",
                        hint="Run `make messages` (or `manage.py compilemessages --ignore=.venv`).",
                        id="gonv.W001",
                    )
                )
    return problems
