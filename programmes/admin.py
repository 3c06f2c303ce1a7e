from django.contrib import admin

from base.admin import GonvAdmin

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
)


class PhaseEventInline(admin.TabularInline):
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


class ProgrammeAreaProcessInline(admin.TabularInline):
    model = ProgrammeAreaProcess
    extra = 0
    fields = ["supporting_process", "provenance", "provenance_note"]


@admin.register(ProgrammeArea)
class ProgrammeAreaAdmin(GonvAdmin):
    list_display = ["number", "name", "phase", "start_date"]
    list_filter = ["phase"]
    filter_horizontal = ["delivery_owners"]
    search_fields = ["name"]
    inlines = [ProgrammeAreaProcessInline]


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
class WorkingMethodAdmin(GonvAdmin):
    list_display = ["name", "programme_area", "direction", "provenance"]
    list_filter = ["programme_area", "direction", "provenance"]
    filter_horizontal = ["target_unit_kinds"]
    search_fields = ["name", "code"]


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0


@admin.register(ActivityPlan)
class ActivityPlanAdmin(GonvAdmin):
    list_display = ["unit", "programme_area", "status", "submitted_at"]
    list_filter = ["programme_area", "status"]
    inlines = [ActivityInline]
    autocomplete_fields = ["unit"]


@admin.register(SupportNeed)
class SupportNeedAdmin(GonvAdmin):
    list_display = ["unit", "programme_area", "status", "raised_by", "created_at"]
    list_filter = ["programme_area", "status"]
    autocomplete_fields = ["unit"]
