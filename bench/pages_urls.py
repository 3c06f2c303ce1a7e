"""The application's URLs plus the bare page the pages benchmark measures against.

Used only by `bench.pages` (ROOT_URLCONF overridden there): the bare page is a logged-in view
that renders base.html and nothing else, the floor of our own stack (session, user, roles,
middleware, CSP, the template's header and navigation).
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path
from django.views.decorators.http import require_GET

from gonv.urls import urlpatterns as app_urlpatterns


@require_GET
@login_required
def bare(request: HttpRequest) -> HttpResponse:
    """base.html alone, for a logged-in user."""
    return render(request, "base.html", {})


urlpatterns = [path("bench/bare/", bare, name="bench_bare"), *app_urlpatterns]
