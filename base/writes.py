"""The one write path every app's services share: permission, validation, history, transaction.

A service builds the object as it will be saved and hands it here. For a change the object as
it was is read back from the database (never trusted from memory, a form may already have
changed it), and the user needs the change permission on both: a VC may neither edit another
VO's record nor move their own record there. For an addition the add permission is asked with
the new object, so it depends on the target scope. The permissions are `gonv.rules`'s, asked
through `user.has_perm`, so this module imports no app above it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

M = TypeVar("M", bound=models.Model)

ERROR_FORBIDDEN = gettext_noop("Du har inte behörighet att ändra detta.")
ERROR_FORBIDDEN_ADD = gettext_noop("Du har inte behörighet att lägga till detta här.")
ERROR_FORBIDDEN_DELETE = gettext_noop("Du har inte behörighet att ta bort detta.")

Actor = User | AnonymousUser


def perm_name(model: type[models.Model] | models.Model, action: str) -> str:
    """The permission name `<app_label>.<action>_<model_name>` gonv.rules answers."""
    opts = model._meta
    return f"{opts.app_label}.{action}_{opts.model_name}"


def stored_version(obj: M) -> M | None:
    """The object as it is in the database now (None for one not saved yet)."""
    if obj.pk is None:
        return None
    return type(obj)._default_manager.filter(pk=obj.pk).first()


def apply(obj: M, data: Mapping[str, Any] | None, *, forbidden: frozenset[str] = frozenset()) -> M:
    """Set the given fields on the object (a field the caller may not set is refused)."""
    for name, value in (data or {}).items():
        if name in forbidden or name in {"pk", "id"}:
            raise ValueError(f"{name} cannot be set here")
        obj._meta.get_field(name)  # an unknown field raises FieldDoesNotExist
        setattr(obj, name, value)
    return obj


def authorize_save(*, user: Actor, obj: models.Model, message: str = "") -> None:
    """Raise PermissionDenied unless the user may save the object as it was and as it will be."""
    stored = stored_version(obj)
    if stored is None:
        if not user.has_perm(perm_name(obj, "add"), obj):
            raise PermissionDenied(message or _(ERROR_FORBIDDEN_ADD))
        return
    change = perm_name(obj, "change")
    if not (user.has_perm(change, stored) and user.has_perm(change, obj)):
        raise PermissionDenied(message or _(ERROR_FORBIDDEN))


def authorize_delete(*, user: Actor, obj: models.Model, message: str = "") -> None:
    """Raise PermissionDenied unless the user may delete the object as stored."""
    stored = stored_version(obj) or obj
    if not user.has_perm(perm_name(obj, "delete"), stored):
        raise PermissionDenied(message or _(ERROR_FORBIDDEN_DELETE))


def checked_save(*, user: Actor, obj: M, message: str = "") -> M:
    """Check permission, validate, save in a transaction and record the user in the history.

    The recompute the change calls for is marked by the existing on-commit triggers.
    """
    with transaction.atomic():
        authorize_save(user=user, obj=obj, message=message)
        obj.full_clean()
        set_history_user(obj, user)
        obj.save()
    return obj


def checked_delete(*, user: Actor, obj: models.Model, message: str = "") -> None:
    """Check permission and delete in a transaction, recording the user in the history."""
    with transaction.atomic():
        authorize_delete(user=user, obj=obj, message=message)
        set_history_user(obj, user)
        obj.delete()


def set_history_user(obj: models.Model, user: Actor) -> None:
    """Name the user in the historical row the next save or delete of `obj` writes."""
    # django-simple-history reads `_history_user` before the request's user (which scripts,
    # tasks and the importer do not have).
    if user.is_authenticated:
        obj._history_user = user  # type: ignore[attr-defined]
