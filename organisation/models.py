"""The unit tree (region → area → VO → care unit) and people's roles, as data."""

from __future__ import annotations

import datetime
import unicodedata
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


def parent_cycle(obj: models.Model, parent: models.Model | None) -> bool:
    """Whether `parent` is the object itself or lies below it (a cycle of any length).

    For any model whose `parent` points to its own kind (units here, goals above). Walks up
    from the parent, one query a level: these trees are a few levels deep.
    """
    if parent is None or obj.pk is None:
        return False
    model = type(obj)
    seen: set[object] = set()
    current: object | None = parent.pk
    while current is not None and current not in seen:
        if current == obj.pk:
            return True
        seen.add(current)
        current = model._default_manager.filter(pk=current).values_list("parent", flat=True).first()
    return current is not None  # a cycle already stored above: refuse to join it


ERROR_UNIT_OWN_PARENT = _("En enhet kan inte vara sin egen överordnade enhet.")
ERROR_UNIT_CYCLE = _("En enhet kan inte placeras under sig själv eller en av sina underenheter.")


class UnitKind(models.Model):
    """A configurable kind of unit: region, område, VO, hälsocentral, vårdavdelning, …"""

    code = models.SlugField(_("kod"), max_length=40, unique=True)
    name = models.CharField(_("namn"), max_length=100)
    name_plural = models.CharField(_("namn i plural"), max_length=100)
    # Which kind is the VO (verksamhetsområde) level of this tree: data, like the tree, since
    # another region names its levels otherwise. A VO's activity plans are for units of it.
    is_vo = models.BooleanField(
        _("verksamhetsområde (VO)"),
        default=False,
        help_text=_(
            "Enheter av den här typen är verksamhetsområden, som var och en leds av en "
            "verksamhetschef och lämnar aktivitetsplaner."
        ),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("enhetstyp")
        verbose_name_plural = _("enhetstyper")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class UnitQuerySet(models.QuerySet["Unit"]):
    def active_on(self, day: datetime.date) -> UnitQuerySet:
        """Units open on the given day."""
        return self.filter(
            Q(valid_from__isnull=True) | Q(valid_from__lte=day),
            Q(valid_to__isnull=True) | Q(valid_to__gte=day),
        )

    def in_subtree(self, root: Unit | int) -> UnitQuerySet:
        """The root and every unit below it."""
        root_id = root if isinstance(root, int) else root.pk
        return self.filter(ancestor_links__ancestor_id=root_id)

    def in_subtree_of_any(self, root_ids: Iterable[int]) -> UnitQuerySet:
        """Every unit in any of the given subtrees."""
        return self.filter(ancestor_links__ancestor_id__in=list(root_ids)).distinct()


def search_form(text: str) -> str:
    """Text as the unit search compares it: lower case, without accents ("Hälsocentral" →
    "halsocentral"), so that a search typed without å, ä, ö finds the unit (the same on
    SQLite and PostgreSQL; PostgreSQL's unaccent would need an extension)."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


class Unit(models.Model):
    """One node of the organisation tree, identified by a stable code that imports match on."""

    code = models.CharField(_("kod"), max_length=40, unique=True)
    # The national directory's identifier (HSA-id, e.g. SE2321000180-1234) that exports carry.
    hsa_id = models.CharField(
        _("HSA-id"),
        max_length=40,
        unique=True,
        null=True,
        blank=True,
        help_text=_("Enhetens HSA-id i den nationella katalogen, t.ex. SE2321000180-1234."),
    )
    name = models.CharField(_("namn"), max_length=200)
    kind = models.ForeignKey(
        UnitKind, on_delete=models.PROTECT, related_name="units", verbose_name=_("typ")
    )
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("överordnad enhet"),
    )
    valid_from = models.DateField(_("giltig från"), null=True, blank=True)
    valid_to = models.DateField(_("giltig till"), null=True, blank=True)
    # The name and code in search_form, kept by save(): what the unit search matches on.
    # A database default too: rows written without Unit.save (COPY, an older migration state in
    # the migration tests) get the empty text rather than a refused NULL.
    search_text = models.CharField(
        max_length=250, blank=True, default="", db_default="", editable=False
    )
    history = HistoricalRecords(excluded_fields=["search_text"])

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("enhet")
        verbose_name_plural = _("enheter")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True)
                | Q(valid_to__isnull=True)
                | Q(valid_to__gte=models.F("valid_from")),
                name="unit_valid_dates_ordered",
                violation_error_message=_("Slutdatum kan inte vara före startdatum."),
            ),
            models.CheckConstraint(
                condition=~Q(parent=models.F("id")),
                name="unit_not_own_parent",
                violation_error_message=ERROR_UNIT_OWN_PARENT,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.search_text = search_form(f"{self.name} {self.code}")
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and {"name", "code"} & set(update_fields):
            kwargs["update_fields"] = {*update_fields, "search_text"}
        super().save(*args, **kwargs)

    def clean(self) -> None:
        """No parent cycle of any length: a unit cannot move under itself or its descendants."""
        super().clean()
        if self.pk is not None and self.parent_id == self.pk:
            raise ValidationError({"parent": [str(ERROR_UNIT_OWN_PARENT)]})
        if self.parent_id is not None and parent_cycle(self, self.parent):
            raise ValidationError({"parent": [str(ERROR_UNIT_CYCLE)]})

    def is_active_on(self, day: datetime.date) -> bool:
        """Whether the unit is open on the given day."""
        return (self.valid_from is None or self.valid_from <= day) and (
            self.valid_to is None or self.valid_to >= day
        )


class UnitClosure(models.Model):
    """Transitive closure of the tree (ancestor, descendant, depth), rebuilt by the services.

    It makes subtree permission checks and the roll-up of measures single set-based queries on
    any depth of tree, on SQLite and PostgreSQL alike.
    """

    ancestor = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="descendant_links")
    descendant = models.ForeignKey(Unit, on_delete=models.CASCADE, related_name="ancestor_links")
    depth = models.PositiveSmallIntegerField()

    class Meta:
        verbose_name = _("enhetsrelation")
        verbose_name_plural = _("enhetsrelationer")
        constraints = [
            models.UniqueConstraint(
                fields=["ancestor", "descendant"], name="unitclosure_unique_pair"
            ),
        ]
        indexes = [models.Index(fields=["descendant", "ancestor"])]

    def __str__(self) -> str:
        return f"{self.ancestor_id} → {self.descendant_id} ({self.depth})"


class Role(models.TextChoices):
    ADMIN = "admin", _("Administratör")
    STRATEGIST = "strateg", _("Strateg GONV")
    PORTFOLIO_OWNER = "portfoljagare", _("Portföljägare")
    STEERING_GROUP = "styrgrupp", _("HSL styrgrupp")
    PROGRAMME_OWNER = "programomradesansvarig", _("Programområdesansvarig")
    HEAD_OF_AREA = "verksamhetschef", _("Verksamhetschef (VC)")
    HEAD_OF_UNIT = "vardenhetschef", _("Vårdenhetschef (VEC)")


UNIT_SCOPED_ROLES = (Role.HEAD_OF_AREA, Role.HEAD_OF_UNIT)
AREA_SCOPED_ROLES = (Role.PROGRAMME_OWNER,)
# Roles that may name the organisation they own (a region or municipality, see
# `is_organisation`): the portfolio owner approves that organisation's quarterly reports only.
# Without a unit the role covers every organisation, as it did before organisations existed.
ORGANISATION_SCOPED_ROLES = (Role.PORTFOLIO_OWNER,)

ERROR_NOT_AN_ORGANISATION = _(
    "Portföljägarens enhet måste vara en organisation (region eller kommun): en enhet överst "
    "i enhetsträdet eller en enhet som en fas tillhör."
)


def is_organisation(unit: Unit) -> bool:
    """Whether a unit is an organisation a quarterly report can belong to: the root of a tree
    (the report's unit with one organisation or none) or a phase's organisation unit
    (`programmes.Phase.organisation_unit`, read by its reverse name: organisation sits below
    programmes)."""
    return unit.parent_id is None or Unit.objects.filter(pk=unit.pk, phases__isnull=False).exists()


class RoleAssignment(models.Model):
    """A user's role with its scope: a unit subtree, a programme area, or everything."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="role_assignments",
        verbose_name=_("användare"),
    )
    role = models.CharField(_("roll"), max_length=30, choices=Role.choices)
    unit = models.ForeignKey(
        Unit,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("enhet (med underliggande enheter)"),
    )
    # By string: organisation sits below programmes in the dependency order.
    programme_area = models.ForeignKey(
        "programmes.ProgrammeArea",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="role_assignments",
        verbose_name=_("programområde"),
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rolltilldelning")
        verbose_name_plural = _("rolltilldelningar")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(role__in=UNIT_SCOPED_ROLES, unit__isnull=False, programme_area__isnull=True)
                    | Q(
                        role__in=AREA_SCOPED_ROLES,
                        programme_area__isnull=False,
                        unit__isnull=True,
                    )
                    | Q(role__in=ORGANISATION_SCOPED_ROLES, programme_area__isnull=True)
                    | (
                        ~Q(
                            role__in=UNIT_SCOPED_ROLES
                            + AREA_SCOPED_ROLES
                            + ORGANISATION_SCOPED_ROLES
                        )
                        & Q(unit__isnull=True, programme_area__isnull=True)
                    )
                ),
                name="roleassignment_scope_matches_role",
                violation_error_message=_(
                    "VC och VEC kräver en enhet, programområdesansvarig kräver ett "
                    "programområde, portföljägaren kan ha en organisation, övriga roller "
                    "gäller allt."
                ),
            ),
            # Partial constraints rather than nulls_distinct=False, which SQLite lacks.
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(unit__isnull=True, programme_area__isnull=True),
                name="roleassignment_unique_global",
                violation_error_message=_("Användaren har redan den rollen med samma omfattning."),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "unit"],
                condition=Q(unit__isnull=False),
                name="roleassignment_unique_unit",
                violation_error_message=_("Användaren har redan den rollen med samma omfattning."),
            ),
            models.UniqueConstraint(
                fields=["user", "role", "programme_area"],
                condition=Q(programme_area__isnull=False),
                name="roleassignment_unique_area",
                violation_error_message=_("Användaren har redan den rollen med samma omfattning."),
            ),
        ]

    def __str__(self) -> str:
        scope = self.unit or self.programme_area or _("hela portföljen")
        return f"{self.user} – {self.get_role_display()} – {scope}"

    def clean(self) -> None:
        """A portfolio owner's unit is an organisation (a region or municipality), never a
        VO or care unit: the role approves an organisation's quarterly reports."""
        super().clean()
        if (
            self.role in ORGANISATION_SCOPED_ROLES
            and self.unit is not None
            and not is_organisation(self.unit)
        ):
            raise ValidationError({"unit": [str(ERROR_NOT_AN_ORGANISATION)]})
