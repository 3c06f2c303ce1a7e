"""Template context shared by every page."""

import time

from django.conf import settings
from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from followup.selectors import synthetic_data_present

from .middleware import SESSION_STARTED_KEY


def site(request: HttpRequest) -> dict[str, object]:
    """The embedded local mode and whether synthetic data exists (each shown as a banner)."""
    # Lazy: asked only by pages that render the banner (not by htmx fragments).
    return {
        "LOCAL_MODE": settings.LOCAL_MODE,
        "SYNTHETIC_DATA": SimpleLazyObject(synthetic_data_present),
    }


def session_limits(request: HttpRequest) -> dict[str, object]:
    """The seconds left of a logged-in session, for the warning every page gives before either
    limit (static/js/session.js): idle, renewed by each request, and absolute since login."""
    # Error pages and the cache warming render without a session (or a user).
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is None or session is None or not user.is_authenticated:
        return {}
    started = int(session.get(SESSION_STARTED_KEY, time.time()))
    return {
        "SESSION_LIMITS": {
            "idle": settings.SESSION_COOKIE_AGE,
            "absolute_left": max(0, started + settings.SESSION_ABSOLUTE_SECONDS - int(time.time())),
            "warning": settings.SESSION_WARNING_SECONDS,
            "absolute_hours": settings.SESSION_ABSOLUTE_SECONDS // 3600,
        }
    }
