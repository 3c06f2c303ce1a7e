"""The import's counted sentences in English: each phrase is in the catalogue with its
singular and plural, so an English interface never shows "1 nytt" or "2 ändrade värden"."""

from __future__ import annotations

import ast
from pathlib import Path

from django.conf import settings
from django.utils import translation

from followup.imports import wording


def test_the_stored_message_and_summary_are_english_in_singular_and_plural() -> None:
    with translation.override("en"):
        assert wording.stored_message(1, 1) == "The import is done: 1 new and 1 changed value."
        assert wording.stored_message(2, 1_234) == (
            "The import is done: 2 new and 1\u00a0234 changed values."
        )
        assert wording.stored_summary(1, 0) == "Stored: 1 new value."
        assert wording.stored_summary(0, 2) == "Stored: 2 changed values."
        assert wording.stored_summary(3, 1) == "Stored: 3 new and 1 changed value."


def test_nothing_changed_skipped_and_weights_kept_are_english() -> None:
    with translation.override("en"):
        assert wording.nothing_changed_message(1) == (
            "Nothing changed: the value in the file was already there."
        )
        assert wording.nothing_changed_message(2) == (
            "Nothing changed: all 2 values in the file were already there."
        )
        assert wording.skipped_message(1).startswith("1 empty row was skipped (unit, measure")
        assert wording.skipped_message(161).startswith("161 empty rows were skipped (unit,")
        assert wording.weights_kept_message(1) == (
            "1 weighted value (e.g. an index) without a denominator keeps its saved denominator."
        )
        assert wording.weights_kept_message(2) == (
            "2 weighted values (e.g. indexes) without a denominator keep their saved denominators."
        )


def test_undo_command_counts_and_manual_values_are_english() -> None:
    with translation.override("en"):
        assert wording.undone_message(1, 1) == (
            "The import is undone: 1 value was removed and 1 was restored."
        )
        assert wording.undone_message(2, 0) == "The import is undone: 2 values were removed."
        assert wording.undone_message(0, 1) == "The import is undone: 1 value was restored."
        assert wording.mixed_replaced_warning(1, 2, ["Cyklop", "Cosmic"]).startswith(
            "The import replaces 3 values: 1 reported by hand and 2 imported from Cyklop and "
            "Cosmic. The file's values are saved as reported by hand (source Manual reporting)."
        )
        assert wording.command_counts(1, 1, 1, 1) == "1 row – 1 new, 1 changed, 1 unchanged"
        assert wording.command_counts(3, 2, 0, 1) == "3 rows – 2 new, 0 changed, 1 unchanged"
        assert wording.manual_replaced_warning(1).startswith(
            "The import replaces 1 value reported by hand (source Manual reporting)."
        )
        assert wording.manual_replaced_warning(2).startswith(
            "The import replaces 2 values reported by hand"
        )
        assert wording.manual_replaced_warning(1, ["Anna Berg"]).startswith(
            "The import replaces 1 value reported by hand by Anna Berg (source Manual reporting)."
        )
        assert wording.people_text(["A", "B", "C", "D", "E"]) == "A, B, C and 2 more"
        assert wording.mixed_replaced_warning(1, 1, ["Cyklop"], ["Anna Berg"]).startswith(
            "The import replaces 2 values: 1 reported by hand by Anna Berg and 1 imported from "
            "Cyklop."
        )
        assert wording.manual_replaced_note(1) == (
            "The import replaced 1 value reported by hand (source Manual reporting)."
        )
        assert wording.manual_replaced_note(5) == (
            "The import replaced 5 values reported by hand (source Manual reporting)."
        )
        assert wording.manual_replaced_note(5, ["Anna Berg", "Bo Ek", "C", "D", "E"]) == (
            "The import replaced 5 values reported by hand by Anna Berg, Bo Ek, C and 2 more "
            "(source Manual reporting)."
        )


def test_the_swedish_leaves_out_a_count_of_none() -> None:
    with translation.override("sv"):
        assert wording.stored_message(1, 2) == "Importen är klar: 1 nytt och 2 ändrade värden."
        # A count of none is left out, not written as "0 nya och 2 ändrade värden".
        assert wording.stored_message(0, 2) == "Importen är klar: 2 ändrade värden."
        assert wording.stored_message(1, 0) == "Importen är klar: 1 nytt värde."
        assert wording.stored_summary(2, 0) == "2 nya värden sparades."
        assert wording.undone_message(0, 1) == "Importen är ångrad: 1 värde återställdes."
        assert wording.undone_message(2, 0) == "Importen är ångrad: 2 värden togs bort."
        assert wording.undone_message(1, 3) == (
            "Importen är ångrad: 1 värde togs bort och 3 återställdes."
        )
        assert wording.nothing_changed_message(1) == "Inget ändrades: värdet i filen fanns redan."
        assert wording.command_counts(1, 1, 0, 0) == "1 rad – 1 ny, 0 ändrade, 0 oförändrade"


def test_every_ngettext_of_the_apps_passes_its_phrases_as_literals() -> None:
    """makemessages extracts only literal phrases: a phrase passed in a variable never reaches
    the catalogue, and English users would read it in Swedish."""
    offenders = []
    for app in ("base", "organisation", "programmes", "goals", "followup", "gonv"):
        for path in (Path(settings.BASE_DIR) / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", getattr(node.func, "attr", ""))
                if name in ("ngettext", "ngettext_lazy", "npgettext") and not all(
                    isinstance(arg, ast.Constant) and isinstance(arg.value, str)
                    for arg in node.args[:2]
                ):
                    offenders.append(f"{path.relative_to(settings.BASE_DIR)}:{node.lineno}")
    assert offenders == []


def test_a_jump_is_listed_in_short_and_one_saved_before_with_the_whole_sentence() -> None:
    from followup.imports.report import ImportReport, JumpLine

    jump = JumpLine(2, "U", "M", "nov 2025", "22 st", "40 st", "50", "+82 %", "okt 2025")
    from_zero = JumpLine(3, "U", "M", "nov 2025", "0 st", "5 st", "50", "", "okt 2025")
    # A preview stored before the lines kept their percentage and previous period.
    saved = ImportReport.from_dict(
        {"jumps": [{"row": 2, "unit": "U", "measure": "M", "period": "nov 2025",
                    "previous": "22 st", "new": "40 st", "pct": "50"}]}
    ).jumps[0]  # fmt: skip
    with translation.override("sv"):
        assert str(jump) == "Rad 2 (U, M, nov 2025): +82 % mot okt 2025 (22 st → 40 st)"
        assert from_zero.short == "från 0 st i okt 2025 till 5 st"
        assert str(saved) == (
            "Rad 2 (U, M, nov 2025): Värdet skiljer sig mer än 50 % från föregående period "
            "(22 st): nytt värde 40 st, utan kommentar."
        )
    with translation.override("en"):
        assert jump.short == "+82 % against okt 2025 (22 st → 40 st)"
        assert from_zero.short == "from 0 st in okt 2025 to 5 st"
