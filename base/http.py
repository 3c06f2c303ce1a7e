"""Web plumbing every app's pages share: the typed HTMX request, the logout message."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from django_htmx.middleware import HtmxDetails

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
