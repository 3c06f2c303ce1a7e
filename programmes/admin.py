from django.contrib import admin

from base.admin import GonvAdmin

from .models import (
    Activity,
    ActivityPlan,
    Phase,
    ProgrammeArea,
    SupportingProcess,
    SupportNeed,
    WorkingMethod,
)


@admin.register(Phase)
class PhaseAdmin(GonvAdmin):
    list_display = ["name", "code", "start_date", "end_date"]


@admin.register(SupportingProcess)
class SupportingProcessAdmin(GonvAdmin):
    search_fields = ["name"]


@admin.register(ProgrammeArea)
class ProgrammeAreaAdmin(GonvAdmin):
    list_display = ["number", "name", "phase", "start_date"]
    list_filter = ["phase"]
    filter_horizontal = ["delivery_owners", "supporting_processes"]
    search_fields = ["name"]


@admin.register(WorkingMethod)
class WorkingMethodAdmin(GonvAdmin):
    list_display = ["name", "programme_area", "direction"]
    list_filter = ["programme_area", "direction"]
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
