"""Project middleware."""

import logging
import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

from .security_log import PERMISSION_DENIED, security_event

logger = logging.getLogger(__name__)

SESSION_STARTED_KEY = "gonv_session_started"


class AbsoluteSessionTimeoutMiddleware:
    """End a session a fixed time after login, however active it is (ASVS 3.3.1/3.3.2).

    Django's own SESSION_COOKIE_AGE with SESSION_SAVE_EVERY_REQUEST gives the idle timeout;
    this adds the absolute lifetime it lacks.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            started = request.session.setdefault(SESSION_STARTED_KEY, now)
            if now - int(started) > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
        return self.get_response(request)


class SecurityHeadersMiddleware:
    """Keep authenticated pages out of shared caches.

    Static files never pass here with a user (WhiteNoise answers them before the session is
    read, and keeps their long cache).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            # Replaces what a view set: nothing a logged-in user sees belongs in a shared cache.
            response["Cache-Control"] = "private, no-store"
        return response


class UntrustedProxyWarningMiddleware:
    """Warn once when a TLS proxy's https arrives untrusted (the https redirect loop).

    First in the chain: SecurityMiddleware's redirect would otherwise answer before it looks.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response
        self.proxy_warned = False

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not self.proxy_warned:
            self._warn_about_untrusted_proxy(request)
        return self.get_response(request)

    def _warn_about_untrusted_proxy(self, request: HttpRequest) -> None:
        if (
            settings.PRODUCTION
            and not request.is_secure()
            and request.META.get("HTTP_X_FORWARDED_PROTO", "").lower() == "https"
            and getattr(settings, "SECURE_PROXY_SSL_HEADER", None) is None
        ):
            self.proxy_warned = True
            logger.warning(UNTRUSTED_PROXY_WARNING)


UNTRUSTED_PROXY_WARNING = (
    "Requests arrive with X-Forwarded-Proto: https over plain http, but "
    "SECURE_PROXY_SSL_HEADER is off: behind a TLS proxy every request redirects to https "
    "again (a loop). Set SECURE_PROXY_SSL_HEADER=true if the proxy sets X-Forwarded-Proto "
    "and strips it from clients (README, Security)."
)


class PermissionDeniedLogMiddleware:
    """Every 403 goes to the security log with the user and the address."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if response.status_code == 403:
            security_event(
                PERMISSION_DENIED, request=request, outcome="denied", method=request.method
            )
        return response
