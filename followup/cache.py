"""Generation-keyed cache for the dashboards: a recompute, or any edit, bumps the generation.

Everything the dashboards cache (the list of computed quarters, the rendered regions of the
pages) is keyed on the current generation, so bumping it invalidates all of it at once (old
keys simply expire). The engine bumps it after each recompute (followup.services); every
edit of the data the pages show bumps it too (followup.signals: a saved or deleted row of the
organisation, programmes, goals or follow-up inputs, and every recompute request, which bulk
writes such as imports make), so a goal's new title shows at once, not after the recompute.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import get_language

logger = logging.getLogger(__name__)

GENERATION_KEY = "followup:generation"
# How long a rendered region stays cached at most (a new generation replaces it sooner).
REGION_TIMEOUT = 3600
T = TypeVar("T")


def current_generation() -> str:
    """The generation the dashboards' cache keys include.

    Inside a transaction that has changed what the pages show, the generation it will publish
    on commit: the editing request's own pages (and a test, which runs in one transaction)
    see the edit at once, while other requests keep the published one until the commit.
    """
    pending = _pending(transaction.get_connection())
    if pending is not None:
        return pending.value
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = _new_value()
        cache.add(GENERATION_KEY, value, timeout=None)
        value = cache.get(GENERATION_KEY, value)
    return str(value)


def bump_generation() -> None:
    """Invalidate everything cached from earlier results (old keys simply expire)."""
    pending = _pending(transaction.get_connection())
    if pending is not None:
        # This transaction's own reads must not keep what they cached before the bump either.
        pending.value = _new_value()
    _publish(_new_value())


def bump_generation_on_change() -> None:
    """An edit of what the pages show: a new generation, published once per transaction.

    In a transaction, on commit (one cache write however many rows it saves); until then the
    transaction itself reads under the new generation (current_generation), so a page that
    another request renders from the data as it was before the commit is never kept under it.
    Outside a transaction (autocommit), at once.
    """
    connection = transaction.get_connection()
    if not connection.in_atomic_block:
        _publish(_new_value())
        return
    pending = _pending(connection)
    if pending is None:
        pending = _PendingGeneration()
        setattr(connection, _PENDING_ATTR, pending)
        transaction.on_commit(pending.publish)
    else:
        # A region this transaction rendered before this edit must not become current.
        pending.value = _new_value()


_PENDING_ATTR = "_gonv_pending_generation"


class _PendingGeneration:
    """The generation an uncommitted transaction's edits will be shown under."""

    def __init__(self) -> None:
        self.value = _new_value()

    def publish(self) -> None:
        _publish(self.value)


def _pending(connection: Any) -> _PendingGeneration | None:
    """The current transaction's unpublished generation; none once it is committed or rolled
    back (either removes its on-commit callback), nor for one rolled back to a savepoint."""
    pending: _PendingGeneration | None = getattr(connection, _PENDING_ATTR, None)
    if pending is None or not connection.in_atomic_block:
        return None
    if any(func == pending.publish for _, func, _ in connection.run_on_commit):
        return pending
    return None


def _new_value() -> str:
    return str(time.time_ns())


def _publish(value: str) -> None:
    """Make `value` the generation every request reads.

    A cache that cannot be reached must not fail the save or the recompute that bumps it (the
    edit is stored and its recompute waits in the outbox): it is logged, and what the cache
    still holds expires within REGION_TIMEOUT.
    """
    try:
        cache.set(GENERATION_KEY, value, timeout=None)
    except Exception:  # any backend's connection error; the write itself has succeeded
        logger.warning("The dashboards' cache generation could not be bumped", exc_info=True)


def cached(key: str, build: Callable[[], T], timeout: int = 3600) -> T:
    """Cache a computed read under the current generation."""
    full_key = f"followup:{current_generation()}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, timeout=timeout)
    return value


def region_key(*parts: object) -> str:
    """The vary-on of a cached page region (`{% cache REGION_TIMEOUT "name" region_key %}`).

    The generation, the language and today's date (days to a deadline, what is overdue) are
    always part of it; the view adds what else the region depends on: the quarter, the unit,
    and for a region with edit links or "Att göra" whether the user may write (and the path the
    links return to), never more of the user than that.
    """
    fixed = (current_generation(), get_language(), timezone.localdate().isoformat())
    return ":".join(str(part) for part in (*fixed, *parts))


def lazy(build: Callable[[], T]) -> Callable[[], T]:
    """A context value read only if a template renders it (a cached region does not).

    The template engine calls a callable context variable; the result is memoised, so a
    value read in several places is built once.
    """
    return functools.cache(build)


def lazy_items(build: Callable[[], dict[str, Any]], names: tuple[str, ...]) -> dict[str, Any]:
    """Several context values from one lazily built dict (one selector call for all)."""
    once = lazy(build)
    return {name: _item(once, name) for name in names}


def _item(build: Callable[[], dict[str, Any]], name: str) -> Callable[[], Any]:
    return lambda: build()[name]
