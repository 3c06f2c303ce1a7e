from django.contrib import admin
from django.db import transaction
from django.http import HttpRequest

from base.admin import GonvAdmin

from .models import RoleAssignment, Unit, UnitKind
from .services import unit_save, unit_tree_rebuild


@admin.register(UnitKind)
class UnitKindAdmin(GonvAdmin):
    list_display = ["name", "name_plural", "code"]
    search_fields = ["name", "code"]


@admin.register(Unit)
class UnitAdmin(GonvAdmin):
    list_display = ["name", "code", "kind", "parent", "valid_from", "valid_to"]
    list_filter = ["kind"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["parent"]

    def save_model(self, request: HttpRequest, obj: Unit, form: object, change: bool) -> None:
        # Through the service so the closure table follows the tree.
        unit_save(unit=obj)

    @transaction.atomic
    def delete_model(self, request: HttpRequest, obj: Unit) -> None:
        super().delete_model(request, obj)
        unit_tree_rebuild()


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(GonvAdmin):
    list_display = ["user", "role", "unit", "programme_area"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["unit"]
