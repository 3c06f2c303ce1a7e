from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.db import models
from django.forms import ModelForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from base.admin import (
    AccessibleTabularInline,
    GonvAdmin,
    LabelledChoices,
    adopt_saved,
    register_choice_labels,
    reverted_record,
)
from base.writes import authorize_save, stored_version
from organisation.admin import ScopedChoicesAdmin

from . import services
from .choices import area_labels, of_area_labels
from .forms import PersonChoiceField
from .models import (
    Activity,
    ActivityPlan,
    Phase,
    PhaseEvent,
    ProgrammeArea,
    ProgrammeAreaProcess,
    SupportingProcess,
    SupportNeed,
    WorkingMethod,
    record_process_links,
)
from .selectors import delivery_owner_choices

# Every select and list filter of areas and working methods names the organisation when several
# organisations' plans are here (programmes.choices); the demo's single region sees no change.
register_choice_labels(ProgrammeArea, area_labels)
register_choice_labels(WorkingMethod, of_area_labels)


class PhaseEventInline(LabelledChoices, AccessibleTabularInline):
    model = PhaseEvent
    fk_name = "phase"
    extra = 0
    fields = [
        "order", "code", "title", "programme_area", "start_date", "end_date", "ongoing",
        "provenance", "provenance_note",
    ]  # fmt: skip


@admin.register(Phase)
class PhaseAdmin(GonvAdmin):
    list_display = ["name", "code", "start_date", "end_date"]
    inlines = [PhaseEventInline]


@admin.register(SupportingProcess)
class SupportingProcessAdmin(GonvAdmin):
    search_fields = ["name"]


class ProgrammeAreaProcessInline(AccessibleTabularInline):
    model = ProgrammeAreaProcess
    extra = 0
    fields = ["supporting_process", "provenance", "provenance_note"]
    # "Lägg till ytterligare stödjande process" (not "… ytterligare Koppling till stödjande
    # process"): the link is a supporting process of the area.
    verbose_name = _("stödjande process")
    verbose_name_plural = _("stödjande processer")


@admin.register(ProgrammeArea)
class ProgrammeAreaAdmin(GonvAdmin):
    list_display = ["number", "name", "phase", "start_date", "requests_activity_plans"]
    list_filter = ["phase", "requests_activity_plans"]
    search_fields = ["name"]
    inlines = [ProgrammeAreaProcessInline]

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> type[ModelForm[Any]]:
        # Delivery owners as people by name, the steering group's (and whoever the area has):
        # checkboxes, not the two-list widget with its "Välj vald leveransansvariga", and not
        # every account (VECs and administrators included) by bare username.
        form = super().get_form(request, obj, change, **kwargs)
        if "delivery_owners" in form.base_fields:
            field = form.base_fields["delivery_owners"]
            form.base_fields["delivery_owners"] = PersonChoiceField(
                queryset=delivery_owner_choices(obj),
                required=False,
                label=field.label,
                help_text=_(
                    "Medlemmar i HSL styrgrupp som delar leveransansvaret för programområdet."
                ),
                widget=forms.CheckboxSelectMultiple,
            )
        return form

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # The phase (and with it the organisation), number, name, start date and whether it asks
        # for activity plans are structure
        # (services.check_area_structure): an area's owner edits its contents, the strategist
        # and administrators place it.
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not request.user.has_perm("programmes.add_programmearea"):
            readonly += services.AREA_STRUCTURE_FIELDS
        return readonly

    def authorize(self, request: HttpRequest, obj: ProgrammeArea) -> None:
        # A history revert hands over the version's structure: a form error, not a 403.
        super().authorize(request, obj)
        services.check_area_structure(user=request.user, area=obj)

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        super().save_model(request, obj, form, change)
        record = reverted_record(request)
        # A history revert: the history form holds no links, the version's are restored.
        if record is not None and services.restore_process_links(
            user=request.user, area=obj, record=record
        ):
            self.note_written(request)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        # The inline writes the links one by one: the area's history records them.
        record_process_links(form.instance)

    # The many-to-many fields follow in save_related, inside the same transaction.
    def save_object(self, request: HttpRequest, obj: ProgrammeArea, change: bool) -> None:
        if change:
            services.programme_area_update(user=request.user, area=obj)
        else:
            services.programme_area_create(user=request.user, area=obj)

    def delete_object(self, request: HttpRequest, obj: ProgrammeArea) -> None:
        services.programme_area_delete(user=request.user, area=obj)


@admin.register(ProgrammeAreaProcess)
class ProgrammeAreaProcessAdmin(GonvAdmin):
    list_display = ["programme_area", "supporting_process", "provenance"]
    list_filter = ["provenance", "programme_area", "supporting_process"]
    list_select_related = ["programme_area", "supporting_process"]


@admin.register(PhaseEvent)
class PhaseEventAdmin(GonvAdmin):
    list_display = ["title", "phase", "programme_area", "start_date", "end_date", "provenance"]
    list_filter = ["phase", "programme_area", "provenance"]
    search_fields = ["title", "code"]


@admin.register(WorkingMethod)
class WorkingMethodAdmin(ScopedChoicesAdmin):
    list_display = ["name", "programme_area", "direction", "provenance"]
    list_filter = ["programme_area", "direction", "provenance"]
    search_fields = ["name", "code"]
    area_scoped_fields = ("programme_area",)

    def formfield_for_manytomany(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        # A handful of unit kinds: checkboxes, not the two lists whose Django labels read
        # "Välj vald målgrupp" in Swedish.
        if db_field.name == "target_unit_kinds":
            kwargs["widget"] = forms.CheckboxSelectMultiple
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def save_object(self, request: HttpRequest, obj: WorkingMethod, change: bool) -> None:
        if change:
            services.working_method_update(user=request.user, method=obj)
        else:
            services.working_method_create(user=request.user, method=obj)

    def delete_object(self, request: HttpRequest, obj: WorkingMethod) -> None:
        services.working_method_delete(user=request.user, method=obj)

    def validate_delete(self, request: HttpRequest, obj: WorkingMethod) -> None:
        # One in use is refused with what uses it, before the confirmation (not Django's list
        # of protected goals and records, which a user may not all be allowed to see).
        services.check_working_method_unused(obj)


class ActivityInline(AccessibleTabularInline):
    model = Activity
    extra = 0
    # The status description in a row of the table: a few lines, not the admin's tall box.
    formfield_overrides = {
        models.TextField: {"widget": forms.Textarea(attrs={"rows": 3, "cols": 40})},
    }

    # A submitted or approved plan's activities are read-only here (services.check_plan_open);
    # the VO reports an approved plan's progress on its page.
    # Asked of the plan as stored: a form re-shown after a refused reopen carries the posted
    # status, and the inline must stay as it was rendered.
    @staticmethod
    def _open(obj: Any) -> bool:
        return obj is None or (stored_version(obj) or obj).status == ActivityPlan.Status.DRAFT

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._open(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._open(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return self._open(obj) and super().has_delete_permission(request, obj)


@admin.register(ActivityPlan)
class ActivityPlanAdmin(ScopedChoicesAdmin):
    list_display = ["unit", "programme_area", "status", "submitted_at"]
    list_filter = ["programme_area", "status"]
    inlines = [ActivityInline]
    autocomplete_fields = ["unit"]
    readonly_fields = ["submitted_at", "reviewed_by", "reviewed_at", "reopened"]
    unit_scoped_fields = ("unit",)

    # The VO writes its plan and submits it; the programme area (its owner, the strategist)
    # approves it or sends it back (services.check_plan_status), and reopens an approved plan
    # for change with a comment to the VO (services.activity_plan_reopen, as on the plan's
    # page). An area owner who does not write the VO's plans opens it to set its status only.

    # Asked of the plan as stored: the form's instance may already carry the posted values.
    @staticmethod
    def _writes_plan(request: HttpRequest, obj: ActivityPlan) -> bool:
        return request.user.has_perm("programmes.change_activityplan", stored_version(obj) or obj)

    @staticmethod
    def _reviews_plan(request: HttpRequest, obj: ActivityPlan) -> bool:
        return request.user.has_perm("programmes.approve_activityplan", stored_version(obj) or obj)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and self._reviews_plan(request, obj):
            return True
        return super().has_change_permission(request, obj)

    @classmethod
    def _reopens_plan(cls, request: HttpRequest, obj: ActivityPlan | None) -> bool:
        """An approved plan, opened by one who may reopen it (with a comment to the VO)."""
        stored = stored_version(obj) if obj is not None else None
        return (
            stored is not None
            and stored.status == ActivityPlan.Status.ACCEPTED
            and cls._reviews_plan(request, stored)
        )

    @staticmethod
    def _reopening(obj: ActivityPlan) -> bool:
        stored = stored_version(obj)
        return (
            stored is not None
            and stored.status == ActivityPlan.Status.ACCEPTED
            and obj.status != stored.status
        )

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        readonly = list(super().get_readonly_fields(request, obj))
        if obj is not None and not self._writes_plan(request, obj):
            readonly += ["unit", "programme_area", "comment"]
        elif not self._reopens_plan(request, obj):
            # The review's comment is the reviewer's, written with the decision (reopening an
            # approved plan is one, for the strategist too).
            readonly += ["review_comment"]
        return readonly

    def validate(self, request: HttpRequest, obj: ActivityPlan) -> None:
        stored = stored_version(obj)
        if stored is None:
            return
        # A submitted or approved plan's contents stay (a history revert included).
        services.check_plan_contents(obj)
        if self._reopening(obj) and self._reviews_plan(request, obj):
            services.check_plan_reopen(stored=stored, status=obj.status, comment=obj.review_comment)
            return
        if self._writes_plan(request, obj):
            return
        if (stored.status, stored.review_comment) != (obj.status, obj.review_comment.strip()):
            services.check_plan_review(stored=stored, status=obj.status, comment=obj.review_comment)

    def authorize(self, request: HttpRequest, obj: ActivityPlan) -> None:
        if obj.pk is not None and not self._writes_plan(request, obj):
            if not self._reviews_plan(request, obj):
                authorize_save(user=request.user, obj=obj)  # refuses, in its words
            return
        super().authorize(request, obj)
        services.check_plan_status(user=request.user, plan=obj)

    def save_object(self, request: HttpRequest, obj: ActivityPlan, change: bool) -> None:
        if change and self._reopening(obj):
            # The same service as the page's "Öppna för ändring" (it asks who may).
            services.activity_plan_reopen(user=request.user, plan=obj, comment=obj.review_comment)
        elif change and not self._writes_plan(request, obj):
            services.activity_plan_review(
                user=request.user, plan=obj, status=obj.status, comment=obj.review_comment
            )
        elif change:
            services.activity_plan_update(user=request.user, plan=obj)
        else:
            services.activity_plan_create(user=request.user, plan=obj)

    def delete_object(self, request: HttpRequest, obj: ActivityPlan) -> None:
        services.activity_plan_delete(user=request.user, plan=obj)

    def save_inline(self, request: HttpRequest, obj: Any) -> None:
        if obj.pk is None:
            services.activity_create(user=request.user, activity=obj)
        else:
            services.activity_update(user=request.user, activity=obj)

    def delete_inline(self, request: HttpRequest, obj: Any) -> None:
        services.activity_delete(user=request.user, activity=obj)


@admin.register(SupportNeed)
class SupportNeedAdmin(ScopedChoicesAdmin):
    list_display = ["unit", "programme_area", "status", "raised_by", "created_at"]
    list_filter = ["programme_area", "status"]
    autocomplete_fields = ["unit"]
    unit_scoped_fields = ("unit",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        # Who raised the need is the user who raised it; the programme area only answers, and
        # only the area answers: the unit that raised it cannot answer or close it itself. A
        # new need is "Nytt" with no answer.
        readonly = ["raised_by", "created_at"]
        if obj is not None and not self._raises_for(request, obj):
            readonly += ["unit", "programme_area", "text"]
        if obj is None or not self._answers_for(request, obj):
            readonly += ["status", "response"]
        return readonly

    @staticmethod
    def _raises_for(request: HttpRequest, obj: SupportNeed) -> bool:
        return request.user.has_perm("programmes.add_supportneed", obj)

    @staticmethod
    def _answers_for(request: HttpRequest, obj: SupportNeed) -> bool:
        return request.user.has_perm("programmes.answer_supportneed", obj)

    def authorize(self, request: HttpRequest, obj: SupportNeed) -> None:
        # A history revert hands over the version's status and answer: a form error, not a 403.
        super().authorize(request, obj)
        services.check_support_need_answer(user=request.user, need=obj)

    def save_object(self, request: HttpRequest, obj: SupportNeed, change: bool) -> None:
        if not change:
            saved = services.support_need_raise(
                user=request.user,
                unit=obj.unit,
                programme_area=obj.programme_area,
                text=obj.text,
            )
            adopt_saved(obj, saved)
        elif self._raises_for(request, obj):
            services.support_need_update(user=request.user, need=obj)
        else:
            services.support_need_answer(
                user=request.user, need=obj, response=obj.response, status=obj.status
            )

    def delete_object(self, request: HttpRequest, obj: SupportNeed) -> None:
        services.support_need_delete(user=request.user, need=obj)
