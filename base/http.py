"""Web plumbing every app's pages share: the typed HTMX request, partial rendering, logout."""

from collections.abc import Mapping
from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext_lazy as _
from django_htmx.middleware import HtmxDetails

LOGGED_OUT_MESSAGE = _("Du är nu utloggad.")


class HtmxHttpRequest(HttpRequest):
    """A request that has passed django-htmx's middleware."""

    htmx: HtmxDetails


def render_partial(
    request: HtmxHttpRequest,
    template: str,
    partial: str,
    context: Mapping[str, Any] | None = None,
) -> HttpResponse:
    """Render only the named partial (``template#partial``) for an htmx request, the whole page
    otherwise; the response varies on HX-Request so no cache serves one for the other."""
    name = f"{template}#{partial}" if request.htmx else template
    response = render(request, name, context)
    patch_vary_headers(response, ("HX-Request",))
    return response


def logged_out_message(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """Tell the user on the login page that they are logged out (Django's LogoutView is silent).

    The message survives the session flush because the messages framework keeps it in a cookie.
    """
    if request is not None and hasattr(request, "_messages"):
        messages.info(request, LOGGED_OUT_MESSAGE)
