"""What a user sees when a request cannot be served as asked: an expired form (CSRF), a page
that is not found (404)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext_lazy as _

from base.http import NotFound

LOGIN_AGAIN = _("Försök logga in igen.")
ALREADY_LOGGED_IN = _("Du är redan inloggad.")


def same_site_url(request: HttpRequest, candidate: str | None, default: str) -> str:
    """`candidate` when it is a URL on this site, else `default`."""
    if candidate and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """CSRF_FAILURE_VIEW: a form that has expired (a stale tab, a login or logout elsewhere).

    Django's own page is English and leads nowhere. Nothing was saved, so the page says so and
    leads back to where the user was.
    """
    login_url = reverse("login")
    if request.path == login_url:
        # The login tab was stale: most often the user logged in in another tab since, which
        # gave a new token. The login page sends a logged-in user on (to `next` if given).
        logged_in = request.user.is_authenticated
        messages.info(request, ALREADY_LOGGED_IN if logged_in else LOGIN_AGAIN)
        next_url = request.POST.get("next", "")
        if next_url and same_site_url(request, next_url, "") == next_url:
            return redirect(f"{login_url}?{urlencode({'next': next_url})}")
        return redirect(login_url)
    if request.path == reverse("logout"):
        # Logging out from a stale tab: the logout page asks again with a fresh form, or sends
        # a user who is already logged out to the login page.
        return redirect("logout")
    home = reverse("home")
    back = same_site_url(request, request.META.get("HTTP_REFERER"), home)
    context = {"back": back, "back_is_home": back == home}
    return render(request, "403_csrf.html", context, status=403)


def page_not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """handler404: the Swedish 404 page, with what was not found when one of our views said so
    (NotFound: "Det finns ingen enhet med koden ”X”."). Any other 404's text (Django's own,
    English, from the URL resolver or get_object_or_404) is not shown: the page is generic."""
    message = exception.message if isinstance(exception, NotFound) else ""
    return render(request, "404.html", {"message": message}, status=404)
