"""Labels of programme areas, and of what belongs to one (goals, working methods), that tell
several organisations' areas apart.

An installation of several organisations holds every region's "PO 1. Teamarbete"; a select or
list filter of them all is 21 equal lines. With phases of more than one organisation each label
names the area's organisation ("PO 1. Teamarbete (Region Gävleborg)"), or its phase for a phase
of no organisation, and both where an organisation has several phases. With one organisation
(or none) the labels are the objects' own, as they always were.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from organisation.models import Unit, UnitClosure

from .models import ProgrammeArea


class AreaLabels:
    """Labels for one select or filter: one query, on the first label asked for."""

    def __init__(self) -> None:
        self._areas: dict[int, tuple[int, str]] | None = None  # area id: (number, suffix)

    def _read(self) -> dict[int, tuple[int, str]]:
        if self._areas is not None:
            return self._areas
        rows = list(
            ProgrammeArea.objects.values_list(
                "id",
                "number",
                "phase_id",
                "phase__name",
                "phase__organisation_unit_id",
                "phase__organisation_unit__name",
            )
        )
        phases_of: dict[int, set[int]] = {}
        for _, _, phase_id, _, organisation_id, _ in rows:
            if organisation_id is not None:
                phases_of.setdefault(organisation_id, set()).add(phase_id)
        if len(phases_of) < 2:
            self._areas = {}
            return self._areas
        areas: dict[int, tuple[int, str]] = {}
        for area_id, number, _, phase_name, organisation_id, organisation_name in rows:
            if organisation_id is None:
                suffix = phase_name
            elif len(phases_of[organisation_id]) > 1:
                suffix = f"{organisation_name}, {phase_name}"
            else:
                suffix = organisation_name
            areas[area_id] = (number, suffix)
        self._areas = areas
        return areas

    @property
    def several(self) -> bool:
        """Whether phases belong to more than one organisation (labels carry them)."""
        return bool(self._read())

    def area(self, area: ProgrammeArea) -> str:
        """ "PO 1. Teamarbete (Region Gävleborg)"; the area's own label with one organisation."""
        found = self._read().get(area.pk)
        return f"{area} ({found[1]})" if found else str(area)

    def of_area(self, obj: Any) -> str:
        """A goal's or working method's label with its area's number and organisation:
        "Mål: Teamrond införd (PO 1, Region Gävleborg)"."""
        found = self._read().get(obj.programme_area_id)
        return f"{obj} (PO {found[0]}, {found[1]})" if found else str(obj)


def area_labels() -> Any:
    """The labeller of programme areas (base.admin.register_choice_labels)."""
    return AreaLabels().area


def of_area_labels() -> Any:
    """The labeller of goals and working methods (base.admin.register_choice_labels)."""
    return AreaLabels().of_area


def areas_for_units(units: QuerySet[Unit]) -> QuerySet[ProgrammeArea]:
    """The programme areas a need or plan of these units may concern: those of phases of an
    organisation the units lie in (at or below it), and of phases of no organisation; by phase
    and number (one query when evaluated)."""
    organisations = UnitClosure.objects.filter(descendant__in=units).values("ancestor_id")
    return (
        ProgrammeArea.objects.filter(
            Q(phase__organisation_unit__isnull=True) | Q(phase__organisation_unit__in=organisations)
        )
        .select_related("phase")
        .order_by("phase__start_date", "number", "pk")
    )
