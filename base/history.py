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
# The creation record of a deleted row brought back from its history (goals.services.goal_restore):
# the history pages say "Återställd" for it, not "Skapad".
RESTORE_CHANGE_REASON = "Återställd efter borttagning"

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


@contextmanager
def one_history_record(model: Any, pk: Any) -> Iterator[None]:
    """The history records the `model` row `pk` takes in the block become one: a save
    followed by its many-to-many changes (each of which django-simple-history records on its
    own, as it does the links an app records on the row) is one action, one "who and when".

    The last record holds the object's final fields and the snapshot of every relation its
    history tracks; it keeps the first record's type ("+" for a creation) and reason (a
    revert's "Återställd till …"), and the earlier records go. For an object the block
    creates, whose key is known only after it, pass `pk` as a function returning that key
    (None when nothing was created: a refused form). Use inside a transaction."""
    manager_name = getattr(model._meta, "simple_history_manager_attribute", None)
    if manager_name is None or pk is None:
        yield
        return
    history = getattr(model, manager_name)
    if callable(pk):
        # Every record of the new row comes after the table's last one now (a key given by
        # hand may be one a deleted row had: its history stays its own).
        before = history.order_by("-history_id").values_list("history_id", flat=True).first()
        yield
        pk = pk()
        if pk is None:
            return
        records = history.filter(**{model._meta.pk.attname: pk})
    else:
        records = history.filter(**{model._meta.pk.attname: pk})
        before = records.order_by("-history_id").values_list("history_id", flat=True).first()
        yield
    written = list(
        (records if before is None else records.filter(history_id__gt=before)).order_by(
            "history_id"
        )
    )
    if len(written) < 2:
        return
    first, last = written[0], written[-1]
    last.history_type = first.history_type
    last.history_change_reason = first.history_change_reason or last.history_change_reason
    last.save(update_fields=["history_type", "history_change_reason"])
    for record in written[:-1]:
        # The snapshots of the relations point at their record without a constraint.
        for field in getattr(record, "_history_m2m_fields", ()):
            getattr(record, field.name).all().delete()
        record.delete()


def author_label(user: Any, reason: str | None = None) -> str:
    """Who made a change, as the pages show it: the person's name, or the source of a change
    no person made (the data set, the demo data, else "systemet")."""
    if user is not None:
        return str(user.get_full_name() or user.get_username())
    label = SOURCE_LABELS.get(reason or "")
    return str(label) if label is not None else str(_("systemet"))
