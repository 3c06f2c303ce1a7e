"""System checks of the installation (run by runserver, migrate and `check --deploy`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register


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


@register()
def accessibility_statement_settings(app_configs: Any = None, **kwargs: Any) -> list[CheckMessage]:
    """In production, the accessibility statement must name a real contact and real dates.

    The law (2018:1937) requires a way to report shortcomings: the placeholder address reaches
    no one, so production refuses it (an Error stops `migrate`). A date left at the built-in
    default is probably not the date of this installation's assessment: a Warning. The local
    demo mode (`make run`, the tests) keeps the defaults, which the page says are examples.
    """
    if not settings.PRODUCTION:
        return []
    problems: list[CheckMessage] = []
    if settings.GONV_ACCESSIBILITY_CONTACT_EMAIL == settings.GONV_ACCESSIBILITY_EMAIL_PLACEHOLDER:
        problems.append(
            Error(
                "GONV_ACCESSIBILITY_CONTACT_EMAIL is the placeholder "
                f"{settings.GONV_ACCESSIBILITY_EMAIL_PLACEHOLDER}: the accessibility statement "
                "(/tillganglighet/) must name an address that reaches the organisation.",
                hint="Set GONV_ACCESSIBILITY_CONTACT_EMAIL (README, Configuration).",
                id="gonv.E001",
            )
        )
    for name in ("GONV_ACCESSIBILITY_STATEMENT_DATE", "GONV_ACCESSIBILITY_ASSESSMENT_DATE"):
        if getattr(settings, name) == settings.GONV_ACCESSIBILITY_DEFAULT_DATE:
            problems.append(
                Warning(
                    f"{name} is the built-in default "
                    f"{settings.GONV_ACCESSIBILITY_DEFAULT_DATE.isoformat()}: the accessibility "
                    "statement gives a date that is not this installation's.",
                    hint=f"Set {name} to the date as YYYY-MM-DD (README, Configuration).",
                    id="gonv.W002",
                )
            )
    return problems
