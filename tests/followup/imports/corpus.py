# ruff: noqa: E501  (the corpus is a table of files: one recipe a line reads best)
"""The import corpus: good and bad files of measure values, each with what must happen to it.

The files live in corpus/ beside this module and are committed; `python -m
tests.followup.imports.corpus` writes them again from the recipes below (the XLSX files with
openpyxl, patched where a feature needs what openpyxl cannot write, such as a formula's cached
value). The units and measures they name are made by `corpus_world` in conftest.py.
"""

from __future__ import annotations

import datetime
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

CORPUS_DIR = Path(__file__).parent / "corpus"
HSA_HC1A = "SE0000000000-TEST1A"  # fictitious: no real HSA-id starts SE0000000000


@dataclass(frozen=True)
class Stored:
    """A value a good file must store exactly."""

    unit: str
    measure: str
    period_start: str
    value: str
    numerator: str | None = None
    denominator: str | None = None
    comment: str = ""


@dataclass(frozen=True)
class Case:
    name: str
    make: Callable[[], bytes]
    user: str = "strateg"  # strateg, vc1 (VO1), vec1a (HC1A)
    stored: tuple[Stored, ...] = ()  # for a good file: every value it stores
    ignored: tuple[str, ...] = ()
    problem: str = ""  # for a bad file: a listed problem, row and column included
    problem_count: int | None = None
    sheet: str | None = None
    settings: dict[str, object] = field(default_factory=dict)
    # Values stored before the file is imported (source Manuell inrapportering).
    before: tuple[Stored, ...] = ()
    # For a good file: (new, changed, unchanged); by default every stored value is new.
    counts: tuple[int, int, int] | None = None
    skipped: int = 0  # template rows left unfilled
    weights_kept: int = 0  # indices given without a nämnare that keep the stored one
    # Each changed value's details (täljare, nämnare, comment), in order.
    details: tuple[str, ...] = ()
    # The warnings of values that moved more than GONV_REPORT_JUMP_PCT % without a comment
    # (None: not asserted here; test_sqlcheck holds every path to the same ones).
    jumps: tuple[str, ...] | None = None

    @property
    def good(self) -> bool:
        return not self.problem


def text(content: str, encoding: str = "utf-8", newline: str = "\n") -> Callable[[], bytes]:
    """A text file: lines joined with the newline, in the encoding."""
    return lambda: content.replace("\n", newline).encode(encoding)


def rows(*lines: str, sep: str = ";") -> str:
    return "\n".join(line.replace("|", sep) for line in lines) + "\n"


HEADER = "enhet|mått|period|värde"


def xlsx(
    sheets: dict[str, list[list[object]]],
    *,
    formulas: dict[str, str] | None = None,
    hidden_rows: tuple[int, ...] = (),
    styled_tail: bool = False,
    number_formats: dict[str, str] | None = None,
) -> Callable[[], bytes]:
    """A workbook with the sheets' rows; formulas: cell -> formula kept beside its cached value;
    number_formats: cell -> its number format (as the file stores it: "0.0%" is what a
    Swedish Excel shows as "0,0 %")."""

    def make() -> bytes:
        from openpyxl import Workbook
        from openpyxl.styles import Font

        workbook = Workbook()
        workbook.remove(workbook.active)
        for title, data in sheets.items():
            sheet = workbook.create_sheet(title)
            for row in data:
                sheet.append(row)
            for number in hidden_rows:
                sheet.row_dimensions[number].hidden = True
            if styled_tail:  # formatted but empty cells far below and to the right
                for ref in ("A40", "H3", "K200"):
                    sheet[ref].font = Font(bold=True)
                    sheet[ref].value = None
                sheet["B41"] = ""
            for ref, number_format in (number_formats or {}).items():
                sheet[ref].number_format = number_format
        buffer = io.BytesIO()
        workbook.save(buffer)
        if not formulas:
            return buffer.getvalue()
        return _with_formulas(buffer.getvalue(), formulas)

    return make


def _with_formulas(data: bytes, formulas: dict[str, str]) -> bytes:
    """Put a formula beside each given cell's value, as Excel saves it (value = cached result)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            content = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                xml = content.decode()
                for ref, formula in formulas.items():
                    xml = re.sub(
                        rf'(<c r="{ref}"[^>]*>)(<v>)', rf"\1<f>{formula}</f>\2", xml, count=1
                    )
                content = xml.encode()
            target.writestr(item, content)
    return out.getvalue()


def png() -> bytes:
    return bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


def pdf() -> bytes:
    return (
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Length 12 /Filter /FlateDecode >>\nstream\n"
        b"x\x9c\x03\x00\x00\x00\x00\x01\nendstream\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n"
    )


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("data.csv", "enhet;mått;period;värde\nHC1A;antal;2025-12;3\n")
    return out.getvalue()


def many_rows(count: int, bad_at: int | None = None) -> Callable[[], bytes]:
    """count rows of a monthly count over 4 units and enough months; one bad row if asked."""

    def make() -> bytes:
        units = ("HC1A", "HC1B", "HC2A", "HC2B")
        lines = [HEADER.replace("|", ";")]
        for i in range(count):
            unit, measure = units[i % 4], ("antal", "medel")[i // 4 % 2]
            year, month0 = 2000 + i // 8 // 12, i // 8 % 12
            value = "tolv" if bad_at is not None and i + 2 == bad_at else str(i % 50)
            lines.append(f"{unit};{measure};{year}-{month0 + 1:02d};{value}")
        return ("\n".join(lines) + "\n").encode()

    return make


S = Stored
CASES: tuple[Case, ...] = (
    # --- good files ---------------------------------------------------------------------------
    Case(
        "good_01_excel_swedish_windows.csv",
        text(
            rows(
                "Enhet|Mått|Period|Värde|Täljare|Nämnare|Kommentar",
                "HC1A|andel|dec 2025|54,2|271|500|Bättre än förra månaden",
                "HC1B|andel|nov 2025|48,0|12|25|",
                "HC1A|index|Kv 4 2025|71,5|||Enkät i oktober",
                "HC2A|antal|dec 2025|1 234|||Räknat för hand",
            ),
            "cp1252",
            "\r\n",
        ),
        stored=(
            S("HC1A", "andel", "2025-12-01", "54.2", "271", "500", "Bättre än förra månaden"),
            S("HC1B", "andel", "2025-11-01", "48", "12", "25"),
            S("HC1A", "index", "2025-10-01", "71.5", comment="Enkät i oktober"),
            S("HC2A", "antal", "2025-12-01", "1234", comment="Räknat för hand"),
        ),
    ),
    Case(
        "good_02_utf8_bom_semicolon.csv",
        lambda: (
            b"\xef\xbb\xbf"
            + rows(HEADER, "HC1A|antal|2025-12|17", "HC2B|medel|2025-12|3,25").encode()
        ),
        stored=(S("HC1A", "antal", "2025-12-01", "17"), S("HC2B", "medel", "2025-12-01", "3.25")),
    ),
    Case(
        "good_03_utf8_comma_quoted.csv",
        text(
            'enhet,mått,period,värde,täljare,nämnare\n"HC1A","andel","2025-12","12,5","1","8"\n'
            'HC1B,andel,2025-11,"7.5",3,40\n'
        ),
        stored=(
            S("HC1A", "andel", "2025-12-01", "12.5", "1", "8"),
            S("HC1B", "andel", "2025-11-01", "7.5", "3", "40"),
        ),
    ),
    Case(
        "good_04_tab_separated.txt",
        text(rows(HEADER, "HC1A|antal|2025-10|4", "HC1B|antal|2025-10|5", sep="\t")),
        stored=(S("HC1A", "antal", "2025-10-01", "4"), S("HC1B", "antal", "2025-10-01", "5")),
    ),
    Case(
        "good_05_blank_lines_and_spaces.csv",
        text(
            "\nenhet ; mått ; period ; värde \n\n  HC1A ;  antal ; 2025-09 ;  8  \n\n\nHC2A;antal;2025-09;9\n\n"
        ),
        stored=(S("HC1A", "antal", "2025-09-01", "8"), S("HC2A", "antal", "2025-09-01", "9")),
    ),
    Case(
        "good_06_header_spellings.csv",
        text(rows("ENHETSKOD|Mått_kod|MÅNAD|Utfall", "HC1A|antal|2025-08|3")),
        stored=(S("HC1A", "antal", "2025-08-01", "3"),),
    ),
    Case(
        "good_07_header_spellings_2.csv",
        text(rows(" Enhet-kod |Indikator|Kvartal|utfall", "HC1B|index|2025 kv 3|66")),
        stored=(S("HC1B", "index", "2025-07-01", "66"),),
    ),
    Case(
        "good_08_hsa_id.csv",
        text(rows("HSA-id|Måttkod|Period|Värde", f"{HSA_HC1A}|antal|2025-12|11")),
        stored=(S("HC1A", "antal", "2025-12-01", "11"),),
    ),
    Case(
        "good_09_share_from_numerator_and_denominator.csv",
        text(
            rows(
                "enhet|mått|period|täljare|nämnare",
                "HC1A|andel|2025-12|271|500",
                "HC1B|andel|2025-12|1|3",
            )
        ),
        stored=(
            S("HC1A", "andel", "2025-12-01", "54.2", "271", "500"),
            S("HC1B", "andel", "2025-12-01", "33.3333", "1", "3"),
        ),
    ),
    Case(
        "good_10_value_numerator_denominator_consistent.csv",
        text(
            rows(
                "enhet|mått|period|värde|täljare|nämnare",
                "HC1A|andel|2025-12|33,3|1|3",
                "HC1B|andel|2025-12|54,2 %|271|500",
            )
        ),
        stored=(
            S("HC1A", "andel", "2025-12-01", "33.3333", "1", "3"),
            S("HC1B", "andel", "2025-12-01", "54.2", "271", "500"),
        ),
    ),
    Case(
        "good_11_percent_signs.csv",
        text(
            rows(
                "enhet|mått|period|värde|täljare|nämnare",
                "HC1A|andel|2025-11|54,2 %|271|500",
                "HC1B|andel|2025-11|60%|3|5",
                "HC2A|andel|2025-11|0 %|0|4",
            )
        ),
        stored=(
            S("HC1A", "andel", "2025-11-01", "54.2", "271", "500"),
            S("HC1B", "andel", "2025-11-01", "60", "3", "5"),
            S("HC2A", "andel", "2025-11-01", "0", "0", "4"),
        ),
    ),
    Case(
        "good_12_thousands_separators.csv",
        text(
            rows(
                HEADER,
                "HC1A|antal|2025-11|1 234",
                "HC1B|antal|2025-11|12\u00a0345",
                "HC2A|antal|2025-11|1\u202f000\u202f000",
                "HC2B|medel|2025-11|1 234,5",
            )
        ),
        stored=(
            S("HC1A", "antal", "2025-11-01", "1234"),
            S("HC1B", "antal", "2025-11-01", "12345"),
            S("HC2A", "antal", "2025-11-01", "1000000"),
            S("HC2B", "medel", "2025-11-01", "1234.5"),
        ),
    ),
    Case(
        "good_13_monthly_spellings.csv",
        text(
            rows(
                HEADER,
                "HC1A|antal|2025-01|1",
                "HC1A|antal|202502|2",
                "HC1A|antal|2025-03-01|3",
                "HC1A|antal|apr 2025|4",
                "HC1A|antal|Maj 2025|5",
                "HC1A|antal|juni 2025|6",
                "HC1A|antal|DECEMBER 2024|12",
            )
        ),
        stored=tuple(
            S("HC1A", "antal", day, value)
            for day, value in (
                ("2025-01-01", "1"),
                ("2025-02-01", "2"),
                ("2025-03-01", "3"),
                ("2025-04-01", "4"),
                ("2025-05-01", "5"),
                ("2025-06-01", "6"),
                ("2024-12-01", "12"),
            )  # fmt: skip
        ),
    ),
    Case(
        "good_14_quarterly_spellings.csv",
        text(
            rows(
                HEADER,
                "HC1A|index|2025Q1|61",
                "HC1A|index|2025-Q2|62",
                "HC1A|index|Kv 3 2025|63",
                "HC1A|index|Kv4 2024|54",
                "HC1A|index|kv 3 2024|53",
                "HC1A|index|2024 kv 2|52",
                "HC1A|index|K4 2023|44",
                "HC1A|index|Kvartal 3 2023|43",
                "HC1A|index|kvartal 2 2023|42",
                "HC1A|index|2023-K1|41",
                "HC1A|index|2022 K4|34",
            )
        ),
        stored=tuple(
            S("HC1A", "index", day, value)
            for day, value in (
                ("2025-01-01", "61"),
                ("2025-04-01", "62"),
                ("2025-07-01", "63"),
                ("2024-10-01", "54"),
                ("2024-07-01", "53"),
                ("2024-04-01", "52"),
                ("2023-10-01", "44"),
                ("2023-07-01", "43"),
                ("2023-04-01", "42"),
                ("2023-01-01", "41"),
                ("2022-10-01", "34"),
            )  # fmt: skip
        ),
    ),
    Case(
        "good_15_ignored_columns.csv",
        text(
            rows(
                "Enhetsnamn|enhet|mått|Måttnamn|period|värde|Uttagsdatum",
                "Norrby|HC1A|antal|Antal|2025-12|2|2026-01-05",
            )
        ),
        stored=(S("HC1A", "antal", "2025-12-01", "2"),),
        ignored=("Uttagsdatum",),  # the template's own helper columns: not listed
    ),
    Case(
        "good_16_mean_from_numerator_and_denominator.csv",
        text(
            rows(
                "enhet|mått|period|täljare|nämnare|kommentar",
                "HC1A|medel|2025-12|45|10|Väntetid i dagar",
            )
        ),
        stored=(S("HC1A", "medel", "2025-12-01", "4.5", "45", "10", "Väntetid i dagar"),),
    ),
    Case(
        "good_17_numbers.xlsx",
        xlsx(
            {
                "Blad1": [
                    ["Enhet", "Mått", "Period", "Värde", "Täljare", "Nämnare"],
                    ["HC1A", "andel", "2025-12", 54.2, 271, 500],
                    ["HC1B", "antal", 202512, 12],
                    ["HC2A", "index", "Kv 4 2025", 70],
                ]
            }
        ),
        stored=(
            S("HC1A", "andel", "2025-12-01", "54.2", "271", "500"),
            S("HC1B", "antal", "2025-12-01", "12"),
            S("HC2A", "index", "2025-10-01", "70"),
        ),
    ),
    Case(
        "good_18_date_cells.xlsx",
        xlsx(
            {
                "Export": [
                    ["enhet", "mått", "månad", "värde"],
                    ["HC1A", "antal", datetime.datetime(2025, 11, 1), 4],
                    ["HC1B", "antal", datetime.date(2025, 12, 15), 5],
                ]
            }
        ),
        stored=(S("HC1A", "antal", "2025-11-01", "4"), S("HC1B", "antal", "2025-12-01", "5")),
    ),
    Case(
        "good_19_formulas_cached_values.xlsx",
        xlsx(
            {
                "Blad1": [
                    ["enhet", "mått", "period", "täljare", "nämnare", "värde"],
                    ["HC1A", "andel", "2025-12", 271, 500, 54.2],
                ]
            },
            formulas={"F2": "D2/E2*100"},
        ),
        stored=(S("HC1A", "andel", "2025-12-01", "54.2", "271", "500"),),
    ),
    Case(
        "good_20_named_sheet.xlsx",
        xlsx(
            {
                "Info": [["Uttag från Cyklop"]],
                "Data": [["enhet", "mått", "period", "värde"], ["HC2B", "antal", "2025-12", 6]],
            }
        ),
        sheet="Data",
        stored=(S("HC2B", "antal", "2025-12-01", "6"),),
    ),
    Case(
        "good_21_trailing_empty_area.xlsx",
        xlsx(
            {
                "Blad1": [
                    ["enhet", "mått", "period", "värde", None, None],
                    ["HC1A", "antal", "2025-12", 1, None, ""],
                    [None, None, None, None],
                    ["", " ", None, None],
                ]
            },
            styled_tail=True,
        ),
        stored=(S("HC1A", "antal", "2025-12-01", "1"),),
    ),
    Case(
        "good_22_vc_own_units.csv",
        text(
            rows(
                "enhet|mått|period|värde|täljare|nämnare",
                "HC1A|antal|2025-12|1||",
                "HC1B|antal|2025-12|2||",
                "VO1|andel|2025-12|40|2|5",
            )
        ),
        user="vc1",
        stored=(
            S("HC1A", "antal", "2025-12-01", "1"),
            S("HC1B", "antal", "2025-12-01", "2"),
            S("VO1", "andel", "2025-12-01", "40", "2", "5"),
        ),
    ),
    Case(
        "good_23_vec_own_unit.csv",
        text(rows(HEADER, "HC1A|antal|2025-12|3")),
        user="vec1a",
        stored=(S("HC1A", "antal", "2025-12-01", "3"),),
    ),
    Case(
        "good_24_lower_case_codes.csv",
        text(rows(HEADER, "hc1a|ANTAL|2025-12|3", f"{HSA_HC1A.lower()}|antal|2025-11|4")),
        stored=(S("HC1A", "antal", "2025-12-01", "3"), S("HC1A", "antal", "2025-11-01", "4")),
    ),
    Case(
        # An index (a weighted mean) is weighted by its nämnare, the number of respondents:
        # värde + nämnare is whole, with no täljare; täljare + nämnare gives the value.
        "good_25_index_value_and_denominator.csv",
        text(
            rows(
                "enhet|mått|period|värde|täljare|nämnare",
                "HC1A|index|Kv 4 2025|72,4||18",
                "HC1B|medel|2025-12|4,5||10",
                "HC2A|index|Kv 4 2025||1303,2|18",
            )
        ),
        stored=(
            S("HC1A", "index", "2025-10-01", "72.4", None, "18"),
            S("HC1B", "medel", "2025-12-01", "4.5", None, "10"),
            S("HC2A", "index", "2025-10-01", "72.4", "1303.2", "18"),
        ),
    ),
    Case(
        # Only värde for indices that have a stored nämnare: each keeps it (and the preview
        # says so); an unchanged value with its kept weight is unchanged; a new nämnare is
        # shown beside a value that stays.
        "good_26_index_value_only_keeps_the_stored_weight.csv",
        text(
            rows(
                "enhet|mått|period|värde|nämnare",
                "HC1A|index|Kv 4 2025|72,4|",
                "HC1B|index|Kv 4 2025|71,1|",
                "HC2A|index|Kv 4 2025|61|",
                "HC2B|index|Kv 4 2025|65|30",
            )
        ),
        before=(
            S("HC1A", "index", "2025-10-01", "70", None, "18"),
            S("HC1B", "index", "2025-10-01", "71.1", None, "33"),
            S("HC2A", "index", "2025-10-01", "60", "1200", "20"),
            S("HC2B", "index", "2025-10-01", "65", None, "40"),
        ),
        stored=(
            S("HC1A", "index", "2025-10-01", "72.4", None, "18"),
            S("HC1B", "index", "2025-10-01", "71.1", None, "33"),
            S("HC2A", "index", "2025-10-01", "61", None, "20"),
            S("HC2B", "index", "2025-10-01", "65", None, "30"),
        ),
        counts=(0, 3, 1),
        weights_kept=3,
        details=(
            "nämnaren 18 behålls",
            "täljare 1200 → –; nämnaren 20 behålls",
            "nämnare 40 → 30",
        ),
    ),
    Case(
        # The downloaded template (csv) with some of its rows filled in.
        "good_27_template_partly_filled.csv",
        text(
            rows(
                "enhet|enhetsnamn|mått|måttnamn|period|värde|täljare|nämnare|kommentar",
                "HC1A|Norrby|antal|Antal frigjorda tider|2025-11|5|||",
                "HC1B|Söderby|antal|Antal frigjorda tider|2025-11||||",
                "HC2A|Västby|antal|Antal frigjorda tider|2025-11||||",
                "HC1A|Norrby|andel|Andel rätt hjälp|2025-11||3|4|",
                "HC1B|Söderby|andel|Andel rätt hjälp|2025-11||||",
                "HC1A|Norrby|index|Arbetsmiljöindex|Kv 3 2025||||",
            ),
            "utf-8-sig",
            "\r\n",
        ),
        stored=(
            S("HC1A", "antal", "2025-11-01", "5"),
            S("HC1A", "andel", "2025-11-01", "75", "3", "4"),
        ),
        ignored=(),
        skipped=4,
    ),
    Case(
        # The downloaded template (xlsx) with some of its rows filled in: empty cells are None.
        "good_28_template_partly_filled.xlsx",
        xlsx(
            {
                "Mätvärden": [
                    [
                        "enhet",
                        "enhetsnamn",
                        "mått",
                        "måttnamn",
                        "period",
                        "värde",
                        "täljare",
                        "nämnare",
                        "kommentar",
                    ],
                    [
                        "HC1A",
                        "Norrby",
                        "index",
                        "Arbetsmiljöindex",
                        "Kv 4 2025",
                        72.4,
                        None,
                        18,
                        None,
                    ],
                    [
                        "HC1B",
                        "Söderby",
                        "index",
                        "Arbetsmiljöindex",
                        "Kv 4 2025",
                        None,
                        None,
                        None,
                        None,
                    ],
                    ["HC2A", "Västby", "antal", "Antal frigjorda tider", "2025-12", "", "", "", ""],
                ]
            }
        ),
        stored=(S("HC1A", "index", "2025-10-01", "72.4", None, "18"),),
        ignored=(),
        skipped=2,
    ),
    Case(
        # "2025-11" after Excel on a Swedish Windows took it for a date: "nov-25" (its format
        # mmm-åå; a two-digit year is 20xx) or "nov-2025".
        "good_29_excel_month_spellings.csv",
        text(
            rows(
                HEADER,
                "HC1A|antal|nov-25|11",
                "HC1A|antal|Okt-2025|10",
                "HC1A|antal|sep.-25|9",
                "HC1A|antal|augusti-25|8",
                "HC1A|antal|JUL-25|7",
            ),
            "cp1252",
            "\r\n",
        ),
        stored=tuple(
            S("HC1A", "antal", day, value)
            for day, value in (
                ("2025-11-01", "11"),
                ("2025-10-01", "10"),
                ("2025-09-01", "9"),
                ("2025-08-01", "8"),
                ("2025-07-01", "7"),
            )  # fmt: skip
        ),
    ),
    Case(
        # A share's value beside täljare and nämnare is a check, within half of its last written
        # decimal (at least 0,05): the value stored is täljare ÷ nämnare × 100. A Cyklop export
        # (values rounded to one decimal) of stored values is unchanged; a whole percent "72"
        # for 412/569 = 72,41 is read; a value stored rounded before is corrected.
        "good_31_share_value_is_a_check_of_its_parts.csv",
        text(
            rows(
                "enhet|mått|period|värde|täljare|nämnare",
                "HC1A|andel|2025-12|69,0|68999|100000",
                "HC1B|andel|2025-12|66,7|2|3",
                "HC2A|andel|2025-12|72|412|569",
                "HC2B|andel|2025-12|72,41 %|412|569",
                "HC1A|andel|2025-11|33,3|1|3",
                "HC1B|andel|2025-11|54,23456|271|500",
            )
        ),
        before=(
            S("HC1A", "andel", "2025-12-01", "68.999", "68999", "100000"),
            S("HC1B", "andel", "2025-12-01", "66.6667", "2", "3"),
            S("HC1A", "andel", "2025-11-01", "33.3", "1", "3"),
        ),
        stored=(
            S("HC1A", "andel", "2025-12-01", "68.999", "68999", "100000"),
            S("HC1B", "andel", "2025-12-01", "66.6667", "2", "3"),
            S("HC2A", "andel", "2025-12-01", "72.4077", "412", "569"),
            S("HC2B", "andel", "2025-12-01", "72.4077", "412", "569"),
            S("HC1A", "andel", "2025-11-01", "33.3333", "1", "3"),
            S("HC1B", "andel", "2025-11-01", "54.2", "271", "500"),
        ),
        counts=(3, 1, 2),
    ),
    Case(
        # A share column formatted as percent ("0,0 %" in a Swedish Excel) holds fractions:
        # 0,724 shows as 72,4 % and is read so; a formula's full-precision result too.
        "good_32_percent_formatted_shares.xlsx",
        xlsx(
            {
                "Blad1": [
                    ["enhet", "mått", "period", "täljare", "nämnare", "värde"],
                    ["HC1A", "andel", "2025-12", 412, 569, 0.724],
                    ["HC1B", "andel", "2025-12", 412, 569, 412 / 569],
                    ["HC2A", "andel", "2025-12", 412, 569, 0.72],
                    ["HC2B", "andel", "2025-12", 1, 1, 1],
                ]
            },
            formulas={"F3": "D3/E3"},
            number_formats={"F2": "0.0%", "F3": "0.0%", "F4": "0 %", "F5": "0%"},
        ),
        stored=(
            S("HC1A", "andel", "2025-12-01", "72.4077", "412", "569"),
            S("HC1B", "andel", "2025-12-01", "72.4077", "412", "569"),
            S("HC2A", "andel", "2025-12-01", "72.4077", "412", "569"),
            S("HC2B", "andel", "2025-12-01", "100", "1", "1"),
        ),
    ),
    # --- bad files ----------------------------------------------------------------------------
    Case("bad_01_empty.csv", lambda: b"", problem="Filen är tom."),
    Case(
        "bad_02_only_bom_and_blank_lines.csv",
        lambda: b"\xef\xbb\xbf\r\n\r\n  \r\n",
        problem="Filen är tom.",
    ),
    Case(
        "bad_03_header_only.csv",
        text(rows(HEADER)),
        problem="Filen har en rubrikrad men inga rader med värden.",
    ),
    Case(
        "bad_04_png_named_csv.csv",
        png,
        problem="Filen är varken en CSV-fil eller en Excel-fil (XLSX)",
    ),
    Case(
        "bad_05_pdf_named_xlsx.xlsx",
        pdf,
        problem="Filen är varken en CSV-fil eller en Excel-fil (XLSX)",
    ),
    Case(
        "bad_06_zip_named_xlsx.xlsx",
        plain_zip,
        problem="Filen är varken en CSV-fil eller en Excel-fil (XLSX)",
    ),
    Case(
        "bad_07_utf16_text.csv",
        text(rows(HEADER, "HC1A|antal|2025-12|3"), "utf-16"),
        problem="Filen är varken en CSV-fil eller en Excel-fil (XLSX)",
    ),
    Case(
        "bad_08_period_column_missing.csv",
        text(rows("enhet|mått|värde", "HC1A|antal|3")),
        problem="Kolumnen ”period” saknas (godtagbara namn: period, månad, kvartal).",
    ),
    Case(
        "bad_09_unit_column_missing.csv",
        text(rows("enhetsnamn|mått|period|värde", "Norrby|antal|2025-12|3")),
        problem="Kolumnen ”enhet” saknas",
    ),
    Case(
        "bad_10_value_column_missing.csv",
        text(rows("enhet|mått|period|täljare", "HC1A|andel|2025-12|3")),
        problem="Kolumnen ”värde” saknas",
    ),
    Case(
        "bad_11_column_twice.csv",
        text(rows("enhet|mått|period|värde|utfall", "HC1A|antal|2025-12|3|3")),
        problem="Kolumnen ”värde” finns två gånger i rubrikraden (värde och utfall).",
    ),
    Case(
        "bad_12_unknown_unit.csv",
        text(rows(HEADER, "HC1A|antal|2025-12|3", "HC9Z|antal|2025-12|3")),
        problem="Rad 3, kolumn ”enhet”: Enheten ”HC9Z” finns inte (varken som enhetskod eller HSA-id).",
    ),
    Case(
        "bad_13_unknown_measure.csv",
        text(rows(HEADER, "HC1A|antal-besok|2025-12|3")),
        problem="Rad 2, kolumn ”mått”: Måttet ”antal-besok” finns inte.",
    ),
    Case(
        "bad_14_unreadable_period.csv",
        text(rows(HEADER, "HC1A|antal|2025-12|3", "HC1A|antal|13/2025|3")),
        problem="Rad 3, kolumn ”period”: ”13/2025” är ingen period",
    ),
    Case(
        "bad_15_month_13.csv",
        text(rows(HEADER, "HC1A|antal|2025-13|3")),
        problem="Rad 2, kolumn ”period”: ”2025-13” är ingen period",
    ),
    Case(
        "bad_16_period_out_of_range.csv",
        text(rows(HEADER, "HC1A|antal|1999-12|3")),
        problem="Rad 2, kolumn ”period”: Perioden ”1999-12” ligger utanför åren 2000–2100.",
    ),
    Case(
        "bad_17_period_in_future.csv",
        text(rows(HEADER, "HC1A|antal|2099-01|3")),
        problem="Rad 2, kolumn ”period”: Perioden jan 2099 har inte börjat än.",
    ),
    # The tests import on 15 jan 2026: January and Kv 1 2026 have begun but not ended.
    Case(
        "bad_17_period_not_ended.csv",
        text(rows(HEADER, "HC1A|antal|2025-12|3", "HC1A|antal|2026-01|3")),
        problem=(
            "Rad 3, kolumn ”period”: Januari 2026 pågår till och med 31 jan 2026; värden "
            "rapporteras när månaden är slut."
        ),
    ),
    Case(
        "bad_17_quarter_not_ended.csv",
        text(rows(HEADER, "HC1A|index|Kv 1 2026|70")),
        problem=(
            "Rad 2, kolumn ”period”: Kv 1 2026 pågår till och med 31 mar 2026; värden "
            "rapporteras när kvartalet är slut."
        ),
    ),
    Case(
        "bad_18_day_not_first.csv",
        text(rows(HEADER, "HC1A|antal|2025-12-15|3")),
        problem="Rad 2, kolumn ”period”: ”2025-12-15” är inte den första dagen i en månad",
    ),
    Case(
        "bad_19_unit_not_active.csv",
        text(rows(HEADER, "HC-STANGD|antal|2024-06|3", "HC-STANGD|antal|2025-01|3")),
        problem="Rad 3, kolumn ”period”: Enheten ”Hälsocentral Stängd” var inte verksam under jan 2025.",
    ),
    Case(
        "bad_20_kind_does_not_report.csv",
        text(rows(HEADER, "MOTT1|antal|2025-12|3")),
        problem="Rad 2, kolumn ”enhet”: Enheter av typen mottagning rapporterar inte måttet ”Antal frigjorda tider”.",
    ),
    Case(
        "bad_21_not_a_number.csv",
        text(rows(HEADER, "HC1A|antal|2025-12|tolv")),
        problem="Rad 2, kolumn ”värde”: ”tolv” är inte ett tal",
    ),
    Case(
        "bad_22_two_decimal_separators.csv",
        text(rows(HEADER, "HC1A|medel|2025-12|1.234,5")),
        problem="Rad 2, kolumn ”värde”: ”1.234,5” är inte ett tal",
    ),
    Case(
        "bad_23_share_above_100.csv",
        text(rows(HEADER, "HC1A|andel|2025-12|120")),
        problem="Rad 2, kolumn ”värde”: En andel måste vara mellan 0 och 100 procent, inte 120.",
    ),
    Case(
        "bad_24_share_negative.csv",
        text(rows(HEADER, "HC1A|andel|2025-12|-5")),
        problem="Rad 2, kolumn ”värde”: En andel måste vara mellan 0 och 100 procent, inte −5.",
    ),
    Case(
        "bad_25_numerator_above_denominator.csv",
        text(rows("enhet|mått|period|täljare|nämnare", "HC1A|andel|2025-12|501|500")),
        problem=(
            "Rad 2, kolumn ”täljare”: Täljaren (501) är större än nämnaren (500), men en andel "
            "kan inte vara över 100 procent. Kontrollera talen: har de bytt plats?"
        ),
    ),
    Case(
        "bad_26_denominator_zero.csv",
        text(rows("enhet|mått|period|täljare|nämnare", "HC1A|andel|2025-12|0|0")),
        problem="Rad 2, kolumn ”nämnare”: Nämnaren kan inte vara 0.",
    ),
    Case(
        "bad_27_negative_count.csv",
        text(rows(HEADER, "HC1A|antal|2025-12|-3")),
        problem="Rad 2, kolumn ”värde”: Ett antal kan inte vara negativt (−3).",
    ),
    Case(
        "bad_28_count_with_decimals.csv",
        text(rows(HEADER, "HC1A|antal|2025-12|3,5")),
        problem="Rad 2, kolumn ”värde”: Ett antal måste vara ett heltal, inte 3,5.",
    ),
    Case(
        "bad_29_index_above_100.csv",
        text(rows(HEADER, "HC1A|index|Kv 4 2025|101")),
        problem="Rad 2, kolumn ”värde”: Ett index måste vara mellan 0 och 100, inte 101.",
    ),
    Case(
        "bad_30_value_inconsistent.csv",
        text(rows("enhet|mått|period|värde|täljare|nämnare", "HC1A|andel|2025-12|54,3|271|500")),
        problem="Rad 2, kolumn ”värde”: Värdet 54,3 stämmer inte med täljare ÷ nämnare × 100 = 54,2",
    ),
    Case(
        "bad_31_duplicate_row.csv",
        text(rows(HEADER, "HC1A|antal|2025-12|3", "HC1B|antal|2025-12|3", "HC1A|antal|dec 2025|4")),
        problem="Rad 4, kolumn ”enhet”: Samma enhet, mått och period finns redan på rad 2.",
    ),
    Case(
        "bad_32_month_for_quarterly_measure.csv",
        text(rows(HEADER, "HC1A|index|2024-05|70")),
        problem="Rad 2, kolumn ”period”: ”2024-05” är en månad, men måttet ”Arbetsmiljöindex” rapporteras per kvartal; skriv kvartalet, Kv 2 2024.",
    ),
    Case(
        "bad_33_quarter_for_monthly_measure.csv",
        text(rows(HEADER, "HC1A|antal|Kv 1 2024|70")),
        problem="Rad 2, kolumn ”period”: ”Kv 1 2024” är ett kvartal, men måttet ”Antal frigjorda tider” rapporteras per månad; skriv en månad, till exempel jan 2024, feb 2024 eller mar 2024.",
    ),
    Case(
        "bad_34_vc_row_for_another_vo.csv",
        text(rows(HEADER, "HC1A|antal|2025-12|1", "HC1B|antal|2025-12|2", "HC2A|antal|2025-12|3")),
        user="vc1",
        problem="Rad 4, kolumn ”enhet”: Du får inte rapportera värden för enheten ”Hälsocentral Söderby”.",
        problem_count=1,
    ),
    Case(
        "bad_35_vec_row_for_sibling.csv",
        text(rows(HEADER, "HC1B|antal|2025-12|2")),
        user="vec1a",
        problem="Rad 2, kolumn ”enhet”: Du får inte rapportera värden för enheten ”Hälsocentral Nordvik”.",
    ),
    Case(
        "bad_36_too_large.csv",
        text(rows(HEADER, *["HC1A|antal|2025-12|3"] * 10)),
        settings={"GONV_IMPORT_MAX_BYTES": 100},
        problem="Filen är 236\u00a0byte; den får vara högst 100\u00a0byte.",
    ),
    Case(
        "bad_37_sheet_missing.xlsx",
        xlsx({"Blad1": [["enhet", "mått", "period", "värde"], ["HC1A", "antal", "2025-12", 1]]}),
        sheet="Data",
        problem="Bladet ”Data” finns inte i filen. Bladen heter: ”Blad1”.",
    ),
    Case("bad_38_empty_sheet.xlsx", xlsx({"Blad1": []}), problem="Filen är tom."),
    Case(
        "bad_39_xlsx_text_in_number_cell.xlsx",
        xlsx(
            {
                "Blad1": [
                    ["enhet", "mått", "period", "värde"],
                    ["HC1A", "antal", "2025-12", 1],
                    ["HC1B", "antal", "2025-12", "n/a"],
                ]
            }
        ),
        problem="Rad 3, kolumn ”värde”: ”n/a” är inte ett tal",
    ),
    Case(
        "bad_40_percent_on_count.csv",
        text(rows(HEADER, "HC1A|antal|2025-12|5 %")),
        problem="Rad 2, kolumn ”värde”: Procenttecken passar bara mått som är andelar (5).",
    ),
    Case(
        "bad_41_numerator_without_denominator.csv",
        text(rows("enhet|mått|period|värde|täljare|nämnare", "HC1A|andel|2025-12|50|5|")),
        problem="Rad 2, kolumn ”nämnare”: Täljare och nämnare måste anges tillsammans.",
    ),
    Case(
        "bad_42_too_many_decimals.csv",
        text(rows(HEADER, "HC1A|medel|2025-12|1,23456")),
        problem="Rad 2, kolumn ”värde”: Talet 1,23456 har fler än fyra decimaler.",
    ),
    Case(
        # A comment and no value is no template row left unfilled: the value was forgotten.
        "bad_43_value_missing.csv",
        text(rows(HEADER + "|kommentar", "HC1A|antal|2025-12||Räknat för hand")),
        problem="Rad 2, kolumn ”värde”: Värde saknas (ange värde, eller täljare och nämnare).",
        problem_count=1,
    ),
    Case(
        "bad_44_bad_row_after_a_written_chunk.csv",
        many_rows(2400, bad_at=2300),
        problem="Rad 2300, kolumn ”värde”: ”tolv” är inte ett tal",
        problem_count=1,
    ),
    Case(
        "bad_45_many_problems.csv",
        text(rows(HEADER, *[f"HC1A|antal|2025-12|x{i}" for i in range(350)])),
        problem="…och 50 problem till.",
        problem_count=350,
    ),
    Case(
        "bad_46_quoted_multiline_row_numbers.csv",
        text(
            'enhet;mått;period;värde;kommentar\nHC1A;antal;2025-12;3;"rad ett\nrad två"\nHC1B;antal;2025-12;x;\n'
        ),
        problem="Rad 4, kolumn ”värde”: ”x” är inte ett tal",
    ),
    Case(
        # A share is summed as Σ täljare ÷ Σ nämnare: its value alone would be left out of every
        # total while the period counted as reported.
        "bad_47_share_without_numerator_and_denominator.csv",
        text(
            rows(
                "enhet|mått|period|värde|täljare|nämnare|kommentar",
                "HC1A|andel|2025-12|54,2|271|500|",
                "HC1B|andel|2025-11|75,5|||",
            )
        ),
        problem="Rad 3, kolumn ”täljare”: Måttet ”Andel rätt hjälp” är en andel: ange täljare och nämnare (värdet räknas ut).",
        problem_count=1,
    ),
    Case(
        # Template rows left unfilled are skipped; a file of nothing else has nothing to import.
        "bad_48_only_unfilled_rows.csv",
        text(rows(HEADER, "HC1A|antal|2025-12|", "HC1B|antal|2025-12| ")),
        problem="Filen har inga ifyllda värden: ingen av de 2 raderna har värde, täljare eller nämnare.",
        problem_count=1,
    ),
    Case(
        # An index's nämnare (its respondents) weighs a value: without one there is nothing.
        "bad_49_index_denominator_without_value.csv",
        text(rows("enhet|mått|period|värde|täljare|nämnare", "HC1A|index|Kv 4 2025|||18")),
        problem="Rad 2, kolumn ”värde”: Värde saknas (ange värde, eller täljare och nämnare).",
        problem_count=1,
    ),
    Case(
        "bad_50_index_denominator_zero.csv",
        text(rows("enhet|mått|period|värde|nämnare", "HC1A|index|Kv 4 2025|72,4|0")),
        problem="Rad 2, kolumn ”nämnare”: Nämnaren kan inte vara 0.",
        problem_count=1,
    ),
    Case(
        # "nov 25" could be 25 November: a two-digit year is read only after a hyphen.
        "bad_51_two_digit_year_after_a_space.csv",
        text(rows(HEADER, "HC1A|antal|nov 25|3")),
        problem="Rad 2, kolumn ”period”: ”nov 25” är ingen period",
        problem_count=1,
    ),
    Case(
        # A percent sign in täljare or nämnare: they are counts, whatever the measure.
        "bad_53_percent_in_numerator_and_denominator.csv",
        text(
            rows(
                "enhet|mått|period|täljare|nämnare",
                "HC1A|andel|2025-12|12,5 %|400",
                "HC1B|andel|2025-12|212|80 %",
            )
        ),
        problem="Rad 2, kolumn ”täljare”: Täljaren är ett antal, inte en procentsats: skriv "
        "antalet, t.ex. 212.",
        problem_count=2,
    ),
    Case(
        # Values that moved more than 50 % from the previous period without a comment are
        # stored, with a warning each: the previous period's value is the file's own row when
        # it has one, else the stored one; a comment (given or kept), exactly 50 % or an
        # unchanged value warns of nothing.
        "good_30_jumps_without_a_comment_warn.csv",
        text(
            rows(
                "enhet|mått|period|värde|kommentar",
                "HC1A|antal|2025-11|40|",
                "HC1A|antal|2025-12|41|",
                "HC1B|antal|2025-12|100|Ny mottagning öppnade",
                "HC2A|antal|2025-12|0|",
                "HC2B|antal|2025-12|12|",
                "HC1B|antal|2025-10|90|",
                "HC2A|antal|2025-10|5|",
                "HC2B|antal|2025-10|9|",
            )
        ),
        before=(
            S("HC1A", "antal", "2025-10-01", "22"),
            S("HC1B", "antal", "2025-11-01", "20"),
            S("HC2A", "antal", "2025-11-01", "10"),
            S("HC2B", "antal", "2025-11-01", "8"),
            S("HC1B", "antal", "2025-09-01", "10"),
            S("HC1B", "antal", "2025-10-01", "90"),
            S("HC2A", "antal", "2025-09-01", "1", comment="Nästan inga"),
            S("HC2B", "antal", "2025-09-01", "1"),
            S("HC2B", "antal", "2025-10-01", "3", comment="Räknat för hand"),
        ),
        stored=(
            S("HC1A", "antal", "2025-10-01", "22"),
            S("HC1B", "antal", "2025-11-01", "20"),
            S("HC2A", "antal", "2025-11-01", "10"),
            S("HC2B", "antal", "2025-11-01", "8"),
            S("HC1B", "antal", "2025-09-01", "10"),
            S("HC1B", "antal", "2025-10-01", "90"),
            S("HC2A", "antal", "2025-09-01", "1", comment="Nästan inga"),
            S("HC1A", "antal", "2025-11-01", "40"),
            S("HC1A", "antal", "2025-12-01", "41"),
            S("HC1B", "antal", "2025-12-01", "100", comment="Ny mottagning öppnade"),
            S("HC2A", "antal", "2025-12-01", "0"),
            S("HC2B", "antal", "2025-12-01", "12"),
            S("HC2A", "antal", "2025-10-01", "5"),
            S("HC2B", "antal", "2025-09-01", "1"),
            S("HC2B", "antal", "2025-10-01", "9", comment="Räknat för hand"),
        ),
        counts=(6, 1, 1),
        jumps=(
            # The rule is said once above the list (wording.jump_warning); each line says
            # how much, against which period, from what to what.
            "Rad 2 (Hälsocentral Norrby, Antal frigjorda tider, nov 2025): +82\u00a0% mot okt "
            "2025 (22\u00a0st → 40\u00a0st)",
            "Rad 5 (Hälsocentral Söderby, Antal frigjorda tider, dec 2025): \u2212100\u00a0% mot "
            "nov 2025 (10\u00a0st → 0\u00a0st)",
            "Rad 8 (Hälsocentral Söderby, Antal frigjorda tider, okt 2025): +400\u00a0% mot sep "
            "2025 (1\u00a0st → 5\u00a0st)",
        ),
    ),
    Case(
        # A stored weight that would be kept is not written when the file is refused.
        "bad_52_kept_weight_in_a_refused_file.csv",
        text(rows(HEADER, "HC1A|index|Kv 4 2025|72,4", "HC1B|index|Kv 4 2025|101")),
        before=(S("HC1A", "index", "2025-10-01", "70", None, "18"),),
        problem="Rad 3, kolumn ”värde”: Ett index måste vara mellan 0 och 100, inte 101.",
        problem_count=1,
    ),
    Case(
        # The value beside täljare and nämnare may be off by half of its last written decimal
        # (at least 0,05), no more: 71 for 72,41, or 72,3.
        "bad_54_share_value_off_by_more_than_half_its_last_decimal.csv",
        text(
            rows(
                "enhet|mått|period|värde|täljare|nämnare",
                "HC1A|andel|2025-12|71|412|569",
                "HC1B|andel|2025-12|72,3|412|569",
            )
        ),
        problem="Rad 2, kolumn ”värde”: Värdet 71 stämmer inte med täljare ÷ nämnare × 100 = 72,41 (högst 0,5 ifrån).",
        problem_count=2,
    ),
    Case(
        # A percent-formatted cell is a percentage, which fits only a share.
        "bad_55_percent_formatted_index.xlsx",
        xlsx(
            {
                "Blad1": [
                    ["enhet", "mått", "period", "värde"],
                    ["HC1A", "index", "Kv 4 2025", 0.724],
                ]
            },
            number_formats={"D2": "0.0%"},
        ),
        problem="Rad 2, kolumn ”värde”: Procenttecken passar bara mått som är andelar (72,4).",
        problem_count=1,
    ),
    Case(
        # A unit or measure by its name is not matched (names can repeat), but the message
        # gives the code of the one that has it.
        "bad_56_unit_and_measure_by_name.csv",
        text(
            rows(
                HEADER,
                "hälsocentral norrby|antal|2025-12|3",
                "HC1A|Antal frigjorda tider|2025-12|3",
            )
        ),
        problem="Rad 2, kolumn ”enhet”: ”hälsocentral norrby” är en enhets namn; skriv dess kod HC1A eller HSA-id (se mallen).",
        problem_count=2,
    ),
)


def write_all() -> None:
    """Write every corpus file from its recipe."""
    CORPUS_DIR.mkdir(exist_ok=True)
    for case in CASES:
        (CORPUS_DIR / case.name).write_bytes(case.make())


if __name__ == "__main__":
    write_all()
