"""Quarters as users write and read them."""

import datetime

import pytest

from base.periods import (
    InvalidQuarter,
    Quarter,
    days_label,
    month_label,
    quarter_range,
    quarters_label,
)


@pytest.mark.parametrize("text", ["2025Q4", "2025-Q4", "2025q4", "2025K4", " 2025 Kv 4 "])
def test_a_quarter_is_read_in_the_forms_people_write(text):
    assert Quarter.parse(text) == Quarter(2025, 4)


@pytest.mark.parametrize("text", ["2025Q5", "2025", "Q4", "", "fjärde kvartalet"])
def test_anything_else_is_refused_with_a_swedish_message(text):
    with pytest.raises(InvalidQuarter, match="skriv till exempel 2025Q4"):
        Quarter.parse(text)


def test_a_quarter_knows_its_days_neighbours_and_labels():
    q = Quarter(2025, 4)
    assert (q.start, q.end) == (datetime.date(2025, 10, 1), datetime.date(2025, 12, 31))
    assert (q.label, q.code) == ("Kv 4 2025", "2025Q4")
    assert q.next() == Quarter(2026, 1)
    assert q.previous() == Quarter(2025, 3)
    assert Quarter(2025, 1).previous() == Quarter(2024, 4)
    assert q.year_before() == Quarter(2024, 4)
    assert Quarter.containing(datetime.date(2026, 2, 28)) == Quarter(2026, 1)


def test_a_range_of_quarters_is_inclusive_and_ordered():
    assert quarter_range(Quarter(2025, 3), Quarter(2026, 1)) == [
        Quarter(2025, 3),
        Quarter(2025, 4),
        Quarter(2026, 1),
    ]


def test_months_are_labelled_as_the_plan_writes_them():
    assert month_label(datetime.date(2025, 12, 31)) == "dec 2025"
    assert month_label(datetime.date(2027, 5, 1)) == "maj 2027"


@pytest.mark.parametrize(
    ("start", "end", "label"),
    [
        (datetime.date(2026, 7, 1), datetime.date(2026, 9, 30), "1 jul–30 sep 2026"),
        (datetime.date(2026, 7, 1), datetime.date(2026, 7, 15), "1–15 jul 2026"),
        (datetime.date(2025, 12, 1), datetime.date(2026, 1, 31), "1 dec 2025 – 31 jan 2026"),
        (datetime.date(2025, 12, 31), datetime.date(2025, 12, 31), "31 dec 2025"),
    ],
)
def test_a_range_of_days_names_the_year_once_and_the_month_once_where_they_are_the_same(
    start: datetime.date, end: datetime.date, label: str
) -> None:
    assert days_label(start, end) == label


@pytest.mark.parametrize(
    ("first", "last", "label"),
    [
        ("2025Q1", "2025Q3", "Kv 1–3 2025"),
        ("2025Q4", "2026Q2", "Kv 4 2025 – Kv 2 2026"),
        ("2025Q4", "2025Q4", "Kv 4 2025"),
    ],
)
def test_a_range_of_quarters_names_the_year_once_where_it_is_the_same(
    first: str, last: str, label: str
) -> None:
    assert quarters_label(first, last) == label
