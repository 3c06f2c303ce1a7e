from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.forms import BaseInlineFormSet, ModelChoiceField
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from base.admin import HTTPS_URL_FIELDS, LabelledChoices, adopt_saved, register_choice_labels
from organisation.admin import ScopedChoicesAdmin
from organisation.models import Unit
from organisation.selectors import programme_area_ids_in_scope, scope_for, units_in_scope
from programmes.choices import of_area_labels
from programmes.selectors import working_methods_for_units

from . import services
from .forms import (
    DEADLINE_REASON_FIELD,
    clean_deadline_reason,
    deadline_reason_field,
    use_number_rules,
)
from .models import (
    ERROR_METHOD_NOT_OFFERED,
    AdoptionRecord,
    Assessment,
    Goal,
    closed_start_warning,
    phase_warning,
    start_counted_from,
)

ERROR_PARENT_NOT_OFFERED = _(
    "Välj ett överordnat mål i samma programområde som delmålet (bara de erbjuds här)."
)

# Goals' selects and filters name their area and organisation when several organisations' plans
# are here (every region has its "Teamrond införd"); programmes.choices.
register_choice_labels(Goal, of_area_labels)


def _limit_to_own_areas(field: ModelChoiceField[Any], request: HttpRequest, lookup: str) -> None:
    """Offer only rows of the user's programme areas (every area for those who edit all)."""
    area_ids = programme_area_ids_in_scope(user=request.user)
    if area_ids is not None and field.queryset is not None:
        field.queryset = field.queryset.filter(**{lookup: area_ids})


class GoalAdminForm(forms.ModelForm):
    """The admin's goal or milestone, with the reason a moved deadline needs (as on the pages);
    the reason goes with the instance to the service (services.goal_update)."""

    deadline_reason = deadline_reason_field()  # the admin's form factory gives the Meta

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        use_number_rules(self)  # "Målandelen ska vara 0–100 %.", as on the pages

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        clean_deadline_reason(self, data)
        self.instance._deadline_reason = data.get(DEADLINE_REASON_FIELD, "")
        return data


def _reason_after_deadline(fields: list[Any]) -> list[Any]:
    """The reason field right after the deadline (a form's declared fields come last)."""
    if DEADLINE_REASON_FIELD not in fields or "deadline" not in fields:
        return fields
    fields = [name for name in fields if name != DEADLINE_REASON_FIELD]
    fields.insert(fields.index("deadline") + 1, DEADLINE_REASON_FIELD)
    return fields


class MilestoneFormSet(BaseInlineFormSet):
    """A milestone ticked for deletion keeps its closed quarters' assessments: refused here,
    as a form error, before anything is saved (services.goal_delete_check)."""

    # The user deleting (MilestoneInline.get_formset): the refusal says what they can do.
    user: Any = None

    def clean(self) -> None:
        super().clean()
        refusals = []
        for form in self.deleted_forms:
            if form.instance.pk is None:
                continue
            try:
                services.goal_delete_check(goal=form.instance, user=self.user)
            except ValidationError as refusal:
                refusals.extend(refusal.messages)
        if refusals:
            raise ValidationError(refusals)


class MilestoneInline(LabelledChoices, admin.StackedInline):
    model = Goal
    fk_name = "parent"
    form = GoalAdminForm
    formset = MilestoneFormSet
    extra = 0

    def get_formset(self, request: HttpRequest, obj: Any = None, **kwargs: Any) -> Any:
        # A class made for this request (inlineformset_factory): the user is this one's.
        formset = super().get_formset(request, obj, **kwargs)
        formset.user = request.user  # type: ignore[attr-defined]
        return formset

    formfield_overrides = HTTPS_URL_FIELDS
    verbose_name = _("delmål")
    verbose_name_plural = _("delmål")
    # Each row is headed "Delmål: <title>" (not "Delmål: Delmål: <title>").
    template = "admin/goals/milestone_inline.html"

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        # A milestone's area is offered from the user's areas, like its goal's.
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name == "programme_area":
            _limit_to_own_areas(field, request, "pk__in")
        return field

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return _reason_after_deadline(list(super().get_fields(request, obj)))


@admin.register(Goal)
class GoalAdmin(ScopedChoicesAdmin):
    # What fits next to the navigation and the filter at 1280 px (a milestone's goal is on its
    # page and in the goal's inline).
    list_display = ["title", "programme_area", "kind", "deadline", "provenance"]
    list_filter = ["programme_area", "kind", "provenance"]
    search_fields = ["title", "code"]
    inlines = [MilestoneInline]
    area_scoped_fields = ("programme_area",)
    form = GoalAdminForm

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return _reason_after_deadline(list(super().get_fields(request, obj)))

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name == "parent":
            _limit_to_own_areas(field, request, "programme_area_id__in")
        return field

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        field = form.base_fields.get("parent")
        if (
            obj is not None
            and obj.programme_area_id
            and isinstance(field, ModelChoiceField)
            and field.queryset is not None
        ):
            # A milestone's goal is in its own area (the model refuses another: Goal.clean,
            # which also says why the goal itself or one of its milestones cannot be chosen).
            field.queryset = field.queryset.filter(
                programme_area_id=obj.programme_area_id
            ).select_related("programme_area")
            field.error_messages["invalid_choice"] = ERROR_PARENT_NOT_OFFERED
        return form

    def authorize(self, request: HttpRequest, obj: Goal) -> None:
        services.goal_authorize(user=request.user, goal=obj)

    def save_object(self, request: HttpRequest, obj: Goal, change: bool) -> None:
        before = (
            Goal.objects.select_related("programme_area").filter(pk=obj.pk).first()
            if obj.pk is not None
            else None
        )
        stored = before.deadline if before is not None else None
        # The day it counted from before this save (a new one: the start it gets unless given
        # another, a milestone its goal's), read before the service saves it.
        counted_from = start_counted_from(obj, stored=before)
        if change:
            services.goal_update(
                user=request.user,
                goal=obj,
                deadline_reason=getattr(obj, "_deadline_reason", ""),
            )
        else:
            services.goal_create(user=request.user, goal=obj)
        # A deadline outside the phase is saved, and said (as on the pages).
        warning = phase_warning(obj) if obj.deadline != stored else ""
        if warning:
            messages.warning(request, warning)
        # So is a start date that changes closed quarters' statuses on the dashboards (as on
        # the pages): only where it moves the goal into or out of them.
        if closed := closed_start_warning(obj, counted_from=counted_from):
            messages.warning(request, closed)

    def validate_delete(self, request: HttpRequest, obj: Goal) -> None:
        # A goal with a closed quarter's assessments stays: said before the delete page and
        # the bulk delete's confirmation.
        services.goal_delete_check(goal=obj, user=request.user)

    def delete_object(self, request: HttpRequest, obj: Goal) -> None:
        services.goal_delete(user=request.user, goal=obj)

    def save_inline(self, request: HttpRequest, obj: Any) -> None:
        self.save_object(request, obj, change=obj.pk is not None)

    def delete_inline(self, request: HttpRequest, obj: Any) -> None:
        self.delete_object(request, obj)


@admin.register(AdoptionRecord)
class AdoptionRecordAdmin(ScopedChoicesAdmin):
    list_display = ["unit", "working_method", "status", "planned_date", "actual_date"]
    list_filter = ["working_method", "status"]
    autocomplete_fields = ["unit"]
    unit_scoped_fields = ("unit",)

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        form = super().get_form(request, obj, change, **kwargs)
        field = form.base_fields.get("working_method")
        if isinstance(field, ModelChoiceField):
            field.queryset = self._methods_offered(request, obj, field.queryset)
            field.error_messages["invalid_choice"] = ERROR_METHOD_NOT_OFFERED
        return form

    @staticmethod
    def _methods_offered(request: HttpRequest, obj: AdoptionRecord | None, methods: Any) -> Any:
        """Only working methods of the record's unit's organisation where it is known (a saved
        record, a history version), else of the organisations of the user's units; the model
        refuses the others (AdoptionRecord.clean), so the form does not offer them. The record's
        own method stays offered: a pair saved before that check is kept."""
        if obj is not None and obj.unit_id is not None:
            units = Unit.objects.filter(pk=obj.unit_id)
        elif scope_for(request.user).edits_everything:
            return methods  # every unit: every organisation's methods
        else:
            units = units_in_scope(user=request.user)
        allowed = working_methods_for_units(units=units).values("pk")
        own = obj.working_method_id if obj is not None else None
        return methods.filter(Q(pk__in=allowed) | Q(pk=own))

    def save_object(self, request: HttpRequest, obj: AdoptionRecord, change: bool) -> None:
        if change:
            services.adoption_record_update(user=request.user, record=obj)
            return
        created = services.adoption_record_create(
            user=request.user,
            unit=obj.unit,
            working_method=obj.working_method,
            status=obj.status,
            planned_date=obj.planned_date,
            actual_date=obj.actual_date,
            comment=obj.comment,
        )
        adopt_saved(obj, created)

    def delete_object(self, request: HttpRequest, obj: AdoptionRecord) -> None:
        services.adoption_record_delete(user=request.user, record=obj)


@admin.register(Assessment)
class AssessmentAdmin(ScopedChoicesAdmin):
    list_display = ["goal", "quarter", "status", "author", "assessed_at"]
    list_filter = ["quarter", "status"]
    # Who assessed is the user who saves, never a form value.
    readonly_fields = ["author", "assessed_at"]

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is not None and db_field.name == "goal":
            _limit_to_own_areas(field, request, "programme_area_id__in")
        return field

    def validate(self, request: HttpRequest, obj: Assessment) -> None:
        # Only a quarter that can still be assessed, as on the page (a form error here).
        services.assessment_check(assessment=obj)

    def save_object(self, request: HttpRequest, obj: Assessment, change: bool) -> None:
        if change:
            services.assessment_update(user=request.user, assessment=obj)
            return
        created = services.assessment_record(
            user=request.user,
            goal=obj.goal,
            quarter=obj.quarter,
            status=obj.status,
            comment=obj.comment,
        )
        adopt_saved(obj, created)

    def validate_delete(self, request: HttpRequest, obj: Assessment) -> None:
        # A closed quarter's assessment cannot be deleted: said before the delete page.
        services.assessment_check(assessment=obj)

    def delete_object(self, request: HttpRequest, obj: Assessment) -> None:
        services.assessment_delete(user=request.user, assessment=obj)
