"""Views on top of every app: where each role lands after login, and the public pages."""

from typing import Any

from django.conf import settings
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.decorators import login_required
from django.contrib.auth.forms import PasswordChangeForm
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.views import LoginView, LogoutView, PasswordChangeView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST, require_safe

from followup.organisation_selection import programme_area_url
from organisation.models import Role
from organisation.selectors import unit_home_for
from programmes.selectors import programme_area_owned_by

from . import error_views
from .error_views import same_site_url
from .rules import GLOBAL_READERS, scope_for
from .security_log import PASSWORD_CHANGED, security_event

CSRF_REJECTED_MESSAGE = _(
    "Inget sparades, eftersom sidans säkerhetskod inte godtogs. Försök igen. Hjälper det inte, "
    "ladda om sidan."
)
# The response header that carries a current CSRF token to the page (static/js/htmx-errors.js).
CSRF_RENEWED_HEADER = "X-CSRFToken"


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """A CSRF rejection: our Swedish page (gonv.error_views), or for htmx the reason as text
    plus a current token.

    A login in another tab rotates the token, so a page opened before it (a grid with typed
    values, after "Du har blivit utloggad") posts a stale one. static/js/htmx-errors.js puts
    the token from this answer in the page and sends the request once more, so the user's
    one press of Spara saves; the token is only readable by the page's own origin.
    """
    if request.headers.get("HX-Request") != "true":
        return error_views.csrf_failure(request, reason)
    response = HttpResponse(
        CSRF_REJECTED_MESSAGE, status=403, content_type="text/plain; charset=utf-8"
    )
    response[CSRF_RENEWED_HEADER] = get_token(request)
    add_never_cache_headers(response)
    return response


def landing_url(user: User | AnonymousUser) -> str:
    """The page a role came for: the portfolio for the steering group, portfolio owner,
    strategist and admin; their area for a programme owner; their VO or unit for a VC or VEC."""
    scope = scope_for(user)
    if scope.is_superuser or scope.roles & GLOBAL_READERS:
        return reverse("home")
    if Role.PROGRAMME_OWNER in scope.roles:
        area = programme_area_owned_by(area_ids=scope.area_ids)
        if area is not None:
            # With its organisation: several organisations' areas share numbers.
            return programme_area_url(area)
    if scope.roles & {Role.HEAD_OF_AREA, Role.HEAD_OF_UNIT}:
        unit = unit_home_for(user=user)
        if unit is not None:
            return reverse("unit_detail", kwargs={"code": unit.code})
    return reverse("home")


class LandingLoginView(LoginView):
    """The login page; without a `next` a user lands on their role's page."""

    def get_default_redirect_url(self) -> str:
        return landing_url(self.request.user)


class ConfirmLogoutView(LogoutView):
    """Logging out is a POST; a GET (a bookmark, a typed address) asks "Logga ut?" with the
    button, rather than Django's empty 405 that the browser shows in English."""

    http_method_names = ["get", "head", "post", "options"]

    def get(self, request: HttpRequest, *args: object, **kwargs: object) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect(settings.LOGIN_URL)
        home = reverse("home")
        back = same_site_url(request, request.META.get("HTTP_REFERER"), home)
        if back.split("?")[0].endswith(request.path):
            back = home
        return render(request, "registration/logout_confirm.html", {"back": back})


LABEL_CURRENT_PASSWORD = _("Nuvarande lösenord")
ERROR_CURRENT_PASSWORD = _("Det nuvarande lösenordet är fel. Skriv det igen.")


class OwnPasswordChangeForm(PasswordChangeForm):
    """The current password is checked as a login is (`authenticate`), not by Django's bare
    `check_password`: a wrong guess counts towards django-axes' lockout and is in the security
    log (user_login_failed), so a session left open cannot be used to guess the password, which
    outlives the session."""

    error_messages = {
        **PasswordChangeForm.error_messages,
        "password_incorrect": ERROR_CURRENT_PASSWORD,
    }

    def __init__(self, user: User, *args: Any, request: HttpRequest, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.request = request
        # Django's Swedish "Gammalt lösenord" reads as an earlier password, not the one in use.
        self.fields["old_password"].label = LABEL_CURRENT_PASSWORD

    def clean_old_password(self) -> str:
        old_password: str = self.cleaned_data["old_password"]
        if authenticate(self.request, username=self.user.get_username(), password=old_password):
            return old_password
        raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")


class OwnPasswordChangeView(PasswordChangeView):
    """/konto/losenord/: every user changes the password an administrator gave them.

    Recorded as the admin records its own password change of a user (a LogEntry on the user,
    listed in the user's history in the admin) and in the security log.
    """

    template_name = "registration/password_change_form.html"
    success_url = reverse_lazy("password_change_done")
    form_class = OwnPasswordChangeForm

    def get_form_kwargs(self) -> dict[str, Any]:
        return {**super().get_form_kwargs(), "request": self.request}

    def get_form(self, form_class: type | None = None) -> PasswordChangeForm:
        form: PasswordChangeForm = super().get_form(form_class)
        # Django's help is an HTML list; the field template shows plain text under the label.
        form.fields["new_password1"].help_text = " ".join(
            password_validation.password_validators_help_texts()
        )
        return form

    def form_valid(self, form: PasswordChangeForm) -> HttpResponse:
        response = super().form_valid(form)
        user = form.user
        LogEntry.objects.log_actions(
            user_id=user.pk,
            queryset=[user],
            action_flag=CHANGE,
            change_message=[{"changed": {"fields": ["password"]}}],
            single_object=True,
        )
        security_event(PASSWORD_CHANGED, request=self.request, user=user, subject=user.username)
        return response


@require_GET
@login_required
def landing(request: HttpRequest) -> HttpResponse:
    """The user's own start page (as after login), for a bookmark or a link."""
    return redirect(landing_url(request.user))


@require_safe
def accessibility_statement(request: HttpRequest) -> HttpResponse:
    """The accessibility statement (tillgänglighetsredogörelse): public, no login."""
    email = settings.GONV_ACCESSIBILITY_CONTACT_EMAIL
    return render(
        request,
        "accessibility_statement.html",
        {
            "organisation": settings.GONV_ORGANISATION_NAME,
            "contact_email": email,
            # Said on the page, so nobody writes to an address that reaches no one.
            "contact_email_is_placeholder": email == settings.GONV_ACCESSIBILITY_EMAIL_PLACEHOLDER,
            "contact_phone": settings.GONV_ACCESSIBILITY_CONTACT_PHONE,
            "statement_date": settings.GONV_ACCESSIBILITY_STATEMENT_DATE,
            "assessment_date": settings.GONV_ACCESSIBILITY_ASSESSMENT_DATE,
            # The session limits, as the shortcoming the statement names (WCAG 2.2.1).
            "idle_minutes": settings.SESSION_COOKIE_AGE // 60,
            "absolute_hours": settings.SESSION_ABSOLUTE_SECONDS // 3600,
            "warning_minutes": settings.SESSION_WARNING_SECONDS // 60,
        },
    )


@require_POST
def session_keepalive(request: HttpRequest) -> HttpResponse:
    """The session warning's "Fortsätt vara inloggad" (static/js/session.js): a request, so the
    idle limit starts again (SESSION_SAVE_EVERY_REQUEST). Writes no data. 401 when the session
    has already ended (idle, or logged out by the absolute limit in this very request), so the
    page says so instead of pretending."""
    if not request.user.is_authenticated:
        return HttpResponse(status=401)
    request.session.modified = True
    response = HttpResponse(status=204)
    add_never_cache_headers(response)
    return response
