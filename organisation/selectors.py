"""Reads of the unit tree and role assignments that forms and pages need."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import (
    Case,
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce

from .models import (
    ORGANISATION_SCOPED_ROLES,
    Role,
    RoleAssignment,
    Unit,
    UnitClosure,
    UnitQuerySet,
    search_form,
)

# A VC's VO before a VEC's unit: the larger scope is the one they came for.
_HOME_UNIT_ROLES = (Role.HEAD_OF_AREA, Role.HEAD_OF_UNIT)


def unit_home_for(*, user: User | AnonymousUser) -> Unit | None:
    """The unit a VC or VEC leads ("Min enhet"), or None for other roles."""
    if not user.is_authenticated:
        return None
    assignments = (
        RoleAssignment.objects.filter(user=user, role__in=_HOME_UNIT_ROLES)
        .select_related("unit")
        .order_by("unit__code")
    )
    by_role: dict[str, Unit | None] = dict.fromkeys(_HOME_UNIT_ROLES)
    for assignment in assignments:
        by_role[assignment.role] = by_role[assignment.role] or assignment.unit
    return next((unit for unit in by_role.values() if unit is not None), None)


def home_units() -> list[tuple[Unit, str]]:
    """Every VC's and VEC's home unit (unit_home_for, the page they land on), once per unit,
    with the role they hold there (a VC's where a VC and a VEC land on the same unit): the
    units most users land on first, then by code (one query)."""
    assignments = (
        # A deactivated account lands nowhere: its unit is not warmed for it.
        RoleAssignment.objects.filter(role__in=_HOME_UNIT_ROLES, user__is_active=True)
        .select_related("unit__kind")
        .order_by("user_id", "unit__code")
    )
    # Per user as unit_home_for picks: their first VO as a VC, else their first unit as a VEC.
    home: dict[int, tuple[int, Unit]] = {}
    for assignment in assignments:
        rank = _HOME_UNIT_ROLES.index(Role(assignment.role))
        if assignment.unit is not None and (
            assignment.user_id not in home or rank < home[assignment.user_id][0]
        ):
            home[assignment.user_id] = (rank, assignment.unit)
    users: dict[int, int] = {}
    best: dict[int, tuple[int, Unit]] = {}
    for rank, unit in home.values():
        users[unit.pk] = users.get(unit.pk, 0) + 1
        if unit.pk not in best or rank < best[unit.pk][0]:
            best[unit.pk] = (rank, unit)
    ordered = sorted(best.values(), key=lambda pair: (-users[pair[1].pk], pair[1].code))
    return [(unit, _HOME_UNIT_ROLES[rank].value) for rank, unit in ordered]


def region_unit() -> Unit | None:
    """The root of the tree the dashboards compare with ("regionen")."""
    return Unit.objects.filter(parent__isnull=True).select_related("kind").order_by("code").first()


def unit_get(*, code: str) -> Unit | None:
    """A unit by its code, with its kind."""
    return Unit.objects.select_related("kind").filter(code=code).first()


def units_with_children(*, root_id: int | None = None) -> list[Unit]:
    """The units with units below them (the region, areas, VOs): the root first, then by name
    (one query). With `root_id` only that unit and those below it (an organisation's units),
    the root first."""
    has_children = Unit.objects.filter(parent=OuterRef("pk"))
    units = Unit.objects.filter(Exists(has_children))
    if root_id is None:
        return list(
            units.select_related("kind").order_by(
                F("parent_id").asc(nulls_first=True), "name", "code"
            )
        )
    found = units.in_subtree(root_id).select_related("kind").order_by("name", "code")
    # An organisation may sit below another unit (a municipality in a county): not parent_id
    # but the root asked for comes first.
    return sorted(found, key=lambda unit: unit.pk != root_id)


def unit_ancestors(*, unit: Unit) -> list[Unit]:
    """The unit's ancestors from the root down, ending with the unit itself (one query)."""
    return list(
        Unit.objects.filter(descendant_links__descendant=unit)
        .select_related("kind")
        .order_by("-descendant_links__depth")
    )


def unit_children(*, unit: Unit) -> list[Unit]:
    """The units directly below a unit, by name."""
    return list(unit.children.select_related("kind").order_by("name", "code"))


def units_in_subtree(*, unit: Unit, day: datetime.date) -> list[Unit]:
    """The unit and every unit below it that is open on the day (one query)."""
    return list(
        Unit.objects.in_subtree(unit).active_on(day).select_related("kind").order_by("name")
    )


@dataclass
class UnitNode:
    """A unit and the nodes below it, for the unit tree.

    child_count is the number of units directly below; a node whose children were not read
    (below the tree's folding depth) has child_count > 0 and no children: it is folded.
    """

    unit: Unit
    children: list[UnitNode] = field(default_factory=list)
    child_count: int = 0

    @property
    def folded(self) -> bool:
        return self.child_count > 0 and not self.children


def _with_child_count(units: UnitQuerySet) -> UnitQuerySet:
    counts = (
        Unit.objects.filter(parent=OuterRef("pk"))
        .order_by()
        .values("parent")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return units.annotate(
        child_count=Coalesce(Subquery(counts, output_field=IntegerField()), Value(0))
    )


def unit_tree_depth(*, depth: int, max_nodes: int) -> int:
    """The deepest level, at most `depth`, down to which the tree has at most `max_nodes`
    units (at least the roots' level 0): one query, the units counted per level.

    Gävleborg's tree (150 units) is shown down to its VOs; a national one (21 regions, 135
    areas, 968 VOs) down to its areas, whose VOs are fetched on opening.
    """
    level = Subquery(
        UnitClosure.objects.filter(descendant=OuterRef("pk")).order_by("-depth").values("depth")[:1]
    )
    counts = Unit.objects.annotate(level=Coalesce(level, Value(0))).aggregate(
        **{f"l{d}": Count("pk", filter=Q(level__lte=d)) for d in range(depth + 1)}
    )
    return max([0, *(d for d in range(depth + 1) if counts[f"l{d}"] <= max_nodes)])


def unit_tree(*, depth: int | None = None) -> list[UnitNode]:
    """The unit tree, roots first, siblings by name (one query).

    With a depth only the levels 0..depth are read (0: the roots; through the closure table),
    each node with the number of units below it, so a national tree of 10,000 units is shown
    down to a level a page can hold and the units below are read when a unit is opened
    (unit_tree_children).
    """
    units = Unit.objects.select_related("kind").order_by("name", "code")
    if depth is not None:
        deeper = UnitClosure.objects.filter(descendant=OuterRef("pk"), depth__gt=depth)
        units = _with_child_count(units.filter(~Exists(deeper)))
    nodes = {unit.pk: UnitNode(unit, child_count=getattr(unit, "child_count", 0)) for unit in units}
    roots: list[UnitNode] = []
    for node in nodes.values():
        parent = nodes.get(node.unit.parent_id) if node.unit.parent_id else None
        (parent.children if parent else roots).append(node)
    return roots


def unit_tree_children(*, unit: Unit) -> list[UnitNode]:
    """The units directly below a unit, by name, each folded with its own count (one query)."""
    children = _with_child_count(unit.children.select_related("kind").order_by("name", "code"))
    return [UnitNode(child, child_count=getattr(child, "child_count", 0)) for child in children]


# --- a user's scope: the one computation ----------------------------------------------------
# gonv.rules answers every permission from it; the pages below gonv and the admin's choices read
# it here. Computed once per user object, that is once per request.

GLOBAL_EDITORS = frozenset({Role.ADMIN, Role.STRATEGIST})
GLOBAL_READERS = frozenset({Role.PORTFOLIO_OWNER, Role.STEERING_GROUP}) | GLOBAL_EDITORS


@dataclass(frozen=True)
class Scope:
    """What one user's role assignments cover."""

    roles: frozenset[str] = frozenset()
    unit_ids: frozenset[int] = frozenset()  # every unit in the user's subtrees
    area_ids: frozenset[int] = frozenset()
    is_superuser: bool = False
    root_unit_ids: frozenset[int] = field(default_factory=frozenset)
    # The units in the subtrees of the user's VC (verksamhetschef) assignments: what a VO's
    # head writes beyond a VEC (the VO's activity plans).
    head_of_area_unit_ids: frozenset[int] = field(default_factory=frozenset)
    # The organisations (units) the user's portfolio-owner assignments name: the quarterly
    # reports they approve. Kept apart from unit_ids: owning an organisation's portfolio writes
    # nothing about its units.
    owned_organisation_ids: frozenset[int] = field(default_factory=frozenset)
    # A portfolio-owner assignment without a unit: every organisation's reports.
    owns_every_organisation: bool = False
    # The numbers of the areas in area_ids ("PO 1"), for the header's role label.
    area_numbers: tuple[int, ...] = ()
    # The organisations (units that phases belong to) nearest above or at each role's unit, as
    # (depth, unit id), and those of the role's programme areas' phases: read in the same query
    # as the roles, so a user's default organisation (followup.selectors.organisation_of_roles)
    # costs no query of its own with several organisations.
    unit_organisations: tuple[tuple[int, int], ...] = ()
    area_organisations: tuple[int, ...] = ()

    @property
    def edits_everything(self) -> bool:
        return self.is_superuser or bool(self.roles & GLOBAL_EDITORS)

    @property
    def reads_everything(self) -> bool:
        """Every unit's and area's data, not only the user's own (support needs)."""
        return self.is_superuser or bool(self.roles & GLOBAL_READERS)

    @property
    def reads_anything(self) -> bool:
        return self.is_superuser or bool(self.roles)


_EMPTY = Scope()
_CACHE_ATTR = "_gonv_scope"


def scope_for(user: User | AnonymousUser) -> Scope:
    """The user's scope (empty when anonymous or inactive), computed once per user object."""
    if not user.is_authenticated or not user.is_active:
        return _EMPTY
    cached = getattr(user, _CACHE_ATTR, None)
    if cached is not None:
        return cached
    # The area's number comes along in the same query (a join), for the header's "PO 1", and so
    # do the organisations the roles belong to (Scope.unit_organisations).
    nearest = UnitClosure.objects.filter(
        descendant_id=OuterRef("unit_id"), ancestor__phases__isnull=False
    ).order_by("depth", "ancestor__name", "ancestor_id")
    rows = list(
        RoleAssignment.objects.filter(user_id=user.pk)
        .annotate(
            organisation_id=Subquery(nearest.values("ancestor_id")[:1]),
            organisation_depth=Subquery(nearest.values("depth")[:1]),
        )
        .values_list(
            "role",
            "unit_id",
            "programme_area_id",
            "programme_area__number",
            "organisation_id",
            "organisation_depth",
            "programme_area__phase__organisation_unit_id",
        )
    )
    assignments = [(role, unit, area) for role, unit, area, *_rest in rows]
    area_numbers = tuple(sorted({row[3] for row in rows if row[3] is not None}))
    # A portfolio owner's unit is the organisation they own, not a subtree they write about.
    root_ids = frozenset(
        unit
        for role, unit, _ in assignments
        if unit is not None and role not in ORGANISATION_SCOPED_ROLES
    )
    owner_units = [unit for role, unit, _ in assignments if role in ORGANISATION_SCOPED_ROLES]
    unit_ids = (
        frozenset(Unit.objects.in_subtree_of_any(root_ids).values_list("id", flat=True))
        if root_ids
        else frozenset()
    )
    head_roots = frozenset(
        unit for role, unit, _ in assignments if unit is not None and role == Role.HEAD_OF_AREA
    )
    if head_roots == root_ids:
        head_unit_ids = unit_ids
    elif head_roots:
        head_unit_ids = frozenset(
            Unit.objects.in_subtree_of_any(head_roots).values_list("id", flat=True)
        )
    else:
        head_unit_ids = frozenset()
    scope = Scope(
        roles=frozenset(role for role, _, _ in assignments),
        unit_ids=unit_ids,
        area_ids=frozenset(area for _, _, area in assignments if area is not None),
        is_superuser=user.is_superuser,
        root_unit_ids=root_ids,
        head_of_area_unit_ids=head_unit_ids,
        owned_organisation_ids=frozenset(unit for unit in owner_units if unit is not None),
        owns_every_organisation=None in owner_units,
        area_numbers=area_numbers,
        # Of the roles whose unit is a subtree (root_unit_ids), as organisation_of_roles reads.
        unit_organisations=tuple(
            sorted(
                {
                    (row[5], row[4])
                    for row in rows
                    if row[4] is not None
                    and row[1] is not None
                    and row[0] not in ORGANISATION_SCOPED_ROLES
                }
            )
        ),
        area_organisations=tuple(sorted({row[6] for row in rows if row[6] is not None})),
    )
    setattr(user, _CACHE_ATTR, scope)
    return scope


def forget_scope(user: User) -> None:
    """Drop the cached scope (after the user's role assignments change)."""
    if hasattr(user, _CACHE_ATTR):
        delattr(user, _CACHE_ATTR)


def units_in_scope(*, user: User | AnonymousUser) -> UnitQuerySet:
    """The units a user may write data about: every unit for those who edit everything, else
    the subtrees of the user's unit-scoped roles (the choices a form offers; gonv.rules decides)."""
    scope = scope_for(user)
    if scope.edits_everything:
        return Unit.objects.all()
    if not scope.root_unit_ids:
        return Unit.objects.none()
    return Unit.objects.in_subtree_of_any(scope.root_unit_ids)


def units_reported_by(*, user: User | AnonymousUser) -> list[Unit]:
    """The units a user reports for (the reporting and adoption grids' start pages), by name:
    every unit with units below it for those who edit everything, else the user's own units."""
    scope = scope_for(user)
    if scope.edits_everything:
        return list(Unit.objects.filter(children__isnull=False).distinct().order_by("name"))
    return list(Unit.objects.filter(pk__in=scope.root_unit_ids).order_by("name"))


def programme_area_ids_in_scope(*, user: User | AnonymousUser) -> list[int] | None:
    """The programme areas a user owns (None: every area, for those who edit everything)."""
    scope = scope_for(user)
    return None if scope.edits_everything else sorted(scope.area_ids)


UNIT_SEARCH_MIN_LENGTH = 2
UNIT_SEARCH_LIMIT = 50


@dataclass(frozen=True)
class UnitSearch:
    """The units whose name, code or HSA-id holds a text: the first `limit`, and whether there
    were more."""

    text: str
    units: list[Unit] = field(default_factory=list)
    more: bool = False


def unit_search(*, text: str, limit: int | None = None) -> UnitSearch:
    """Units by a part of their name or code, or their HSA-id, ignoring case and accents
    ("halsocentral" finds "Hälsocentral"): an exact
    code or HSA-id first, then names that begin with the text, then the rest by name (one
    query, with each unit's kind and parent). Closed units are found too (the page says so):
    their history is still readable."""
    text = " ".join(text.split())
    limit = limit or UNIT_SEARCH_LIMIT
    if len(text) < UNIT_SEARCH_MIN_LENGTH:
        return UnitSearch(text)
    exact = Q(code__iexact=text) | Q(hsa_id__iexact=text)
    # Name and code as Unit.search_text holds them: "halsocentral" finds "Hälsocentral".
    folded = search_form(text)
    rows: list[Unit] = list(
        Unit.objects.filter(Q(search_text__contains=folded) | exact)
        .select_related("kind", "parent")
        .annotate(
            rank=Case(
                When(exact, then=Value(0)),
                When(search_text__startswith=folded, then=Value(1)),
                default=Value(2),
                output_field=IntegerField(),
            )
        )
        .order_by("rank", "name", "code")[: limit + 1]
    )
    return UnitSearch(text, rows[:limit], len(rows) > limit)


@dataclass
class ListedUnit:
    """A unit in a list ordered as the tree, with the listed units below it."""

    unit: Unit
    children: list[ListedUnit] = field(default_factory=list)


def unit_forest(*, units: list[Unit]) -> list[ListedUnit]:
    """These units as the tree orders them: each under its nearest ancestor among them,
    siblings by name (the region, then its areas, each with its VOs). One query."""
    by_id = {unit.pk: unit for unit in units}
    links = UnitClosure.objects.filter(
        descendant_id__in=by_id, ancestor_id__in=by_id, depth__gt=0
    ).values_list("descendant_id", "ancestor_id", "depth")
    nearest: dict[int, tuple[int, int]] = {}
    for descendant_id, ancestor_id, depth in links:
        if descendant_id not in nearest or depth < nearest[descendant_id][1]:
            nearest[descendant_id] = (ancestor_id, depth)
    nodes = {pk: ListedUnit(unit) for pk, unit in by_id.items()}
    roots: list[ListedUnit] = []
    for unit in sorted(by_id.values(), key=lambda unit: (unit.name, unit.code)):
        parent = nearest.get(unit.pk)
        siblings = nodes[parent[0]].children if parent else roots
        siblings.append(nodes[unit.pk])
    return roots
