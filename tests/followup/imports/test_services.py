"""Preview, store, the same file again, undo, permissions and the one coalesced recompute."""

from __future__ import annotations

import datetime
import html
import io
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from base.periods import Quarter
from followup import tasks
from followup.imports import messages, selectors, undo
from followup.imports.report import UndoRefused
from followup.imports.services import import_preview, import_store
from followup.imports.undo import import_batch_undo
from followup.models import ImportBatch, Observation
from followup.services import observation_record
from tests.factories import ObservationFactory
from tests.followup.imports.world import CorpusWorld


def write(tmp_path: Path, *lines: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(["enhet;mått;period;värde", *lines]) + "\n", encoding="utf-8")
    return path


def value_of(unit: str, measure: str, day: str) -> Decimal | None:
    obs = Observation.objects.filter(
        unit__code=unit, measure__code=measure, period_start=day
    ).first()
    return obs.value if obs else None


@pytest.fixture
def existing(corpus_world: CorpusWorld) -> Observation:
    """HC1A's count for Nov 2025 is 40 (entered by hand)."""
    return ObservationFactory(
        unit=corpus_world.tree.hc1a,
        measure=corpus_world.count,
        period_start=datetime.date(2025, 11, 1),
        value=Decimal(40),
    )


def test_preview_counts_created_changed_unchanged_and_stores_nothing(
    corpus_world: CorpusWorld, existing: Observation, tmp_path: Path
) -> None:
    ObservationFactory(
        unit=corpus_world.tree.hc1b,
        measure=corpus_world.count,
        period_start=datetime.date(2025, 11, 1),
        value=Decimal(7),
    )
    path = write(tmp_path, "HC1A;antal;2025-11;45", "HC1B;antal;2025-11;7", "HC2A;antal;2025-11;3")
    before = Observation.history.count()

    report = import_preview(user=corpus_world.users["strateg"], path=path, file_name="x.csv")

    assert (report.created, report.changed, report.unchanged) == (1, 1, 1)
    changed = [c for c in report.changes if c.old != "–"]
    assert [(c.row, c.unit, c.old, c.new) for c in changed] == [
        (2, "Hälsocentral Norrby", "40\u00a0st", "45\u00a0st")
    ]
    assert value_of("HC1A", "antal", "2025-11-01") == 40
    assert value_of("HC2A", "antal", "2025-11-01") is None
    assert Observation.history.count() == before
    assert not ImportBatch.objects.exists()


def test_store_upserts_and_the_same_file_again_changes_nothing(
    corpus_world: CorpusWorld, existing: Observation, tmp_path: Path
) -> None:
    path = write(tmp_path, "HC1A;antal;2025-11;45", "HC2A;antal;2025-11;3")
    user = corpus_world.users["strateg"]

    first = import_store(user=user, path=path, file_name="x.csv", source="cyklop")

    assert (first.created, first.changed, first.unchanged) == (1, 1, 0)
    assert value_of("HC1A", "antal", "2025-11-01") == 45
    assert Observation.objects.get(pk=existing.pk).import_batch_id == first.batch_id
    counts = (
        ImportBatch.objects.count(),
        ImportBatch.history.count(),
        Observation.history.count(),
    )

    again = import_store(user=user, path=path, file_name="x.csv", source="cyklop")

    assert (again.created, again.changed, again.unchanged) == (0, 0, 2)
    assert again.batch_id is None
    assert (
        ImportBatch.objects.count(),
        ImportBatch.history.count(),
        Observation.history.count(),
    ) == counts


@pytest.mark.django_db(transaction=True)
def test_a_stored_file_triggers_one_recompute_of_its_quarters_and_later_ones(
    corpus_world: CorpusWorld, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[list[str], str]] = []

    def record(quarters: Any, trigger: str) -> None:
        calls.append(([q.code for q in sorted(quarters)], trigger))

    monkeypatch.setattr(tasks, "recompute_in_order", record)
    path = write(tmp_path, *[f"HC1A;antal;2025-{m:02d};{m}" for m in range(1, 13)])

    import_store(user=corpus_world.users["strateg"], path=path, file_name="x.csv")  # commits

    assert len(calls) == 1
    quarters, trigger = calls[0]
    assert trigger == "import"
    assert quarters[0] == "2025Q1"
    assert quarters[-1] == Quarter.containing(datetime.date.today()).code


def test_undo_removes_created_values_and_restores_changed_ones_in_history(
    corpus_world: CorpusWorld, existing: Observation, tmp_path: Path
) -> None:
    user = corpus_world.users["strateg"]
    report = import_store(
        user=user, path=write(tmp_path, "HC1A;antal;2025-11;45", "HC2A;antal;2025-11;3"),
        file_name="x.csv",
    )  # fmt: skip
    batch = ImportBatch.objects.get(pk=report.batch_id)

    result = import_batch_undo(user=user, batch=batch)

    assert (result.removed, result.restored) == (1, 1)
    assert value_of("HC1A", "antal", "2025-11-01") == 40
    assert value_of("HC2A", "antal", "2025-11-01") is None
    batch.refresh_from_db()
    assert batch.undone_by == user
    assert batch.undone_at is not None
    undo_rows = Observation.history.filter(history_change_reason=f"Ångrad import #{batch.pk}")
    assert sorted(undo_rows.values_list("history_type", "history_user")) == [
        ("-", user.pk),
        ("~", user.pk),
    ]
    with pytest.raises(UndoRefused, match="redan ångrad"):
        import_batch_undo(user=user, batch=batch)


def test_undo_is_refused_when_a_value_was_edited_after_the_import(
    corpus_world: CorpusWorld, existing: Observation, tmp_path: Path
) -> None:
    user = corpus_world.users["strateg"]
    report = import_store(
        user=user, path=write(tmp_path, "HC1A;antal;2025-11;45", "HC2A;antal;2025-11;3"),
        file_name="x.csv",
    )  # fmt: skip
    observation_record(
        user=user,
        measure=corpus_world.count,
        unit=corpus_world.tree.hc2a,
        period_start=datetime.date(2025, 11, 1),
        period_end=datetime.date(2025, 11, 30),
        value=Decimal(4),
    )
    batch = ImportBatch.objects.get(pk=report.batch_id)

    with pytest.raises(UndoRefused, match="1 av dess värden har ändrats efter importen"):
        import_batch_undo(user=user, batch=batch)

    assert value_of("HC1A", "antal", "2025-11-01") == 45
    assert value_of("HC2A", "antal", "2025-11-01") == 4
    batch.refresh_from_db()
    assert batch.undone_at is None


def test_undo_is_refused_when_a_later_import_changed_a_value(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    user = corpus_world.users["strateg"]
    first = import_store(
        user=user, path=write(tmp_path, "HC1A;antal;2025-11;45"), file_name="a.csv"
    )
    second = import_store(
        user=user, path=write(tmp_path, "HC1A;antal;2025-11;46", name="b.csv"), file_name="b.csv"
    )

    with pytest.raises(UndoRefused, match="har ändrats efter importen") as refused:
        import_batch_undo(user=user, batch=ImportBatch.objects.get(pk=first.batch_id))

    # Who changed it and how: the later import, named and linked, to be undone first.
    later = f'<a href="/importer/{second.batch_id}/">import #{second.batch_id} ”b.csv”</a>'
    message = html.unescape(str(refused.value))
    assert f"(Hälsocentral Norrby, Antal frigjorda tider, nov 2025) av {later} (" in message
    assert f"({user.get_full_name()}, " in message
    assert message.endswith(". Ångra den först.")


def test_undo_refused_after_a_change_by_hand_names_who_and_escapes_the_names(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    user = corpus_world.users["strateg"]
    corpus_world.users["vc1"].first_name = "<b>Vera</b>"
    corpus_world.users["vc1"].save()
    first = import_store(
        user=user, path=write(tmp_path, "HC1A;antal;2025-11;45"), file_name="a.csv"
    )
    observation_record(
        user=corpus_world.users["vc1"], measure=corpus_world.count, unit=corpus_world.tree.hc1a,
        period_start=datetime.date(2025, 11, 1), period_end=datetime.date(2025, 11, 30),
        value=Decimal(4),
    )  # fmt: skip

    refusal = undo.import_batch_undo_refusal(
        user=user, batch=ImportBatch.objects.get(pk=first.batch_id)
    )

    assert refusal is not None
    assert "&lt;b&gt;Vera&lt;/b&gt;" in refusal  # the page shows the name, never its markup
    assert refusal.count("<a ") == 1  # the grid's cell, no later import
    grid = f"/redigera/rapportera/{corpus_world.tree.hc1a.pk}/?period=2025-11"
    link = f'<a href="{grid}#m{corpus_world.count.pk}u{corpus_world.tree.hc1a.pk}-row">'
    assert f"{link}Hälsocentral Norrby, Antal frigjorda tider, nov 2025</a>" in refusal
    assert "</a> (ändrat av &lt;b&gt;Vera&lt;/b&gt; " in refusal
    assert refusal.endswith("). Ändra värdet för hand under Rapportera i stället.")


def test_undo_refused_after_changes_by_hand_names_the_first_three_and_counts_the_rest(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    user = corpus_world.users["strateg"]
    months = range(6, 12)
    rows = [f"HC1A;antal;2025-{month:02};{month}" for month in months]
    first = import_store(user=user, path=write(tmp_path, *rows), file_name="a.csv")
    for month in (*months[1:], months[0]):  # the first value changed last: still named first
        observation_record(
            user=user, measure=corpus_world.count, unit=corpus_world.tree.hc1a,
            period_start=datetime.date(2025, month, 1),
            period_end=datetime.date(2025, month, 30 if month in (6, 9, 11) else 31),
            value=Decimal(40),
        )  # fmt: skip

    refusal = undo.import_batch_undo_refusal(
        user=user, batch=ImportBatch.objects.get(pk=first.batch_id)
    )

    assert refusal is not None
    assert refusal.startswith("Importen kan inte ångras: 6 av dess värden har ändrats efter")
    assert refusal.count('<a href="/redigera/rapportera/') == 3
    assert [f"?period=2025-{month:02}#" in refusal for month in months] == [True] * 3 + [False] * 3
    assert refusal.endswith(
        "; och 3 värden till. Ändra värdena för hand under Rapportera i stället."
    )


def test_an_import_can_be_undone_after_a_later_import_was_undone(
    corpus_world: CorpusWorld, existing: Observation, tmp_path: Path
) -> None:
    user = corpus_world.users["strateg"]
    first = import_store(
        user=user, path=write(tmp_path, "HC1A;antal;2025-11;45", "HC2A;antal;2025-11;3"),
        file_name="a.csv",
    )  # fmt: skip
    second = import_store(
        user=user,
        path=write(tmp_path, "HC1A;antal;2025-11;46", "HC2A;antal;2025-11;4", name="b.csv"),
        file_name="b.csv",
    )
    import_batch_undo(user=user, batch=ImportBatch.objects.get(pk=second.batch_id))
    batch = ImportBatch.objects.get(pk=first.batch_id)
    assert undo.import_batch_undo_refusal(user=user, batch=batch) is None
    assert not any(row["changed_since"] for row in selectors.import_batch_values(batch=batch))

    import_batch_undo(user=user, batch=batch)

    assert value_of("HC1A", "antal", "2025-11-01") == 40
    assert value_of("HC2A", "antal", "2025-11-01") is None


def test_a_vc_cannot_undo_a_batch_with_units_outside_their_vo(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    report = import_store(
        user=corpus_world.users["strateg"],
        path=write(tmp_path, "HC1A;antal;2025-11;45", "HC2A;antal;2025-11;3"),
        file_name="x.csv",
    )
    batch = ImportBatch.objects.get(pk=report.batch_id)
    vc = corpus_world.users["vc1"]

    assert undo.import_batch_can_undo(user=vc, batch=batch) is False
    with pytest.raises(UndoRefused, match="Hälsocentral Söderby"):
        import_batch_undo(user=vc, batch=batch)

    assert value_of("HC2A", "antal", "2025-11-01") == 3


def test_a_vc_may_undo_their_own_batch(corpus_world: CorpusWorld, tmp_path: Path) -> None:
    vc = corpus_world.users["vc1"]
    report = import_store(user=vc, path=write(tmp_path, "HC1A;antal;2025-11;45"), file_name="x.csv")
    batch = ImportBatch.objects.get(pk=report.batch_id)

    assert undo.import_batch_can_undo(user=vc, batch=batch) is True
    import_batch_undo(user=vc, batch=batch)

    assert value_of("HC1A", "antal", "2025-11-01") is None


@pytest.mark.parametrize("role_user", ["portfolio_owner", "no_role_user", "programme_owner"])
def test_readers_cannot_import(
    corpus_world: CorpusWorld, tmp_path: Path, role_user: str, request: pytest.FixtureRequest
) -> None:
    user = request.getfixturevalue(role_user)

    with pytest.raises(PermissionDenied):
        import_store(user=user, path=write(tmp_path, "HC1A;antal;2025-11;45"), file_name="x")

    assert not Observation.objects.exists()


def test_a_programme_owner_preview_refuses_every_unit(
    corpus_world: CorpusWorld, tmp_path: Path, programme_owner: Any
) -> None:
    report = import_preview(
        user=programme_owner, path=write(tmp_path, "HC1A;antal;2025-11;45"), file_name="x"
    )
    assert report.problem_lines() == [
        "Rad 2, kolumn ”enhet”: Du får inte rapportera värden för enheten ”Hälsocentral Norrby”. "
        "Den hör till VO Norr; ta bort raden eller be strategen importera den."
    ]


def test_problems_are_listed_up_to_the_limit_then_counted(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    path = write(tmp_path, *[f"HC1A;antal;2025-11;x{i}" for i in range(messages.PROBLEM_LIMIT + 5)])
    report = import_preview(user=corpus_world.users["strateg"], path=path, file_name="x")
    lines = report.problem_lines()
    assert len(lines) == messages.PROBLEM_LIMIT + 1
    assert lines[-1] == "…och 5 problem till."


# --- the command ------------------------------------------------------------------------------


@pytest.mark.parametrize("dry_run", [False, True])
def test_the_command_refuses_a_system_as_the_source_for_a_vc(
    corpus_world: CorpusWorld, tmp_path: Path, dry_run: bool
) -> None:
    from django.core.management import call_command

    good = write(tmp_path, "HC1A;antal;2025-11;45", name="good.csv")
    stderr = io.StringIO()
    dry = ["--dry-run"] if dry_run else []

    with pytest.raises(SystemExit) as exit_info:
        call_command(
            "import_observations", str(good), "--source", "cyklop", "--user", "vc1", *dry,
            stderr=stderr,
        )  # fmt: skip

    assert exit_info.value.code == 1
    assert stderr.getvalue().splitlines() == [
        "Bara strategen och administratörer anger ett system (Cyklop, Cosmic, Min vård "
        "Gävleborg, Vården i siffror) som källa. Dina värden importeras som Manuell "
        "inrapportering; inget har sparats."
    ]
    assert not Observation.objects.exists()
    assert not ImportBatch.objects.exists()


@pytest.mark.parametrize("username", [None, "strateg"])
def test_the_command_imports_a_systems_export_for_the_strategist_and_the_operator(
    corpus_world: CorpusWorld, tmp_path: Path, username: str | None
) -> None:
    from django.core.management import call_command

    good = write(tmp_path, "HC1A;antal;2025-11;45", name="good.csv")
    user = ["--user", username] if username else []

    call_command(
        "import_observations", str(good), "--source", "cyklop", *user, stdout=io.StringIO()
    )

    assert ImportBatch.objects.get().source == "cyklop"
    assert Observation.objects.get().source == "cyklop"


@pytest.mark.parametrize("username", ["vc1", "vec1a"])
def test_import_store_refuses_a_system_as_the_source_for_a_vc(
    corpus_world: CorpusWorld, tmp_path: Path, username: str
) -> None:
    path = write(tmp_path, "HC1A;antal;2025-11;45")

    with pytest.raises(PermissionDenied, match="Bara strategen och administratörer anger"):
        import_store(
            user=corpus_world.users[username], path=path, file_name="x.csv", source="cyklop"
        )

    assert not Observation.objects.exists()
    assert not ImportBatch.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_command_exits_0_and_stores_and_1_with_problems_on_stderr(
    corpus_world: CorpusWorld, tmp_path: Path, settings: Any
) -> None:
    from django.core.management import call_command

    good = write(tmp_path, "HC1A;antal;2025-11;45", name="good.csv")
    bad = write(tmp_path, "HC1A;antal;2025-11;45", "HC9;antal;2025-11;1", name="bad.csv")

    call_command("import_observations", str(good), "--dry-run", "--user", "strateg")
    assert not Observation.objects.exists()

    call_command("import_observations", str(good), "--user", "vc1")
    assert value_of("HC1A", "antal", "2025-11-01") == 45
    assert ImportBatch.objects.get().imported_by == corpus_world.users["vc1"]

    stderr = io.StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("import_observations", str(bad), stderr=stderr)
    assert exit_info.value.code == 1
    assert stderr.getvalue().splitlines() == [
        "Rad 3, kolumn ”enhet”: Enheten ”HC9” finns inte (varken som enhetskod eller HSA-id).",
        "Filen har 1 problem; inget sparades.",
    ]
    assert ImportBatch.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_command_quotes_a_refused_period_as_written(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    from django.core.management import call_command

    bad = write(tmp_path, "HC1A;antal;December 1999;45", name="bad.csv")
    stderr = io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import_observations", str(bad), "--user", "strateg", stderr=stderr)
    assert stderr.getvalue().splitlines()[0] == (
        "Rad 2, kolumn ”period”: Perioden ”December 1999” ligger utanför åren 2000–2100."
    )


def test_the_command_writes_its_counts_as_the_pages_do(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    """Thousands grouped the Swedish way: "1 234 rader", not "1234 rader"."""
    from django.core.management import call_command

    lines = [f"HC9;antal;{2025 - n // 12}-{n % 12 + 1:02d};1" for n in range(1234)]
    big = write(tmp_path, *lines, name="big.csv")
    stdout, stderr = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit):
        call_command("import_observations", str(big), "--dry-run", stdout=stdout, stderr=stderr)
    assert stdout.getvalue().startswith(
        "big.csv: 1\u00a0234 rader – 0 nya, 0 ändrade, 0 oförändrade."
    )
    # (An unknown unit on each row, and too old a period on some: over a thousand problems.)
    assert re.fullmatch(
        r"Filen har \d\u00a0\d{3} problem; inget sparades.", stderr.getvalue().splitlines()[-1]
    )


def test_the_command_counts_one_row_in_the_singular_and_writes_values_with_their_unit(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    from django.core.management import call_command

    ObservationFactory(
        unit=corpus_world.tree.hc1a, measure=corpus_world.count,
        period_start=datetime.date(2025, 11, 1), value=Decimal(1200),
    )  # fmt: skip
    path = write(tmp_path, "HC1A;antal;2025-11;1234", name="one.csv")
    stdout = io.StringIO()

    call_command("import_observations", str(path), "--dry-run", stdout=stdout)

    lines = stdout.getvalue().splitlines()
    assert lines[0] == "one.csv: 1 rad – 0 nya, 1 ändrad, 0 oförändrade."
    assert lines[1] == (
        "  rad 2: Hälsocentral Norrby, Antal frigjorda tider, nov 2025: "
        "1\u00a0200\u00a0st → 1\u00a0234\u00a0st"
    )


def test_whether_a_batch_can_be_undone_reads_its_later_changes_with_one_query(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    """The batch page asks it on every render: one query whatever the number of values."""
    user = corpus_world.users["strateg"]
    rows = [f"{unit};antal;2025-11;{i}" for i, unit in enumerate(("HC1A", "HC1B", "HC2A"))]
    batch = ImportBatch.objects.get(
        pk=import_store(user=user, path=write(tmp_path, *rows), file_name="x.csv").batch_id
    )

    def queries() -> tuple[int, str | None]:
        with CaptureQueriesContext(connection) as captured:
            refusal = undo.import_batch_undo_refusal(user=user, batch=batch)
        return len(captured), refusal

    unchanged, none = queries()
    for unit in (corpus_world.tree.hc1a, corpus_world.tree.hc1b):
        observation_record(
            user=user, measure=corpus_world.count, unit=unit,
            period_start=datetime.date(2025, 11, 1), period_end=datetime.date(2025, 11, 30),
            value=Decimal(40),
        )  # fmt: skip
    changed, refusal = queries()

    assert none is None
    assert changed == unchanged
    assert refusal is not None
    assert refusal.startswith("Importen kan inte ångras: 2 av dess värden har ändrats")


def test_the_command_counts_the_skipped_template_rows_and_writes_a_changes_details(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    from django.core.management import call_command

    ObservationFactory(
        measure=corpus_world.index, unit=corpus_world.tree.hc1b, value=Decimal("71.1"),
        denominator=33, period_start=datetime.date(2025, 10, 1),
        period_end=datetime.date(2025, 12, 31),
    )  # fmt: skip
    path = write(tmp_path, "HC1A;antal;2025-11;", "HC2A;antal;2025-11;", "HC1B;index;Kv 4 2025;70")
    stdout = io.StringIO()

    call_command("import_observations", str(path), "--dry-run", stdout=stdout)

    out = stdout.getvalue()
    assert "2 tomma rader hoppades över" in out
    assert "1 viktat värde (t.ex. ett index) utan nämnare behåller sin sparade nämnare." in out
    assert "71,1 → 70 (nämnaren 33 behålls)" in out


def test_the_preview_lists_a_new_values_numerator_denominator_and_comment(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    path = tmp_path / "new.csv"
    path.write_text(
        "enhet;mått;period;täljare;nämnare;kommentar\nHC1A;andel;2025-11;40;200;Från Cyklop\n",
        encoding="utf-8",
    )

    preview = import_preview(user=corpus_world.users["strateg"], path=path, file_name="new.csv")

    assert preview.created == 1
    assert preview.changes[0].details == "täljare 40; nämnare 200; kommentar ”Från Cyklop”"


def test_the_command_warns_of_a_jump_without_a_comment_and_stores_the_file(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    from django.core.management import call_command

    ObservationFactory(
        unit=corpus_world.tree.hc1a, measure=corpus_world.count, value=22,
        period_start=datetime.date(2025, 10, 1), period_end=datetime.date(2025, 10, 31),
    )  # fmt: skip
    path = write(tmp_path, "HC1A;antal;2025-11;40")
    stdout = io.StringIO()

    call_command("import_observations", str(path), stdout=stdout)

    out = stdout.getvalue()
    assert "1 värde skiljer sig mer än 50 % från föregående period och har ingen kommentar." in out
    assert (
        "Rad 2 (Hälsocentral Norrby, Antal frigjorda tider, nov 2025): +82\u00a0% mot okt 2025 "
        "(22\u00a0st → 40\u00a0st)"
    ) in out
    assert out.count("skiljer sig mer än 50 %") == 1  # the rule once, above its rows
    assert "Sparat som importomgång" in out
    assert value_of("HC1A", "antal", "2025-11-01") == Decimal(40)


def test_a_percent_sign_in_numerator_or_denominator_says_they_are_counts(
    corpus_world: CorpusWorld, tmp_path: Path
) -> None:
    path = tmp_path / "andel.csv"
    path.write_text(
        "enhet;mått;period;täljare;nämnare\nHC1A;andel;2025-12;12,5 %;400\n"
        "HC1B;andel;2025-12;212;80 %\nHC2A;antal;2025-12;5 %;10\n",
        encoding="utf-8",
    )

    report = import_preview(user=None, path=path, file_name="andel.csv")

    assert report.problem_lines() == [
        "Rad 2, kolumn ”täljare”: Täljaren är ett antal, inte en procentsats: skriv antalet, "
        "t.ex. 212.",
        "Rad 3, kolumn ”nämnare”: Nämnaren är ett antal, inte en procentsats: skriv antalet, "
        "t.ex. 400.",
        "Rad 4, kolumn ”täljare”: Täljaren är ett antal, inte en procentsats: skriv antalet, "
        "t.ex. 212.",
    ]
