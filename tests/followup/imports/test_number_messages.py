"""A cell that is no number, or too large, in the same words on every path of the import (a CSV
checked in SQL or in Python, an XLSX, the ORM's path): a count's example is a whole number, and
the largest number is named, as the reporting grid says them."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from django.db import connection
from pytest_django.fixtures import Settings

from base.formatting import format_number
from followup.imports.services import import_preview
from tests.followup.imports.world import CorpusWorld

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 1, 15)
PATHS = {
    "sql": {},
    "python-staged": {"GONV_IMPORT_SQL_CHECKS": False},
    "orm": {"GONV_IMPORT_COPY": False},
}
FILE = """enhet;mått;period;värde;täljare;nämnare
HC1A;antal;2025-11;tjugo;;
HC1A;andel;2025-11;;tjugo;40
HC1A;medel;2025-11;tjugo;;
HC1A;antal;2025-10;1 000 000 000 000;;
"""


@pytest.mark.parametrize("path_name", list(PATHS))
def test_the_messages_of_numbers_on_every_path(
    corpus_world: CorpusWorld, settings: Settings, tmp_path: Path, path_name: str
) -> None:
    if path_name != "orm" and connection.vendor != "postgresql":
        pytest.skip("the COPY paths need PostgreSQL")
    for name, value in PATHS[path_name].items():
        setattr(settings, name, value)
    path = tmp_path / "f.csv"
    path.write_text(FILE, encoding="utf-8")

    report = import_preview(
        user=corpus_world.users["strateg"], path=path, file_name="f", today=TODAY
    )

    largest = format_number(999_999_999_999, 0)
    assert [str(problem) for problem in report.problems] == [
        # The example's thousands with a no-break space: never "1" / "234" over two lines.
        "Rad 2, kolumn ”värde”: ”tjugo” är inte ett tal; skriv ett heltal, till exempel 12 "
        "eller 1\u00a0234.",
        "Rad 3, kolumn ”täljare”: ”tjugo” är inte ett tal; skriv till exempel 12,5 eller "
        "1\u00a0234.",
        "Rad 4, kolumn ”värde”: ”tjugo” är inte ett tal; skriv till exempel 12,5 eller 1\u00a0234.",
        f"Rad 5, kolumn ”värde”: Talet 1000000000000 är för stort: högst {largest}.",
    ]
