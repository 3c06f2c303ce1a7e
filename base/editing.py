"""What every editing page shares: the version a form was rendered from, the conflict when
someone else saved first, and the change history with the fields' own labels.

Imports no app: the pages of goals, programmes and followup build on it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Page, Paginator
from django.core.validators import MaxLengthValidator
from django.db import models, transaction
from django.http import HttpRequest
from django.utils import dateformat, timezone
from django.utils.text import capfirst, slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from simple_history.utils import get_m2m_field_name, get_m2m_reverse_field_name

from .formatting import format_number, format_set_level
from .history import DEMO_CHANGE_REASON, RESTORE_CHANGE_REASON, author_label
from .periods import day_label
from .versioning import StaleVersion, Versioned, deliberate_overwrite

M = TypeVar("M", bound=models.Model)

CONFLICT_MESSAGE = gettext_lazy(
    "Någon annan har sparat ändringar sedan du öppnade formuläret. Ingen av dina ändringar "
    "har sparats: jämför och välj."
)
ALREADY_SENT_MESSAGE = gettext_lazy("Formuläret har redan skickats; det sparades en gång.")
# The editing pages' outcomes, translated where shown (`_(SAVED_MESSAGE)`).
SAVED_MESSAGE = gettext_noop("Ändringarna är sparade.")
UNCHANGED_MESSAGE = gettext_noop("Inget ändrades: värdena var redan sparade.")
NOTHING_TO_SAVE_MESSAGE = gettext_noop("Inga ändringar att spara.")
# A save merged with someone else's meanwhile: the fields they changed (and the user did not).
KEPT_MESSAGE = gettext_noop(
    "%(name)s hade under tiden ändrat %(fields)s. Deras ändringar finns kvar; dina är sparade."
)
HISTORY_PAGE_SIZE = 10

# A comment to someone (a report's, a plan review's): long enough for what needs saying, short
# enough to read on the page; the pages' forms, the admin and the services all refuse longer.
COMMENT_MAX_LENGTH = 2000
ERROR_COMMENT_TOO_LONG = gettext_lazy("Kommentaren får vara högst 2 000 tecken.")
COMMENT_ERRORS = {"max_length": ERROR_COMMENT_TOO_LONG}
# A TextField's max_length limits its form field only; the model's validation checks it too.
COMMENT_VALIDATORS = [MaxLengthValidator(COMMENT_MAX_LENGTH)]


def comment_field(verbose_name: Any, **options: Any) -> models.TextField:
    """An optional comment to someone, limited to COMMENT_MAX_LENGTH in forms and models alike."""
    return models.TextField(
        verbose_name,
        blank=True,
        max_length=COMMENT_MAX_LENGTH,
        error_messages=COMMENT_ERRORS,
        validators=COMMENT_VALIDATORS,
        **options,
    )


# A model may name the unit of a number field (`display_units`): a fixed unit ("%") or a
# function of the row (or historical row) that gives it, as a goal's target value takes its
# measure's unit. Shown as the pages show numbers: "100 %", "1 234,5 st", "−5". The fields
# with a unit are levels someone set (a target share, a target value): "%" writes one as set
# (base.formatting.format_set_level), CHANGE_PERCENT a planned change with its sign ("+50 %").
UnitSource = str | Callable[[Any], str]
CHANGE_PERCENT = "+%"

# Bookkeeping columns no history line is about.
_HIDDEN_FIELDS = frozenset({"version", "updated_at", "assessed_at", "created_at", "id"})


class VersionField(forms.IntegerField):
    """The row version the form was rendered from, sent back hidden."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=0, required=False, **kwargs)


# A select's empty choice and the message when none is chosen, with the field's label in
# lower case: "Välj enhet", "Välj enhet." (translated where used).
CHOOSE_LABEL = gettext_noop("Välj %(field)s")
ERROR_CHOOSE = gettext_noop("Välj %(field)s.")
_DJANGO_BLANK = "---------"


def _single_select(field: forms.Field) -> bool:
    return isinstance(field, forms.ChoiceField) and not isinstance(
        field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField
    )


class ChoiceFieldsMixin:
    """Every select of a page form as people expect it: the empty choice says what to do
    ("Välj enhet", not "---------"), a required select left empty says "Välj enhet." (not
    "Detta fält måste fyllas i."), and a required select of objects with one choice only (a
    VEC's one unit) starts on that choice. Put first among a form's bases."""

    fields: dict[str, forms.Field]
    is_bound: bool

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if not _single_select(field) or isinstance(field.widget, forms.HiddenInput):
                continue
            noun = str(field.label or name).lower()
            field.error_messages["required"] = _(ERROR_CHOOSE) % {"field": noun}
            prompt = _(CHOOSE_LABEL) % {"field": noun}
            if isinstance(field, forms.ModelChoiceField):
                if field.empty_label is not None:
                    field.empty_label = prompt
            elif isinstance(field, forms.ChoiceField):
                choices: Any = field.choices  # a list by now (normalised by the field)
                field.choices = [
                    (value, prompt if value == "" and str(label) == _DJANGO_BLANK else label)
                    for value, label in choices
                ]

    def get_initial_for_field(self, field: forms.Field, field_name: str) -> Any:
        value = super().get_initial_for_field(field, field_name)  # type: ignore[misc]
        # Read when the form is shown, after the view has narrowed the choices.
        if (
            value in (None, "")
            and not self.is_bound
            and field.required
            and isinstance(field, forms.ModelChoiceField)
            and _single_select(field)
            and field.queryset is not None
        ):
            only = list(field.queryset[:2])
            if len(only) == 1:
                field.empty_label = None
                return only[0].pk
        return value


@contextmanager
def at_version(model: type[M], pk: Any, expected: int | None) -> Iterator[M]:
    """Lock the row and yield it, or raise StaleVersion if its version is not `expected`.

    For services that read the row again themselves (so the instance's own version check
    would compare against a fresh read): the lock holds until the caller's transaction ends,
    so a parallel save from the same version waits, then finds the version moved on.
    """
    with transaction.atomic():
        current = model._default_manager.select_for_update().filter(pk=pk).first()
        if current is None:
            raise StaleVersion(model(pk=pk), expected or 0)
        if expected is not None and current.version != expected:  # type: ignore[attr-defined]
            raise StaleVersion(current, expected)
        yield current


# --- conflicts -------------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChoice:
    """One field where the user's value and the stored one differ."""

    name: str
    label: str
    mine: str
    theirs: str


@dataclass(frozen=True)
class Conflict:
    """Who saved first, when, and how their values differ from the user's."""

    user_name: str
    saved_at: datetime.datetime | None
    version: int
    fields: list[FieldChoice]
    deleted: bool = False
    # Who saved first (None for a loader or the system): the user themselves, in another tab,
    # is told so, not that someone else came first.
    user_id: int | None = None


def display_value(field: models.Field[Any, Any] | None, value: Any, unit: str = "") -> str:
    """A stored or submitted value as a person reads it (choice labels, dates, names).

    Times are in local time (TIME_ZONE) as the pages write them ("30 apr 2025 15:00"), dates
    "31 dec 2025", numbers the Swedish way with their unit ("100 %", "−5", "1 234,5 st").
    """
    if value is None or value == "":
        return "–"
    if field is not None and field.choices:
        for key, label in field.flatchoices:
            if str(key) == str(value):
                return str(label)
    if isinstance(value, bool):
        return _("Ja") if value else _("Nej")
    if isinstance(value, datetime.datetime):
        if timezone.is_aware(value):
            value = timezone.localtime(value)
        return dateformat.format(value, "j b Y H:i")
    if isinstance(value, datetime.date):
        return day_label(value)
    if isinstance(value, (Decimal, int, float)):
        return _number(value, unit)
    if isinstance(value, models.Model):
        return _object_label(value)
    return str(value)


def _number(value: Decimal | int | float, unit: str) -> str:
    if unit == CHANGE_PERCENT:
        return format_set_level(value, signed=True)
    if unit.strip() == "%":
        return format_set_level(value)
    text = format_number(value)
    return f"{text} {unit}" if unit else text


def _object_label(value: models.Model) -> str:
    """A related row by name; a person by full name (else username), as "Ändrad av" shows."""
    if isinstance(value, get_user_model()):
        return author_label(value)
    return str(value)


def field_label(field: Any, name: str) -> str:
    """A field's label with its first letter capitalised, the rest as written ("Enhet (VO)")."""
    return str(capfirst(getattr(field, "verbose_name", name)))


def value_unit(model: type[models.Model], name: str, row: Any) -> str:
    """The unit a model gives a number field (`display_units`), for this row; "" for none."""
    source = getattr(model, "display_units", {}).get(name)
    if source is None:
        return ""
    return source if isinstance(source, str) else str(source(row) or "")


def version_record(current: models.Model, version: int | None) -> Any:
    """The row as it was at `version`: the row itself if it still is at it, else the
    historical record of the save that made it (None if there is none: a bulk write without
    history, or a row from before versions were recorded)."""
    if version is None:
        return None
    if getattr(current, "version", None) == version:
        return current
    history = getattr(current, "history", None)
    if history is None:
        return None
    return history.filter(version=version).order_by("-history_date", "-history_id").first()


def _stored_value(row: Any, field: Any) -> Any:
    """A field's value on a row or a historical row: a related row's pk, a many-to-many
    field's set of pks (of a current row only; None for a historical one)."""
    if field.many_to_many:
        if not isinstance(row, models.Model) or getattr(row, "history_id", None) is not None:
            return None
        if row.pk is None:
            return set()
        return set(getattr(row, field.name).values_list("pk", flat=True))
    return getattr(row, field.attname)


def _submitted_value(field: Any, value: Any) -> Any:
    if field.many_to_many and value is not None:
        return {getattr(item, "pk", item) for item in value}
    return value


@dataclass(frozen=True)
class Merge:
    """The user's submitted values against the stored row and the version the form was
    opened at (a three-way comparison).

    `theirs`: fields only someone else changed since (field name -> stored value; the save
    keeps it). `clashes`: fields both changed, differently (or the original is unknown): the
    only ones the user has to decide. `changed`: whether saving would change the stored row.
    """

    theirs: dict[str, Any]
    clashes: list[str]
    changed: bool


def tracked_m2m_pks(record: Any, name: str) -> set[Any]:
    """The pks a many-to-many field held at a historical record, from django-simple-history's
    snapshot (a field the model's history tracks, `m2m_fields`)."""
    field = record.instance_type._meta.get_field(name)
    return set(getattr(record, name).values_list(get_m2m_reverse_field_name(field), flat=True))


def _base_sets(current: models.Model, base: Any) -> Mapping[str, set[Any]]:
    """The many-to-many values of a historical `base`, for the fields its model can tell
    (`merge_base_m2m`, a classmethod taking the historical record); a model without it merges
    none of its many-to-many fields: a difference since an older version is a clash."""
    if base is None or base is current:
        return {}
    reader = getattr(type(current), "merge_base_m2m", None)
    return reader(base) if reader is not None else {}


def merge(current: models.Model, submitted: Mapping[str, Any], *, base: Any) -> Merge:
    """Compare `submitted` with the stored row `current` and with `base`, the row as the form
    showed it (version_record; None when unknown: every difference is then a clash).

    A many-to-many field is compared as a whole value (its set of pks); against an older
    version only where the model gives that version's value (`_base_sets`)."""
    theirs: dict[str, Any] = {}
    clashes: list[str] = []
    changed = False
    base_sets = _base_sets(current, base)
    for name, value in submitted.items():
        try:
            field = current._meta.get_field(name)
        except FieldDoesNotExist:  # a form-only field has no stored value to compare
            continue
        mine = _submitted_value(field, value)
        stored = _stored_value(current, field)
        if _same(stored, mine):
            continue
        known = base is not None
        if known and field.many_to_many and base is not current:
            known = name in base_sets
            original = base_sets.get(name)
        else:
            original = _stored_value(base, field) if base is not None else None
        if known:
            if _same(original, mine):  # only the other changed it: theirs stays
                theirs[name] = getattr(current, name) if not field.many_to_many else stored
                continue
            if _same(original, stored):  # only the user changed it
                changed = True
                continue
        clashes.append(name)
        changed = True
    return Merge(theirs=theirs, clashes=clashes, changed=changed)


def conflict_for(
    current: models.Model, submitted: Mapping[str, Any], *, since_version: int | None = None
) -> Conflict:
    """The conflict between the stored row and the values the user submitted; with
    `since_version` (the version the user's form was opened at) only the fields both the user
    and the other saves changed, differently, are in it (a field only one side changed is not
    a question), and it says whether every save since was one person's (`Conflict.user_id`:
    the user's own in another tab?)."""
    history = getattr(current, "history", None)
    latest = history.first() if history is not None else None
    clashes = merge(current, submitted, base=version_record(current, since_version)).clashes
    choices = []
    for name in clashes:
        field = current._meta.get_field(name)
        model_field = field if isinstance(field, models.Field) else None
        mine = submitted[name]
        theirs: Any = getattr(current, name)
        if field.many_to_many:
            mine = _joined(mine)
            theirs = _joined(theirs.all())
        unit = value_unit(type(current), name, current)
        choices.append(
            FieldChoice(
                name=name,
                label=field_label(field, name),
                mine=display_value(model_field, mine, unit),
                theirs=display_value(model_field, theirs, unit),
            )
        )
    return Conflict(
        user_name=author_label(
            getattr(latest, "history_user", None), getattr(latest, "history_change_reason", None)
        ),
        saved_at=getattr(latest, "history_date", None),
        version=current.version,  # type: ignore[attr-defined]
        fields=choices,
        user_id=_only_saver_since(history, since_version),
    )


def _joined(rows: Iterable[Any] | None) -> str:
    """Related rows by name, people by full name (as the history shows them)."""
    return ", ".join(sorted(_object_label(row) for row in rows or ()))


def _only_saver_since(history: Any, since_version: int | None) -> int | None:
    """The one user who made every save after `since_version`, None if several (or none, or a
    loader) did: only then can the conflict box say the first save was the user's own."""
    if history is None or since_version is None:
        return None
    savers = set(
        history.filter(version__gt=since_version).values_list("history_user_id", flat=True)
    )
    if len(savers) != 1:
        return None
    (only,) = savers
    return int(only) if only is not None else None


def _same(stored: Any, submitted: Any) -> bool:
    if isinstance(stored, models.Model) or isinstance(submitted, models.Model):
        stored_pk = getattr(stored, "pk", stored)
        submitted_pk = getattr(submitted, "pk", submitted)
        return stored_pk == submitted_pk
    if stored in (None, "") and submitted in (None, ""):
        return True
    if isinstance(stored, Decimal) and submitted is not None:
        try:
            return stored == Decimal(str(submitted))
        except ArithmeticError:
            return False
    return bool(stored == submitted)


def unchanged(current: models.Model, submitted: Mapping[str, Any]) -> bool:
    """Whether the stored row already holds every submitted value (a repeated save)."""
    return not merge(current, submitted, base=None).changed


# --- double submits of new objects -----------------------------------------------------------


class SubmitOnce:
    """A create form's one-time token: a repeated POST finds the first one's result.

    The token travels in the form (`submit_token`); the first POST claims it in the cache
    (atomic `add`), a failed one releases it so the user can correct and send again.
    """

    TTL = 60 * 60

    def __init__(self, token: str) -> None:
        self.key = f"gonv:submit:{token}" if token else ""

    def claim(self) -> str | None:
        """Claim the token; if it was used already, the URL its first use led to ("" while busy)."""
        if not self.key:
            return None
        if cache.add(self.key, "", self.TTL):
            return None
        return str(cache.get(self.key) or "")

    def done(self, url: str) -> None:
        if self.key:
            cache.set(self.key, url, self.TTL)

    def release(self) -> None:
        if self.key:
            cache.delete(self.key)


# --- change history --------------------------------------------------------------------------


@dataclass(frozen=True)
class FieldChange:
    label: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryLine:
    """One saved change: who, when, what kind of change, and each field before → after."""

    user_name: str
    at: datetime.datetime
    kind: str
    changes: list[FieldChange]
    is_change: bool = False
    # The reason the person gave (a moved deadline's, a revert's); a loader's source is its
    # user_name instead.
    reason: str = ""


_KIND_LABELS = {
    "+": gettext_lazy("Skapad"),
    "~": gettext_lazy("Ändrad"),
    "-": gettext_lazy("Borttagen"),
}
RESTORED = gettext_lazy("Återställd")
# A row the demo data load made: its time is the load's, not the day the row speaks of (a plan
# "inlämnad 30 apr 2025" loaded today), so the line says it was loaded, not created then.
DEMO_LOADED = gettext_lazy("Inläst som demodata")


def _kind_label(record: Any) -> str:
    if record.history_type == "+" and record.history_change_reason == DEMO_CHANGE_REASON:
        return str(DEMO_LOADED)
    if record.history_type == "+" and record.history_change_reason == RESTORE_CHANGE_REASON:
        return str(RESTORED)
    return str(_KIND_LABELS.get(record.history_type, record.history_type))


def _model_field(model: type[models.Model], name: str) -> Any:
    try:
        return model._meta.get_field(name)
    except FieldDoesNotExist:  # a field removed since
        return None


def _label(model: type[models.Model], name: str) -> str:
    try:
        return field_label(model._meta.get_field(name), name)
    except FieldDoesNotExist:  # a field removed since: show its name
        return name


def _value(model: type[models.Model], name: str, value: Any, row: Any) -> str:
    """A historical value as the pages show it; `row` is the historical record it is from
    (a goal's target value takes the unit of the measure the goal had then)."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        field = None
    if isinstance(field, models.ForeignKey) and value is not None:
        related = field.related_model._default_manager.filter(pk=value).first()
        return _object_label(related) if related is not None else f"#{value}"
    model_field = field if isinstance(field, models.Field) else None
    return display_value(model_field, value, value_unit(model, name, row))


def _m2m_change(field: models.ManyToManyField[Any, Any], old: Any, new: Any) -> tuple[str, str]:
    """A tracked many-to-many change of the pages' history (rows holding the related pks) as
    names, "#<pk>" for a related row deleted since (`m2m_change_labels`)."""
    target = get_m2m_reverse_field_name(field)
    pks = {row.get(target) for row in [*old, *new] if isinstance(row, dict)}
    related = field.related_model._default_manager.in_bulk([pk for pk in pks if pk is not None])
    return m2m_change_labels(
        field,
        old,
        new,
        lambda pk: _object_label(related[pk]) if pk in related else f"#{pk}",
    )


def m2m_change_labels(
    field: models.ManyToManyField[Any, Any],
    old: Iterable[Any],
    new: Iterable[Any],
    label: Callable[[Any], str],
) -> tuple[str, str]:
    """A tracked many-to-many field before and after a change, as the page and the admin's
    history show it: the related objects' names (`label` of each row's related pk or object),
    "Cosmic, Personcentrering", "–" for none.

    django-simple-history's rows are the through table's: a link with fields of its own (a
    supporting process's provenance) may change while the related object stays linked, and
    names alone would read "Cosmic → Cosmic". Such a link is named with what changed in it,
    on each side: "Cosmic (ursprung: Exempel – fastställs av regionen)" → "Cosmic (ursprung:
    Fastställd av regionen)"; a link that did not change is its name alone."""
    target = get_m2m_reverse_field_name(field)
    source = get_m2m_field_name(field)
    through: Any = field.remote_field.through

    def by_related(rows: Iterable[Any]) -> dict[Any, dict[str, Any]]:
        keyed = {}
        for row in rows:
            if isinstance(row, dict):
                related = row.get(target)
                keyed[getattr(related, "pk", related)] = row
        return keyed

    def described(rows: dict[Any, dict[str, Any]], others: dict[Any, dict[str, Any]]) -> str:
        labels = []
        for key, row in rows.items():
            text = label(row.get(target))
            other = others.get(key, row)  # linked on one side only: named, nothing to compare
            changed = [
                name
                for name in row
                if name not in (source, target) and other.get(name) != row[name]
            ]
            if changed:
                parts = []
                for name in changed:
                    try:
                        link_field: Any = through._meta.get_field(name)
                    except FieldDoesNotExist:  # a field removed since: its name
                        link_field = None
                    caption = getattr(link_field, "verbose_name", name)
                    parts.append(f"{caption}: {display_value(link_field, row[name])}")
                text = f"{text} ({'; '.join(parts)})"
            labels.append(text)
        return ", ".join(sorted(labels)) or "–"

    before, after = by_related(old), by_related(new)
    return described(before, after), described(after, before)


def history_lines(records: Iterable[Any], model: type[models.Model]) -> list[HistoryLine]:
    """History lines of a page of historical records (newest first), each diffed against the
    record before it (django-simple-history's diff_against)."""
    lines = []
    for record in records:
        previous = record.prev_record
        changes: list[FieldChange] = []
        if previous is not None and record.history_type == "~":
            delta = record.diff_against(previous, excluded_fields=list(_HIDDEN_FIELDS))
            for change in delta.changes:
                field = _model_field(model, change.field)
                if isinstance(field, models.ManyToManyField):
                    old, new = _m2m_change(field, change.old, change.new)
                else:
                    old = _value(model, change.field, change.old, previous)
                    new = _value(model, change.field, change.new, record)
                changes.append(FieldChange(label=_label(model, change.field), old=old, new=new))
        elif record.history_type == "+":
            for field in model._meta.concrete_fields:
                if field.name in _HIDDEN_FIELDS or not field.editable:
                    continue
                value = getattr(record, field.attname)
                if value in (None, ""):
                    continue
                changes.append(
                    FieldChange(
                        label=_label(model, field.name),
                        old="",
                        new=_value(model, field.name, value, record),
                    )
                )
        if record.history_type == "~" and not changes:
            continue  # a save that changed nothing a person sees
        lines.append(
            HistoryLine(
                user_name=author_label(record.history_user, record.history_change_reason),
                at=record.history_date,
                kind=_kind_label(record),
                changes=changes,
                is_change=record.history_type == "~",
                # A restore says so as its kind ("Återställd"), not again as a reason.
                reason=(record.history_change_reason or "")
                if record.history_user_id is not None
                and record.history_change_reason != RESTORE_CHANGE_REASON
                else "",
            )
        )
    return lines


def history_page(obj: models.Model, page_number: Any) -> tuple[Page[Any], list[HistoryLine]]:
    """One page of an object's change history, newest first."""
    records = obj.history.select_related("history_user").order_by("-history_date", "-history_id")  # type: ignore[attr-defined]
    page = Paginator(records, HISTORY_PAGE_SIZE).get_page(page_number)
    return page, history_lines(page.object_list, type(obj))


def history_context(
    obj: models.Model, request: HttpRequest, prefix: str, *, url: str | None = None
) -> dict[str, Any]:
    """The context of an object's history block: the page `?sida=` asks for, its lines, the
    block's element id and the URL its pages load from (`url`, else the request's own path)."""
    page, lines = history_page(obj, request.GET.get("sida"))
    return {
        "history_page": page,
        "history_lines": lines,
        "history_id": f"history-{prefix}-{obj.pk}",
        "history_url": request.path if url is None else url,
    }


def unique_slug(model: type[models.Model], text: str, fallback: str) -> str:
    """A code for a new row of `model` from `text` (its slug, or `fallback` when it has none),
    unique in the model's `code` column: "-2", "-3", … appended until it is free."""
    base = (slugify(text) or fallback)[:50]
    code, n = base, 1
    while model._default_manager.filter(code=code).exists():
        n += 1
        code = f"{base}-{n}"
    return code


def first_error_target(form: forms.BaseForm | None) -> str:
    """The id of the form's first visible field with an error, in the fields' order, for the
    error summary's link ("" when none has one): following it puts the focus on that input."""
    if form is None or not form.is_bound:
        return ""
    for field in form.visible_fields():
        if field.errors:
            return str(field.id_for_label or "")
    return ""


SaveFn = Callable[[], Any]


def keep_mine(data: Mapping[str, Any]) -> int | None:
    """The version "Spara mina ändringar" overwrites, or None for an ordinary save.

    The conflict box (includes/conflict.html) sends the version it showed as theirs beside
    the button; the form's own `version` stays the one it was rendered from, so an ordinary
    "Spara" after a conflict is refused again and only the explicit choice overwrites.
    """
    if not data.get("keep_mine"):
        return None
    text = str(data.get("overwrite_version") or "")
    return int(text) if text.isdigit() else None


@contextmanager
def overwriting(instance: models.Model, version: int | None) -> Iterator[None]:
    """`deliberate_overwrite` of `version` when there is one; an ordinary save otherwise."""
    if version is None or not isinstance(instance, Versioned):
        yield
        return
    with deliberate_overwrite(instance, of_version=version):
        yield


@dataclass(frozen=True)
class Saved:
    """A versioned save that went through: `unchanged` when there was nothing to write (the
    form sent what is stored: nothing was saved, no version, no history), `repeated` when that
    is because the same change was saved already (a double submit, another tab); `kept` the
    labels of fields someone else changed meanwhile, which the save left as they saved them,
    and `kept_from` who that was."""

    unchanged: bool = False
    repeated: bool = False
    kept: tuple[str, ...] = ()
    kept_from: str = ""

    @property
    def message(self) -> str:
        """What the page says (translated)."""
        if self.repeated:
            return _(UNCHANGED_MESSAGE)
        if self.unchanged:
            return _(NOTHING_TO_SAVE_MESSAGE)
        return _(SAVED_MESSAGE)

    @property
    def kept_message(self) -> str:
        """ "Sara Provberg hade under tiden ändrat Beskrivning; den ändringen finns kvar." """
        if not self.kept:
            return ""
        return _(KEPT_MESSAGE) % {"name": self.kept_from, "fields": ", ".join(self.kept)}


def submitted_values(form: forms.ModelForm) -> dict[str, Any]:
    """The form's model fields as cleaned (what a save would write)."""
    return {
        name: form.cleaned_data.get(name)
        for name in form._meta.fields or ()
        if name in form.cleaned_data
    }


def versioned_save(
    *,
    form: forms.ModelForm,
    model: type[models.Model],
    pk: Any,
    save: Callable[[], Any],
    overwrite: int | None = None,
    merge_others: bool = True,
) -> Conflict | Saved:
    """Run `save` from the version the form was rendered from, merged with what others saved
    since; a Conflict if a field both changed differently is left to the user.

    `merge_others=False` for a decision taken on what the page showed (a plan reviewed or
    reopened, a support need closed on its answer): any save by someone else since is a
    Conflict, whatever fields it touched, so the user decides again on what is stored.

    `save` calls the service with the form's instance. The row is locked and compared three
    ways (merge): with the stored row and with the row as the form showed it (the version's
    historical record). Fields only someone else changed since keep their value (set on the
    instance and in cleaned_data before `save`); fields only the user changed take the user's;
    fields both changed differently are a Conflict, unless `overwrite` (`keep_mine`, the
    version the conflict showed) is the stored version: then the user's values win there.
    Nothing to change (an unchanged form, a repeated submit) writes nothing: no version, no
    history, no recompute.
    """
    expected = form.cleaned_data.get("version") or 0
    submitted = submitted_values(form)
    with transaction.atomic():
        current = model._default_manager.select_for_update().filter(pk=pk).first()
        if current is None:
            return Conflict(user_name="", saved_at=None, version=0, fields=[], deleted=True)
        stored_version = current.version  # type: ignore[attr-defined]
        result = merge(current, submitted, base=version_record(current, expected))
        if not result.changed:
            return Saved(unchanged=True, repeated=stored_version != expected)
        stale = result.clashes or (not merge_others and stored_version != expected)
        if stale and overwrite != stored_version:
            return conflict_for(current, submitted, since_version=expected)
        for name, value in result.theirs.items():
            field = current._meta.get_field(name)
            if not field.many_to_many:
                setattr(form.instance, name, value)
            form.cleaned_data[name] = (
                value if not field.many_to_many else getattr(current, name).all()
            )
        # Who saved what is kept: the latest save before this one.
        latest = current.history.first() if result.theirs and hasattr(current, "history") else None
        form.instance.version = expected
        with overwriting(form.instance, stored_version if stored_version != expected else None):
            save()
    if not result.theirs:
        return Saved()
    return Saved(
        kept=tuple(f"”{_label(model, name)}”" for name in result.theirs),
        kept_from=author_label(
            getattr(latest, "history_user", None), getattr(latest, "history_change_reason", None)
        ),
    )
