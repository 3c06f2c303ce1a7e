"""The admin base class: object permissions from gonv.rules, writes through the services.

Every add, change, delete, bulk delete, inline row and history revert of the admin goes through
the same checked write path as the pages (`base.writes` or an app's `services.py`): the
user needs the permission on the object as it was and as it will be saved. The form asks the
same question while validating, so a refusal is a form error in Swedish, not a bare 403; so
does an app's `validate` (the service's rules of the day, such as an assessment's open
quarters). The change and history forms of a versioned row, and its inline rows, carry the
version they were rendered from: a save based on an older one is refused like on the pages,
said by one message (`conflict_message`: who saved since and when) above the form.
A save that would change nothing (every editable field as stored) writes nothing and says
"Inga ändringar att spara." as the pages do: no new version, history row or log entry.
"""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import flatten_fieldsets, unquote
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db import models, transaction
from django.forms import ModelForm
from django.forms.utils import ErrorList
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import conditional_escape, format_html
from django.utils.text import capfirst
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from rules.contrib.admin import ObjectPermissionsModelAdmin
from simple_history.admin import SimpleHistoryAdmin
from simple_history.models import (
    SIMPLE_HISTORY_REVERSE_ATTR_NAME,
    DeletedObject,
    ModelChange,
    ModelChangeValue,
)
from simple_history.template_utils import HistoricalRecordContextHelper

from base.editing import (
    NOTHING_TO_SAVE_MESSAGE,
    VersionField,
    display_value,
    m2m_change_labels,
    tracked_m2m_pks,
    value_unit,
)
from base.history import author_label, one_history_record
from base.periods import quarter_label
from base.versioning import StaleVersion, Versioned, deliberate_overwrite
from base.writes import authorize_save, checked_delete, checked_save

# Links to evidence are https; Django 6 makes that the default, this says it now.
HTTPS_URL_FIELDS: dict[type[models.Field[Any, Any]], dict[str, Any]] = {
    models.URLField: {"assume_scheme": "https"}
}

ERROR_REVERT_FORBIDDEN = gettext_noop("Du har inte behörighet att återställa den här versionen.")
# A save refused as stale, said by `conflict_message` alone (the change form, each inline row,
# the revert form, and a save refused between the form's check and the write). The editing
# pages' conflict message (base.editing) without their "jämför och välj": the admin has no
# comparison, the user reloads the form and sees the other person's values. Without a history
# record (none to name) the general one:
ERROR_SAVED_BY_SOMEONE_ELSE = _(
    "Någon annan har sparat ändringar sedan du öppnade formuläret. Ingen av dina ändringar "
    "har sparats: öppna formuläret på nytt för att se deras ändringar och gör sedan om dina."
)
# Else naming who saved last and when (from the history), with a link to the form as it is
# now; on a revert page: reload the history and revert again.
SAVED_BY_SOMEONE_ELSE = gettext_noop(
    "{name} sparade ändringar {date} kl. {time}, efter att du öppnade formuläret. Ingen av "
    'dina ändringar har sparats: <a href="{url}">öppna formuläret på nytt</a> för att se '
    "ändringarna och gör sedan om dina."
)
REVERT_SAVED_BY_SOMEONE_ELSE = gettext_noop(
    "{name} sparade ändringar {date} kl. {time}, efter att du öppnade den här versionen. "
    'Inget har återställts: <a href="{url}">ladda om historiken och återställ igen</a>.'
)
# An inline row's (a milestone's, an activity's): which row, then the same. Shown at the row
# and at the top of the form, where the row's name says which one.
ROW_SAVED_BY_SOMEONE_ELSE = gettext_noop("{kind} ”{object}”: {message}")
# The code of a conflict's form error: shown above the form instead of Django's "Var god rätta
# felet nedan." (`show_conflicts`), which asks for a correction the user cannot make.
CONFLICT_CODE = "saved_by_someone_else"
# After a revert (not Django's "Ändrade mål “Mål: …”."): what went back to which version.
REVERTED_MESSAGE = gettext_noop("{kind} ”{name}” har återställts till versionen från {date}.")
VERSION_FIELD = "version"
# The change reason of the historical row a revert writes: which version it went back to.
REVERT_REASON = gettext_noop("Återställd till versionen från %(date)s")
# Set on the request while a history revert saves (GonvAdmin.save_model reads it).
_REVERT_REASON_ATTRIBUTE = "_gonv_revert_reason"
# Set on the request by a change or revert that writes nothing (GonvAdmin.save_model): no log
# entry, and "Inga ändringar att spara." instead of "… ändrades".
_NOTHING_SAVED_ATTRIBUTE = "_gonv_nothing_saved"
# The historical record a revert goes back to (`reverted_record`).
_REVERT_RECORD_ATTRIBUTE = "_gonv_revert_record"
# Set on the request by an add form's save (GonvAdmin.save_model): the new object's key, whose
# history records the add view makes one (changeform_view).
_ADDED_PK_ATTRIBUTE = "_gonv_added_pk"


def reverted_record(request: HttpRequest) -> Any:
    """The historical record a history revert being saved goes back to (None otherwise): an
    app restores what the form does not hold from it (a programme area's process links)."""
    return getattr(request, _REVERT_RECORD_ATTRIBUTE, None)


def _with_tracked_m2m(form: type[ModelForm[Any]], obj: Any) -> type[ModelForm[Any]]:
    """The history form of a version showing the version's many-to-many values (those its
    history tracks, `m2m_fields`), so the revert saves them, not today's: the form would
    read the relation of the row as it is now."""
    record = getattr(obj, SIMPLE_HISTORY_REVERSE_ATTR_NAME, None)
    tracked = [
        field.name
        for field in getattr(record, "_history_m2m_fields", ())
        if field.name in form.base_fields
    ]
    if not tracked:
        return form

    class VersionRelationsForm(form):  # type: ignore[valid-type, misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            for name in tracked:
                self.initial[name] = sorted(tracked_m2m_pks(record, name))

    VersionRelationsForm.__name__ = form.__name__
    return VersionRelationsForm


class SafeAutocompleteSelect(AutocompleteSelect):
    """Django's autocomplete widget, re-rendering a posted value that is no key without a 500.

    Django looks the posted value up as a key to show it again; text that is no key of the
    related model (posted by hand) raised ValueError while rendering the form's error page.
    """

    def optgroups(self, name: str, value: Sequence[str], attr: dict[str, Any] | None = None) -> Any:
        target = self.field.target_field
        valid = []
        for item in value:
            try:
                target.to_python(item)
            except ValidationError:
                continue
            valid.append(item)
        return super().optgroups(name, valid, attr)


def _safe_autocomplete(formfield: Any) -> Any:
    widget = getattr(formfield, "widget", None)
    inner = getattr(widget, "widget", widget)  # inside RelatedFieldWidgetWrapper
    if type(inner) is AutocompleteSelect:
        inner.__class__ = SafeAutocompleteSelect
    return formfield


# --- choice labels that tell equal names apart ----------------------------------------------
# With several organisations' plans in one installation every region has a "PO 1. Teamarbete";
# an app registers a labeller for such a model (programmes: areas; goals: goals) and every select
# and list filter of the admin shows its labels ("PO 1. Teamarbete (Region Gävleborg)"). base
# knows no app: the registry is how the labels reach every admin without importing them.

# A labeller factory: called once per select or filter (one read at most, on first use), it gives
# the function that labels each object.
ChoiceLabeller = Callable[[], Callable[[Any], str]]
_CHOICE_LABELLERS: dict[type[models.Model], ChoiceLabeller] = {}


def register_choice_labels(model: type[models.Model], labeller: ChoiceLabeller) -> None:
    """Label every admin select and list filter of `model` with `labeller`."""
    _CHOICE_LABELLERS[model] = labeller


def label_choices(formfield: Any) -> Any:
    """Give a model choice field the registered labels of its model (if any)."""
    queryset = getattr(formfield, "queryset", None)
    labeller = _CHOICE_LABELLERS.get(queryset.model) if queryset is not None else None
    if labeller is not None:
        formfield.label_from_instance = labeller()
    return formfield


class LabelledChoices:
    """Admin mixin (model admins and inlines): foreign-key and many-to-many selects labelled
    by their model's registered labeller."""

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        return label_choices(super().formfield_for_foreignkey(db_field, request, **kwargs))  # type: ignore[misc]

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        return label_choices(super().formfield_for_manytomany(db_field, request, **kwargs))  # type: ignore[misc]


class AccessibleTabularInline(admin.TabularInline):
    """A tabular inline whose inputs carry their column's name. Django shows a tabular inline's
    labels only as column headings, with no <label> on the rows, so a screen reader announces
    each row's inputs unnamed (WCAG 2.1 1.3.1 and 4.1.2; axe-core's `label` and `select-name`)."""

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        formset = super().get_formset(request, obj, **kwargs)
        fields: dict[str, Any] = formset.form.base_fields
        for field in fields.values():
            # A foreign key's select sits inside the admin's related-object wrapper.
            widget = getattr(field.widget, "widget", field.widget)
            widget.attrs.setdefault("aria-label", str(field.label))

        class NamedDeleteFormSet(formset):  # type: ignore[misc,valid-type]
            def add_fields(self, form: Any, index: Any) -> None:
                super().add_fields(form, index)
                # The formset adds its delete box per row; named as Django heads its column.
                if "DELETE" in form.fields:
                    form.fields["DELETE"].widget.attrs.setdefault("aria-label", gettext("Delete?"))

        return NamedDeleteFormSet


class LabelledRelatedFilter(admin.RelatedFieldListFilter):
    """A list filter by a related object, each choice with its registered label."""

    def field_choices(self, field: Any, request: HttpRequest, model_admin: Any) -> Any:
        label = _CHOICE_LABELLERS[field.related_model]()
        target = field.target_field.attname
        ordering = self.field_admin_ordering(field, request, model_admin)
        objects = field.related_model._default_manager.all()
        if ordering:
            objects = objects.order_by(*ordering)
        return [(getattr(obj, target), label(obj)) for obj in objects]


admin.FieldListFilter.register(
    lambda field: (
        field.remote_field is not None
        and getattr(field, "related_model", None) in _CHOICE_LABELLERS
    ),
    LabelledRelatedFilter,
    take_priority=True,
)


def format_decimal(value: decimal.Decimal | None) -> str:
    """A decimal in Swedish without trailing zeros: 53,85 (not 53,850000), 12 (not 12,0000)."""
    if value is None:
        return "–"
    if not value.is_finite():
        return str(value)
    normal = value.copy_abs().normalize() if value.is_zero() else value.normalize()  # not "−0"
    if normal == normal.to_integral_value():
        normal = normal.quantize(decimal.Decimal(1))
    return f"{normal:f}".replace("-", "−").replace(".", ",")


def format_quarter(code: str | None) -> str:
    """A quarter as "Kv 4 2026" (an unreadable code is shown as it is)."""
    return quarter_label(code) if code else "–"


def _display(name: str, label: Any, render: Callable[[Any], str]) -> Callable[[Any], str]:
    def show(obj: Any) -> str:
        return render(getattr(obj, name))

    show.short_description = label  # type: ignore[attr-defined]
    show.admin_order_field = name  # type: ignore[attr-defined]
    return show


class SwedishHistoryValues(HistoricalRecordContextHelper):
    """The history page's changes as the admin's lists show values: 90 and 53,85 (not 90.00 and
    53.85), labels of choices, quarters as "Kv 4 2026", Ja/Nej, dates "31 dec 2026", times in
    local time "1 dec 2026 20:34", people by full name, and "–" for nothing (an emptied foreign
    key too, not django-simple-history's "Deleted user (pk=None)"). Texts are shown whole: the
    package shortens both sides to 80 characters ("Mer a[29 chars]ete.")."""

    def __init__(self, model: Any, historical_record: Any, quarter_fields: Sequence[str]) -> None:
        super().__init__(model, historical_record)
        self.quarter_fields = quarter_fields

    def format_delta_change(self, change: ModelChange) -> ModelChange:
        field = self.model._meta.get_field(change.field)
        if not isinstance(field, models.ManyToManyField):
            return super().format_delta_change(change)
        # The related names as the page's history has them, a link changed in its own fields
        # (a process's provenance) with what changed, not "Cosmic → Cosmic" (the package
        # would list the names alone).
        old, new = m2m_change_labels(field, change.old, change.new, _history_value)
        return dataclasses.replace(
            change,
            field=capfirst(field.verbose_name),
            old=conditional_escape(old),
            new=conditional_escape(new),
        )

    def prepare_delta_change_value(self, change: ModelChange, value: ModelChangeValue) -> Any:
        prepared = super().prepare_delta_change_value(change, value)
        field = self.model._meta.get_field(change.field)
        if prepared is None or prepared == "":
            return "–"
        if isinstance(prepared, bool):
            return gettext("Ja") if prepared else gettext("Nej")
        if isinstance(prepared, decimal.Decimal):
            # With its unit where the model names one ("90 %"), as the pages' history has it.
            unit = value_unit(self.model, change.field, self.record)
            return display_value(field, prepared, unit) if unit else format_decimal(prepared)
        if getattr(field, "choices", None):
            return dict(field.flatchoices).get(prepared, prepared)
        if change.field in self.quarter_fields and isinstance(prepared, str):
            return format_quarter(prepared)
        return _history_value(prepared)

    def stringify_delta_change_values(self, change: ModelChange, old: Any, new: Any) -> Any:
        # Whole, escaped: the template wraps them (not the package's shortened reprs).
        return conditional_escape(str(old)), conditional_escape(str(new))


def _history_value(value: Any) -> str:
    """A related object, person, date or time of the admin's history as the pages show it."""
    if isinstance(value, DeletedObject):
        if value.pk is None:
            return "–"
        return gettext("Borttagen %(kind)s (id %(id)s)") % {
            "kind": value.model._meta.verbose_name,
            "id": value.pk,
        }
    if isinstance(value, (datetime.date, models.Model)) or value is None:
        return display_value(None, value)
    return str(value)


def revert_reason(history_date: Any) -> str:
    """ "Återställd till versionen från 13 okt 2026 10:00" (in local time)."""
    when = date_format(timezone.localtime(history_date), "j b Y H:i")
    return gettext(REVERT_REASON) % {"date": when}


class _LowerCaseAddText(helpers.InlineAdminFormSet):
    """An inline whose add link names the row in running text: "Lägg till ytterligare
    stödjande process" (Django writes the noun with a capital letter)."""

    def inline_formset_data(self) -> str:
        data = json.loads(super().inline_formset_data())
        data["options"]["addText"] = gettext("Add another %(verbose_name)s") % {
            "verbose_name": self.opts.verbose_name
        }
        return json.dumps(data)


class GonvAdmin(LabelledChoices, ObjectPermissionsModelAdmin, SimpleHistoryAdmin):
    """Admin that asks gonv.rules for every permission, writes through the services and shows
    each object's history."""

    list_per_page = 50
    formfield_overrides = HTTPS_URL_FIELDS
    # Fields holding a quarter code ("2026Q4"), shown as "Kv 4 2026" in lists.
    quarter_fields: Sequence[str] = ("quarter",)
    # Fields no form edits (editable=False) whose changes the history page still shows.
    history_extra_fields: Sequence[str] = ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        return _safe_autocomplete(super().formfield_for_foreignkey(db_field, request, **kwargs))

    # --- the one write path ---------------------------------------------------------------

    def authorize(self, request: HttpRequest, obj: Any) -> None:
        """Raise PermissionDenied unless the user may save the object (as it was and will be)."""
        authorize_save(user=request.user, obj=obj)

    def save_object(self, request: HttpRequest, obj: Any, change: bool) -> None:
        """Save through the model's service; apps override this with their own."""
        checked_save(user=request.user, obj=obj)

    def delete_object(self, request: HttpRequest, obj: Any) -> None:
        """Delete through the model's service; apps override this with their own."""
        checked_delete(user=request.user, obj=obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        reason = getattr(request, _REVERT_REASON_ATTRIBUTE, None)
        if reason:
            # A history revert: its historical rows say so (django-simple-history's reason),
            # the one of a revert that restores only what the form does not hold (an area's
            # process links, recorded on the object after this) too.
            obj._change_reason = reason
        if change and unchanged(obj, form):
            # Nothing to write (every field as stored, a read-only one posted by hand
            # included): no new version (which would refuse others' forms as stale) and no
            # empty history row. Changed inline rows are still saved (save_formset).
            setattr(request, _NOTHING_SAVED_ATTRIBUTE, True)
            return
        setattr(request, _NOTHING_SAVED_ATTRIBUTE, False)
        self.save_object(request, obj, change)
        if not change:
            setattr(request, _ADDED_PK_ATTRIBUTE, obj.pk)

    def note_written(self, request: HttpRequest) -> None:
        """Say that this save wrote something beyond the object's form (an app's related rows,
        such as a revert's restored links): it is logged and said as saved."""
        setattr(request, _NOTHING_SAVED_ATTRIBUTE, False)

    def _nothing_saved(self, request: HttpRequest) -> bool:
        return bool(getattr(request, _NOTHING_SAVED_ATTRIBUTE, False))

    def log_change(self, request: HttpRequest, obj: Any, message: Any) -> Any:
        if self._nothing_saved(request):
            return None  # no "Inga fält ändrade." entry in the admin's log either
        return super().log_change(request, obj, message)

    def message_user(self, request: HttpRequest, message: Any, *args: Any, **kwargs: Any) -> None:
        if self._nothing_saved(request):
            # The change form's "… ändrades." after a save that wrote nothing: said as the
            # pages say an unchanged form. Where the user goes next stays Django's.
            message, kwargs["level"] = gettext(NOTHING_TO_SAVE_MESSAGE), messages.INFO
            args = ()
        super().message_user(request, message, *args, **kwargs)

    def delete_model(self, request: HttpRequest, obj: Any) -> None:
        self.delete_object(request, obj)

    def validate_delete(self, request: HttpRequest, obj: Any) -> None:
        """Raise ValidationError for a deletion the service would refuse beyond permission
        (rules of the day, such as an assessment's closed quarter); asked before a delete
        page or bulk delete confirmation is shown. The service asks again when it deletes."""

    def get_deleted_objects(self, objs: Any, request: HttpRequest) -> Any:
        # Asked by the delete page and the bulk delete's confirmation before they are shown
        # (and again before deleting): a refusal is said before the user confirms.
        for obj in objs:
            self.validate_delete(request, obj)
        return super().get_deleted_objects(objs, request)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        try:
            response: HttpResponse = super().delete_view(request, object_id, extra_context)
        except ValidationError as refusal:
            # Refused by the service: the view's transaction rolled the deletion (and its log
            # entry) back; the user is told why on the object's page.
            return self._refused(request, refusal, self._change_url(object_id))
        return response

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        if request.method != "POST":
            response: HttpResponse = super().changelist_view(request, extra_context)
            return response
        # An action (the bulk "delete selected") is all or nothing, its log entries included.
        try:
            with transaction.atomic():
                response = super().changelist_view(request, extra_context)
        except ValidationError as refusal:
            return self._refused(request, refusal, request.get_full_path())
        return response

    def _change_url(self, object_id: str) -> str:
        opts = self.model._meta
        return reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_change",
            args=[object_id],
        )

    def _refused(self, request: HttpRequest, refusal: ValidationError, url: str) -> HttpResponse:
        for message in refusal.messages:
            messages.error(request, message)
        return HttpResponseRedirect(url)

    def delete_queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> None:
        # One by one through the service, all or nothing: a selection that reaches outside the
        # user's scope deletes nothing.
        with transaction.atomic():
            for obj in queryset:
                self.delete_object(request, obj)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        # Inline rows (milestones, activities) go through the services like the parent; a
        # row whose form changed nothing stored is not written (as the parent is not).
        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            self.delete_inline(request, obj)
            self.note_written(request)
        forms_of = {id(row_form.instance): row_form for row_form in formset.forms}
        for obj in instances:
            row_form = forms_of.get(id(obj))
            if obj.pk is not None and row_form is not None and unchanged(obj, row_form):
                continue
            self.save_inline(request, obj)
            self.note_written(request)
        formset.save_m2m()

    def save_inline(self, request: HttpRequest, obj: Any) -> None:
        checked_save(user=request.user, obj=obj)

    def delete_inline(self, request: HttpRequest, obj: Any) -> None:
        checked_delete(user=request.user, obj=obj)

    def validate(self, request: HttpRequest, obj: Any) -> None:
        """Raise ValidationError for what the service would refuse beyond the model's own
        validation (rules of the day or the user); apps override this with their service's."""

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[Any]]:
        # The version is the form's own field, not the model's (which no form may set).
        if "fields" not in kwargs:
            kwargs["fields"] = flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = _without_version(kwargs["fields"])
        form = _with_tracked_m2m(super().get_form(request, obj, change, **kwargs), obj)
        form = _with_permission_check(
            form,
            lambda instance: self.authorize(request, instance),
            lambda instance: self.validate(request, instance),
        )
        if _checks_version(obj) and self.has_change_permission(request, obj):
            # The stored row's version: in the history form `obj` is the old version.
            form = _with_version_check(
                form, lambda instance: self.conflict_message(request, obj), _stored_version(obj)
            )
        return form

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return _with_version_fieldset(
            super().get_fieldsets(request, obj),
            _checks_version(obj) and self.has_change_permission(request, obj),
        )

    def get_inline_formsets(
        self, request: HttpRequest, formsets: Any, inline_instances: Any, obj: Any = None
    ) -> list[Any]:
        # Each inline's "Lägg till ytterligare stödjande process": Django capitalises the noun
        # in the middle of the sentence ("… ytterligare Stödjande process").
        wrapped = super().get_inline_formsets(request, formsets, inline_instances, obj)
        for inline_formset in wrapped:
            inline_formset.__class__ = _LowerCaseAddText
        return wrapped

    def get_inline_instances(self, request: HttpRequest, obj: Any = None) -> list[Any]:
        # Every inline of versioned rows (milestones, activities) checks each row's version.
        return [_versioned_inline(inline) for inline in super().get_inline_instances(request, obj)]

    def changeform_view(
        self,
        request: HttpRequest,
        object_id: str | None = None,
        form_url: str = "",
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        try:
            # One save, one history entry: the object's fields and the relations saved after
            # them (many-to-many values, links an app records on it); an add's too, one "+".
            with (
                transaction.atomic(),
                one_history_record(self.model, self._saved_pk(request, object_id)),
            ):
                response: HttpResponse = super().changeform_view(
                    request, object_id, form_url, extra_context
                )
        except StaleVersion as stale:
            # Saved by someone else between the form's check and the save: the transaction
            # of the admin's view rolled everything back. An inline row is named as at the row.
            row = self._inline_row_kind(stale.instance, object_id)
            message = (
                self.conflict_message(request, stale.instance)
                if row is None
                else conflict_message(stale.instance, url=request.get_full_path(), row=row)
            )
            return _saved_by_someone_else(request, message)
        return response

    def _saved_pk(self, request: HttpRequest, object_id: str | None) -> Any:
        """The primary key a change form's POST saves, for one_history_record: for an add, a
        function returning the key the save gave the new object (None if it saved none); None
        for a GET or an id that is no key."""
        if request.method != "POST":
            return None
        if object_id is None:
            return lambda: getattr(request, _ADDED_PK_ATTRIBUTE, None)
        try:
            return self.model._meta.pk.to_python(unquote(object_id))
        except ValidationError:
            return None

    def conflict_message(self, request: HttpRequest, obj: Any) -> Any:
        """A save of `obj` refused as stale (`conflict_message`), linking to its change form as
        it is now; on a revert page (`obj` a historical version) to the history, to revert again
        from it."""
        opts = self.model._meta
        revert = getattr(obj, SIMPLE_HISTORY_REVERSE_ATTR_NAME, None) is not None
        view = "history" if revert else "change"
        url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_{view}", args=[obj.pk]
        )
        return conflict_message(obj, url=url)

    def _inline_row_kind(self, obj: Any, object_id: str | None) -> str | None:
        """The inline's name of `obj` when it is one of the change form's inline rows (a
        milestone of the goal), None when it is the object of the form itself."""
        if type(obj) is self.model and object_id is not None and str(obj.pk) == unquote(object_id):
            return None
        for inline in self.inlines:
            if inline.model is type(obj):
                return str(inline.verbose_name or obj._meta.verbose_name)
        return str(obj._meta.verbose_name)

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        show_conflicts(context)
        return super().render_change_form(request, context, add, change, form_url, obj)

    def render_history_view(
        self, request: HttpRequest, template: str, context: dict[str, Any], **kwargs: Any
    ) -> HttpResponse:
        show_conflicts(context)  # the revert form's (the history list has no form)
        response: HttpResponse = super().render_history_view(request, template, context, **kwargs)
        return response

    def response_change(self, request: HttpRequest, obj: Any) -> HttpResponse:
        record = reverted_record(request)
        if record is None:
            response: HttpResponse = super().response_change(request, obj)
            return response
        # A history revert: say what went back to which version (Django's message would read
        # "Ändrade mål “Mål: …”.").
        self.message_user(
            request,
            gettext(REVERTED_MESSAGE).format(
                kind=capfirst(obj._meta.verbose_name),
                name=_object_name(obj),
                date=date_format(timezone.localtime(record.history_date), "j b Y H:i"),
            ),
            messages.SUCCESS,
        )
        return self.response_post_save_change(request, obj)

    # --- history revert ("återställ") -----------------------------------------------------

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        allowed: bool = super().has_change_permission(request, obj)  # type: ignore[no-untyped-call]
        return allowed

    def _may_revert(self, request: HttpRequest, current: Any, reverted: Any) -> bool:
        return (
            current is not None
            and self.has_change_permission(request, current)
            and self.has_change_permission(request, reverted)
        )

    def revert_disabled(self, request: HttpRequest, obj: Any = None) -> bool:
        if super().revert_disabled(request, obj):
            return True
        if obj is None:
            return not self.has_change_permission(request)
        current = self.model._default_manager.filter(pk=obj.pk).first()
        return not self._may_revert(request, current, obj)

    def history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None = None,
    ) -> HttpResponse:
        if request.method == "POST":
            # Reverting writes: the user must be allowed to change the object as it is now and
            # as it was in the version (the save then checks what is posted, too).
            manager = self.model._meta.simple_history_manager_attribute
            history = getattr(self.model, manager).model
            pk = self.model._meta.pk.to_python(unquote(object_id))
            version = history.objects.filter(
                **{self.model._meta.pk.attname: pk, "history_id": version_id}
            ).first()
            current = self.model._default_manager.filter(pk=pk).first()
            if version is None or not self._may_revert(request, current, version.instance):
                raise PermissionDenied(gettext(ERROR_REVERT_FORBIDDEN))
            setattr(request, _REVERT_REASON_ATTRIBUTE, revert_reason(version.history_date))
            setattr(request, _REVERT_RECORD_ATTRIBUTE, version)
            if isinstance(current, Versioned):
                # The historical row carries the version it had then; a revert knowingly
                # overwrites the row as it was when the form was opened (its hidden version,
                # checked by the form like a change form's), never a later save.
                posted = str(request.POST.get(VERSION_FIELD) or "")
                base = int(posted) if posted.isdigit() else current.version
                try:
                    with (
                        transaction.atomic(),
                        deliberate_overwrite(current, of_version=base),
                        one_history_record(self.model, pk),
                    ):
                        return self._history_form_view(
                            request, object_id, version_id, extra_context
                        )
                except StaleVersion:
                    return _saved_by_someone_else(
                        request, self.conflict_message(request, version.instance)
                    )
            # One revert, one history entry: its fields and its relations (owners, links).
            with transaction.atomic(), one_history_record(self.model, pk):
                return self._history_form_view(request, object_id, version_id, extra_context)
        return self._history_form_view(request, object_id, version_id, extra_context)

    def _history_form_view(
        self,
        request: HttpRequest,
        object_id: str,
        version_id: str,
        extra_context: dict[str, Any] | None,
    ) -> HttpResponse:
        response: HttpResponse = super().history_form_view(
            request, object_id, version_id, extra_context
        )
        return response

    # --- how values are shown -------------------------------------------------------------

    def get_historical_record_context_helper(
        self, request: HttpRequest, historical_record: Any
    ) -> HistoricalRecordContextHelper:
        return SwedishHistoryValues(self.model, historical_record, self.quarter_fields)

    def set_history_delta_changes(
        self,
        request: HttpRequest,
        historical_records: Sequence[Any],
        foreign_keys_are_objs: bool = True,
    ) -> None:
        # django-simple-history diffs the editable fields only; `history_extra_fields` names
        # those written by the services alone that the history still shows (a report's hash).
        previous = None
        for current in historical_records:
            if previous is None:
                previous = current
                continue
            delta = previous.diff_against(current, foreign_keys_are_objs=foreign_keys_are_objs)
            for name in self.history_extra_fields:
                old, new = getattr(current, name), getattr(previous, name)
                if old != new:
                    delta.changes.append(ModelChange(name, old, new))
            helper = self.get_historical_record_context_helper(request, previous)
            previous.history_delta_changes = helper.context_for_delta_changes(delta)
            previous = current

    def get_list_display(self, request: HttpRequest) -> Any:
        return [self._readable(name) for name in super().get_list_display(request)]

    def get_list_filter(self, request: HttpRequest) -> Any:
        return [
            quarter_list_filter(name)
            if isinstance(name, str) and name in self.quarter_fields
            else name
            for name in super().get_list_filter(request)
        ]

    def _readable(self, name: Any) -> Any:
        """Quarters as "Kv 4 2026" and decimals without trailing zeros (choices show labels)."""
        if not isinstance(name, str):
            return name
        try:
            field = self.model._meta.get_field(name)
        except FieldDoesNotExist:  # a method or property, shown as it is
            return name
        label = getattr(field, "verbose_name", name)
        if isinstance(field, models.DecimalField):
            return _display(name, label, format_decimal)
        if name in self.quarter_fields and isinstance(field, models.CharField):
            return _display(name, label, format_quarter)
        return name


def quarter_list_filter(field_name: str) -> type[admin.SimpleListFilter]:
    """A list filter on a quarter code field, offering "Kv 4 2026", newest first."""

    class QuarterListFilter(admin.SimpleListFilter):
        title = _("kvartal")
        parameter_name = field_name

        def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
            codes = (
                model_admin.get_queryset(request)
                .order_by(f"-{field_name}")
                .values_list(field_name, flat=True)
                .distinct()
            )
            return [(code, format_quarter(code)) for code in codes if code]

        def queryset(self, request: HttpRequest, queryset: models.QuerySet[Any]) -> Any:
            value = self.value()
            return queryset.filter(**{field_name: value}) if value else queryset

    return QuarterListFilter


def adopt_saved(obj: models.Model, saved: models.Model) -> None:
    """Make the admin's unsaved instance the row a service created (for the admin's redirect)."""
    obj.__dict__.update(
        {key: value for key, value in saved.__dict__.items() if not key.startswith("_")}
    )
    obj._state.adding = False
    obj._state.db = saved._state.db


def unchanged(obj: models.Model, form: Any) -> bool:
    """Whether saving `obj` from its admin form would write nothing: a saved row whose every
    editable field, and every many-to-many field its form holds, is as stored.

    Asked of the instance and the stored row, not of the form's initial values: a history
    revert's form is unchanged against the old version it shows (its relations too), yet the
    version may differ from the row as stored."""
    if obj.pk is None:
        return False
    stored = type(obj)._default_manager.filter(pk=obj.pk).first()
    if stored is None:
        return False
    for field in obj._meta.concrete_fields:
        if field.primary_key or not field.editable:
            continue  # the version, timestamps and values the model derives follow a save
        if field.value_from_object(obj) != field.value_from_object(stored):
            return False
    cleaned = getattr(form, "cleaned_data", {})
    for many in obj._meta.many_to_many:
        if many.name not in cleaned:
            continue
        wanted = {item.pk for item in cleaned[many.name] or ()}
        if wanted != {item.pk for item in many.value_from_object(stored)}:
            return False
    return True


def _checks_version(obj: Any) -> bool:
    """Whether the admin's form of `obj` carries its version: a saved row of a versioned model."""
    return isinstance(obj, Versioned) and obj.pk is not None


def _stored_version(obj: models.Model) -> int | None:
    version: int | None = (
        type(obj)._default_manager.filter(pk=obj.pk).values_list("version", flat=True).first()
    )
    return version


def _without_version(fields: Sequence[str] | None) -> Sequence[str] | None:
    return None if fields is None else [name for name in fields if name != VERSION_FIELD]


def _with_version_fieldset(fieldsets: Any, versioned: bool) -> Any:
    """The fieldsets with the hidden version (declared fieldsets may leave it out)."""
    if not versioned or VERSION_FIELD in flatten_fieldsets(fieldsets):
        return fieldsets
    return [*fieldsets, (None, {"fields": [VERSION_FIELD]})]


def _saved_by_someone_else(request: HttpRequest, message: Any) -> HttpResponse:
    messages.error(request, message)
    return HttpResponseRedirect(request.get_full_path())


def _object_name(obj: Any) -> str:
    """The object's own name, without the kind its __str__ may start with ("Mål: …")."""
    for attribute in ("title", "name"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str) and value:
            return value
    return str(obj)


def _latest_record(obj: Any) -> Any:
    """The latest historical record of `obj`'s row (None if its model keeps no history)."""
    model = type(obj)
    manager = getattr(model._meta, "simple_history_manager_attribute", None)
    if manager is None or obj.pk is None:
        return None
    return (
        getattr(model, manager)
        .filter(**{model._meta.pk.attname: obj.pk})
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
        .first()
    )


def conflict_message(obj: Any, *, url: str, row: str | None = None) -> Any:
    """The one message of a save refused as stale, for every admin form: who saved `obj` last
    and when (its latest history record), that nothing was saved, and a link to `url` (the form
    as it is now) to see their values and redo the user's own; for a history revert (`obj` a
    historical version) to reload the history and revert again. `row`, an inline's name of the
    row ("delmål"), puts the row first: "Delmål ”Teamrond införd”: Sara Provberg sparade …"."""
    latest = _latest_record(obj)
    if latest is None:
        message = conditional_escape(ERROR_SAVED_BY_SOMEONE_ELSE)
    else:
        revert = getattr(obj, SIMPLE_HISTORY_REVERSE_ATTR_NAME, None) is not None
        when = timezone.localtime(latest.history_date)
        message = format_html(
            gettext(REVERT_SAVED_BY_SOMEONE_ELSE if revert else SAVED_BY_SOMEONE_ELSE),
            name=author_label(latest.history_user, latest.history_change_reason),
            date=date_format(when, "j b Y"),
            time=date_format(when, "H:i"),
            url=url,
        )
    if row is None:
        return message
    return format_html(
        gettext(ROW_SAVED_BY_SOMEONE_ELSE),
        kind=capfirst(row),
        object=_object_name(obj),
        message=message,
    )


def _conflicts_in(errors: ErrorList | None) -> list[Any]:
    """The conflict messages among a form's non-field errors (safe HTML, with their link)."""
    if not errors:
        return []
    return [
        message
        for error in errors.as_data()
        if error.code == CONFLICT_CODE
        for message in error.messages
    ]


def _is_conflict(errors: Any) -> bool:
    """Whether an entry of the admin's error list is conflict messages only."""
    if not isinstance(errors, ErrorList) or not errors:
        return False
    return all(error.code == CONFLICT_CODE for error in errors.as_data())


def show_conflicts(context: dict[str, Any]) -> None:
    """A change or revert form refused as stale: its conflict messages (the object's, each
    inline row's) go above the form as `conflicts` (templates/admin/change_form.html), and
    Django's "Var god rätta felet nedan." counts only the real errors beside them. There is
    nothing to correct in a conflict: the user reloads the form. The object's own message is
    shown there once (not again in the form's error list); a row's stays at its row too."""
    adminform = context.get("adminform")
    form = getattr(adminform, "form", None)
    if form is None or not form.is_bound:
        return
    conflicts: list[Any] = []
    own = form.errors.get(NON_FIELD_ERRORS)
    if own:
        kept = [error for error in own.as_data() if error.code != CONFLICT_CODE]
        conflicts += _conflicts_in(own)
        if kept:
            form.errors[NON_FIELD_ERRORS] = form.error_class(
                kept, error_class="nonfield", renderer=form.renderer
            )
        else:
            del form.errors[NON_FIELD_ERRORS]
    for inline in context.get("inline_admin_formsets", ()):
        for row_form in inline.formset.forms:
            conflicts += _conflicts_in(row_form.errors.get(NON_FIELD_ERRORS))
    if not conflicts:
        return
    context["conflicts"] = conflicts
    context["errors"] = ErrorList(
        [errors for errors in context.get("errors") or () if errors and not _is_conflict(errors)]
    )


def _with_version_check(
    form: type[ModelForm[Any]],
    conflict: Callable[[Any], Any],
    stored: int | None = None,
) -> type[ModelForm[Any]]:
    """The admin form of a saved versioned row, refusing a save based on an older version.

    The form carries the version it was rendered from, hidden (the stored row's, or for an
    inline row its own); on POST the admin reloads the object, so without it the save would
    always match and silently write over a save made since (on a page, by an import). A stale
    version is a form error (`conflict`, given the form's instance) and nothing is saved; the
    save itself is then based on the posted version, so a save between this check and the
    write is refused too (StaleVersion).
    """

    class VersionCheckedForm(form):  # type: ignore[valid-type, misc]
        version = VersionField()

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.fields[VERSION_FIELD].initial = (
                stored if stored is not None else getattr(self.instance, VERSION_FIELD, None)
            )

        def _post_clean(self) -> None:
            instance = self.instance
            if instance.pk is not None and not self._errors.get(VERSION_FIELD):
                posted = self.cleaned_data.get(VERSION_FIELD)
                if posted is None or posted != _stored_version(instance):
                    self.add_error(None, ValidationError(conflict(instance), code=CONFLICT_CODE))
                    return
                instance.version = posted
            super()._post_clean()

    VersionCheckedForm.__name__ = form.__name__
    return VersionCheckedForm


class VersionedInline:
    """Inline mixin: each saved row's form carries its version (see `_with_version_check`)."""

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        if "fields" not in kwargs:
            kwargs["fields"] = flatten_fieldsets(self.get_fieldsets(request, obj))
        kwargs["fields"] = _without_version(kwargs["fields"])
        if self.has_change_permission(request, obj):  # type: ignore[attr-defined]
            # The form the formset is made from, so that what the inline does to the made
            # form's fields afterwards (AccessibleTabularInline's names) stays on them.
            form: type[ModelForm[Any]] = kwargs.get("form") or self.form  # type: ignore[attr-defined]
            # Named as the row is on the page, linking to the parent's form as it is now
            # (the row is reloaded with it).
            row = str(self.verbose_name)  # type: ignore[attr-defined]
            kwargs["form"] = _with_version_check(
                form,
                lambda instance: conflict_message(instance, url=request.get_full_path(), row=row),
            )
        return super().get_formset(request, obj, **kwargs)  # type: ignore[misc]

    def get_fieldsets(self, request: HttpRequest, obj: Any = None) -> Any:
        return _with_version_fieldset(
            super().get_fieldsets(request, obj),  # type: ignore[misc]
            self.has_change_permission(request, obj),  # type: ignore[attr-defined]
        )


_VERSIONED_INLINES: dict[type[Any], type[Any]] = {}


def _versioned_inline(inline: Any) -> Any:
    """The inline, made a VersionedInline if its rows are versioned (once per class)."""
    cls = type(inline)
    if not issubclass(getattr(inline, "model", object), Versioned) or isinstance(
        inline, VersionedInline
    ):
        return inline
    if cls not in _VERSIONED_INLINES:
        _VERSIONED_INLINES[cls] = type(cls.__name__, (VersionedInline, cls), {})
    inline.__class__ = _VERSIONED_INLINES[cls]
    return inline


def _with_permission_check(
    form: type[ModelForm[Any]],
    authorize: Callable[[Any], None],
    validate: Callable[[Any], None] = lambda instance: None,
) -> type[ModelForm[Any]]:
    """The admin form, refusing with a form error what the user may not save, or what the
    service would refuse (`validate`)."""

    class PermissionCheckedForm(form):  # type: ignore[valid-type, misc]
        def _post_clean(self) -> None:
            super()._post_clean()
            if self._errors:
                return
            try:
                authorize(self.instance)
            except PermissionDenied as refusal:
                self.add_error(None, str(refusal) or _("Du har inte behörighet att spara detta."))
                return
            # The service validates the whole object; the form only the fields it shows. Ask
            # about the others now (those shown read-only), so a refusal is a form error, not
            # a 500. Fields still empty are the service's to set (author, raiser, quarter).
            instance = self.instance
            unset = [
                field.name
                for field in instance._meta.fields
                if field.name not in self.fields and field.value_from_object(instance) in (None, "")
            ]
            try:
                instance.full_clean(exclude=unset, validate_unique=False)
                validate(instance)
            except ValidationError as invalid:
                for name, errors in _by_field(invalid).items():
                    self.add_error(name if name in self.fields else None, errors)

    PermissionCheckedForm.__name__ = form.__name__
    return PermissionCheckedForm


def _by_field(invalid: ValidationError) -> dict[str, list[str]]:
    if hasattr(invalid, "error_dict"):
        return dict(invalid.message_dict)
    return {"__all__": invalid.messages}


__all__ = [
    "ERROR_REVERT_FORBIDDEN",
    "ERROR_SAVED_BY_SOMEONE_ELSE",
    "HTTPS_URL_FIELDS",
    "GonvAdmin",
    "VersionedInline",
    "adopt_saved",
    "conflict_message",
    "format_decimal",
    "format_quarter",
    "reverted_record",
]
