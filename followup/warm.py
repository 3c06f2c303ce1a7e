"""Warm the dashboards' cache after a recompute, so the next reader does not render cold.

A recompute bumps the cache generation (followup.cache): every cached page region is gone and
the first request per page renders everything from the database (at national scale seconds
for the portfolio or a programme area). The engine's Celery chain ends here instead
(followup.tasks.warm_dashboards, after the last SPC task of a recompute): the most-read pages
are requested once, in-process, as the steering group sees them (no edit rights: the regions'
"read" key variant, shared by every reader who may not write), for the quarter a request
without `?kvartal=` shows (the latest computed that has ended). The pages render through
their own views (resolved from their URLs), so there is no second renderer to keep in step with
the templates.

Then the pages users land on after login, as their owners see them: every VC's and VEC's unit
(organisation.selectors.home_units; at most settings.GONV_WARM_UNIT_PAGES_LIMIT units, those
most users land on first) and every programme owner's area. Each is rendered as an unsaved
user whose scope is exactly that unit's VC (or that area's owner), so the regions only a user
who may write renders ("Att göra", the goals with their edit links) are cached; their keys hold
whether the user may write and the page (followup.views), never who: the same regions serve
every user who may write that unit or area, and no one else. A unit's page is then rendered
once more as the steering group, for its readers' variant (today the same regions but "Att
göra", so that second render reads the cache).

It never fails the chain: a page that cannot be rendered is logged and the next one tried.
A cache of one process (locmem) or none (dummy) gains nothing from a worker's warming, and
settings.GONV_WARM_DASHBOARDS turns it off (the tests do, unless a test asks for it).
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
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

from organisation.models import Role, Unit
from organisation.selectors import Scope, home_units
from programmes.models import ProgrammeArea
from programmes.selectors import programme_areas_owned

from .cache import current_generation, read_once
from .models import Measure
from .organisation_selection import ORGANISATION_PARAM, programme_area_url
from .selectors import Organisation, organisations

logger = logging.getLogger(__name__)

# The attribute organisation.selectors.scope_for caches a user's scope under.
_SCOPE_ATTR = "_gonv_scope"


def warmed_paths() -> list[str]:
    """The pages warmed after a recompute: Portfölj and Programområden (with several
    organisations, each one's), every programme area, the Enheter tree, the Mått list and
    each measure's page for the region (a query each for the areas, the organisations and the
    measures)."""
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
        # Each a link of the portfolio's and the list's measure table (a few dozen at most).
        *(
            reverse("measure_detail", kwargs={"code": code})
            for code in Measure.objects.order_by("code").values_list("code", flat=True)
        ),
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
    return _unsaved_user(Scope(roles=frozenset({Role.STEERING_GROUP})))


def unit_writer(unit: Unit, role: str) -> User:
    """An unsaved user with one VC or VEC role on `unit`: the scope organisation.selectors.
    scope_for gives such a user (the unit and its subtree), nothing more (one query).

    Never saved and never used for anything but the warming's GETs.
    """
    subtree = frozenset(Unit.objects.in_subtree_of_any([unit.pk]).values_list("id", flat=True))
    scope = Scope(roles=frozenset({role}), unit_ids=subtree, root_unit_ids=frozenset({unit.pk}))
    return _unsaved_user(scope)


def area_owner(area: ProgrammeArea) -> User:
    """An unsaved user who owns `area` and nothing else (a programme owner's scope)."""
    return _unsaved_user(
        Scope(roles=frozenset({Role.PROGRAMME_OWNER}), area_ids=frozenset({area.pk}))
    )


def _unsaved_user(scope: Scope) -> User:
    user = User(username="gonv-cache-warmer", is_active=True)
    setattr(user, _SCOPE_ATTR, scope)
    # django.contrib.auth's ModelBackend caches; an unsaved user has no permission rows.
    user._perm_cache = set()  # type: ignore[attr-defined]
    user._user_perm_cache = set()  # type: ignore[attr-defined]
    user._group_perm_cache = set()  # type: ignore[attr-defined]
    return user


@dataclass(frozen=True)
class Visit:
    """One page to render: its path, who renders it (built when it is rendered: a user that
    cannot be built fails that page only), and how the summary names it."""

    path: str
    user: Callable[[], User]
    label: str


WRITE_LABEL = "{path} [write]"
# How many pages are warmed between two looks at the cache's generation (one cache read).
STALE_CHECK_EVERY = 10


def landing_visits() -> tuple[list[Visit], int]:
    """The pages VCs, VECs and programme owners land on, as their owners and (a unit's) as the
    steering group see them, and how many units the limit left out (two queries)."""
    areas = [
        Visit(
            path,
            functools.partial(area_owner, area),
            WRITE_LABEL.format(path=path),
        )
        for area in programme_areas_owned()
        for path in [programme_area_url(area)]
    ]
    units = home_units()
    limit = max(settings.GONV_WARM_UNIT_PAGES_LIMIT, 0)
    left_out = max(len(units) - limit, 0)
    if left_out:
        logger.warning(
            "Warming the landing pages of %d of %d units (GONV_WARM_UNIT_PAGES_LIMIT); "
            "the other %d render cold on their first request",
            limit,
            len(units),
            left_out,
        )
    unit_pages: list[Visit] = []
    for unit, role in units[:limit]:
        path = reverse("unit_detail", kwargs={"code": unit.code})
        unit_pages.append(
            Visit(path, functools.partial(unit_writer, unit, role), WRITE_LABEL.format(path=path))
        )
        unit_pages.append(Visit(path, reader, path))
    return [*areas, *unit_pages], left_out


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
    # The steering group's pages first (the most read), then the landing pages.
    steering = reader()
    visits = [Visit(path, lambda: steering, path) for path in paths]
    left_out = 0
    try:
        landing, left_out = landing_visits()
        visits += landing
    except Exception:
        logger.warning("Could not list the landing pages to warm", exc_info=True)
        failed.append("(landing pages)")
    factory = RequestFactory()
    generation = current_generation()
    stale = 0
    with translation.override(settings.LANGUAGE_CODE):
        for i, visit in enumerate(visits):
            # An edit or a newer recompute since the start made every page rendered so far,
            # and every page still to come, a generation old: its own recompute warms again.
            # Hundreds of landing pages take a worker tens of seconds; the rest is not wasted.
            if i % STALE_CHECK_EVERY == 0 and i and current_generation() != generation:
                stale = len(visits) - i
                logger.info(
                    "The dashboards' cache moved on while warming: %d pages not warmed", stale
                )
                break
            try:
                status = _render(factory, visit.user(), visit.path)
            except Exception:
                logger.warning("Could not warm the cache with %s", visit.label, exc_info=True)
                failed.append(visit.label)
                continue
            (rendered if status == 200 else failed).append(visit.label)
    summary = {
        "rendered": rendered,
        "failed": failed,
        "units_left_out": left_out,
        "left_stale": stale,
        "seconds": round(time.perf_counter() - started, 2),
    }
    # The count, not every path: with hundreds of landing pages the line would be kilobytes.
    logger.info("Warmed the dashboards' cache: %s", {**summary, "rendered": len(rendered)})
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
