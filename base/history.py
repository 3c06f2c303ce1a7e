"""Who made a change no person made: the change history names the loader, not "nobody".

Every write by a person goes through a permission-checked service or the admin and records the
user. Rows the data set loader or the demo data write have no user; they carry a change reason
instead (`changes_by` around the load), and the history pages name that source ("Inläst från
planen" for the region's plan, "Demodata"). Any other change without a user (a data migration,
the shell) reads "systemet".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

# Stored in the history tables (history_change_reason): never reword without a migration.
DATASET_CHANGE_REASON = "Datamängden (load_demo)"
DEMO_CHANGE_REASON = "Demodata (load_demo)"

SOURCE_LABELS: dict[str, Promise] = {
    DATASET_CHANGE_REASON: _("Inläst från planen"),
    DEMO_CHANGE_REASON: _("Demodata"),
}

_reason: ContextVar[str | None] = ContextVar("gonv_change_reason", default=None)


@contextmanager
def changes_by(reason: str) -> Iterator[None]:
    """History records written in the block without a user get `reason` (unless they have one)."""
    token = _reason.set(reason)
    try:
        yield
    finally:
        _reason.reset(token)


def fill_change_reason(sender: type, history_instance: Any, **kwargs: Any) -> None:
    """django-simple-history's pre_create_historical_record: the source of a userless change.

    (Bulk writes send no such signal; they pass the reason themselves, as the demo data do.)
    """
    reason = _reason.get()
    if reason is None or history_instance.history_change_reason:
        return
    if getattr(history_instance, "history_user_id", None) is None:
        history_instance.history_change_reason = reason


def author_label(user: Any, reason: str | None = None) -> str:
    """Who made a change, as the pages show it: the person's name, or the source of a change
    no person made (the data set, the demo data, else "systemet")."""
    if user is not None:
        return str(user.get_full_name() or user.get_username())
    label = SOURCE_LABELS.get(reason or "")
    return str(label) if label is not None else str(_("systemet"))
