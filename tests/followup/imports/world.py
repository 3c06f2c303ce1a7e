"""The world the import corpus names: the small org tree, four measures, a closed unit."""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth.models import User

from base.periods import Quarter
from followup.models import ImportBatch, Measure, Observation
from organisation.models import Unit, UnitKind
from tests.factories import MeasureFactory, OrgTree, UnitFactory, UnitKindFactory
from tests.followup.imports.corpus import HSA_HC1A, Case

# A file as Excel saves a CSV (cp1252, semicolons, CRLF, Swedish periods and decimal commas).
EXCEL_CSV = (
    "Enhet;Mått;Period;Värde;Kommentar\r\n"
    "HC1A;antal;dec 2025;45;Räknat\r\n"
    "HC1A;index;Kv 4 2025;71,5;\r\n"
)


@dataclass(frozen=True)
class CorpusWorld:
    tree: OrgTree
    share: Measure  # andel: monthly share
    count: Measure  # antal: monthly count, reported by health centres only
    index: Measure  # index: quarterly index
    mean: Measure  # medel: monthly mean
    closed: Unit  # HC-STANGD, closed at the end of 2024
    clinic: Unit  # MOTT1, a mottagning: a kind that does not report `antal`
    users: dict[str, User]


def corpus_world_create(org_tree: OrgTree, users: dict[str, User]) -> CorpusWorld:
    """Units, measures and users of the corpus files (HC1A has a fictitious HSA-id)."""
    Unit.objects.filter(pk=org_tree.hc1a.pk).update(hsa_id=HSA_HC1A)
    count = MeasureFactory(code="antal", name="Antal frigjorda tider")
    count.unit_kinds.set([UnitKind.objects.get(code="halsocentral")])
    return CorpusWorld(
        tree=org_tree,
        share=MeasureFactory(code="andel", name="Andel rätt hjälp", share=True),
        count=count,
        index=MeasureFactory(
            code="index",
            name="Arbetsmiljöindex",
            unit="",
            value_type=Measure.ValueType.INDEX,
            aggregation=Measure.Aggregation.WEIGHTED_MEAN,
            frequency=Measure.Frequency.QUARTERLY,
        ),
        mean=MeasureFactory(
            code="medel",
            name="Väntetid",
            unit="dagar",
            value_type=Measure.ValueType.MEAN,
            aggregation=Measure.Aggregation.WEIGHTED_MEAN,
        ),
        closed=UnitFactory(
            code="HC-STANGD",
            name="Hälsocentral Stängd",
            parent=org_tree.vo1,
            valid_to=datetime.date(2024, 12, 31),
        ),
        clinic=UnitFactory(
            code="MOTT1",
            name="Mottagning Ett",
            parent=org_tree.area,
            kind=UnitKindFactory(code="mottagning", name="Mottagning"),
        ),
        users=users,
    )


def corpus_before_store(case: Case) -> None:
    """The values a corpus case has stored before its file is imported (reported by hand)."""
    for before in case.before:
        measure = Measure.objects.get(code=before.measure)
        start = datetime.date.fromisoformat(before.period_start)
        if measure.frequency == Measure.Frequency.QUARTERLY:
            end = Quarter.containing(start).end
        else:
            end = start.replace(day=calendar.monthrange(start.year, start.month)[1])
        Observation.objects.create(
            measure=measure,
            unit=Unit.objects.get(code=before.unit),
            period_start=start,
            period_end=end,
            value=Decimal(before.value),
            numerator=None if before.numerator is None else Decimal(before.numerator),
            denominator=None if before.denominator is None else Decimal(before.denominator),
            comment=before.comment,
            source=ImportBatch.Source.MANUAL,
        )
