"""Generation-keyed cache for the dashboards: a recompute bumps the generation."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from django.core.cache import cache

GENERATION_KEY = "followup:generation"
T = TypeVar("T")


def current_generation() -> str:
    """The generation the dashboards' cache keys include."""
    value = cache.get(GENERATION_KEY)
    if value is None:
        value = str(time.time_ns())
        cache.add(GENERATION_KEY, value, timeout=None)
        value = cache.get(GENERATION_KEY, value)
    return str(value)


def bump_generation() -> None:
    """Invalidate everything cached from earlier results (old keys simply expire)."""
    cache.set(GENERATION_KEY, str(time.time_ns()), timeout=None)


def cached(key: str, build: Callable[[], T], timeout: int = 3600) -> T:
    """Cache a computed read under the current generation."""
    full_key = f"followup:{current_generation()}:{key}"
    value = cache.get(full_key)
    if value is None:
        value = build()
        cache.set(full_key, value, timeout=timeout)
    return value
