"""Project middleware."""

import logging
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import resolve_url
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django_htmx.http import HttpResponseClientRedirect

from base.http import HtmxHttpRequest

from .error_views import same_site_url
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


LOGGED_OUT_UNSAVED_MESSAGE = _(
    "Du har blivit utloggad, så det du skrev är inte sparat. Logga in igen i en ny flik och "
    "tryck sedan Spara igen."
)
OTHER_USER_MESSAGE = _(
    "Du är nu inloggad som en annan användare än när sidan öppnades, så inget sparades. Ladda "
    "om sidan."
)
# Every page's htmx requests carry the user the page was rendered for (hx-headers on <body>).
PAGE_USER_HEADER = "X-Page-User"
# An htmx request sends this (hx-headers on an editing form) when the page holds typing that a
# trip to the login page would throw away, even for a GET such as the grid's "Ersätt värdet".
KEEP_PAGE_HEADER = "X-Keep-Page"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class HtmxLoginRedirectMiddleware:
    """An htmx request that finds the session ended gets what htmx can use, not the login page.

    login_required answers with a redirect to the login page, which the XMLHttpRequest follows:
    htmx would swap the whole login page into the region (and push its address). Instead a
    GET sends the whole window to the login page with `next` the page the user is on; a
    request that would lose what the user typed (a POST, or a GET marked with KEEP_PAGE_HEADER)
    gets a 401 with the reason as plain text, which htmx does not swap and
    static/js/htmx-errors.js shows in #messages: the typed values stay on the page.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HtmxHttpRequest) -> HttpResponse:
        if request.htmx and self._other_user(request):
            # A page opened by one user, sent after another logged in in the same browser (a
            # shared workstation): the CSRF token is the browser's, not the user's, so only
            # this stops the first user's typing being saved in the second one's name. Asked
            # before the view and its CSRF check (whose htmx answer renews the token).
            response = HttpResponse(
                OTHER_USER_MESSAGE, status=409, content_type="text/plain; charset=utf-8"
            )
            add_never_cache_headers(response)
            patch_vary_headers(response, ("HX-Request",))
            return response
        response = self.get_response(request)
        if not request.htmx or not self._redirects_to_login(response):
            return response
        if request.method in SAFE_METHODS and not request.headers.get(KEEP_PAGE_HEADER):
            # The page the user is on (HX-Current-URL, only if on this host): the request's own
            # path may be a fragment's. The login view validates `next` once more.
            fallback = request.get_full_path()
            here = same_site_url(request, request.htmx.current_url_abs_path, fallback)
            login_url = resolve_url(settings.LOGIN_URL)
            response = HttpResponseClientRedirect(redirect_to_login(here, login_url).url)
        else:
            response = HttpResponse(
                LOGGED_OUT_UNSAVED_MESSAGE,
                status=401,
                content_type="text/plain; charset=utf-8",
            )
        # Neither answer is a page: no cache may keep it or serve it for a plain request.
        add_never_cache_headers(response)
        patch_vary_headers(response, ("HX-Request",))
        return response

    @staticmethod
    def _other_user(request: HttpRequest) -> bool:
        """An unsafe request from a page rendered for another user than the one logged in now
        (an ended session, anonymous now, is the login redirect's case below)."""
        if request.method in SAFE_METHODS or not request.user.is_authenticated:
            return False
        page_user = request.headers.get(PAGE_USER_HEADER)
        return page_user is not None and page_user != str(request.user.pk)

    @staticmethod
    def _redirects_to_login(response: HttpResponse) -> bool:
        if response.status_code not in (301, 302, 303, 307, 308):
            return False
        location = urlsplit(response.get("Location", ""))
        return location.path == resolve_url(settings.LOGIN_URL)


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
