"""Warm the dashboards' cache after a recompute, so the next reader does not render cold.

A recompute bumps the cache generation (followup.cache): every cached page region is gone and
the first request per page renders everything from the database (at national scale seconds
for the portfolio or a programme area). The engine's Celery chain ends here instead
(followup.tasks.warm_dashboards, after the last SPC task of a recompute): the most-read pages
are requested once, in-process, as the steering group sees them (no edit rights: the regions'
"read" key variant, shared by every reader who may not write), for the quarter a request
without `?kvartal=` shows (the latest computed). The pages render through their own views
(resolved from their URLs), so there is no second renderer to keep in step with the templates.

It never fails the chain: a page that cannot be rendered is logged and the next one tried.
A cache of one process (locmem) or none (dummy) gains nothing from a worker's warming, and
settings.GONV_WARM_DASHBOARDS turns it off (the tests do, unless a test asks for it).
"""

from __future__ import annotations

import logging
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from django.conf import settings
from django.contrib.auth.models import User
from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.test import RequestFactory
from django.urls import resolve, reverse
from django.utils import translation
from django_htmx.middleware import HtmxDetails

from organisation.models import Role
from organisation.selectors import Scope
from programmes.models import ProgrammeArea

from .cache import read_once
from .organisation_selection import ORGANISATION_PARAM, programme_area_url
from .selectors import Organisation, organisations

logger = logging.getLogger(__name__)

# The attribute organisation.selectors.scope_for caches a user's scope under.
_SCOPE_ATTR = "_gonv_scope"


def warmed_paths() -> list[str]:
    """The pages warmed after a recompute: Portfölj and Programområden (with several
    organisations, each one's), every programme area, the Enheter tree and the Mått list (one
    query for the areas, one for the organisations)."""
    # An area's page is found by its number and, with several organisations, the organisation
    # in its URL (programme_area_url): each organisation's areas are warmed under their own URL.
    areas = ProgrammeArea.objects.order_by("number", "-phase__start_date", "pk").only(
        "number", "phase_id"
    )
    home = reverse("home")
    choices = organisations()
    # The reader's own default (no role unit: the first by name) is the plain "/"; a user whose
    # roles belong to another organisation gets that one's, under the same key as its
    # ?organisation= (the key holds the organisation, not how it was chosen).
    area_list = reverse("programme_area_list")
    return [
        *(_each_organisation(home, choices)),
        *(_each_organisation(area_list, choices)),
        *dict.fromkeys(programme_area_url(area) for area in areas),
        reverse("unit_list"),
        reverse("measure_list"),
    ]


def _each_organisation(path: str, choices: list[Organisation]) -> list[str]:
    """The page as the reader gets it, then as each other organisation's (nothing more with
    one organisation)."""
    return [path, *(f"{path}?{urlencode({ORGANISATION_PARAM: o.code})}" for o in choices[1:])]


def reader() -> User:
    """An unsaved user who reads everything and writes nothing (the steering group's view).

    Its scope and permission caches are filled in, so the permission checks read nothing and
    nothing about it is stored.
    """
    user = User(username="gonv-cache-warmer", is_active=True)
    setattr(user, _SCOPE_ATTR, Scope(roles=frozenset({Role.STEERING_GROUP})))
    # django.contrib.auth's ModelBackend caches; an unsaved user has no permission rows.
    user._perm_cache = set()  # type: ignore[attr-defined]
    user._user_perm_cache = set()  # type: ignore[attr-defined]
    user._group_perm_cache = set()  # type: ignore[attr-defined]
    return user


def cache_is_shared() -> bool:
    """Whether what a worker puts in the cache can serve a web request (not locmem or dummy)."""
    return not isinstance(caches["default"], DummyCache | LocMemCache)


def warm_dashboards() -> dict[str, Any]:
    """Render the most-read pages once into the cache; what was rendered, failed or skipped."""
    if not settings.GONV_WARM_DASHBOARDS:
        return {"skipped": "GONV_WARM_DASHBOARDS is off"}
    if not cache_is_shared():
        return {"skipped": "the cache is not shared with the web processes"}
    started = time.perf_counter()
    rendered: list[str] = []
    failed: list[str] = []
    try:
        paths = warmed_paths()
    except Exception:
        logger.warning("Could not list the dashboards to warm", exc_info=True)
        return {"rendered": rendered, "failed": ["(list)"]}
    factory = RequestFactory()
    user = reader()
    with translation.override(settings.LANGUAGE_CODE):
        for path in paths:
            try:
                status = _render(factory, user, path)
            except Exception:
                logger.warning("Could not warm the cache with %s", path, exc_info=True)
                failed.append(path)
                continue
            (rendered if status == 200 else failed).append(path)
    summary = {
        "rendered": rendered,
        "failed": failed,
        "seconds": round(time.perf_counter() - started, 2),
    }
    logger.info("Warmed the dashboards' cache: %s", summary)
    return summary


def _render(factory: RequestFactory, user: User, path: str) -> int:
    """One GET of the page through its view, as the URL resolver would dispatch it."""
    match = resolve(urlsplit(path).path)
    request = factory.get(path)  # its query string too
    request.user = user
    request.resolver_match = match
    request.htmx = HtmxDetails(request)  # type: ignore[attr-defined]
    with read_once():  # as RequestMemoMiddleware does for a request
        response = match.func(request, *match.args, **match.kwargs)
        # A TemplateResponse would render only when returned from the handler.
        render = getattr(response, "render", None)
        if callable(render) and not getattr(response, "is_rendered", True):
            render()
    return int(response.status_code)
