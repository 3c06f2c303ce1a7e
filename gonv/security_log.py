"""The security log: one JSON object a line on stderr, for the region's log collection.

Every line has `time`, `event`, `user`, `address`, `path` and `outcome`, then the event's own
fields. Events: `login`, `login_failed`, `lockout`, `permission_denied`, `role_changed`,
`role_removed`, `history_revert`, `password_changed`. Other code logs through `security_event`;
the receivers below wire Django's, django-axes' and django-simple-history's signals to it.
"""

from __future__ import annotations

import datetime
import json
import logging
from typing import Any

from django.conf import settings
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.db.models.signals import post_delete, post_save
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext, gettext_noop

logger = logging.getLogger("gonv.security")

# Stable event names: the region's log collection filters on them.
LOGIN = "login"
LOGIN_FAILED = "login_failed"
LOCKOUT = "lockout"
PERMISSION_DENIED = "permission_denied"
ROLE_CHANGED = "role_changed"
ROLE_REMOVED = "role_removed"
HISTORY_REVERT = "history_revert"
PASSWORD_CHANGED = "password_changed"  # noqa: S105 (an event name, not a password)


def client_address(request: HttpRequest | None) -> str | None:
    """The client's address as django-axes determined it (proxy-aware), else REMOTE_ADDR."""
    if request is None:
        return None
    return getattr(request, "axes_ip_address", None) or request.META.get("REMOTE_ADDR")


def _username(user: Any) -> str | None:
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return str(user.get_username())


def _current_request() -> HttpRequest | None:
    """The request being served, as django-simple-history's middleware keeps it."""
    from simple_history.models import HistoricalRecords

    return getattr(HistoricalRecords.context, "request", None)


def security_event(
    event: str,
    *,
    request: HttpRequest | None = None,
    user: Any = None,
    outcome: str = "success",
    **fields: Any,
) -> dict[str, Any]:
    """Write one security event as a JSON line; returns the record written.

    `user` defaults to the request's user; `request` defaults to the request being served
    (if any), so a model signal can log with the address of whoever caused it.
    """
    request = request if request is not None else _current_request()
    if user is None and request is not None:
        user = getattr(request, "user", None)
    record: dict[str, Any] = {
        "time": timezone.now().isoformat(timespec="milliseconds"),
        "event": event,
        "user": fields.pop("username", None) or _username(user),
        "address": client_address(request),
        "path": request.path if request is not None else None,
        "outcome": outcome,
        **fields,
    }
    logger.info(json.dumps(record, ensure_ascii=False, default=str, sort_keys=False))
    return record


# --- lockout ----------------------------------------------------------------------------------

LOCKOUT_MESSAGE = gettext_noop(
    "För många misslyckade inloggningsförsök. Inloggningen är spärrad; försök igen efter "
    "kl. %(time)s den %(date)s."
)


def lockout_ends(request: HttpRequest, username: str | None) -> datetime.datetime:
    """When the lockout of this username from this address ends."""
    from axes.models import AccessAttempt

    latest = (
        AccessAttempt.objects.filter(username=username, ip_address=client_address(request))
        .order_by("-attempt_time")
        .values_list("attempt_time", flat=True)
        .first()
    )
    return (latest or timezone.now()) + settings.AXES_COOLOFF_TIME


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """The lockout page (django-axes' AXES_LOCKOUT_CALLABLE): says when to try again."""
    from axes.helpers import get_client_username

    username = get_client_username(request, credentials)
    ends = timezone.localtime(lockout_ends(request, username))
    message = gettext(LOCKOUT_MESSAGE) % {
        "time": ends.strftime("%H:%M"),
        "date": date_format(ends, "Y-m-d"),
    }
    return render(
        request,
        "registration/lockout.html",
        {"message": message, "ends": ends},
        status=settings.AXES_HTTP_RESPONSE_CODE,
    )


# --- receivers --------------------------------------------------------------------------------


def _logged_in(sender: Any, request: HttpRequest | None, user: Any, **kwargs: Any) -> None:
    security_event(LOGIN, request=request, user=user)


def _login_failed(
    sender: Any, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    security_event(
        LOGIN_FAILED,
        request=request,
        username=credentials.get("username"),
        outcome="failure",
        locked_out=bool(getattr(request, "axes_locked_out", False)),
    )


def _locked_out(
    sender: Any, request: HttpRequest, username: str | None, ip_address: str, **kwargs: Any
) -> None:
    security_event(
        LOCKOUT,
        request=request,
        username=username,
        outcome="locked",
        until=lockout_ends(request, username).isoformat(timespec="seconds"),
    )


def _role_saved(sender: type, instance: Any, created: bool, **kwargs: Any) -> None:
    security_event(
        ROLE_CHANGED,
        subject=instance.user.get_username(),
        role=instance.role,
        unit=instance.unit_id,
        programme_area=instance.programme_area_id,
        created=created,
    )


def _role_deleted(sender: type, instance: Any, **kwargs: Any) -> None:
    security_event(
        ROLE_REMOVED,
        subject=instance.user.get_username(),
        role=instance.role,
        unit=instance.unit_id,
        programme_area=instance.programme_area_id,
    )


# Set on the request once its history revert is logged.
_REVERT_LOGGED = "_gonv_revert_logged"


def _historical_record_created(
    sender: Any, instance: Any, history_instance: Any, **kwargs: Any
) -> None:
    # django-simple-history's admin saves a reverted version through its history form view;
    # that request is the only thing that tells a revert from an ordinary save.
    request = _current_request()
    match = getattr(request, "resolver_match", None)
    opts = instance._meta
    # The reverted object's own record (not its links' records the revert writes too), once a
    # revert: its relations may be recorded after its fields (base.history.one_history_record).
    if (
        match is None
        or match.url_name != f"{opts.app_label}_{opts.model_name}_simple_history"
        or getattr(request, _REVERT_LOGGED, False)
    ):
        return
    setattr(request, _REVERT_LOGGED, True)
    security_event(
        HISTORY_REVERT,
        request=request,
        model=instance._meta.label,
        object_id=instance.pk,
        reverted_to=_reverted_to(match),
    )


def _reverted_to(match: Any) -> int | str | None:
    """The history id a revert goes back to: django-simple-history's revert URL
    (`<object_id>/history/<history_id>/`) passes it as the second positional argument."""
    history_id = match.kwargs.get("history_id")
    if history_id is None and len(match.args) > 1:
        history_id = match.args[1]
    if history_id is None:
        return None
    history_id = str(history_id)
    return int(history_id) if history_id.isdigit() else history_id


def connect() -> None:
    """Wire the receivers (called from the gonv app's ready())."""
    from axes.signals import user_locked_out
    from simple_history.signals import post_create_historical_record

    from organisation.models import RoleAssignment

    user_logged_in.connect(_logged_in, dispatch_uid="security-log-login")
    user_login_failed.connect(_login_failed, dispatch_uid="security-log-login-failed")
    user_locked_out.connect(_locked_out, dispatch_uid="security-log-lockout")
    post_save.connect(_role_saved, sender=RoleAssignment, dispatch_uid="security-log-role")
    post_delete.connect(_role_deleted, sender=RoleAssignment, dispatch_uid="security-log-role-del")
    post_create_historical_record.connect(
        _historical_record_created, dispatch_uid="security-log-history-revert"
    )
