"""Generation-keyed cache for the dashboards: a recompute, or any edit, bumps the generation.

Everything the dashboards cache (the list of computed quarters, the rendered regions of the
pages) is keyed on the current generation, so bumping it invalidates all of it at once (old
keys simply expire). The engine bumps it after each recompute (followup.services); every
edit of the data the pages show bumps it too (followup.signals: a saved or deleted row of the
organisation, programmes, goals or follow-up inputs, and every recompute request, which bulk
writes such as imports make), so a goal's new title shows at once, not after the recompute.

Within one request (RequestMemoMiddleware; warm.py's renders too) the generation and each
`cached` value are read from the cache once: a page with a hundred links to programme areas
makes one round trip for the phases' organisations, not two per link. A bump in the request
forgets what it read.
"""

from __future__ import annotations

import functools
import logging
import time
import weakref
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
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
    memo = _memo.get()
    if memo is not None and GENERATION_KEY in memo:
        return str(memo[GENERATION_KEY])
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = _new_value()
        cache.add(GENERATION_KEY, value, timeout=None)
        value = cache.get(GENERATION_KEY, value)
    if memo is not None:
        memo[GENERATION_KEY] = value
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
        keep_until_commit(_PENDING_ATTR, pending, pending.publish)
    else:
        # A region this transaction rendered before this edit must not become current.
        pending.value = _new_value()
    _forget_memo()


_PENDING_ATTR = "_gonv_pending_generation"


class _PendingGeneration:
    """The generation an uncommitted transaction's edits will be shown under."""

    def __init__(self) -> None:
        self.value = _new_value()

    def publish(self) -> None:
        _publish(self.value)


def _pending(connection: Any) -> _PendingGeneration | None:
    """The current transaction's unpublished generation; none once it is committed or rolled
    back, nor for one rolled back to a savepoint (see keep_until_commit)."""
    pending: _PendingGeneration | None = kept_until_commit(_PENDING_ATTR, connection)
    return pending


def keep_until_commit(name: str, state: Any, on_commit: Callable[[], None]) -> None:
    """Run `on_commit` when the current transaction commits, and keep `state` as the
    transaction's `name` for kept_until_commit until then.

    Only public behaviour of transaction.on_commit, not Django's private queue: the connection
    holds a weak reference to the registered callback, so the state is gone once Django drops
    the callback — when it runs it (and marks itself done first), or when a rollback, or a
    rollback to a savepoint it was registered in, discards it. A later transaction on the same
    connection then finds nothing and starts a state of its own. (Only something else holding
    the discarded callback — a test's capture of on-commit callbacks that are never run — could
    keep a rolled-back state alive; production code holds none.)
    """
    callback = _Kept(state, on_commit)
    connection = transaction.get_connection()
    setattr(connection, name, weakref.ref(callback))
    transaction.on_commit(callback)


def kept_until_commit(name: str, connection: Any = None) -> Any:
    """The current transaction's `name` from keep_until_commit; None if it has none (no
    transaction, or its callback has run or been discarded)."""
    connection = connection or transaction.get_connection()
    if not connection.in_atomic_block:
        return None
    ref: weakref.ref[_Kept] | None = getattr(connection, name, None)
    callback = ref() if ref is not None else None
    if callback is None or callback.done:
        # Done: a test's captured on-commit callbacks may keep it alive after it ran.
        return None
    return callback.state


class _Kept:
    """An on-commit callback and the state it publishes; Django's queue is its only holder."""

    def __init__(self, state: Any, on_commit: Callable[[], None]) -> None:
        self.state = state
        self.on_commit = on_commit
        self.done = False

    def __call__(self) -> None:
        self.done = True
        self.on_commit()


def _new_value() -> str:
    return str(time.time_ns())


def _publish(value: str) -> None:
    """Make `value` the generation every request reads.

    A cache that cannot be reached must not fail the save or the recompute that bumps it (the
    edit is stored and its recompute waits in the outbox): it is logged, and what the cache
    still holds expires within REGION_TIMEOUT.
    """
    _forget_memo()
    try:
        cache.set(GENERATION_KEY, value, timeout=None)
    except Exception:  # any backend's connection error; the write itself has succeeded
        logger.warning("The dashboards' cache generation could not be bumped", exc_info=True)


def cached(key: str, build: Callable[[], T], timeout: int = 3600) -> T:
    """Cache a computed read under the current generation."""
    full_key = f"followup:{current_generation()}:{key}"
    memo = _memo.get()
    if memo is not None and full_key in memo:
        return memo[full_key]
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, timeout=timeout)
    if memo is not None:
        memo[full_key] = value
    return value


# What this request has read from the cache (the generation, `cached` values); None outside a
# request (a task, the shell), which reads the cache each time as before.
_memo: ContextVar[dict[str, Any] | None] = ContextVar("gonv_cache_memo", default=None)


@contextmanager
def read_once() -> Iterator[None]:
    """Within the block, read the generation and each `cached` value from the cache once.

    A snapshot for one request: a generation another process publishes meanwhile is not seen
    until the next request (what this one renders is at least as new as the generation it
    read, so nothing older is ever kept under a newer key). A bump here forgets the memo.
    """
    token = _memo.set({})
    try:
        yield
    finally:
        _memo.reset(token)


def _forget_memo() -> None:
    memo = _memo.get()
    if memo is not None:
        memo.clear()


class RequestMemoMiddleware:
    """One read of each cached value per request (read_once)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with read_once():
            return self.get_response(request)


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
