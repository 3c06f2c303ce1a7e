from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db import models
from django.forms import ModelChoiceField
from django.http import HttpRequest

from base.admin import GonvAdmin

from .models import RoleAssignment, Unit, UnitKind
from .selectors import programme_area_ids_in_scope, units_in_scope
from .services import (
    role_assignment_create,
    role_assignment_delete,
    role_assignment_update,
    unit_create,
    unit_delete,
    unit_update,
)


class ScopedChoicesAdmin(GonvAdmin):
    """An admin whose unit and programme-area choices are limited to the user's scope.

    The rules still decide (the form and the service check the object); this only keeps a
    form from offering what would be refused.
    """

    unit_scoped_fields: tuple[str, ...] = ()
    area_scoped_fields: tuple[str, ...] = ()

    def formfield_for_foreignkey(
        self, db_field: models.ForeignKey[Any, Any], request: HttpRequest, **kwargs: Any
    ) -> ModelChoiceField[Any] | None:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if field is None:
            return None
        if db_field.name in self.unit_scoped_fields:
            field.queryset = field.queryset.filter(pk__in=units_in_scope(user=request.user))
        elif db_field.name in self.area_scoped_fields:
            area_ids = programme_area_ids_in_scope(user=request.user)
            if area_ids is not None:
                field.queryset = field.queryset.filter(pk__in=area_ids)
        return field


@admin.register(UnitKind)
class UnitKindAdmin(GonvAdmin):
    list_display = ["name", "name_plural", "code"]
    search_fields = ["name", "code"]


@admin.register(Unit)
class UnitAdmin(GonvAdmin):
    # What fits at 1280 px; the HSA-id is searched for, an end date is a filter (Har datum), both
    # are on the unit's page.
    list_display = ["name", "code", "kind", "parent"]
    list_filter = ["kind", "valid_to"]
    search_fields = ["name", "code", "hsa_id"]
    autocomplete_fields = ["parent"]

    # Through the services so the closure table follows the tree.
    def save_object(self, request: HttpRequest, obj: Unit, change: bool) -> None:
        if change:
            unit_update(user=request.user, unit=obj)
        else:
            unit_create(user=request.user, unit=obj)

    def delete_object(self, request: HttpRequest, obj: Unit) -> None:
        unit_delete(user=request.user, unit=obj)


@admin.register(RoleAssignment)
class RoleAssignmentAdmin(GonvAdmin):
    list_display = ["user", "role", "unit", "programme_area"]
    list_filter = ["role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["unit"]

    def save_object(self, request: HttpRequest, obj: RoleAssignment, change: bool) -> None:
        if change:
            role_assignment_update(user=request.user, assignment=obj)
        else:
            role_assignment_create(user=request.user, assignment=obj)

    def delete_object(self, request: HttpRequest, obj: Any) -> None:
        role_assignment_delete(user=request.user, assignment=obj)
