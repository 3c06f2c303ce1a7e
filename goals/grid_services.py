"""The adoption grid: several cells (unit × working method) saved together, all or nothing.

A separate module beside goals.services, whose adoption_record_create/update each cell goes
through (permission on the record as it was and as it will be, validation, history). This
module adds the grid: which cells exist, and one transaction for all changed cells that is
rolled back entirely when any cell is invalid, forbidden or stale.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from base import grid
from base.editing import Conflict
from base.grid import CellConflict, GridResult
from base.versioning import StaleVersion
from organisation.models import Unit

from . import selectors, services
from .models import AdoptionRecord

GRID_CONFLICT_MESSAGE = gettext_noop(
    "Inget sparades: någon annan har sparat markerade celler sedan du öppnade sidan. Spara "
    "igen för att ersätta dem med dina värden, eller ta de sparade värdena."
)
GRID_OWN_CONFLICT_MESSAGE = gettext_noop(
    "Inget sparades: du har själv sparat markerade celler i en annan flik sedan du öppnade "
    "sidan. Spara igen för att ersätta dem med dina värden, eller ta de sparade värdena."
)


def cell_conflict(
    *, current: AdoptionRecord | None, submitted: dict[str, Any], since: int, user: Any
) -> CellConflict:
    """What the grid says beside a cell stored since version `since` (the user's grid's): who
    saved it and when, and the stored value of each field that differs from the user's."""
    return grid.cell_conflict(
        current,
        since=since,
        user=user,
        removed=gettext_lazy("Cellen har tagits bort sedan du öppnade sidan."),
        sentence=_saved_sentence,
        submitted=submitted,
    )


def _saved_sentence(info: Conflict, when: str, yours: bool) -> str:
    text = (
        gettext("Du har själv sparat ändringar i en annan flik %(when)s.")
        if yours
        else gettext("%(name)s sparade ändringar %(when)s.")
    ) % {"name": info.user_name, "when": when}
    if info.fields:
        # The fields that differ from the user's, with their stored values.
        # A stored comment's own full stop is not doubled by the sentence's ("Alla team..").
        stored = "; ".join(f"{f.label}: {f.theirs}" for f in info.fields).rstrip(".")
        text += " " + gettext("Sparat: %(fields)s.") % {"fields": stored}
    return text


def adoption_grid_cells(
    *, unit: Unit, data: Any = None, form_class: type[Any], user: Any = None
) -> list[dict[str, Any]]:
    """The grid below a unit: per working method, a cell form for each active unit of a kind
    the method targets and of the organisation whose plan the method is in (a method of a phase
    with no organisation is everyone's); existing records fill their cells.

    A cell the grid does not offer is never saved: a posted key for Region B's method at
    Region A's health centre is ignored (and the model refuses the pair on every path).
    A posted cell that carries the stored version it is to overwrite (after a conflict) says
    again who saved what.
    """
    today = timezone.localdate()
    units = list(
        Unit.objects.in_subtree(unit).active_on(today).select_related("kind").order_by("name")
    )
    methods = selectors.adoption_methods_for(units=units)
    records = {
        (r.unit_id, r.working_method_id): r
        for r in AdoptionRecord.objects.filter(
            unit__in=units, working_method__in=[m for m, _units in methods]
        )
    }
    sections = []
    for method, applies in methods:
        rows = []
        for u in applies:
            record = records.get((u.pk, method.pk)) or AdoptionRecord(unit=u, working_method=method)
            prefix = f"c{u.pk}m{method.pk}"
            # A cell the request did not send stays unbound: unchanged, never an error.
            sent = data is not None and f"{prefix}-status" in data
            # Version 0: the user's grid showed no record (one may have been stored since).
            posted = str(data.get(f"{prefix}-version", "") if sent else "") or "0"
            form = form_class(
                data if sent else None,
                instance=record,
                prefix=prefix,
                initial={"version": record.version if record.pk else 0},
                today=today,
                unrecorded=record.pk is None or (sent and posted == "0"),
            )
            row: dict[str, Any] = {"unit": u, "form": form, "record": record, "key": prefix}
            seen = str(data.get(f"{prefix}-overwrite", "") if sent else "")
            since = str(data.get(f"{prefix}-version", "") if sent else "") or "0"
            stored = record.version if record.pk else 0
            if seen.isdigit() and since.isdigit() and stored != int(since):
                submitted = {n: data.get(f"{prefix}-{n}") for n in ("status", "comment")}
                row["conflict"] = cell_conflict(
                    current=record if record.pk else None,
                    submitted=submitted,
                    since=int(since),
                    user=user,
                )
            rows.append(row)
        if rows:
            sections.append({"method": method, "name": method.name, "rows": rows})
    return sections


def adoption_grid_save(*, user: Any, sections: list[dict[str, Any]]) -> GridResult[AdoptionRecord]:
    """Save every changed cell of a bound grid in one transaction, or none of them."""
    result: GridResult[AdoptionRecord] = GridResult()
    changed = []
    for section in sections:
        for row in section["rows"]:
            if row["form"].is_bound and row["form"].has_changed():
                changed.append(row)
            else:
                row["form"].is_bound = False  # shown as it was, never with errors of its own
    for row in changed:
        if not row["form"].is_valid():
            result.errors[row["key"]] = [e for errs in row["form"].errors.values() for e in errs]
    if result.errors:
        return result
    grid.save_all_or_nothing(
        result, changed, lambda row: _save_cell(user=user, row=row, result=result)
    )
    return result


def _save_cell(*, user: Any, row: dict[str, Any], result: GridResult[AdoptionRecord]) -> None:
    form, record = row["form"], row["form"].instance
    # Saved again after a conflict: over the stored version shown beside the cell, knowingly.
    expected = grid.expected_version(form.cleaned_data)
    data = {name: form.cleaned_data[name] for name in form._meta.fields}
    try:
        with transaction.atomic():
            if record.pk is None:
                if expected:
                    raise StaleVersion(record, expected)
                services.adoption_record_create(
                    user=user, unit=record.unit, working_method=record.working_method, **data
                )
            else:
                record.version = expected
                services.adoption_record_update(user=user, record=record, data=data)
    except StaleVersion:
        _conflict(user=user, row=row, result=result, since=expected, data=data)
    except ValidationError as error:
        if _unique_clash(error):
            _conflict(user=user, row=row, result=result, since=expected, data=data)
            return
        messages = error.messages
        result.errors[row["key"]] = messages
        for message in messages:
            form.add_error(None, message)
    else:
        result.saved += 1


def _unique_clash(error: ValidationError) -> bool:
    """Whether the cell was refused because the unit's record of the method exists: saved by
    someone since the grid was read. Asked by the error's code (Django's for a unique
    constraint on fields), never its text, which is in the user's language."""
    errors = getattr(error, "error_dict", {}).get(NON_FIELD_ERRORS, [])
    return any(item.code in ("unique", "unique_together") for item in errors)


def _conflict(
    *,
    user: Any,
    row: dict[str, Any],
    result: GridResult[AdoptionRecord],
    since: int,
    data: dict[str, Any],
) -> None:
    """A cell saved first by someone: said beside it; the cell is shown again as typed with the
    stored version, so saving again writes over it. Nothing of this request is stored."""
    record, form = row["form"].instance, row["form"]
    current = AdoptionRecord.objects.filter(
        unit=record.unit, working_method=record.working_method
    ).first()
    result.conflicts[row["key"]] = current
    row["conflict"] = cell_conflict(current=current, submitted=data, since=since, user=user)
    grid.offer_overwrite(form, row["conflict"])
