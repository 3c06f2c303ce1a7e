"""The checks in SQL (followup.imports.sqlcheck) against the Python checker: the same problems
(row, column, message), counts and stored values for every corpus file and a file of many
problems at once, and the SQL number and period parsers against the Python ones, cell by cell.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pytest_django.fixtures import Settings

from base.periods import Quarter
from followup.imports import parsing, sqlcheck
from followup.imports.lookups import _Lookups
from followup.imports.parsing import CellError, parse_number, parse_period
from followup.imports.report import ImportRefused, ImportReport
from followup.imports.services import import_preview, import_store
from followup.imports.staged import _sql_messages
from followup.models import Observation
from organisation.models import UnitKind
from tests.factories import MeasureFactory, UnitFactory
from tests.followup.imports.corpus import CASES, CORPUS_DIR, Case
from tests.followup.imports.test_copy import _tracked
from tests.followup.imports.test_parsing import month_spellings, quarter_spellings
from tests.followup.imports.world import CorpusWorld, corpus_before_store

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the SQL checks need PostgreSQL"),
]

TODAY = datetime.date(2026, 1, 15)
# The Python checker on either write path: the staged one (COPY of checked rows) and the ORM's.
PYTHON_PATHS = {
    "python-staged": {"GONV_IMPORT_SQL_CHECKS": False},
    "python-orm": {"GONV_IMPORT_COPY": False},
}


def _outcome(report: ImportReport) -> dict[str, Any]:
    return {
        "problems": [(p.row, p.column, p.message) for p in report.problems],
        "problem_count": report.problem_count,
        "counts": (report.rows, report.created, report.changed, report.unchanged),
        "skipped": (report.skipped, report.weights_kept),
        "changes": report.changes,
        "jumps": (report.jump_count, report.jumps),
        "manual_replaced": report.manual_replaced,
        "quarters": report.quarters,
        "ignored": report.ignored_columns,
    }


def _run(case: Case, world: CorpusWorld, path: Path) -> dict[str, Any]:
    """Preview, then store (rolled back): what each says and what the store wrote."""
    user = world.users[case.user]
    preview = import_preview(user=user, path=path, file_name="f", sheet=case.sheet, today=TODAY)
    outcome = {"preview": _outcome(preview)}
    with transaction.atomic():
        try:
            report = import_store(
                user=user, path=path, file_name="f", sheet=case.sheet, today=TODAY
            )
        except ImportRefused as refused:
            outcome["store"] = _outcome(refused.report)
        else:
            outcome["store"] = _outcome(report)
            batch_id = report.batch_id
            history = Observation.history.filter(history_change_reason=f"Import #{batch_id}")
            outcome["history"] = sorted(
                (_tracked(h, batch_id or 0) for h in history),
                key=lambda h: (h["measure_id"], h["unit_id"], h["period_start"]),
            )
            outcome["stored"] = sorted(
                (o["measure_id"], o["unit_id"], o["period_start"], o["period_end"], o["quarter"],
                 o["value"], o["numerator"], o["denominator"], o["comment"], o["version"])
                for o in Observation.objects.values()
            )  # fmt: skip
        transaction.set_rollback(True)
    return outcome


def _parity(case: Case, world: CorpusWorld, path: Path, settings: Settings) -> dict[str, Any]:
    for name, value in case.settings.items():
        setattr(settings, name, value)
    corpus_before_store(case)
    sql = _run(case, world, path)
    for name, overrides in PYTHON_PATHS.items():
        for setting, value in overrides.items():
            setattr(settings, setting, value)
        assert _run(case, world, path) == sql, name
        for setting in overrides:
            delattr(settings, setting)
    return sql


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_every_corpus_file_gives_the_same_outcome_checked_in_sql_and_in_python(
    case: Case, corpus_world: CorpusWorld, settings: Settings
) -> None:
    outcome = _parity(case, corpus_world, CORPUS_DIR / case.name, settings)
    if case.good:
        assert outcome["store"]["problems"] == []
        assert len(outcome["stored"]) == len(case.stored)
    else:
        assert outcome["store"]["problem_count"] > 0


MANY = """enhet;mått;period;värde;täljare;nämnare;kommentar
OKÄND;okänt;2025-13;tolv;x;y;
HC1A;antal;2025-12;-3;;;negativt antal
HC1A;antal;2025-11;3,5;;;decimaler
HC1A;antal;2025-10;12 %;;;procent på antal
HC1A;andel;2025-12;;-1 %;0;täljare procent, nämnare 0
HC1A;andel;2025-11;;5;;bara täljare
HC1A;andel;2025-10;;;5;bara nämnare
HC1A;andel;2025-09;;;;inget värde
HC1A;andel;2025-08;;60;50;täljare över nämnare
HC1A;andel;2025-07;50;27;54;stämmer
HC1A;andel;2025-06;50,06;1;2;stämmer inte
HC1A;andel;2025-05;101;;;över 100
HC1A;andel;2025-04;;1;3200;avrundas jämnt
HC1A;andel;2025-03;;1;3;en tredjedel
HC1A;andel;2025-02;12,345678;;;för många decimaler
HC1A;andel;2025-01;;1,123456;3;täljare med för många decimaler
HC1A;index;Kv 4 2025;101;;;index över 100
HC1A;index;2025-12;50;;;månad för kvartalsmått
HC1A;antal;Kv 3 2025;5;;;kvartal för månadsmått
HC1A;antal;2026-03;5;;;framtid
HC-STANGD;antal;2025-12;5;;;stängd
MOTT1;antal;2025-12;5;;;fel typ
HC1A;antal;1999-12;5;;;för tidigt
HC1A;antal;2025-12-15;5;;;inte första dagen
HC1A;antal;2024-12;1 000 000 000 000;;;för stort
HC1A;antal;2024-05;tjugo;;;inget tal, ett antal
HC1A;andel;2024-05;;tjugo;40;inget tal, en täljare
HC1A;medel;2024-05;tjugo;;;inget tal, ett medelvärde
HC1A;andel;2024-04;;1;99999999999999;för stor nämnare
HC1A;medel;2025-12;;7;2;medel ur täljare och nämnare
HC1A;medel;2025-11;;1;3;medel, en tredjedel
HC1A;antal;2024-10;5;;;dubblett
HC1A;antal;2024-10;6;;;dubblett
HC1B;antal;2024-10;6;;;
se0000000000-test1a;ANTAL;dec 2024;7;;;hsa-id och versaler
HC1A;andel;2024-12;;0;0;noll av noll
HC1A;andel;2024-11;50,05;1;2;precis 0,05 ifrån
HC1A;andel;2024-10;54,2 %;;;procent på andel
HC1A;;2024-09;1;;;
;antal;2024-09;1;;;
HC1A;antal;;1;;;
HC1A;antal;2024-08;;;;
HC1A;antal;2024-07;1
 HC1A\u00a0;\tantal ; 2024-06\u202f; 1 234 ;;;  kommentar med luft\t
;  ;\t;;;;
\u00a0HC1B;antal;2024-06;\u00a012,5\u00a0;;;
HC1A;andel;2023-12;71;412;569;en hel procent för långt ifrån
HC1A;andel;2023-11;72,3;412;569;en decimal för långt ifrån
HC1A;andel;2023-10;72;412;569;hel procent, räknas ut
HC1A;andel;2023-09;54,23456;271;500;en kontroll med många decimaler
 hälsocentral NORDVIK ;antal;2023-12;1;;;enhetens namn
HC1A;antal frigjorda tider;2023-11;1;;;måttets namn
HC1A;index;K4 2023;70;;;kvartal som K4
HC1A;index;Kvartal 3 2023;70;;;kvartal utskrivet
"""


@pytest.mark.parametrize("user", ["strateg", "vc1", "vec1a"])
def test_a_file_of_many_problems_gives_the_same_problems_in_sql_and_in_python(
    user: str, corpus_world: CorpusWorld, settings: Settings, tmp_path: Path
) -> None:
    path = tmp_path / "many.csv"
    path.write_text(MANY, encoding="utf-8")
    outcome = _parity(Case(name="many", make=bytes, user=user), corpus_world, path, settings)
    assert outcome["store"]["problem_count"] > 30
    lines = MANY.splitlines()
    # The new rows' problems, by their comment (the last cell).
    by_comment = {
        lines[row - 1].split(";")[-1]: message for row, _, message in outcome["store"]["problems"]
    }
    assert by_comment["en hel procent för långt ifrån"] == (
        "Värdet 71 stämmer inte med täljare ÷ nämnare × 100 = 72,41 (högst 0,5 ifrån)."
    )
    assert by_comment["en decimal för långt ifrån"] == (
        "Värdet 72,3 stämmer inte med täljare ÷ nämnare × 100 = 72,41 (högst 0,05 ifrån)."
    )
    assert by_comment["enhetens namn"] == (
        "”hälsocentral NORDVIK” är en enhets namn; skriv dess kod HC1B eller HSA-id (se mallen)."
    )
    assert by_comment["måttets namn"] == (
        "”antal frigjorda tider” är ett måtts namn; skriv dess kod antal (se mallen)."
    )
    for accepted in (
        "hel procent, räknas ut", "en kontroll med många decimaler", "kvartal som K4",
        "kvartal utskrivet",
    ):  # fmt: skip
        assert accepted not in by_comment, accepted


def test_a_good_file_of_computed_and_rounded_values_stores_the_same(
    corpus_world: CorpusWorld, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        "enhet;mått;period;värde;täljare;nämnare;kommentar",
        "HC1A;andel;2025-04;;1;3200;avrundas jämnt",
        "HC1A;andel;2025-03;;1;3;en tredjedel",
        "HC1A;andel;2025-07;50;27;54;stämmer",
        "HC1A;medel;2025-12;;7;2;",
        "HC1A;medel;2025-11;;1;3;",
        "se0000000000-test1a;ANTAL;dec 2024;7;;;hsa-id och versaler",
        "HC1A;andel;2024-10;54,2 %;271;500;",
        "HC1A;andel;2024-11;50,05;1;2;",
        "HC1A;index;Kv 4 2025;71,25;;;",
        " HC1A\u00a0;\tantal ; 2024-06\u00a0; 1 234 ;;;  kommentar med luft\t",
        "HC1B;antal;2024-06;0012;;;",
    ]
    path = tmp_path / "good.csv"
    path.write_text("\n".join(rows) + "\n", encoding="cp1252")
    outcome = _parity(Case(name="good", make=bytes), corpus_world, path, settings)
    assert outcome["store"]["problems"] == []
    values = {row[5] for row in outcome["stored"]}
    assert Decimal("0.0312") in values  # 0.03125 rounded to even, as Decimal.quantize does
    assert Decimal("33.3333") in values


def test_a_unit_or_measure_by_its_name_is_refused_with_its_code_in_sql_and_in_python(
    corpus_world: CorpusWorld, settings: Settings, tmp_path: Path
) -> None:
    """Names are never matched (they can repeat), but where exactly one unit or measure has
    the name, ignoring case and surrounding spaces, the message gives its code."""
    UnitFactory(code="HC-TVA", name="Hälsocentral Tvilling", parent=corpus_world.tree.vo1)
    UnitFactory(code="HC-TVA2", name="hälsocentral tvilling", parent=corpus_world.tree.vo2)
    rows = [
        "enhet;mått;period;värde",
        " Hälsocentral Norrby ;antal;2025-12;1",
        "HC1A;ANTAL FRIGJORDA TIDER;2025-12;1",
        "Hälsocentral Tvilling;antal;2025-12;1",
        "HC1A;Antal frigjorda;2025-12;1",
    ]
    path = tmp_path / "names.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")

    outcome = _parity(Case(name="names", make=bytes), corpus_world, path, settings)

    assert outcome["store"]["problems"] == [
        (
            2,
            "enhet",
            "”Hälsocentral Norrby” är en enhets namn; skriv dess kod HC1A eller HSA-id (se "
            "mallen).",
        ),
        (3, "mått", "”ANTAL FRIGJORDA TIDER” är ett måtts namn; skriv dess kod antal (se mallen)."),
        (
            4,
            "enhet",
            "Enheten ”Hälsocentral Tvilling” finns inte (varken som enhetskod eller HSA-id).",
        ),
        (5, "mått", "Måttet ”Antal frigjorda” finns inte."),
    ]
    assert Observation.objects.count() == 0


def _case_units(world: CorpusWorld) -> dict[str, int]:
    """Units whose codes differ from others' only by case (and an HSA-id that is another
    unit's code ignoring case); their ids by code."""
    vo1 = world.tree.vo1
    made = [
        UnitFactory(code="hc1a", name="Hälsocentral Gemen", parent=vo1),
        UnitFactory(code="Hc-Duo", name="Hälsocentral Duo", parent=vo1),
        UnitFactory(code="HC-DUO", name="Hälsocentral DUO", parent=vo1),
        UnitFactory(code="E-HSA", name="Hälsocentral Hsa", hsa_id="hc1b", parent=vo1),
    ]
    return {unit.code: unit.pk for unit in [*made, world.tree.hc1a, world.tree.hc1b]}


@pytest.mark.parametrize("user", ["strateg", "vc1"])
def test_unit_codes_that_differ_only_by_case_are_resolved_alike_in_sql_and_in_python(
    user: str, corpus_world: CorpusWorld, settings: Settings, tmp_path: Path
) -> None:
    """The code written exactly so wins; codes before HSA-ids; a code several units have
    ignoring case, none exactly so, is refused on every path rather than given to one."""
    ids = _case_units(corpus_world)
    good = [
        "enhet;mått;period;värde",
        "HC1A;antal;2025-11;1",
        "hc1a;antal;2025-11;2",
        "HC-DUO;antal;2025-11;3",
        "Hc-Duo;antal;2025-11;4",
        "hc1b;antal;2025-11;5",  # HC1B's code, not E-HSA's HSA-id
        "e-hsa;antal;2025-10;6",  # one unit with that code ignoring case
    ]
    path = tmp_path / "case.csv"
    path.write_text("\n".join(good) + "\n", encoding="utf-8")
    stored = _parity(Case(name="case", make=bytes, user=user), corpus_world, path, settings)
    by_value = {row[5]: row[1] for row in stored["stored"] if row[4] == Quarter(2025, 4).code}
    assert by_value == {
        Decimal(1): ids["HC1A"],
        Decimal(2): ids["hc1a"],
        Decimal(3): ids["HC-DUO"],
        Decimal(4): ids["Hc-Duo"],
        Decimal(5): ids["HC1B"],
        Decimal(6): ids["E-HSA"],
    }

    path.write_text("\n".join([*good, "hc-duo;antal;2025-10;7"]) + "\n", encoding="utf-8")
    refused = _parity(Case(name="case", make=bytes, user=user), corpus_world, path, settings)
    assert refused["store"]["problems"] == [
        (
            8,
            "enhet",
            "”hc-duo” kan vara flera enheter (”Hc-Duo”, ”HC-DUO”): de skiljer sig bara i stora "
            "och små bokstäver. Skriv koden exakt som enheten har den.",
        )
    ]


def test_measure_codes_that_differ_only_by_case_are_resolved_alike_in_sql_and_in_python(
    corpus_world: CorpusWorld, settings: Settings, tmp_path: Path
) -> None:
    kind = UnitKind.objects.get(code="halsocentral")
    ids = {}
    for code in ("besok", "BESOK"):
        measure = MeasureFactory(code=code, name=f"Besök {code}")
        measure.unit_kinds.set([kind])
        ids[code] = measure.pk
    good = ["enhet;mått;period;värde", "HC1A;besok;2025-11;1", "HC1A;BESOK;2025-11;2"]
    path = tmp_path / "case.csv"
    path.write_text("\n".join(good) + "\n", encoding="utf-8")
    stored = _parity(Case(name="case", make=bytes), corpus_world, path, settings)
    by_value = {row[5]: row[0] for row in stored["stored"] if row[0] in ids.values()}
    assert by_value == {Decimal(1): ids["besok"], Decimal(2): ids["BESOK"]}

    path.write_text("\n".join([*good, "HC1A;Besok;2025-10;3"]) + "\n", encoding="utf-8")
    refused = _parity(Case(name="case", make=bytes), corpus_world, path, settings)
    assert refused["store"]["problems"] == [
        (
            4,
            "mått",
            "”Besok” kan vara flera mått (”besok”, ”BESOK”): de skiljer sig bara i stora och "
            "små bokstäver. Skriv koden exakt som måttet har den.",
        )
    ]


# --- the parsers, cell by cell ----------------------------------------------------------------


def _sql_numbers(texts: list[str]) -> list[tuple[Any, ...]]:
    source = (
        "SELECT ord, value, NULL::text AS numerator, NULL::text AS denominator "
        "FROM unnest(%(texts)s::text[]) WITH ORDINALITY AS u(value, ord)"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT value_lit, value_pct, value_nan, value_big "
            f"FROM ({sqlcheck.numbers_sql(source)}) AS n ORDER BY ord",
            {**sqlcheck.params(today=TODAY, denied=[]), "texts": texts},
        )
        return cursor.fetchall()


def _python_number(text: str) -> tuple[Any, ...]:
    """What the Python parser makes of the cell, in the SQL's terms."""
    if not text:
        return (None, False, False, False)
    try:
        number = parse_number(text)
    except CellError:
        return (None, False, True, False)
    return (number.value, number.percent, False, abs(number.value) >= parsing.MAX_VALUE)


def _assert_numbers_agree(texts: list[str]) -> None:
    texts = [text.strip(" \u00a0\u202f\t") for text in texts]  # as the CSV reader trims cells
    for text, (lit, pct, nan, big) in zip(texts, _sql_numbers(texts), strict=True):
        value = None if lit is None else Decimal(lit)
        python = _python_number(text)
        assert (value, pct, nan, big) == python, text
        if value is not None:  # written with the same decimals (12,50 has two)
            assert str(value) == str(python[0]), text


NUMBERS = [
    "12", "12,5", "12.5", "1 234,5", "1\u00a0234,5", "1\u202f234.5", "54,2 %", "54,2%",
    "54,2\u00a0%", "-3", "\u22123", "0", "-0", "0,00001", "12,50", "999 999 999 999,9999",
    "1 000 000 000 000", "1000000000000", "0012", "", "tolv", "12 %%", "1.234,5", "1,234.5",
    "1 23", "1e5", "+5", "12,", ",5", "--1", "1 234 5", "%", "1  234", "١٢", "12 5", "12;5",
    " 12", "12 ", "1 234 567,25", "12,5 % ", "-12,5 %", "0,5", "12.", "1,2,3", "00", "5.0000",
    "5,00000", "1 234", "1234,5678", "-0,5", "\u00a012", "12\t", "+40", "+12,5 %", "+1 234",
    "+0", "+-5", "-+5", "++5", "+ 5", "+",
]  # fmt: skip


def test_the_sql_number_parser_reads_every_cell_as_the_python_parser() -> None:
    _assert_numbers_agree(NUMBERS)


# No deadline: each example is a round trip to PostgreSQL, slow on a shared machine.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(st.lists(st.text(alphabet="0123456789 ,.%-+\u00a0\u202f\u2212eE", max_size=14), max_size=40))
def test_the_sql_number_parser_agrees_on_any_text(texts: list[str]) -> None:
    _assert_numbers_agree(texts)


def _sql_periods(texts: list[str]) -> list[tuple[Any, ...]]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT p.kind, p.error, p.original, p.t, p.start, p.end_, p.quarter FROM ("
            + sqlcheck.periods_sql("SELECT unnest(%(texts)s::text[]) AS raw")
            + ") AS p",
            {**sqlcheck.params(today=TODAY, denied=[]), "texts": texts},
        )
        return cursor.fetchall()


def _assert_periods_agree(texts: list[str]) -> None:
    texts = sorted(set(texts))
    found = {row[2]: row for row in _sql_periods(texts)}
    lookups = _Lookups.load(None)  # units and measures: none of a period's messages names one
    for text in texts:
        kind, error, original, _t, start, end, quarter = found[text.strip(parsing.WHITESPACE)]
        try:
            period = parse_period(text or None)
        except CellError as refused:
            reason = str(refused)
        else:
            assert error is None, text
            assert (kind, start, end) == (period.kind, period.start, period.end), text
            assert quarter == Quarter.containing(period.end).code, text
            continue
        assert error is not None, text
        facts = {"period_original": original}
        messages = list(_sql_messages([f"period_{error}"], facts, lookups))
        assert messages == [("period", reason)], text


def _spellings() -> list[str]:
    texts = []
    for year in (2000, 2025, 2100):
        for month in range(1, 13):
            texts += month_spellings(year, month)
            texts.append(f"{month_spellings(year, month)[3]}.".replace(f" {year}.", f". {year}"))
        for number in range(1, 5):
            texts += quarter_spellings(year, number)
    return texts


UNREADABLE = (
    "är ingen period; skriv en månad som 2025-12 eller dec 2025, eller ett kvartal som "
    "Kv 4 2025 eller 2025Q4."
)
NEAR_MISSES = [
    "", "2025-13", "2025-00", "2025Q5", "2025Q0", "Kv 0 2025", "Kv 5 2025", "2025-12-15",
    "2025-12-00", "12/2025", "dec. 2025 ", "1999-12", "2101-01", "1999Q4", "Kv 1 2101",
    "2025 - 12", "2025 12", "20251", "2025121", "decem 2025", "dec2025", "dec  2025",
    "Dec\u00a02025", "Kv\u20034 2025", "\u212av 4 2025", "déc 2025", "2025-q4", "2025 Q4",
    "kv4  2025", "2025kv4", "maj 1999", "MARS 2101", "  2025-12  ", "2025-1", "２０２５-12",
    "nov 25", "nov-5", "nov-025", "25-nov", "nov--25", "nov/25", "nov-99", "nov-00", "dec-2101",
    "mars.-26", "Sep.-2026", "K4 2025", "k 4 2025", "Kvartal 4 2025", "kvartal4 2025",
    "2025-K4", "2025 K4", "2025 kvartal 4", "2025-kv4", "K5 2025", "Kvartal 0 2025",
    "kvart 4 2025", "2025K4", "K4-2025", "K4 25", "Q4 2025", "2025 - K4", "Kvartal\u00a04 2025",
]  # fmt: skip


def test_the_sql_period_parser_reads_every_spelling_and_near_miss_as_the_python_parser() -> None:
    _assert_periods_agree(_spellings() + NEAR_MISSES)


def test_a_refused_period_is_quoted_as_written_in_sql_and_in_python(
    corpus_world: CorpusWorld, settings: Settings, tmp_path: Path
) -> None:
    rows = [
        "enhet;mått;period;värde",
        "HC1A;antal;December 2999;1",
        "HC1A;antal; KV 4 1999 ;1",
        "HC1A;antal;2025-12-15;1",
        "HC1A;antal;2025-13;1",
        "HC1A;antal;Kvartal 9 2026;1",
    ]
    path = tmp_path / "periods.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")

    outcome = _parity(Case(name="periods", make=bytes), corpus_world, path, settings)

    assert [message for _row, _column, message in outcome["store"]["problems"]] == [
        "Perioden ”December 2999” ligger utanför åren 2000–2100.",
        "Perioden ”KV 4 1999” ligger utanför åren 2000–2100.",
        "”2025-12-15” är inte den första dagen i en månad; skriv månaden som 2025-12.",
        f"”2025-13” {UNREADABLE}",
        f"”Kvartal 9 2026” {UNREADABLE}",
    ]


# No deadline: each example is a round trip to PostgreSQL, slow on a shared machine.
@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(st.text(alphabet="0123456789 -QqKkvl/.decjanmrsoktu\u00a0", max_size=14), max_size=30)
)
def test_the_sql_period_parser_agrees_on_any_text(texts: list[str]) -> None:
    _assert_periods_agree(texts)
