"""Web plumbing every app's pages share: the typed HTMX request, the permission check, the
logout message, the 404 that says what was not found."""

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django_htmx.middleware import HtmxDetails

StrOrPromise = str | Promise

LOGGED_OUT_MESSAGE = _("Du är nu utloggad.")


class NotFound(Http404):
    """A 404 whose message the 404 page shows: our own Swedish sentence (translated), saying
    what the address asked for that does not exist ("Det finns ingen enhet med koden ”X”.").

    Only this class's message is shown: Django's own Http404 texts are English and technical.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = str(message)


class HtmxHttpRequest(HttpRequest):
    """A request that has passed django-htmx's middleware."""

    htmx: HtmxDetails


def require_perm(
    request: HttpRequest, perm: str, obj: Any = None, message: StrOrPromise | None = None
) -> None:
    """Refuse the request (403) unless the user has `perm`, on `obj` when one is given.

    `message` (Swedish, translated) goes with the refusal when the page has something to say.
    """
    if request.user.has_perm(perm, obj):
        return
    if message is None:
        raise PermissionDenied
    raise PermissionDenied(message)


def logged_out_message(sender: Any, request: HttpRequest | None, **kwargs: Any) -> None:
    """Tell the user on the login page that they are logged out (Django's LogoutView is silent).

    The message survives the session flush because the messages framework keeps it in a cookie.
    """
    if request is not None and hasattr(request, "_messages"):
        messages.info(request, LOGGED_OUT_MESSAGE)
