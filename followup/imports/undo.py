"""Undoing an import (import_batch_undo, and why not: import_batch_undo_refusal), deleting a
synthetic (demo) batch (import_batch_delete), and which values changed since an import.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    Subquery,
    Value,
    Window,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import dateformat, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from simple_history.utils import bulk_update_with_history

from base.periods import Quarter
from organisation.models import Unit

from .. import triggers
from ..models import ImportBatch, Measure, Observation
from .history import batch_history
from .lookups import unit_writable
from .messages import (
    CHUNK_ROWS,
    ERROR_UNDO_DEMO,
    ERROR_UNDO_DONE,
    ERROR_UNDO_FORBIDDEN,
    ERROR_UNDO_NOT_IMPORTER,
    ERROR_UNDO_UNATTRIBUTED,
    undo_reason,
)
from .report import UndoRefused
from .rows import _period_label
from .services import _COMPARED, _recompute_from
from .wording import ChangedValue, LaterChange, undo_later_change_message

# --- undo -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UndoReport:
    removed: int
    restored: int


def import_batch_undo(*, user: Any, batch: ImportBatch) -> UndoReport:
    """Revert a batch as a whole: its new values removed, its changed values restored.

    Refused (`import_batch_undo_refusal`) if the batch is already undone, is the demo data's,
    if the user may not report values, if no value in the history comes from the batch (one
    made by hand in the admin: nothing to attribute), if the user may not write every unit it
    touched, or if any of its values changed (by hand or by a later import) after it.
    """
    history = Observation.history.model
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        records = batch_history(batch)
        refusal = import_batch_undo_refusal(user=user, batch=batch)
        if refusal is not None:
            raise UndoRefused(refusal)
        previous = history.objects.filter(
            id=OuterRef("id"), history_id__lt=OuterRef("history_id")
        ).order_by("-history_id")
        reason = undo_reason(batch)
        removed = restored = 0
        first: Quarter | None = None
        with triggers.suppressed():
            created_ids = list(records.filter(history_type="+").values_list("id", flat=True))
            for start in range(0, len(created_ids), CHUNK_ROWS):
                ids = created_ids[start : start + CHUNK_ROWS]
                doomed = list(Observation.objects.filter(pk__in=ids))
                _history_delete(doomed, user, reason)
                for obs in doomed:
                    q = Quarter.parse(obs.quarter)
                    first = q if first is None or q < first else first
                # A raw delete: the history rows were written just above, and the per-row
                # signals would write them again without the user.
                Observation.objects.filter(pk__in=ids)._raw_delete(Observation.objects.db)
                removed += len(doomed)
            changed = records.filter(history_type="~").annotate(
                previous_id=Subquery(previous.values("history_id")[:1])
            )
            previous_ids = list(changed.values_list("previous_id", flat=True))
            for start in range(0, len(previous_ids), CHUNK_ROWS):
                olds = {
                    old.id: old
                    for old in history.objects.filter(
                        history_id__in=previous_ids[start : start + CHUNK_ROWS]
                    )
                }
                current = list(Observation.objects.filter(pk__in=olds))
                for obs in current:
                    old = olds[obs.pk]
                    for name in (*_COMPARED, "quarter", "source", "import_batch_id"):
                        setattr(obs, name, getattr(old, name))
                    obs.updated_at = timezone.now()
                    for code in {obs.quarter, old.quarter}:
                        q = Quarter.parse(code)
                        first = q if first is None or q < first else first
                bulk_update_with_history(
                    current,
                    Observation,
                    fields=[*_COMPARED, "quarter", "source", "import_batch", "updated_at"],
                    batch_size=CHUNK_ROWS,
                    default_user=user,
                    default_change_reason=reason,
                )
                restored += len(current)
        batch.undone_at = timezone.now()
        batch.undone_by = user
        batch._history_user = user  # type: ignore[attr-defined]
        batch.save(update_fields=["undone_at", "undone_by"])
        if first is not None:
            _recompute_from(first)
    return UndoReport(removed=removed, restored=restored)


def _history_delete(objs: list[Observation], user: Any, reason: str) -> None:
    """The '-' history rows of observations about to be deleted."""
    history = Observation.history.model
    now = timezone.now()
    history.objects.bulk_create(
        [
            history(
                history_date=now,
                history_user=user,
                history_change_reason=reason,
                history_type="-",
                **{f.attname: getattr(obj, f.attname) for f in history.tracked_fields},
            )
            for obj in objs
        ],
        batch_size=CHUNK_ROWS,
    )


ERROR_BATCH_DELETE_FORBIDDEN = gettext_noop("Du får inte ta bort importomgångar.")
ERROR_BATCH_DELETE_NOT_SYNTHETIC = gettext_noop(
    "Importomgången kan inte tas bort: bara demodatans omgång tas bort med sina värden. En "
    "import tas tillbaka med ”Ångra import” på importens sida: dess nya värden tas bort och de "
    "ändrade får tillbaka sina tidigare värden, med historik."
)
# The history's change reason of each demo value removed with its batch (stored, not shown
# translated: like the import's reasons it is the record of what happened).
DEMO_DELETE_REASON = "Demodata borttagen"


def import_batch_delete(*, user: Any, batch: ImportBatch) -> int:
    """Delete the demo data's batch (`synthetic`) and its values in one step; returns how many.

    Each value removed gets its history row (DEMO_DELETE_REASON, the user); a value a person
    has written over since (no longer of source "demo") is theirs and stays, only unlinked from
    the batch. The affected quarters are recomputed on commit, as after an undo, and the banner
    "Demodata – syntetiska värden" goes with the batch. A real import is never deleted (its
    values would lose where they came from and what they replaced): ValidationError, pointing
    to its undo.
    """
    # Imported here, as `_recompute_from` imports the selectors.
    from django.core.exceptions import ValidationError

    from ..selectors import forget_synthetic_data_presence

    if user is None or not user.has_perm("followup.delete_importbatch", batch):
        raise PermissionDenied(_(ERROR_BATCH_DELETE_FORBIDDEN))
    with transaction.atomic():
        batch = ImportBatch.objects.select_for_update().get(pk=batch.pk)
        if not batch.synthetic:
            raise ValidationError(_(ERROR_BATCH_DELETE_NOT_SYNTHETIC), code="not_synthetic")
        values = Observation.objects.filter(import_batch=batch)
        removed = 0
        first: Quarter | None = None
        with triggers.suppressed():
            kept = list(values.exclude(source=ImportBatch.Source.DEMO))
            for obs in kept:
                obs.import_batch = None
            bulk_update_with_history(
                kept,
                Observation,
                fields=["import_batch"],
                batch_size=CHUNK_ROWS,
                default_user=user,
                default_change_reason=DEMO_DELETE_REASON,
            )
            ids = list(values.values_list("pk", flat=True))
            for start in range(0, len(ids), CHUNK_ROWS):
                chunk = ids[start : start + CHUNK_ROWS]
                doomed = list(Observation.objects.filter(pk__in=chunk))
                _history_delete(doomed, user, DEMO_DELETE_REASON)
                for obs in doomed:
                    q = Quarter.parse(obs.quarter)
                    first = q if first is None or q < first else first
                # A raw delete, as the undo's: the history rows are written just above.
                Observation.objects.filter(pk__in=chunk)._raw_delete(Observation.objects.db)
                removed += len(doomed)
        batch._history_user = user  # type: ignore[attr-defined]
        batch.delete()
        if first is not None:
            _recompute_from(first)
        transaction.on_commit(forget_synthetic_data_presence)
    return removed


def import_batch_undo_refusal(*, user: Any, batch: ImportBatch) -> str | None:
    """Why the user may not undo the batch (a Swedish sentence), or None if they may.

    The batch page shows it instead of "Ångra import"; the undo asks it again under the batch's
    lock. The last check, whether any of its values changed after it, is one query.
    """
    if batch.undone_at is not None:
        return _(ERROR_UNDO_DONE)
    if batch.source == ImportBatch.Source.DEMO:
        return _(ERROR_UNDO_DEMO)
    if user is None or not user.has_perm("followup.add_observation"):
        return _(ERROR_UNDO_NOT_IMPORTER)
    unit_ids = set(batch_history(batch).values_list("unit_id", flat=True).distinct())
    if not unit_ids:
        # A batch made by hand in the admin wrote nothing: an empty set of units would refuse
        # nobody, and marking it undone would claim an undo that never happened.
        return _(ERROR_UNDO_UNATTRIBUTED)
    outside = {unit_id for unit_id in unit_ids if not unit_writable(user, unit_id)}
    if outside:
        names = Unit.objects.filter(pk__in=outside).values_list("name", flat=True)
        return _(ERROR_UNDO_FORBIDDEN).format(units=", ".join(sorted(names)[:5]))
    return _later_change_refusal(batch)


# Stands in for a missing täljare or nämnare when comparing (they are never negative), so that
# two missing ones compare equal in SQL.
_NO_PART = Value(Decimal(-1), output_field=DecimalField(max_digits=16, decimal_places=4))


def changed_since_import(history: Any) -> ExpressionWrapper:
    """Whether the outer history row's observation was changed (by hand, by a later import) or
    deleted after the row was written and is not, today, what the row wrote.

    A later history row alone is not enough: a later import that was undone leaves rows behind
    but puts back exactly what this row wrote, and that import must stay undoable.
    """
    later = Exists(history.objects.filter(id=OuterRef("id"), history_id__gt=OuterRef("history_id")))
    same = Exists(
        Observation.objects.annotate(
            numerator_or=Coalesce("numerator", _NO_PART),
            denominator_or=Coalesce("denominator", _NO_PART),
        ).filter(
            pk=OuterRef("id"),
            period_end=OuterRef("period_end"),
            value=OuterRef("value"),
            numerator_or=Coalesce(OuterRef("numerator"), _NO_PART),
            denominator_or=Coalesce(OuterRef("denominator"), _NO_PART),
            comment=OuterRef("comment"),
            source=OuterRef("source"),
            import_batch_id=OuterRef("import_batch_id"),
        )
    )
    return ExpressionWrapper(Q(later) & ~Q(same), output_field=BooleanField())


# How many of the values changed after a batch its refusal names (and links), the rest counted.
LATER_CHANGES_NAMED = 3


def _later_change_refusal(batch: ImportBatch) -> str | None:
    """Why the batch cannot be undone because values it wrote were changed after it, naming
    the first few, who changed each last and how (a later import, linked, or a person), each
    linked to its cell in the reporting grid, and counting them all (one query, whether or not
    anything changed), or None.

    Asked after the user was found to write every unit the batch touched: the grid the links
    open is one they may write in."""
    history = Observation.history.model
    # The value's latest history row: what it is today came from there.
    latest = history.objects.filter(id=OuterRef("id")).order_by("-history_id")

    def last(field_name: str) -> Subquery:
        return Subquery(latest.values(field_name)[:1])

    found = list(
        batch_history(batch)
        .filter(changed_since_import(history))
        .select_related("unit", "measure")
        .annotate(
            total=Window(Count("history_id")),
            later_reason=last("history_change_reason"),
            later_date=last("history_date"),
            later_first_name=last("history_user__first_name"),
            later_last_name=last("history_user__last_name"),
            later_username=last("history_user__username"),
            later_batch=last("import_batch_id"),
            later_file=last("import_batch__file_name"),
        )
        .order_by("history_id")[:LATER_CHANGES_NAMED]
    )
    if not found:
        return None
    return undo_later_change_message(found[0].total, [_changed_value(record) for record in found])


def _changed_value(record: Any) -> ChangedValue:
    """A value changed after the batch (its history row, annotated by _later_change_refusal):
    where it is, its cell in the reporting grid, and who changed it last and how."""
    quarterly = record.measure.frequency == Measure.Frequency.QUARTERLY
    period = _period_label("quarter" if quarterly else "month", record.period_start)
    code = (
        Quarter.containing(record.period_start).code
        if quarterly
        else f"{record.period_start:%Y-%m}"
    )
    grid = reverse("report_grid", args=[record.unit_id])
    name = f"{record.later_first_name or ''} {record.later_last_name or ''}".strip()
    when = dateformat.format(timezone.localtime(record.later_date), "j b Y H:i")
    change = LaterChange(who=name or record.later_username or "", when=when)
    # Written by a later import ("Import #4", as change_reason writes it): name and link it.
    if record.later_batch is not None and record.later_reason == f"Import #{record.later_batch}":
        change = replace(
            change,
            batch_id=record.later_batch,
            file_name=record.later_file or "",
            url=reverse("import_batch", args=[record.later_batch]),
        )
    return ChangedValue(
        text=f"{record.unit.name}, {record.measure.name}, {period}",
        url=f"{grid}?period={code}#m{record.measure_id}u{record.unit_id}-row",
        change=change,
    )


def import_batch_can_undo(*, user: Any, batch: ImportBatch) -> bool:
    """Whether the batch page offers "Ångra import" to the user."""
    return import_batch_undo_refusal(user=user, batch=batch) is None
