"""Pages of the follow-up: the start page (portfolio overview)."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers
from django_htmx.middleware import HtmxDetails

from .selectors import portfolio_with_status

LOGGED_OUT_MESSAGE = _("Du är nu utloggad.")


class HtmxHttpRequest(HttpRequest):
    """A request that has passed django-htmx's middleware."""

    htmx: HtmxDetails


def logged_out_message(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """Tell the user on the login page that they are logged out (Django's LogoutView is silent).

    The message survives the session flush because the messages framework keeps it in a cookie.
    """
    if request is not None and hasattr(request, "_messages"):
        messages.info(request, LOGGED_OUT_MESSAGE)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def home(request: HtmxHttpRequest) -> HttpResponse:
    """The start page: every programme area of the current phase with its goals and milestones."""
    if not request.user.has_perm("gonv.view_portfolio"):
        raise PermissionDenied
    template = "followup/home.html#portfolio" if request.htmx else "followup/home.html"
    portfolio = portfolio_with_status()
    context = {
        "phases": portfolio.phases,
        "status_quarter": portfolio.quarter,
        "computed_at": portfolio.computed_at,
    }
    return render(request, template, context)
