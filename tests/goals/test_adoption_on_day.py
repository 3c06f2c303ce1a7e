"""A record as it stood on a past day (goals.selectors.adoption_on), as the pages say it."""

from __future__ import annotations

import datetime

from goals.models import AdoptionRecord
from goals.selectors import adoption_on

QUARTER_END = datetime.date(2025, 12, 31)
LATER = datetime.date(2026, 5, 21)


def _record(
    status: str, planned: datetime.date | None, actual: datetime.date | None
) -> AdoptionRecord:
    return AdoptionRecord(status=status, planned_date=planned, actual_date=actual)


def test_introduced_later_without_a_planned_date_was_not_introduced_on_the_day() -> None:
    cell = adoption_on(_record(AdoptionRecord.Status.ADOPTED, None, LATER), day=QUARTER_END)
    assert cell is not None
    assert cell.status_label == "Ej infört"
    assert cell.done_later == LATER
    assert cell.due is None  # not "planerat 21 maj 2026": it was never planned for that day
    assert cell.done_on is None
    assert cell.status == AdoptionRecord.Status.NOT_STARTED


def test_phased_out_later_without_a_planned_date_was_not_phased_out_on_the_day() -> None:
    cell = adoption_on(_record(AdoptionRecord.Status.PHASED_OUT, None, LATER), day=QUARTER_END)
    assert cell is not None
    assert cell.status_label == "Ej utfasat"
    assert cell.phased_out
    assert cell.done_later == LATER


def test_introduced_later_with_a_planned_date_was_planned_for_that_date() -> None:
    planned = datetime.date(2026, 3, 8)
    cell = adoption_on(_record(AdoptionRecord.Status.ADOPTED, planned, LATER), day=QUARTER_END)
    assert cell is not None
    assert cell.status_label == "Planerat"
    assert cell.due == planned
    assert cell.done_later is None


def test_introduced_by_the_day_is_introduced_with_its_date() -> None:
    done = datetime.date(2025, 9, 1)
    cell = adoption_on(_record(AdoptionRecord.Status.ADOPTED, None, done), day=QUARTER_END)
    assert cell is not None
    assert cell.status_label == "Infört"
    assert cell.done_on == done
    assert cell.done_later is None
