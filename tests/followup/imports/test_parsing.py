"""The parsers alone: header names, CSV dialects, and hypothesis properties of the number and
period parsers (every accepted spelling round-trips; nothing else is accepted silently)."""

from __future__ import annotations

import datetime
import re
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from base import periods
from followup.imports import parsing
from followup.imports.parsing import CellError, FileRefused, parse_number, parse_period

# --- numbers ----------------------------------------------------------------------------------

decimals = st.decimals(
    min_value=Decimal("-999999999"), max_value=Decimal("999999999"), places=4
).map(lambda d: d.normalize() if d == d.to_integral() else d)
GROUP_SEPARATORS = (" ", "\u00a0", "\u202f")


def grouped(digits: str, separator: str) -> str:
    """1234567 -> 1 234 567."""
    head = len(digits) % 3 or 3
    return separator.join([digits[:head]] + re.findall(r"\d{3}", digits[head:]))


def spellings_of(value: Decimal) -> list[str]:
    """Every way the importer promises to read the number."""
    signs = ["-", "\u2212"] if value < 0 else ["", "+"]  # "+40", as a change is written
    integer, _, fraction = format(abs(value), "f").partition(".")
    out = []
    for sign in signs:
        for decimal_mark in (",", "."):
            tail = f"{decimal_mark}{fraction}" if fraction else ""
            out.append(f"{sign}{integer}{tail}")
            out.extend(f"{sign}{grouped(integer, sep)}{tail}" for sep in GROUP_SEPARATORS)
    return out


@given(decimals)
def test_every_spelling_of_a_number_reads_as_that_number(value: Decimal) -> None:
    for spelling in spellings_of(value):
        assert parse_number(spelling).value == value, spelling
        assert parse_number(spelling).percent is False
        assert parse_number(f"{spelling} %") == parsing.Number(value, percent=True)
        assert parse_number(f"{spelling}%").percent is True


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_xlsx_integer_cells_are_read_as_they_are(value: int) -> None:
    assert parse_number(value).value == value


@given(st.floats(min_value=-1e9, max_value=1e9, allow_nan=False))
def test_xlsx_float_cells_are_read_as_their_shortest_decimal(value: float) -> None:
    assert float(parse_number(value).value) == value


@given(st.text(alphabet="0123456789 ,.%-+\u00a0eE", max_size=12))
@example("1.234,5")
@example("1,234.5")
@example("1 23")
@example("12,")
@example(",5")
@example("--1")
@example("1e5")
@example("+5")
@example("+-5")
@example("-+5")
@example("++5")
@example("+ 5")
@example("1 234 5")
@example("%")
def test_a_number_is_accepted_only_in_a_promised_spelling(text: str) -> None:
    try:
        number = parse_number(text)
    except CellError:
        return
    stripped = text.strip(" \u00a0\u202f\t")
    body = re.sub(r"[ \u00a0\u202f]?%$", "", stripped) if number.percent else stripped
    # Written out again from its digits, the accepted text is the number it was read as.
    plain = re.sub(r"[ \u00a0\u202f]", "", body).replace(",", ".")
    assert Decimal(plain) == number.value
    assert re.fullmatch(r"[-+]?(\d{1,3}([ \u00a0\u202f]\d{3})+|\d+)([.,]\d+)?", body), body


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("+40", Decimal(40)),
        ("+12,5", Decimal("12.5")),
        ("+1 234", Decimal(1234)),
        ("+0", Decimal(0)),
    ],
)
def test_a_leading_plus_is_read_as_the_number(text: str, value: Decimal) -> None:
    assert parse_number(text) == parsing.Number(value)
    assert parse_number(f"{text} %") == parsing.Number(value, percent=True)


@pytest.mark.parametrize(
    "text", ["tolv", "", "12 %%", "1.234,5", "1,234.5", "1 23", "1e5", "+-5", "++5", "+ 5", "+"]
)
def test_text_that_is_no_number_is_refused(text: str) -> None:
    with pytest.raises(CellError, match="är inte ett tal"):
        parse_number(text)


# --- periods ----------------------------------------------------------------------------------

MONTHS = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)  # fmt: skip
SHORT = ("jan", "feb", "mar", "apr", "maj", "jun", "jul", "aug", "sep", "okt", "nov", "dec")
years = st.integers(min_value=periods.FIRST_YEAR, max_value=periods.LAST_YEAR)


def month_spellings(year: int, month: int) -> list[str]:
    short, name = SHORT[month - 1], MONTHS[month - 1]
    spellings = [
        f"{year}-{month:02d}",
        f"{year}{month:02d}",
        f"{year}-{month:02d}-01",
        f"{short} {year}",
        f"{name} {year}",
        f"{short.capitalize()} {year}",
        f"{name.upper()} {year}",
        # As Excel on a Swedish Windows saves "2026-11" it took for a date (mmm-åå).
        f"{short}-{year}",
        f"{name.capitalize()}-{year}",
    ]
    if year < parsing.CENTURY + 100:  # a two-digit year is 20xx
        spellings += [f"{short}-{year % 100:02d}", f"{name.upper()}-{year % 100:02d}"]
    return spellings


def month_spellings_promised(year: int, month: int) -> set[str]:
    """Every spelling the parser promises for the month, in lower case: the above, and a
    month's name with a point after it, with a four-digit year after a space or a hyphen or a
    two-digit one (20xx) after a hyphen only ("nov 26" could be 26 November)."""
    promised = {spelling.casefold() for spelling in month_spellings(year, month)}
    names = {SHORT[month - 1], MONTHS[month - 1]}
    years = [f" {year}", f"-{year}"]
    if year < parsing.CENTURY + 100:
        years.append(f"-{year % 100:02d}")
    return promised | {
        f"{name}{point}{end}" for name in names for point in ("", ".") for end in years
    }


def quarter_spellings(year: int, number: int) -> list[str]:
    return [
        f"{year}Q{number}",
        f"{year}-Q{number}",
        f"{year}q{number}",
        f"Kv {number} {year}",
        f"Kv{number} {year}",
        f"kv {number} {year}",
        f"{year} kv {number}",
        f"{year} Kv{number}",
        # The common Swedish spellings of BI exports and reports.
        f"K{number} {year}",
        f"Kvartal {number} {year}",
        f"kvartal {number} {year}",
        f"{year}-K{number}",
        f"{year} K{number}",
    ]


QUARTER_WORDS = ("k", "kv", "kvartal")


def quarter_spellings_promised(year: int, number: int) -> set[str]:
    """Every spelling the parser promises for the quarter, in lower case: 2025q4 and 2025-q4;
    k, kv or kvartal, maybe a space, the number, a space and the year; or the year, a space or
    a hyphen, k, kv or kvartal, maybe a space, and the number."""
    promised = {f"{year}q{number}", f"{year}-q{number}"}
    for word in QUARTER_WORDS:
        for space in ("", " "):
            promised.add(f"{word}{space}{number} {year}")
            promised |= {f"{year}{sep}{word}{space}{number}" for sep in (" ", "-")}
    return promised


@given(years, st.integers(min_value=1, max_value=12))
def test_every_spelling_of_a_month_reads_as_that_month(year: int, month: int) -> None:
    """Among them the two-digit year Excel writes: "nov-26" is November 2026 (20xx)."""
    start = datetime.date(year, month, 1)
    for spelling in month_spellings(year, month):
        period = parse_period(spelling)
        assert (period.kind, period.start) == ("month", start), spelling
        assert period.end.month == month
        assert (period.end + datetime.timedelta(days=1)).day == 1


@given(st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2100, 12, 31)))
def test_an_xlsx_date_cell_is_its_month(day: datetime.date) -> None:
    period = parse_period(day)
    assert (period.kind, period.start) == ("month", day.replace(day=1))
    assert parse_period(datetime.datetime(day.year, day.month, day.day, 13, 5)) == period


@given(years, st.integers(min_value=1, max_value=4))
def test_every_spelling_of_a_quarter_reads_as_that_quarter(year: int, number: int) -> None:
    for spelling in quarter_spellings(year, number):
        period = parse_period(spelling)
        assert period.kind == "quarter", spelling
        assert period.start == datetime.date(year, 3 * number - 2, 1)
        assert period.end.month == 3 * number
        assert spelling.casefold() in quarter_spellings_promised(year, number)


QUARTER_NEAR_MISSES = [
    "K5 2025", "K0 2025", "Kvartal 0 2025", "Kvartal 5 2025", "kvart 4 2025", "kvartalet 4 2025",
    "2025K4", "2025kvartal4", "2025-K5", "K4-2025", "K42025", "Kvartal 4 25", "K4 25",
    "4 K 2025", "K 4  2025x", "Q4 2025", "2025 - K4", "K4 2025 K4", "KK4 2025", "2025--K4",
]  # fmt: skip


@pytest.mark.parametrize("text", QUARTER_NEAR_MISSES)
def test_a_near_miss_of_a_quarter_is_refused(text: str) -> None:
    with pytest.raises(CellError, match="är ingen period"):
        parse_period(text)


@given(st.text(alphabet="0123456789 -QqKkvl/.decjanmrsoktu", max_size=14))
@example("2025-13")
@example("2025Q5")
@example("Kv 0 2025")
@example("2025-12-15")
@example("12/2025")
@example("dec. 2025 ")
@example("1999-12")
@example("2025 - 12")
@example("nov-25")
@example("nov 25")
@example("nov-025")
@example("nov--25")
@example("sep.-25")
@example("25-nov")
@example("nov-2025-01")
@example("kvartal 4 2025")
@example("2025 kvartal4")
@example("2025k4")
@example("k 4 2025")
def test_a_period_is_accepted_only_in_a_promised_spelling(text: str) -> None:
    try:
        period = parse_period(text)
    except CellError:
        return
    normal = re.sub(r"\s+", " ", text.strip()).casefold()
    year = period.start.year
    if period.kind == "month":
        promised = month_spellings_promised(year, period.start.month)
    else:
        promised = quarter_spellings_promised(year, (period.start.month + 2) // 3)
    assert normal in promised


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2025-13", "är ingen period"),
        ("12/2025", "är ingen period"),
        ("2025-12-15", "inte den första dagen"),
        ("1999-12", "utanför åren 2000–2100"),
        ("", "är ingen period"),
        ("nov 25", "är ingen period"),
        ("25-nov", "är ingen period"),
        ("nov-5", "är ingen period"),
        ("nov-025", "är ingen period"),
        ("nov/25", "är ingen period"),
    ],
)
def test_text_that_is_no_period_is_refused_with_the_reason(text: str, message: str) -> None:
    with pytest.raises(CellError, match=message):
        parse_period(text)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("December 2999", "Perioden ”December 2999” ligger utanför åren 2000–2100."),
        (" KV 4 1999\u00a0", "Perioden ”KV 4 1999” ligger utanför åren 2000–2100."),
        ("1999Q4", "Perioden ”1999Q4” ligger utanför åren 2000–2100."),
        ("Dec  2101", "Perioden ”Dec  2101” ligger utanför åren 2000–2100."),
        ("2025-12-15\t", "”2025-12-15” är inte den första dagen i en månad"),
        ("Kvartal 9 2026", "”Kvartal 9 2026” är ingen period"),
    ],
)
def test_a_refused_period_is_quoted_as_the_user_wrote_it_only_trimmed(
    text: str, message: str
) -> None:
    with pytest.raises(CellError) as refused:
        parse_period(text)
    assert str(refused.value).startswith(message)


# --- headers and files ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Enhet", "unit"), ("ENHETSKOD", "unit"), ("enhet kod", "unit"), ("enhet_kod", "unit"),
        ("Kod", "unit"), ("HSA-id", "unit"), ("hsa id", "unit"), ("Mått", "measure"),
        ("MATT", "measure"), ("måttkod", "measure"), ("Mått-kod", "measure"),
        ("Indikator", "measure"), ("Period", "period"), ("Månad", "period"),
        ("kvartal", "period"), ("Värde", "value"), ("Utfall", "value"), ("Täljare", "numerator"),
        ("NÄMNARE", "denominator"), (" Kommentar ", "comment"),
    ],
)  # fmt: skip
def test_header_names_match_whatever_their_case_accents_and_separators(name: str, key: str) -> None:
    others = {"unit": "enhet", "measure": "mått", "period": "period", "value": "värde"}
    cells = [name] + [text for column, text in others.items() if column != key]
    assert parsing.header_match(cells).positions[key] == 0


def test_unknown_header_names_are_ignored_and_listed() -> None:
    header = parsing.header_match(["Anteckning", "enhet", "mått", "period", "värde", ""])
    assert header.ignored == ("Anteckning",)


def test_the_templates_own_helper_columns_are_ignored_but_not_listed() -> None:
    header = parsing.header_match([*parsing.TEMPLATE_HEADER, "Egen"])
    assert header.ignored == ("Egen",)
    assert "enhetsnamn" not in header.positions.values()
    assert sorted(header.positions) == sorted(
        ["unit", "measure", "period", "value", "numerator", "denominator", "comment"]
    )
    # Written otherwise (as Excel may capitalise them), they are still the template's.
    assert parsing.header_match(["Enhet", "Enhetsnamn", "Mått", "Period", "Värde"]).ignored == ()


@pytest.mark.parametrize(
    ("content", "delimiter", "encoding"),
    [
        ("enhet;mått;period;värde\r\nA;b;2025-12;1,5\r\n".encode("cp1252"), ";", "cp1252"),
        ('\ufeffenhet,mått,period,värde\nA,b,2025-12,"1,5"\n'.encode(), ",", "utf-8-sig"),
        ("enhet\tmått\tperiod\tvärde\nA\tb\t2025-12\t1,5\n".encode(), "\t", "utf-8-sig"),
    ],
)  # fmt: skip
def test_csv_separator_and_encoding_are_detected(
    tmp_path: Path, content: bytes, delimiter: str, encoding: str
) -> None:
    path = tmp_path / "export.csv"
    path.write_bytes(content)
    table = parsing.open_table(path)
    assert (table.kind, table.delimiter, table.encoding) == ("csv", delimiter, encoding)
    assert table.header == ["enhet", "mått", "period", "värde"]
    assert list(table.rows) == [(2, ["A", "b", "2025-12", "1,5"])]


def test_a_file_is_judged_by_its_content_not_its_name(tmp_path: Path) -> None:
    path = tmp_path / "values.xlsx"
    path.write_text("enhet;mått;period;värde\nA;b;2025-12;1\n", encoding="utf-8")
    assert parsing.open_table(path).kind == "csv"
    image = tmp_path / "values.csv"
    image.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    with pytest.raises(FileRefused, match="varken en CSV-fil eller en Excel-fil"):
        parsing.open_table(image)
