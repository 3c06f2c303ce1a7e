"""Reading measure-value files (CSV or XLSX) into rows of raw cells, and parsing their cells.

Pure functions with no database access. The file is streamed: a CSV is decoded line by line
and an XLSX read with openpyxl's read-only mode, so only the rows the caller keeps are held in
memory. Every failure is a FileRefused (the whole file) or a CellError (one cell), each with a
Swedish message.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import IO, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from base.formatting import format_number
from base.periods import FIRST_YEAR, LAST_YEAR, MONTHS_SV

from .. import value_rules

logger = logging.getLogger(__name__)

# --- messages (the tests import them) ---------------------------------------------------------

ERROR_EMPTY_FILE = gettext_noop("Filen är tom.")
ERROR_NOT_CSV_OR_XLSX = gettext_noop(
    "Filen är varken en CSV-fil eller en Excel-fil (XLSX), vad dess namn än säger. "
    "Spara den som CSV eller XLSX och försök igen."
)
# Never with the library's own (English) words: they are logged instead.
ERROR_XLSX_UNREADABLE = gettext_noop(
    "Excel-filen kunde inte läsas. Öppna den i Excel, spara den som Excel-arbetsbok (XLSX) och "
    "försök igen."
)
ERROR_SHEET_MISSING = gettext_noop("Bladet ”{sheet}” finns inte i filen. Bladen heter: {sheets}.")
ERROR_NO_HEADER = gettext_noop("Filen har ingen rubrikrad.")
ERROR_COLUMN_MISSING = gettext_noop("Kolumnen ”{column}” saknas (godtagbara namn: {names}).")
ERROR_VALUE_COLUMN_MISSING = gettext_noop(
    "Kolumnen ”värde” saknas, och värdet kan inte räknas fram utan både ”täljare” och "
    "”nämnare” (godtagbara namn för värdet: {names})."
)
ERROR_COLUMN_TWICE = gettext_noop(
    "Kolumnen ”{column}” finns två gånger i rubrikraden ({first} och {second})."
)
# After a missing column: what the file's header row does have, so the user sees which of
# their columns was meant ("År/mån" for the period) and can rename it.
ERROR_COLUMNS_PRESENT = gettext_noop("Filen har kolumnerna: {columns}.")
# After a column given twice: the remedy. A column whose name the importer does not know is
# skipped, so renaming the one not meant (the unit's name beside its HSA-id) is enough.
REMEDY_COLUMN_TWICE = gettext_noop(
    "Byt namn på den ena (t.ex. {example}: kolumner med namn som importen inte känner igen "
    "hoppas över) eller ta bort den."
)
REMEDY_COLUMN_TWICE_PLAIN = gettext_noop(
    "Byt namn på den ena (kolumner med namn som importen inte känner igen hoppas över) eller "
    "ta bort den."
)
# {thousands}: "1 234" as the pages write it, with a no-break space, so the example never
# breaks over two lines ("1" / "234") in a narrow cell (not_a_number_message).
ERROR_NOT_A_NUMBER = gettext_noop(
    "”{text}” är inte ett tal; skriv till exempel 12,5 eller {thousands}."
)
# Where only a whole number will do (a count's value): no example the next check refuses.
ERROR_NOT_A_WHOLE_NUMBER = gettext_noop(
    "”{text}” är inte ett tal; skriv ett heltal, till exempel 12 eller {thousands}."
)
# Every writer's limit (a stored value is numeric(16, 4)), in the app's words, not Django's
# "Säkerställ att det inte är mer än 12 siffror före decimalavskiljaren."
ERROR_TOO_LARGE = gettext_noop("Talet {value} är för stort: högst {largest}.")
ERROR_TOO_PRECISE = gettext_noop("Talet {value} har fler än fyra decimaler.")
ERROR_PERIOD_UNREADABLE = gettext_noop(
    "”{text}” är ingen period; skriv en månad som 2025-12 eller dec 2025, "
    "eller ett kvartal som Kv 4 2025 eller 2025Q4."
)
ERROR_PERIOD_NOT_FIRST = gettext_noop(
    "”{text}” är inte den första dagen i en månad; skriv månaden som 2025-12."
)
ERROR_PERIOD_OUT_OF_RANGE = gettext_noop("Perioden ”{text}” ligger utanför åren {first}–{last}.")

# A two-digit year ("nov-26") is in this century: 2000 + the two digits.
CENTURY = 2000


class FileRefused(Exception):
    """The whole file cannot be read (with a Swedish message)."""


class CellError(ValueError):
    """One cell cannot be read (with a Swedish message; `text`, the cell as read)."""

    def __init__(self, message: str, text: object = None) -> None:
        super().__init__(message)
        self.text = text


# --- header matching --------------------------------------------------------------------------


def normalise_header(text: object) -> str:
    """Lower case without accents, spaces, underscores or hyphens: "Mått_kod " -> "mattkod"."""
    decomposed = unicodedata.normalize("NFKD", str(text or ""))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[\s_\-]+", "", plain).casefold()


@dataclass(frozen=True)
class Column:
    """A column the importer understands, its display name and the names it goes by."""

    key: str
    label: str
    names: tuple[str, ...]
    required: bool


COLUMNS = (
    Column("unit", "enhet", ("enhet", "enhetskod", "enhet kod", "kod", "hsa-id"), True),
    Column("measure", "mått", ("mått", "måttkod", "mått kod", "indikator"), True),
    Column("period", "period", ("period", "månad", "kvartal"), True),
    Column("value", "värde", ("värde", "utfall"), False),
    Column("numerator", "täljare", ("täljare",), False),
    Column("denominator", "nämnare", ("nämnare",), False),
    Column("comment", "kommentar", ("kommentar",), False),
)
_BY_NAME = {normalise_header(name): column for column in COLUMNS for name in column.names}
COLUMN_LABELS = {column.key: column.label for column in COLUMNS}


@dataclass(frozen=True)
class Header:
    """Which cell of a row holds which column, and the columns that are ignored."""

    positions: dict[str, int]
    names: dict[str, str]  # column key -> the header text as written in the file
    ignored: tuple[str, ...]


# The downloaded template's columns, defined here once: the template writes this header
# (selectors.import_template_rows, views.import_template) and the importer knows its helper
# columns by it. The helpers are for the reader (the unit's and the measure's names, what to
# fill in); they are not read, and not listed among the "Kolumner som inte läses" either: the
# user did not add them. Like the column names, they are the file format's words (Swedish in
# every language).
TEMPLATE_UNIT_NAME = "enhetsnamn"
TEMPLATE_MEASURE_NAME = "måttnamn"
TEMPLATE_FILL = "fyll i"
TEMPLATE_HELPERS = (TEMPLATE_UNIT_NAME, TEMPLATE_MEASURE_NAME, TEMPLATE_FILL)
TEMPLATE_HEADER = (
    COLUMN_LABELS["unit"], TEMPLATE_UNIT_NAME, COLUMN_LABELS["measure"], TEMPLATE_MEASURE_NAME,
    COLUMN_LABELS["period"], TEMPLATE_FILL, COLUMN_LABELS["value"], COLUMN_LABELS["numerator"],
    COLUMN_LABELS["denominator"], COLUMN_LABELS["comment"],
)  # fmt: skip
TEMPLATE_HELPER_COLUMNS = frozenset(normalise_header(name) for name in TEMPLATE_HELPERS)

# What to rename the second of two unit (or measure) columns to: the template's own name for
# the column it does not read.
_RENAME_EXAMPLES = {
    "unit": TEMPLATE_UNIT_NAME.capitalize(),
    "measure": TEMPLATE_MEASURE_NAME.capitalize(),
}
_COLUMNS_SHOWN = 20


def _columns_text(cells: list[Any]) -> str:
    """The header row's columns as written ("Enhet, Mått, År/mån"), the first 20."""
    texts = [str(cell).strip() for cell in cells if cell is not None and str(cell).strip()]
    shown = ", ".join(texts[:_COLUMNS_SHOWN])
    return shown + (", …" if len(texts) > _COLUMNS_SHOWN else "")


def header_match(cells: list[Any]) -> Header:
    """Match the first row's cells to the known columns; FileRefused when one is missing."""
    positions: dict[str, int] = {}
    names: dict[str, str] = {}
    ignored: list[str] = []
    helpers = False
    for index, cell in enumerate(cells):
        text = "" if cell is None else str(cell).strip()
        if not text:
            continue
        column = _BY_NAME.get(normalise_header(text))
        if column is None:
            if normalise_header(text) in TEMPLATE_HELPER_COLUMNS:
                helpers = True
            else:
                ignored.append(text)
            continue
        if column.key in positions:
            example = _RENAME_EXAMPLES.get(column.key)
            remedy = (
                _(REMEDY_COLUMN_TWICE).format(example=example)
                if example
                else _(REMEDY_COLUMN_TWICE_PLAIN)
            )
            raise FileRefused(
                _(ERROR_COLUMN_TWICE).format(
                    column=column.label, first=names[column.key], second=text
                )
                + " "
                + remedy
            )
        positions[column.key] = index
        names[column.key] = text
    if not positions and not ignored and not helpers:
        raise FileRefused(_(ERROR_NO_HEADER))
    present = " " + _(ERROR_COLUMNS_PRESENT).format(columns=_columns_text(cells))
    for column in COLUMNS:
        if column.required and column.key not in positions:
            raise FileRefused(
                _(ERROR_COLUMN_MISSING).format(column=column.label, names=", ".join(column.names))
                + present
            )
    if "value" not in positions and not {"numerator", "denominator"} <= positions.keys():
        raise FileRefused(
            _(ERROR_VALUE_COLUMN_MISSING).format(names=", ".join(COLUMNS[3].names)) + present
        )
    return Header(positions=positions, names=names, ignored=tuple(ignored))


# --- numbers ----------------------------------------------------------------------------------

# The patterns below are written once and used twice: by these parsers, and by the SQL that
# checks a CSV file on PostgreSQL (followup.imports.sqlcheck). So they keep to what both
# Python's re and PostgreSQL's regular expressions read alike: positional groups, ASCII digits
# spelled [0-9], literal characters in brackets.

# Whitespace as Python's str.strip() and \s know it, spelled out for PostgreSQL.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
_SPACES = " \u00a0\u202f"
# Groups: sign (a minus, or a plus that changes nothing: "+40" as a change is written),
# integer part (thousands maybe separated), fraction, trailing percent.
NUMBER_PATTERN = (
    f"^([-\u2212+]?)([0-9]{{1,3}}(?:[{_SPACES}][0-9]{{3}})+|[0-9]+)"
    f"(?:[.,]([0-9]+))?([{_SPACES}]?%)?$"
)
_NUMBER_RE = re.compile(NUMBER_PATTERN)
# The common case, which the SQL checks read without NUMBER_PATTERN's groups (slow to capture):
# every text it matches, NUMBER_PATTERN matches as digits, maybe a decimal mark and digits.
PLAIN_NUMBER_PATTERN = "^[0-9]+(?:[.,][0-9]+)?$"
SPACES_PATTERN = f"[{_SPACES}]"
MAX_VALUE = Decimal("1e12")  # no number this large is read
# How far a share's value may be from täljare ÷ nämnare × 100 (every writer's rule) at least;
# a value written with fewer decimals may be as far as half of its last decimal
# (value_tolerance).
TOLERANCE = value_rules.TOLERANCE
HALF = Decimal("0.5")  # of a unit of the last decimal written
MAX_DECIMALS = 4  # what a stored value holds (numeric(16, 4))
HUNDRED = Decimal(100)  # a share is percent, an index 0–100


def decimals_written(value: Decimal) -> int:
    """How many decimals the number was written with (12,50 has two, 12 none)."""
    exponent = value.as_tuple().exponent
    return -exponent if isinstance(exponent, int) and exponent < 0 else 0


def value_tolerance(value: Decimal) -> Decimal:
    """How far a share's value, given beside its täljare and nämnare, may be from täljare ÷
    nämnare × 100: half a unit of its last written decimal, at least TOLERANCE ("72" ± 0,5,
    "72,4" and "72,41" ± 0,05). An export rounds the value it shows (Cyklop to one decimal,
    a report to whole percent); the value stored is computed from the parts, so the cell is
    only a check that it belongs to them. sqlcheck computes the same from the decimals."""
    return max(TOLERANCE, HALF.scaleb(-decimals_written(value)))


def not_a_number_message(text: object, *, whole: bool = False) -> str:
    """That the text is no number, with an example of what would be read (a whole one for
    a count)."""
    return _(ERROR_NOT_A_WHOLE_NUMBER if whole else ERROR_NOT_A_NUMBER).format(
        text=text, thousands=format_number(1234, 0)
    )


def too_large_message(value: Decimal) -> str:
    """That the number is at or beyond MAX_VALUE, naming the largest whole number read."""
    return _(ERROR_TOO_LARGE).format(
        value=value_rules.number_text(value), largest=format_number(MAX_VALUE - 1, 0)
    )


@dataclass(frozen=True)
class Number:
    """A parsed number, and whether it was written with a trailing %."""

    value: Decimal
    percent: bool = False


def parse_number(raw: Any, *, whole: bool = False) -> Number:
    """A Swedish-written number: 12,5 · 12.5 · 1 234,5 · −3 · +40 · 54,2 % (or an XLSX number).

    A negative zero ("-0", "−0,0", an XLSX -0.0) is read as zero, as PostgreSQL's numeric
    stores it on the COPY path: the report and the pages say "0" on either path. `whole`: a
    text that is no number is answered with a whole number's example (a count's value).
    """
    try:
        number = _parse_number(raw)
    except CellError as error:
        if whole:
            raise CellError(not_a_number_message(error.text, whole=True)) from None
        raise
    if number.value.is_zero() and number.value.is_signed():
        return Number(number.value.copy_abs(), percent=number.percent)
    return number


def _parse_number(raw: Any) -> Number:
    if isinstance(raw, bool):
        raise CellError(not_a_number_message(raw), raw)
    if isinstance(raw, int):
        return Number(Decimal(raw))
    if isinstance(raw, float):
        if raw != raw or raw in (float("inf"), float("-inf")):
            raise CellError(not_a_number_message(raw), raw)
        return Number(Decimal(repr(raw)))
    if isinstance(raw, Decimal):
        return Number(raw)
    text = str(raw).strip(_SPACES + "\t")
    match = _NUMBER_RE.match(text)
    if not match:
        raise CellError(not_a_number_message(text), text)
    sign, integer, fraction, percent = match.groups()
    digits = re.sub(SPACES_PATTERN, "", integer)
    negative = sign in ("-", "\u2212")  # a plus changes nothing
    literal = f"{'-' if negative else ''}{digits}" + (f".{fraction}" if fraction else "")
    try:
        value = Decimal(literal)
    except InvalidOperation as error:  # pragma: no cover - the pattern admits only digits
        raise CellError(not_a_number_message(text), text) from error
    return Number(value, percent=percent is not None)


# --- periods ----------------------------------------------------------------------------------

MONTH_NAMES = (
    "januari", "februari", "mars", "april", "maj", "juni",
    "juli", "augusti", "september", "oktober", "november", "december",
)  # fmt: skip
_MONTH_BY_NAME = {name: i + 1 for i, name in enumerate(MONTH_NAMES)} | {
    short: i + 1 for i, short in enumerate(MONTHS_SV)
}
# The spellings of a period, tried in order on the text trimmed, its runs of whitespace made
# one space and lower-cased (an ASCII text only: nothing else can be a period). Each names the
# meaning of its groups: y year, Y a two-digit year (CENTURY + it), m month, d day, n a
# month's name, q quarter.
# "nov-26" and "nov-2026" are how Excel on a Swedish Windows saves the text "2026-11" it took
# for a date (its format mmm-åå). A two-digit year is read only after a month's name and a
# hyphen, where nothing else can be meant: "nov 26" could be 26 November, and is refused.
PERIOD_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^([0-9]{4})-([0-9]{2})$", "ym"),
    (r"^([0-9]{4})([0-9]{2})$", "ym"),
    (r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$", "ymd"),
    (r"^([a-z]+)\.?[ -]([0-9]{4})$", "ny"),
    (r"^([a-z]+)\.?-([0-9]{2})$", "nY"),
    (r"^([0-9]{4})-?q([1-4])$", "yq"),
    # K, Kv or Kvartal: "Kv 4 2025", "K4 2025", "Kvartal 4 2025", "2025 kv 4", "2025-K4".
    (r"^k(?:v|vartal)? ?([1-4]) ([0-9]{4})$", "qy"),
    (r"^([0-9]{4})[ -]k(?:v|vartal)? ?([1-4])$", "yq"),
)
_PERIOD_RES = tuple((re.compile(pattern), groups) for pattern, groups in PERIOD_PATTERNS)
_WHITESPACE_RUN = re.compile(f"[{WHITESPACE}]+")


def period_text(raw: str) -> str:
    """The text the period patterns read: trimmed, one space for each run of whitespace,
    lower-cased; "" for a text that is not ASCII (no spelling of a period is)."""
    text = _WHITESPACE_RUN.sub(" ", raw.strip(WHITESPACE))
    return text.lower() if text.isascii() else ""


@dataclass(frozen=True)
class Period:
    """A month or a quarter: its first and last day."""

    kind: str  # "month" or "quarter"
    start: datetime.date
    end: datetime.date


def _month(year: int, month: int, text: str) -> Period:
    if not 1 <= month <= 12:
        raise CellError(_(ERROR_PERIOD_UNREADABLE).format(text=text))
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CellError(
            _(ERROR_PERIOD_OUT_OF_RANGE).format(text=text, first=FIRST_YEAR, last=LAST_YEAR)
        )
    start = datetime.date(year, month, 1)
    following = datetime.date(year + month // 12, month % 12 + 1, 1)
    return Period("month", start, following - datetime.timedelta(days=1))


def _quarter(year: int, number: int, text: str) -> Period:
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise CellError(
            _(ERROR_PERIOD_OUT_OF_RANGE).format(text=text, first=FIRST_YEAR, last=LAST_YEAR)
        )
    start = datetime.date(year, 3 * number - 2, 1)
    end = _month(year, 3 * number, text).end
    return Period("quarter", start, end)


def parse_period(raw: Any) -> Period:
    """A month (2025-12, 202512, 2025-12-01, dec 2025, december 2025, dec-2025, dec-25, a date
    cell) or a quarter (2025Q4, 2025-Q4, Kv 4 2025, Kv4 2025, K4 2025, Kvartal 4 2025,
    2025 kv 4, 2025 K4, 2025-K4)."""
    if isinstance(raw, datetime.datetime | datetime.date):
        return _month(raw.year, raw.month, raw.isoformat()[:10])
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)
    original = str(raw or "").strip(WHITESPACE)
    text = period_text(original)
    for pattern, groups in _PERIOD_RES:
        match = pattern.match(text)
        if not match:
            continue
        part = dict(zip(groups, match.groups(), strict=True))
        if "Y" in part:
            part["y"] = str(CENTURY + int(part.pop("Y")))
        # A message quotes the text as the user wrote it (trimmed), not as it was matched.
        if "q" in part:
            return _quarter(int(part["y"]), int(part["q"]), original)
        if "n" in part:
            if part["n"] not in _MONTH_BY_NAME:
                continue
            return _month(int(part["y"]), _MONTH_BY_NAME[part["n"]], original)
        if part.get("d", "01") != "01":
            raise CellError(_(ERROR_PERIOD_NOT_FIRST).format(text=original))
        return _month(int(part["y"]), int(part["m"]), original)
    raise CellError(_(ERROR_PERIOD_UNREADABLE).format(text=original))


# --- files ------------------------------------------------------------------------------------

_SNIFF_BYTES = 64 * 1024
_CHUNK = 1024 * 1024
_ZIP_MAGIC = b"PK\x03\x04"
# Bytes Windows-1252 leaves undefined: text in that encoding never has them.
_CP1252_UNDEFINED = frozenset(b"\x81\x8d\x8f\x90\x9d")
_CONTROL = frozenset(range(32)) - {9, 10, 13}


@dataclass(frozen=True)
class Table:
    """An opened file: its format, the header row and an iterator of (row number, cells)."""

    kind: str  # "csv" or "xlsx"
    header: list[Any]
    rows: Iterator[tuple[int, list[Any]]]
    encoding: str = ""
    delimiter: str = ""
    trimmed: bool = True  # whether the cells come trimmed (an XLSX's always do)


def sniff_kind(path: Path) -> str:
    """ "xlsx" or "csv" from the file's content, never its name; FileRefused otherwise."""
    with path.open("rb") as handle:
        head = handle.read(_SNIFF_BYTES)
    if not head.strip(b" \t\r\n\xef\xbb\xbf"):
        raise FileRefused(_(ERROR_EMPTY_FILE))
    if head.startswith(_ZIP_MAGIC):
        return "xlsx"
    body = head.removeprefix(codecs.BOM_UTF8)
    if any(byte in _CONTROL for byte in body):
        raise FileRefused(_(ERROR_NOT_CSV_OR_XLSX))
    return "csv"


def _encoding(path: Path) -> str:
    """UTF-8 (with or without BOM) if the whole file decodes as such, else Windows-1252."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        try:
            while chunk := handle.read(_CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            pass
        else:
            return "utf-8-sig"
        handle.seek(0)
        while chunk := handle.read(_CHUNK):
            if _CP1252_UNDEFINED.intersection(chunk) or _CONTROL.intersection(chunk):
                raise FileRefused(_(ERROR_NOT_CSV_OR_XLSX))
    return "cp1252"


def _delimiter(first_line: str) -> str:
    """The separator of the header line: the most frequent of ; tab , outside quotes."""
    unquoted = re.sub(r'"[^"]*"', "", first_line)
    counts = {sep: unquoted.count(sep) for sep in (";", "\t", ",")}
    best = max(counts, key=lambda sep: counts[sep])
    return best if counts[best] else ";"


CELL_PADDING = _SPACES + "\t"  # what is trimmed off every cell


def _csv_rows(
    handle: IO[str], delimiter: str, *, trim: bool = True
) -> Iterator[tuple[int, list[Any]]]:
    """(row number, cells) of the non-blank rows; with trim=False the cells as written (the SQL
    checks trim them, CELL_PADDING, in the database)."""
    reader = csv.reader(handle, delimiter=delimiter, quotechar='"', strict=False)
    last_line = 0
    for cells in reader:
        start, last_line = last_line + 1, reader.line_num
        if not trim:
            if "".join(cells).strip(CELL_PADDING):  # blank lines are ignored
                yield start, cells
            continue
        trimmed = [cell.strip(CELL_PADDING) for cell in cells]
        if any(trimmed):  # blank lines are ignored
            yield start, trimmed


def open_csv(path: Path, *, trim: bool = True) -> Table:
    """A CSV file, decoded as it is read (the cells trimmed unless trim=False)."""
    encoding = _encoding(path)
    handle = path.open(encoding=encoding, newline="")
    first = ""
    for line in handle:
        if line.strip():
            first = line
            break
    handle.seek(0)
    delimiter = _delimiter(first)
    rows = _csv_rows(handle, delimiter, trim=trim)
    header_row = next(rows, None)
    if header_row is None:
        handle.close()
        raise FileRefused(_(ERROR_EMPTY_FILE))
    header = [cell.strip(CELL_PADDING) for cell in header_row[1]]
    return Table("csv", header, _closing(rows, handle), encoding, delimiter, trimmed=trim)


def _closing(rows: Iterator[Any], handle: Any) -> Iterator[Any]:
    try:
        yield from rows
    finally:
        handle.close()


def _is_blank(cell: Any) -> bool:
    return cell is None or (isinstance(cell, str) and not cell.strip())


# What a number format says literally: quoted text and a character after a backslash.
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\\.')


def _percent_format(number_format: str | None) -> bool:
    """Whether a cell's number format shows its number as percent ("0,0 %", "0%"): a % that
    is not quoted or escaped."""
    return bool(number_format) and "%" in _FORMAT_LITERALS.sub("", str(number_format))


def _xlsx_cell(cell: Any) -> Any:
    """A cell's value as the importer reads it: text trimmed; a number in a percent format as
    the percentage Excel shows, written as a CSV would have it ("72.4 %" for a cell that
    holds 0.724 and shows 72,4 %): a share column formatted "0,0 %" holds fractions."""
    value = cell.value
    if isinstance(value, str):
        return value.strip()
    if (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and value == value
        and value not in (float("inf"), float("-inf"))
        and _percent_format(getattr(cell, "number_format", None))
    ):
        # Shifted in decimal, not multiplied in floats: 0.724 is 72.4, never 72.39999999999999.
        shifted = Decimal(repr(value) if isinstance(value, float) else value).scaleb(2)
        return f"{format(shifted, 'f')} %"
    return value


def _xlsx_rows(worksheet: Any) -> Iterator[tuple[int, list[Any]]]:
    # Cells, not values_only: a read-only worksheet's cells carry their number_format.
    for number, row in enumerate(worksheet.iter_rows(), start=1):
        cells = [_xlsx_cell(cell) for cell in row]
        while cells and _is_blank(cells[-1]):  # the empty trailing area
            cells.pop()
        if cells and not all(_is_blank(cell) for cell in cells):
            yield number, cells


def _load_workbook(path: Path, **options: Any) -> tuple[Any, ExitStack]:
    """The workbook, and what closes it and its file.

    openpyxl is given an open file, never the path: given a path it judges the file by its
    name's suffix, and an upload waits as `<job id>.upload` (a file is judged by its content).
    In read-only mode the workbook reads from the file until it is closed.
    """
    from openpyxl import load_workbook

    closing = ExitStack()
    handle = closing.enter_context(path.open("rb"))
    try:
        workbook = load_workbook(handle, **options)
    except BaseException:
        closing.close()
        raise
    closing.callback(workbook.close)  # closed before the file (last in, first out)
    return workbook, closing


def open_xlsx(path: Path, sheet: str | None = None) -> Table:
    """An XLSX workbook in read-only mode: the first (or the named) sheet, cached formula values."""
    try:
        workbook, closing = _load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many kinds for a damaged or foreign zip
        # The user gets a Swedish sentence; the library's words are for the log.
        logger.warning("An XLSX file could not be read (%s)", path.name, exc_info=True)
        raise FileRefused(
            _(ERROR_NOT_CSV_OR_XLSX)
            if "zip" in str(error).lower() or isinstance(error, KeyError)
            else _(ERROR_XLSX_UNREADABLE)
        ) from error
    if sheet:
        if sheet not in workbook.sheetnames:
            names = ", ".join(f"”{name}”" for name in workbook.sheetnames)
            closing.close()
            raise FileRefused(_(ERROR_SHEET_MISSING).format(sheet=sheet, sheets=names))
        worksheet = workbook[sheet]
    else:
        worksheet = workbook.worksheets[0]
    if worksheet.max_row is None or worksheet.max_column is None:
        worksheet.reset_dimensions()  # a writer that left out the dimension: read everything
    rows = _xlsx_rows(worksheet)
    header_row = next(rows, None)
    if header_row is None:
        closing.close()
        raise FileRefused(_(ERROR_EMPTY_FILE))
    return Table("xlsx", header_row[1], _closing(rows, closing))


def open_table(path: Path, *, sheet: str | None = None, trim: bool = True) -> Table:
    """Open a CSV or XLSX file by its content; FileRefused when it is neither or is empty."""
    kind = sniff_kind(path)
    return open_xlsx(path, sheet) if kind == "xlsx" else open_csv(path, trim=trim)


def estimate_rows(path: Path) -> int:
    """A cheap upper estimate of the data rows (line breaks; an XLSX sheet's dimension)."""
    if sniff_kind(path) == "xlsx":
        try:
            workbook, closing = _load_workbook(path, read_only=True)
        except Exception:
            return 0  # the check will say why
        with closing:
            rows = workbook.worksheets[0].max_row or 0
        return max(rows - 1, 0)
    lines = 0
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            lines += chunk.count(b"\n")
    return lines
