"""factory_boy factories for every model, shared by the whole suite.

Every unit created rebuilds the closure table (`organisation.services.unit_tree_rebuild`), so
subtree queries and permissions are right for every unit a test makes. Role assignments drop the
user's cached permission scope, so a role given mid-test takes effect at once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from factory.django import DjangoModelFactory

from base.periods import Quarter
from followup.models import (
    ComputeRun,
    GoalResult,
    ImportBatch,
    Measure,
    MeasureResult,
    Observation,
    PeriodResult,
)
from goals.models import AdoptionRecord, Assessment, Goal
from goals.status import Status
from gonv.rules import forget_scope
from organisation.models import Role, RoleAssignment, Unit, UnitKind
from organisation.services import unit_tree_rebuild
from programmes.models import (
    Activity,
    ActivityPlan,
    Phase,
    ProgrammeArea,
    SupportingProcess,
    SupportNeed,
    WorkingMethod,
)

TEST_PASSWORD = "test-lösenord-123"


def _month_end(day: datetime.date) -> datetime.date:
    """The last day of the month the date falls in."""
    first_next = (day.replace(day=1) + datetime.timedelta(days=32)).replace(day=1)
    return first_next - datetime.timedelta(days=1)


# --- organisation -----------------------------------------------------------------------------


class UnitKindFactory(DjangoModelFactory):
    """A unit kind; the traits give the four levels of the tree (reused by code)."""

    class Meta:
        model = UnitKind
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"typ-{n}")
    name = factory.Sequence(lambda n: f"Enhetstyp {n}")
    name_plural = factory.LazyAttribute(lambda o: f"{o.name}er")

    class Params:
        region = factory.Trait(code="region", name="Region", name_plural="Regioner")
        area = factory.Trait(code="omrade", name="Område", name_plural="Områden")
        vo = factory.Trait(
            code="vo", name="Verksamhetsområde", name_plural="Verksamhetsområden", is_vo=True
        )
        hc = factory.Trait(code="halsocentral", name="Hälsocentral", name_plural="Hälsocentraler")


class UnitFactory(DjangoModelFactory):
    """A unit (a hälsocentral unless told otherwise), created through the service."""

    class Meta:
        model = Unit
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"E{n:04d}")
    name = factory.Sequence(lambda n: f"Enhet {n}")
    kind = factory.SubFactory(UnitKindFactory, hc=True)
    parent = None
    valid_from = None
    valid_to = None

    @factory.post_generation
    def closure(obj: Unit, create: bool, extracted: Any, **kwargs: Any) -> None:
        # The closure table follows the tree, as after organisation.services.unit_create_trusted
        # (which also runs full_clean; factories skip that, it is a third of a tree's cost).
        if create:
            unit_tree_rebuild()


@dataclass(frozen=True)
class OrgTree:
    """A small region: VO 1 with HC 1A and 1B, VO 2 with HC 2A and 2B."""

    region: Unit
    area: Unit
    vo1: Unit
    vo2: Unit
    hc1a: Unit
    hc1b: Unit
    hc2a: Unit
    hc2b: Unit

    @property
    def hcs(self) -> list[Unit]:
        return [self.hc1a, self.hc1b, self.hc2a, self.hc2b]


def org_tree_create() -> OrgTree:
    """Region → area (Primärvård) → two VOs → two HCs each (the `org_tree` fixture).

    Kinds are made apart: `kind__vo=True` on UnitFactory would combine with its default
    `hc=True` trait, and the hälsocentral trait would win.
    """
    region = UnitFactory(code="REG", name="Region Testland", kind=UnitKindFactory(region=True))
    area = UnitFactory(code="PV", name="Primärvård", kind=UnitKindFactory(area=True), parent=region)
    vo_kind = UnitKindFactory(vo=True)
    vo1 = UnitFactory(code="VO1", name="VO Norr", kind=vo_kind, parent=area)
    vo2 = UnitFactory(code="VO2", name="VO Söder", kind=vo_kind, parent=area)
    return OrgTree(
        region=region,
        area=area,
        vo1=vo1,
        vo2=vo2,
        hc1a=UnitFactory(code="HC1A", name="Hälsocentral Norrby", parent=vo1),
        hc1b=UnitFactory(code="HC1B", name="Hälsocentral Nordvik", parent=vo1),
        hc2a=UnitFactory(code="HC2A", name="Hälsocentral Söderby", parent=vo2),
        hc2b=UnitFactory(code="HC2B", name="Hälsocentral Södervik", parent=vo2),
    )


class UserFactory(DjangoModelFactory):
    """A user; `UserFactory(role=Role.HEAD_OF_AREA, role__unit=vo)` also gives a role."""

    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"anvandare{n}")
    first_name = factory.Faker("first_name", locale="sv_SE")
    last_name = factory.Faker("last_name", locale="sv_SE")
    email = factory.LazyAttribute(lambda o: f"{o.username}@example.se")
    password = factory.django.Password(TEST_PASSWORD)
    is_staff = False

    @factory.post_generation
    def role(obj: Any, create: bool, extracted: str | None, **kwargs: Any) -> None:
        if create and extracted:
            RoleAssignmentFactory(user=obj, role=extracted, **kwargs)


class RoleAssignmentFactory(DjangoModelFactory):
    """A global strategist role unless a trait or role with its scope is given."""

    class Meta:
        model = RoleAssignment

    user = factory.SubFactory(UserFactory)
    role = Role.STRATEGIST
    unit = None
    programme_area = None

    class Params:
        vc = factory.Trait(
            role=Role.HEAD_OF_AREA,
            unit=factory.SubFactory(UnitFactory, kind__hc=False, kind__vo=True),
        )
        vec = factory.Trait(role=Role.HEAD_OF_UNIT, unit=factory.SubFactory(UnitFactory))
        programme_owner = factory.Trait(
            role=Role.PROGRAMME_OWNER,
            programme_area=factory.SubFactory("tests.factories.ProgrammeAreaFactory"),
        )

    @classmethod
    def _create(cls, model_class: type[RoleAssignment], *args: Any, **kwargs: Any) -> Any:
        assignment = super()._create(model_class, *args, **kwargs)
        forget_scope(assignment.user)
        return assignment


# --- programmes -------------------------------------------------------------------------------


class PhaseFactory(DjangoModelFactory):
    class Meta:
        model = Phase
        django_get_or_create = ("code",)

    code = "fas-2"
    name = "Fas 2: göra, lära, bredda"
    start_date = datetime.date(2025, 1, 1)
    end_date = datetime.date(2027, 12, 31)


class SupportingProcessFactory(DjangoModelFactory):
    class Meta:
        model = SupportingProcess

    name = factory.Sequence(lambda n: f"Stödjande process {n}")


class ProgrammeAreaFactory(DjangoModelFactory):
    class Meta:
        model = ProgrammeArea

    phase = factory.SubFactory(PhaseFactory)
    # Above the plan's 1–6, which tests give explicitly, so the two never collide in a phase.
    number = factory.Sequence(lambda n: n + 10)
    name = factory.Sequence(lambda n: f"Programområde {n + 10}")
    start_date = datetime.date(2025, 3, 1)
    # As the plan: only PO 1 (Teamrond) asks each VO for an activity plan.
    requests_activity_plans = factory.LazyAttribute(lambda area: area.number == 1)


class WorkingMethodFactory(DjangoModelFactory):
    class Meta:
        model = WorkingMethod
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"arbetssatt-{n}")
    name = factory.Sequence(lambda n: f"Arbetssätt {n}")
    programme_area = factory.SubFactory(ProgrammeAreaFactory)
    direction = WorkingMethod.Direction.INTRODUCE

    @factory.post_generation
    def target_unit_kinds(obj: Any, create: bool, extracted: Any, **kwargs: Any) -> None:
        if create and extracted:
            obj.target_unit_kinds.set(extracted)


class ActivityPlanFactory(DjangoModelFactory):
    class Meta:
        model = ActivityPlan

    programme_area = factory.SubFactory(ProgrammeAreaFactory)
    unit = factory.SubFactory(UnitFactory, kind__hc=False, kind__vo=True)
    status = ActivityPlan.Status.DRAFT


class ActivityFactory(DjangoModelFactory):
    class Meta:
        model = Activity

    plan = factory.SubFactory(ActivityPlanFactory)
    title = factory.Sequence(lambda n: f"Aktivitet {n}")
    responsible = "Verksamhetschef"
    start_date = datetime.date(2025, 3, 1)
    end_date = datetime.date(2025, 12, 31)


class SupportNeedFactory(DjangoModelFactory):
    class Meta:
        model = SupportNeed

    raised_by = factory.SubFactory(UserFactory)
    unit = factory.SubFactory(UnitFactory)
    programme_area = factory.SubFactory(ProgrammeAreaFactory)
    text = "Tid för utbildning av teamet."


# --- followup (measures first: goals point at them) -------------------------------------------


class MeasureFactory(DjangoModelFactory):
    """A monthly count; the `share` trait gives a percentage aggregated as a ratio."""

    class Meta:
        model = Measure

    code = factory.Sequence(lambda n: f"matt-{n}")
    name = factory.Sequence(lambda n: f"Mått {n}")
    unit = "st"
    value_type = Measure.ValueType.COUNT
    aggregation = Measure.Aggregation.SUM
    frequency = Measure.Frequency.MONTHLY

    class Params:
        share = factory.Trait(
            unit="%", value_type=Measure.ValueType.SHARE, aggregation=Measure.Aggregation.RATIO
        )


# --- goals ------------------------------------------------------------------------------------


class GoalFactory(DjangoModelFactory):
    """A deliverable by Dec 2025 unless a trait gives another kind.

    Traits: `adoption`, `deliverable`, `measure_absolute`, `measure_relative`, `direction`,
    `milestone` (a delmål under a new goal of the same programme area).
    """

    class Meta:
        model = Goal

    programme_area = factory.SubFactory(ProgrammeAreaFactory)
    parent = None
    code = factory.Sequence(lambda n: f"mal-{n}")
    title = factory.Sequence(lambda n: f"Mål nummer {n}")
    kind = Goal.Kind.DELIVERABLE
    start_date = datetime.date(2025, 1, 1)
    deadline = datetime.date(2025, 12, 31)

    class Params:
        adoption = factory.Trait(
            kind=Goal.Kind.ADOPTION,
            working_method=factory.SubFactory(
                WorkingMethodFactory, programme_area=factory.SelfAttribute("..programme_area")
            ),
            unit_kind=factory.SubFactory(UnitKindFactory, hc=True),
            target_share=Decimal("100"),
            deadline=datetime.date(2026, 12, 31),
        )
        deliverable = factory.Trait(kind=Goal.Kind.DELIVERABLE)
        measure_absolute = factory.Trait(
            kind=Goal.Kind.MEASURE,
            measure=factory.SubFactory(MeasureFactory),
            target_value=Decimal("80"),
        )
        measure_relative = factory.Trait(
            kind=Goal.Kind.MEASURE,
            measure=factory.SubFactory(MeasureFactory),
            relative_change_pct=Decimal("50"),
            baseline_start=datetime.date(2026, 12, 1),
            baseline_end=datetime.date(2026, 12, 31),
            deadline=datetime.date(2027, 12, 31),
        )
        direction = factory.Trait(kind=Goal.Kind.DIRECTION, deadline=None)
        milestone = factory.Trait(
            parent=factory.SubFactory(
                "tests.factories.GoalFactory",
                programme_area=factory.SelfAttribute("..programme_area"),
                deadline=datetime.date(2026, 12, 31),
            ),
            title=factory.Sequence(lambda n: f"Delmål nummer {n}"),
        )


class AdoptionRecordFactory(DjangoModelFactory):
    """Not started; the `adopted` trait gives "Infört" with its date."""

    class Meta:
        model = AdoptionRecord

    unit = factory.SubFactory(UnitFactory)
    working_method = factory.SubFactory(WorkingMethodFactory)
    status = AdoptionRecord.Status.NOT_STARTED

    class Params:
        adopted = factory.Trait(
            status=AdoptionRecord.Status.ADOPTED, actual_date=datetime.date(2025, 9, 1)
        )
        planned = factory.Trait(
            status=AdoptionRecord.Status.PLANNED, planned_date=datetime.date(2025, 11, 1)
        )


class AssessmentFactory(DjangoModelFactory):
    class Meta:
        model = Assessment

    goal = factory.SubFactory(GoalFactory, direction=True)
    quarter = "2025Q4"
    status = Status.ON_TRACK.value
    comment = "Arbetet går enligt plan på alla hälsocentraler."
    author = factory.SubFactory(UserFactory)


class ImportBatchFactory(DjangoModelFactory):
    class Meta:
        model = ImportBatch

    source = ImportBatch.Source.CYKLOP
    file_name = factory.Sequence(lambda n: f"cyklop-export-{n}.csv")
    imported_by = factory.SubFactory(UserFactory)
    row_count = 0


class ObservationFactory(DjangoModelFactory):
    """One month's value (Oct 2025 unless told); the quarter follows the period's end."""

    class Meta:
        model = Observation

    measure = factory.SubFactory(MeasureFactory)
    unit = factory.SubFactory(UnitFactory)
    period_start = datetime.date(2025, 10, 1)
    period_end = factory.LazyAttribute(lambda o: _month_end(o.period_start))
    quarter = factory.LazyAttribute(lambda o: Quarter.containing(o.period_end).code)
    value = Decimal("10")
    source = ImportBatch.Source.MANUAL

    class Params:
        ratio = factory.Trait(
            measure=factory.SubFactory(MeasureFactory, share=True),
            numerator=Decimal("30"),
            denominator=Decimal("40"),
            value=Decimal("75"),
        )


class MeasureResultFactory(DjangoModelFactory):
    """A precomputed measure value (normally written only by the quarterly job)."""

    class Meta:
        model = MeasureResult

    measure = factory.SubFactory(MeasureFactory)
    unit = factory.SubFactory(UnitFactory)
    quarter = "2025Q4"
    value = Decimal("10")


class GoalResultFactory(DjangoModelFactory):
    """A precomputed goal status (normally written only by the quarterly job)."""

    class Meta:
        model = GoalResult

    goal = factory.SubFactory(GoalFactory)
    quarter = "2025Q4"
    status = Status.ON_TRACK.value


class PeriodResultFactory(DjangoModelFactory):
    """A precomputed value for one reporting period (normally written only by the job)."""

    class Meta:
        model = PeriodResult

    measure = factory.SubFactory(MeasureFactory)
    unit = factory.SubFactory(UnitFactory)
    period_start = datetime.date(2025, 10, 1)
    quarter = factory.LazyAttribute(lambda o: Quarter.containing(o.period_start).code)
    value = Decimal("10")
    reporting_units = 1


class ComputeRunFactory(DjangoModelFactory):
    """A finished recompute of a quarter."""

    class Meta:
        model = ComputeRun

    quarter = "2025Q4"
    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda o: o.started_at)
    trigger = "test"
