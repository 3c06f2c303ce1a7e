from django.contrib import admin

from base.admin import HTTPS_URL_FIELDS, GonvAdmin

from .models import AdoptionRecord, Assessment, Goal


class MilestoneInline(admin.StackedInline):
    model = Goal
    fk_name = "parent"
    extra = 0
    formfield_overrides = HTTPS_URL_FIELDS
    verbose_name = "delmål"
    verbose_name_plural = "delmål"


@admin.register(Goal)
class GoalAdmin(GonvAdmin):
    list_display = ["title", "programme_area", "kind", "deadline", "parent"]
    list_filter = ["programme_area", "kind"]
    search_fields = ["title", "code"]
    inlines = [MilestoneInline]


@admin.register(AdoptionRecord)
class AdoptionRecordAdmin(GonvAdmin):
    list_display = ["unit", "working_method", "status", "planned_date", "actual_date"]
    list_filter = ["working_method", "status"]
    autocomplete_fields = ["unit"]


@admin.register(Assessment)
class AssessmentAdmin(GonvAdmin):
    list_display = ["goal", "quarter", "status", "author", "assessed_at"]
    list_filter = ["quarter", "status"]
