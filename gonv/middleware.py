"""Project middleware."""

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse

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
