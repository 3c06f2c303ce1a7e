"""Synthetic data for the benchmark: a unit tree, measures, observations, adoption and goals.

Everything large is written set-based: the units with one COPY, the observations and the
adoption records with one INSERT … SELECT each over generate_series, so generating the
national scale takes seconds and the Python process never holds the rows. Small tables
(kinds, measures, programme, goals) use bulk_create, which sends no signals (no recompute
is triggered) and writes no simple-history rows (bench data needs no history).
"""

from __future__ import annotations

import datetime
import math
import random
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction

from followup.models import Measure, Observation
from goals.models import AdoptionRecord, Assessment, Goal
from organisation.models import Unit, UnitKind, search_form
from organisation.services import unit_tree_rebuild
from programmes.models import Phase, ProgrammeArea, WorkingMethod

from . import DEFAULT_SEED, FIRST_MONTH, MONTHS, Scale

# Approximate populations (millions) of Sweden's 21 regions: they size the national regions.
_REGION_WEIGHTS = (
    2.45, 1.76, 1.42, 0.47, 0.40, 0.37, 0.34, 0.31, 0.30, 0.29, 0.29,
    0.28, 0.28, 0.27, 0.25, 0.25, 0.24, 0.20, 0.16, 0.13, 0.06,
)  # fmt: skip

_KINDS = (
    ("region", "Region", "Regioner"),
    ("omrade", "Område", "Områden"),
    ("verksamhetsomrade", "Verksamhetsområde", "Verksamhetsområden"),
    ("halsocentral", "Hälsocentral", "Hälsocentraler"),
    ("vardavdelning", "Vårdavdelning", "Vårdavdelningar"),
    ("mottagning", "Mottagning", "Mottagningar"),
)


_UNITS = {"count": "st", "share": "%", "index": "index", "mean": "dagar"}
_KIND_OF_TYPE = {"count": "sum", "share": "ratio", "index": "wmean", "mean": "wmean"}
_AGGREGATION = {"sum": "sum", "ratio": "ratio", "wmean": "weighted_mean"}


@dataclass(frozen=True)
class MeasureSpec:
    """A measure and the shape of its synthetic series.

    Counts roll up as sums, shares as ratios of numerator and denominator sums, indices and
    means as means weighted by respondents. base is the level (a fraction for shares), spread
    the unit-to-unit variation, trend the change over the 36 months, rate the volume (or the
    denominator) per listed patient and month.
    """

    code: str
    name: str
    value_type: str
    improvement: str
    base: float
    spread: float
    trend: float
    rate: float

    @property
    def kind(self) -> str:
        """How the generator draws the values: "sum", "ratio" or "wmean"."""
        return _KIND_OF_TYPE[self.value_type]

    @property
    def unit(self) -> str:
        """The unit shown with the values."""
        return _UNITS[self.value_type]

    @property
    def aggregation(self) -> str:
        """The roll-up rule that goes with the value type."""
        return _AGGREGATION[self.kind]


M = MeasureSpec
MEASURES: tuple[MeasureSpec, ...] = (
    M("lakarbesok", "Läkarbesök", "count", "none", 0, 0, 0.05, 0.06),
    M("dsk-besok", "Distriktssköterskebesök", "count", "none", 0, 0, 0, 0.09),
    M("digitala-besok", "Digitala besök", "count", "higher", 0, 0, 0.6, 0.02),
    M("hembesok", "Hembesök", "count", "higher", 0, 0, 0.3, 0.004),
    M("akutbesok", "Akutbesök bland listade", "count", "lower", 0, 0, -0.1, 0.015),
    M("inlaggningar", "Slutenvårdstillfällen", "count", "lower", 0, 0, -0.05, 0.008),
    M("sip", "Samordnade individuella planer", "count", "higher", 0, 0, 0.4, 0.001),
    M("kontinuitet", "Kontinuitet läkare", "share", "higher", 0.45, 0.06, 0.08, 0.03),
    M("bedomning-3d", "Bedömning inom 3 dagar", "share", "higher", 0.78, 0.05, 0.03, 0.02),
    M("telefon-samma-dag", "Telefon samma dag", "share", "higher", 0.88, 0.03, 0.01, 0.05),
    M("fast-lakarkontakt", "Fast läkarkontakt", "share", "higher", 0.55, 0.08, 0.1, 0.004),
    M("aterinlaggning", "Återinläggning 30 dagar", "share", "lower", 0.14, 0.02, -0.02, 0.001),
    M("halsosamtal", "Hälsosamtal 40 år", "share", "higher", 0.35, 0.07, 0.05, 0.0008),
    M("vardplan", "Multisjuka med vårdplan", "share", "higher", 0.25, 0.06, 0.2, 0.002),
    M("patientnojdhet", "Patientnöjdhet", "index", "higher", 78, 4, 2, 0.003),
    M("medarbetarindex", "Medarbetarindex", "index", "higher", 72, 5, 1, 0.002),
    M("vantetid", "Väntetid till besök", "mean", "lower", 12, 3, -2, 0.01),
    M("personcentrering", "Personcentreringsindex", "index", "higher", 65, 5, 6, 0.003),
    M("delaktighet", "Delaktighet", "index", "higher", 70, 4, 1.5, 0.003),
    M("koordinering", "Koordineringsindex", "index", "higher", 60, 6, 4, 0.002),
)
del M

# Working methods: (code, name, direction, share of HCs that get there, roughly).
METHODS: tuple[tuple[str, str, str, float], ...] = (
    ("fast-vardkontakt", "Fast vårdkontakt", "infora", 0.80),
    ("digital-forsta-linje", "Digital första linje", "infora", 0.70),
    ("mobila-team", "Mobila team", "infora", 0.45),
    ("sip-rutin", "SIP-rutin med kommunen", "infora", 0.60),
    ("halsosamtal", "Hälsosamtal", "infora", 0.55),
    ("egenvardsplan", "Egenvårdsplan", "infora", 0.35),
    ("teambaserad-mottagning", "Teambaserad mottagning", "infora", 0.50),
    ("triage-telefon", "Telefontriage", "infora", 0.90),
    ("pappersremiss", "Pappersremisser", "fasa_ut", 0.65),
    ("drop-in-akut", "Drop-in akutmottagning", "fasa_ut", 0.40),
)

# Measure goals per region: (measure code, target above/below the level, relative change %).
_MEASURE_GOALS: tuple[tuple[str, float | None, float | None], ...] = (
    ("kontinuitet", 3.0, None),
    ("fast-lakarkontakt", 5.0, None),
    ("aterinlaggning", None, -10.0),
    ("patientnojdhet", None, 5.0),
)


@dataclass
class _UnitRow:
    id: int
    code: str
    name: str
    kind: str
    parent_id: int | None
    valid_from: datetime.date | None = None
    valid_to: datetime.date | None = None


def _apportion(total: int, weights: list[float], minimum: int) -> list[int]:
    """Split total over the weights (largest remainder), each share at least minimum."""
    spare = total - minimum * len(weights)
    exact = [spare * w / sum(weights) for w in weights]
    shares = [math.floor(x) for x in exact]
    by_remainder = sorted(range(len(weights)), key=lambda i: exact[i] - shares[i], reverse=True)
    for i in by_remainder[: spare - sum(shares)]:
        shares[i] += 1
    return [minimum + s for s in shares]


class _Tree:
    """Builds the unit rows of one scale, ids assigned in order (the database is fresh)."""

    def __init__(self) -> None:
        self.rows: list[_UnitRow] = []
        self.health_centres: list[_UnitRow] = []

    def add(self, code: str, name: str, kind: str, parent: _UnitRow | None) -> _UnitRow:
        row = _UnitRow(len(self.rows) + 1, code, name, kind, parent.id if parent else None)
        self.rows.append(row)
        return row

    def region(self, number: int, units: int, hcs: int, largest_vo: int = 0) -> _UnitRow:
        """One region: Primärvård with HCs in VOs of ~6, other areas with VOs of ~10 units.

        largest_vo: that many of the HCs go to the first primary-care VO, the rest in VOs of ~6.
        """
        code = f"R{number:02d}"
        region = self.add(code, f"Region {number:02d}", "region", None)
        primary = self.add(f"{code}-PV", f"Primärvård {number:02d}", "omrade", region)
        pv_vos = [
            self.add(
                f"{code}-PV-VO{i:02d}", f"VO PV {number:02d}-{i:02d}", "verksamhetsomrade", primary
            )
            for i in range(1, max(1, math.ceil((hcs - largest_vo) / 6)) + (2 if largest_vo else 1))
        ]
        for i in range(hcs):
            if largest_vo:
                vo = pv_vos[0] if i < largest_vo else pv_vos[1 + i % (len(pv_vos) - 1)]
            else:
                vo = pv_vos[i % len(pv_vos)]
            name = f"Hälsocentral {number:02d}-{i + 1:04d}"
            hc = self.add(f"{code}-HC{i + 1:04d}", name, "halsocentral", vo)
            # A few HCs open or close during the series, so "active" does real work.
            global_index = len(self.health_centres)
            if global_index % 33 == 7:
                hc.valid_from = datetime.date(2024, 4, 1)
            elif global_index % 50 == 3:
                hc.valid_to = datetime.date(2024, 9, 30)
            self.health_centres.append(hc)
        remaining = units - 2 - hcs - len(pv_vos)
        area_count = min(8, max(2, round(math.sqrt(max(remaining, 0)) / 3)))
        remaining -= area_count
        areas = [
            self.add(f"{code}-A{i:02d}", f"Område {number:02d}-{i:02d}", "omrade", region)
            for i in range(1, area_count + 1)
        ]
        vo_count = max(area_count, round(remaining / 11))
        vos: list[_UnitRow] = []
        for i in range(1, vo_count + 1):
            parent = areas[i % area_count]
            vos.append(
                self.add(
                    f"{code}-VO{i:03d}", f"VO {number:02d}-{i:03d}", "verksamhetsomrade", parent
                )
            )
        for i in range(remaining - vo_count):
            kind = "vardavdelning" if i % 3 == 0 else "mottagning"
            label = "Vårdavdelning" if kind == "vardavdelning" else "Mottagning"
            self.add(
                f"{code}-E{i + 1:05d}", f"{label} {number:02d}-{i + 1:05d}", kind, vos[i % vo_count]
            )
        return region


def _build_tree(scale: Scale) -> _Tree:
    weights = list(_REGION_WEIGHTS[: scale.regions]) if scale.regions > 1 else [1.0]
    hcs = _apportion(scale.health_centres, weights, 3)
    units = _apportion(scale.units - sum(hcs), weights, 12)
    tree = _Tree()
    for number, (region_units, region_hcs) in enumerate(zip(units, hcs, strict=True), start=1):
        largest = min(scale.largest_vo, region_hcs - 1) if number == 1 else 0
        tree.region(number, region_units + region_hcs, region_hcs, largest)
    return tree


def _copy(table: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    """COPY rows into a table through psycopg 3."""
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _reset_identity(table: str) -> None:
    """Move an identity column's sequence past the ids written explicitly."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT setval(pg_get_serial_sequence(%s, 'id'), (SELECT MAX(id) FROM {table}))",
            [table],
        )


def _load_units(tree: _Tree, kinds: dict[str, UnitKind]) -> None:
    table = Unit._meta.db_table
    _copy(
        table,
        ("id", "code", "name", "kind_id", "parent_id", "valid_from", "valid_to", "search_text"),
        [
            (
                r.id,
                r.code,
                r.name,
                kinds[r.kind].pk,
                r.parent_id,
                r.valid_from,
                r.valid_to,
                # What Unit.save writes, so the unit search finds the bench's units too.
                search_form(f"{r.name} {r.code}"),
            )
            for r in tree.rows
        ],
    )
    _reset_identity(table)


# The observations of every HC, measure and month in one statement. The innermost query draws
# the random numbers (OFFSET 0 keeps it from being flattened, so each row draws its own), the
# next derives denominators and the underlying level, the outer one the stored values.
_OBSERVATIONS_SQL = """
INSERT INTO {obs} (measure_id, unit_id, period_start, period_end, quarter, value, numerator,
                   denominator, source, updated_at)
SELECT measure_id, unit_id, period_start, period_end, to_char(period_start, 'YYYY"Q"Q'),
       CASE kind
           WHEN 'sum' THEN round(greatest(0, size * rate
               * (1 + 0.12 * season + trend * t / 35.0 + 0.16 * (r1 - 0.5)))::numeric)
           WHEN 'ratio' THEN round((num * 100.0 / den)::numeric, 4)
           ELSE round(greatest(0.5, level + spread * (r1 - 0.5))::numeric, 2)
       END,
       CASE WHEN kind = 'ratio' THEN num END,
       CASE WHEN kind <> 'sum' THEN den END,
       'cyklop',
       period_end + interval '9 days 8 hours' + r3 * interval '5 days'
FROM (
    SELECT y.*,
           CASE WHEN kind = 'ratio'
               THEN round(den * least(0.995, greatest(0.005, level + 0.04 * (r1 - 0.5))))
           END AS num
    FROM (
        SELECT z.*,
               CASE kind
                   WHEN 'ratio' THEN greatest(1, round(size * rate * (0.9 + 0.2 * r2)))
                   WHEN 'wmean' THEN greatest(5, round(size * rate * (0.7 + 0.6 * r2)))
               END AS den,
               base + spread * bias + trend * t / 35.0 AS level
        FROM (
            SELECT m.measure_id, m.kind, m.base, m.spread, m.trend, m.rate,
                   h.unit_id, h.size, h.bias, d.t, d.period_start, d.period_end, d.season,
                   random() AS r1, random() AS r2, random() AS r3, random() AS r_missing
            FROM bench_measure m
            CROSS JOIN bench_hc h
            CROSS JOIN bench_month d
            WHERE (h.valid_from IS NULL OR h.valid_from <= d.period_end)
              AND (h.valid_to IS NULL OR h.valid_to >= d.period_start)
            OFFSET 0
        ) z
        -- About 2 % of reports are missing, so completeness is below 100 %.
        WHERE r_missing >= 0.02
    ) y
) x
"""

# Adoption of every working method by every HC: the earlier a unit's draw, the earlier it got
# there, so adoption grows over the series; 10 % of pairs have no record at all.
_ADOPTION_SQL = """
INSERT INTO {adoption} (unit_id, working_method_id, status, planned_date, actual_date, comment,
                        updated_at)
SELECT unit_id, method_id,
       CASE WHEN r < p * 0.8 THEN done
            WHEN r < p THEN 'pagar'
            WHEN r < p + 0.15 THEN 'planerad'
            ELSE 'ej_paborjad' END,
       CASE WHEN r >= p * 0.8 AND r < p + 0.15 THEN DATE '2025-01-01' + (r2 * 700)::int END,
       CASE WHEN r < p * 0.8 THEN DATE '2023-02-01' + (r / (p * 0.8) * 1030)::int END,
       '',
       TIMESTAMPTZ '2025-12-15 12:00:00+00'
FROM (
    SELECT h.unit_id, m.method_id,
           CASE WHEN m.direction = 'fasa_ut' THEN 'utfasat' ELSE 'infort' END AS done,
           least(0.97, greatest(0.05, m.progress + 0.1 * h.bias)) AS p,
           random() AS r, random() AS r2, random() AS r_skip
    FROM bench_hc h CROSS JOIN bench_method m
    OFFSET 0
) z
WHERE r_skip >= 0.1
"""


def _load_observations(
    tree: _Tree, measures: dict[str, Measure], rng: random.Random, seed: int
) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_hc (unit_id bigint, size int, bias float8,"
            " valid_from date, valid_to date) ON COMMIT DROP"
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_measure (measure_id bigint, kind text, base float8,"
            " spread float8, trend float8, rate float8) ON COMMIT DROP"
        )
        cursor.execute(
            "CREATE TEMP TABLE bench_month ON COMMIT DROP AS"
            " SELECT t, period_start::date AS period_start,"
            " (period_start + interval '1 month' - interval '1 day')::date AS period_end,"
            " sin(2 * pi() * (extract(month FROM period_start) - 1) / 12) AS season"
            " FROM (SELECT t, %s::date + t * interval '1 month' AS period_start"
            "       FROM generate_series(0, %s - 1) AS t) s",
            [FIRST_MONTH, MONTHS],
        )
    _copy(
        "bench_hc",
        ("unit_id", "size", "bias", "valid_from", "valid_to"),
        [
            # Listed patients per HC: log-normal around 8,000, as Swedish HCs vary.
            (hc.id, min(40_000, max(1_500, int(rng.lognormvariate(math.log(8_000), 0.5)))),
             rng.gauss(0, 1), hc.valid_from, hc.valid_to)
            for hc in tree.health_centres
        ],
    )  # fmt: skip
    _copy(
        "bench_measure",
        ("measure_id", "kind", "base", "spread", "trend", "rate"),
        [(measures[s.code].pk, s.kind, s.base, s.spread, s.trend, s.rate) for s in MEASURES],
    )
    with connection.cursor() as cursor:
        # setseed makes random() repeatable, so a scale is the same data on every run.
        cursor.execute("SELECT setseed(%s)", [(seed % 1000) / 1000])
        cursor.execute(_OBSERVATIONS_SQL.format(obs=Observation._meta.db_table))
        return cursor.rowcount


def _load_adoption(methods: list[WorkingMethod]) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bench_method (method_id bigint, progress float8, direction text)"
            " ON COMMIT DROP"
        )
    progress = {code: share for code, _, _, share in METHODS}
    _copy(
        "bench_method",
        ("method_id", "progress", "direction"),
        [(m.pk, progress[m.code], m.direction) for m in methods],
    )
    with connection.cursor() as cursor:
        cursor.execute(_ADOPTION_SQL.format(adoption=AdoptionRecord._meta.db_table))
        return cursor.rowcount


def _measure_goal(
    spec: MeasureSpec, measure: Measure, area: ProgrammeArea, code: str, order: int
) -> Goal:
    target_offset, relative = next((t, r) for c, t, r in _MEASURE_GOALS if c == spec.code)
    level = (spec.base + spec.trend) * (100 if spec.kind == "ratio" else 1)
    improvement = "lower" if spec.improvement == "lower" else "higher"
    sign = -1 if improvement == "lower" else 1
    return Goal(
        programme_area=area,
        code=code,
        title=f"{spec.name}: mål",
        kind=Goal.Kind.MEASURE,
        start_date=FIRST_MONTH,
        deadline=datetime.date(2025, 12, 31),
        order=order,
        measure=measure,
        improvement=improvement,
        target_value=None
        if target_offset is None
        else Decimal(str(round(level + sign * target_offset, 2))),
        relative_change_pct=None if relative is None else Decimal(str(relative)),
        baseline_start=None if relative is None else datetime.date(2023, 1, 1),
        baseline_end=None if relative is None else datetime.date(2023, 12, 31),
    )


def _load_programme_and_goals(
    regions: list[_UnitRow], kinds: dict[str, UnitKind], measures: dict[str, Measure]
) -> dict[str, int]:
    """A shared phase with the working methods, then a phase with goals per region."""
    hc_kind = kinds["halsocentral"]
    shared = Phase.objects.bulk_create(
        [
            Phase(
                code="fas-gemensam",
                name="Fas 2 (gemensam)",
                start_date=FIRST_MONTH,
                end_date=datetime.date(2027, 12, 31),
            )
        ]
    )[0]
    shared_area = ProgrammeArea.objects.bulk_create(
        [
            ProgrammeArea(
                phase=shared, number=1, name="Gemensamma arbetssätt", start_date=FIRST_MONTH
            )
        ]
    )[0]
    methods = WorkingMethod.objects.bulk_create(
        [
            WorkingMethod(code=code, name=name, direction=direction, programme_area=shared_area)
            for code, name, direction, _ in METHODS
        ]
    )
    WorkingMethod.target_unit_kinds.through.objects.bulk_create(
        [
            WorkingMethod.target_unit_kinds.through(workingmethod_id=m.pk, unitkind_id=hc_kind.pk)
            for m in methods
        ]
    )
    phases = Phase.objects.bulk_create(
        [
            Phase(
                code=f"fas-{r.code.lower()}",
                name=f"Fas 2 {r.name}",
                start_date=FIRST_MONTH,
                end_date=datetime.date(2027, 12, 31),
                organisation_unit_id=r.id,
            )
            for r in regions
        ]
    )
    areas = ProgrammeArea.objects.bulk_create(
        [ProgrammeArea(phase=p, number=1, name="Nära vård", start_date=FIRST_MONTH) for p in phases]
    )

    def adoption(area: ProgrammeArea, code: str, method: WorkingMethod, **fields: Any) -> Goal:
        return Goal(
            programme_area=area,
            code=code,
            title=f"{method.name} införs",
            kind=Goal.Kind.ADOPTION,
            working_method=method,
            unit_kind=hc_kind,
            start_date=FIRST_MONTH,
            **fields,
        )

    final = datetime.date(2025, 12, 31)
    goals: list[Goal] = [
        adoption(shared_area, f"gem-{m.code}", m, deadline=final, target_share=Decimal(75))
        for m in methods
    ]
    specs = {s.code: s for s in MEASURES}
    for region, area in zip(regions, areas, strict=True):
        prefix = region.code.lower()
        goals += [
            adoption(area, f"{prefix}-{m.code}", m, deadline=final, target_share=Decimal(80))
            for m in methods
        ]
        goals += [
            _measure_goal(specs[code], measures[code], area, f"{prefix}-matt-{code}", i)
            for i, (code, _, _) in enumerate(_MEASURE_GOALS)
        ]
        goals += [
            Goal(
                programme_area=area,
                code=f"{prefix}-leverans-{i}",
                title=f"Leverans {i}",
                kind=Goal.Kind.DELIVERABLE,
                deadline=datetime.date(2025, 6, 30),
                completed_on=datetime.date(2024, 5, 1) if i == 1 else None,
            )
            for i in (1, 2)
        ]
        goals.append(
            Goal(
                programme_area=area,
                code=f"{prefix}-inriktning",
                title="Inriktning nära vård",
                kind=Goal.Kind.DIRECTION,
            )
        )
    goals = Goal.objects.bulk_create(goals)
    # Two milestones (delmål) per regional adoption goal, with earlier deadlines and targets.
    milestones = [
        Goal(
            programme_area_id=g.programme_area_id,
            parent=g,
            code=f"{g.code}-d{i}",
            title=f"{g.title}, delmål {i}",
            kind=Goal.Kind.ADOPTION,
            working_method_id=g.working_method_id,
            unit_kind=hc_kind,
            start_date=FIRST_MONTH,
            deadline=deadline,
            target_share=Decimal(share),
        )
        for g in goals
        if g.kind == Goal.Kind.ADOPTION and not g.code.startswith("gem-")
        for i, (deadline, share) in enumerate(
            ((datetime.date(2024, 6, 30), 30), (datetime.date(2025, 6, 30), 55)), start=1
        )
    ]
    milestones = Goal.objects.bulk_create(milestones)
    assessments = _assessments(goals)
    return {
        "working_methods": len(methods),
        "goals": len(goals) + len(milestones),
        "assessments": assessments,
        "adoption_records": _load_adoption(methods),
    }


def _assessments(goals: list[Goal]) -> int:
    """Quarterly judgements of the direction goals and of every fifth other goal."""
    author = User(username="bench", first_name="Bench")
    author.set_unusable_password()
    author = User.objects.bulk_create([author])[0]
    quarters = [f"{year}Q{n}" for year in (2023, 2024, 2025) for n in (1, 2, 3, 4)]
    rows = [
        Assessment(
            goal=g,
            quarter=quarter,
            status="enligt_plan" if i % 3 else "risk",
            comment="Bedömning från benchmarkdata.",
            author=author,
        )
        for g in goals
        if g.kind == Goal.Kind.DIRECTION or g.pk % 5 == 0
        for i, quarter in enumerate(quarters if g.kind == Goal.Kind.DIRECTION else quarters[-2:])
    ]
    return len(Assessment.objects.bulk_create(rows, batch_size=2000))


@transaction.atomic
def _generate(scale: Scale, seed: int) -> dict[str, int]:
    rng = random.Random(seed)
    kinds = {
        k.code: k
        for k in UnitKind.objects.bulk_create(
            [UnitKind(code=c, name=n, name_plural=p) for c, n, p in _KINDS]
        )
    }
    tree = _build_tree(scale)
    _load_units(tree, kinds)
    closure_rows = unit_tree_rebuild()
    measures = {
        m.code: m
        for m in Measure.objects.bulk_create(
            [
                Measure(
                    code=s.code,
                    name=s.name,
                    unit=s.unit,
                    value_type=s.value_type,
                    improvement=s.improvement,
                    aggregation=s.aggregation,
                    source=Measure.Source.CYKLOP,
                )
                for s in MEASURES
            ]
        )
    }
    Measure.unit_kinds.through.objects.bulk_create(
        [
            Measure.unit_kinds.through(measure_id=m.pk, unitkind_id=kinds["halsocentral"].pk)
            for m in measures.values()
        ]
    )
    observations = _load_observations(tree, measures, rng, seed)
    regions = [r for r in tree.rows if r.kind == "region"]
    counts = _load_programme_and_goals(regions, kinds, measures)
    return {
        "regions": len(regions),
        "units": len(tree.rows),
        "health_centres": len(tree.health_centres),
        "closure_rows": closure_rows,
        "measures": len(measures),
        "months": MONTHS,
        "observations": observations,
        **counts,
    }


def generate(scale: Scale, *, seed: int = DEFAULT_SEED) -> dict[str, int]:
    """Load one scale into an empty, migrated database and ANALYZE it; returns row counts."""
    counts = _generate(scale, seed)
    with connection.cursor() as cursor:
        # Fresh statistics so the planner sees the real sizes, as autovacuum would give it.
        cursor.execute("ANALYZE")
    return counts
