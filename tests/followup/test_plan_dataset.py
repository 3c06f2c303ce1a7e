"""The Gävleborg data set against the plan: targets and deadlines, provenance, what it adds.

The table below is written from the plan itself (the region's Fas 2 slide deck, seeds/001):
a later edit of data/gavleborg/*.toml cannot silently change what the plan says.
"""

from __future__ import annotations

import datetime
import io
import shutil
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

import pytest
from django.conf import settings
from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import transaction
from django.test import Client
from django.urls import reverse
from pytest_django import DjangoDbBlocker

from followup.dataset import dataset_import
from followup.models import Measure
from goals.models import Goal
from programmes.models import (
    Phase,
    PhaseEvent,
    ProgrammeArea,
    ProgrammeAreaProcess,
    Provenance,
    SupportingProcess,
    WorkingMethod,
)

DATASET = Path(settings.BASE_DIR) / "data" / "gavleborg"
EXAMPLE_LABEL = "Exempel – fastställs av regionen"


def toml(name: str) -> dict[str, Any]:
    with (DATASET / name).open("rb") as handle:
        return tomllib.load(handle)


class PlanTarget(NamedTuple):
    """One goal or milestone as the plan states it."""

    parent: str | None
    kind: str
    deadline: datetime.date
    target: dict[str, Any]
    wording: str  # the plan's own words, which the record's provenance note quotes


DEC = {year: datetime.date(year, 12, 31) for year in (2025, 2026, 2027, 2030)}

# Written from the plan, slide by slide: PO 1 (3), PO 2 (3), PO 3 (3), PO 6 (3), less the PO 1
# direction goal, which has no target or deadline: the 11 dated goals and milestones.
PLAN = {
    "po1-teamrond-2026": PlanTarget(
        None, "adoption", DEC[2026],
        {"target_share": 100, "working_method": "teamrond", "unit_kind": "halsocentral"},
        "ska vara infört på samtliga HC i dec 2026",
    ),
    "po1-teamrond-2025": PlanTarget(
        "po1-teamrond-2026", "adoption", DEC[2025],
        {"target_share": 50, "working_method": "teamrond", "unit_kind": "halsocentral"},
        "Teamrond ska vara infört på 50% av HC i dec 2025",
    ),
    "po2-instrument-implementerat-2026": PlanTarget(
        None, "deliverable", DEC[2026], {},
        "Enhetligt riskbedömningsinstrument implementerat i dec 2026",
    ),
    "po2-instrument-beslutat-2025": PlanTarget(
        "po2-instrument-implementerat-2026", "deliverable", DEC[2025], {},
        "Enhetligt riskbedömningsinstrument beslutat i dec 2025",
    ),
    "po2-riskbedomning-2027": PlanTarget(
        None, "adoption", DEC[2027],
        {"target_share": 100, "unit_kind": "halsocentral"},
        "Samtliga HC ska ha infört arbetssättet 2027",
    ),
    "po3-do-2030": PlanTarget(
        None, "measure", DEC[2030], {"target_value": 100},
        "ska ha en dokumenterad överenskommelse i Cosmic i dec 2030",
    ),
    "po3-do-modul-cosmic-2026": PlanTarget(
        "po3-do-2030", "deliverable", DEC[2026], {},
        "Modulen för patientens dokumenterade överenskommelse ska fungera i Cosmic i dec 2026",
    ),
    "po3-do-okning-2027": PlanTarget(
        "po3-do-2030", "measure", DEC[2027],
        {
            "relative_change_pct": 50,
            "baseline_start": datetime.date(2026, 12, 1),
            "baseline_end": datetime.date(2026, 12, 31),
        },
        "ska ha ökat med 50% i dec 2027 jämfört med dec 2026",
    ),
    "po6-nara-vard-arbetssatt-2026": PlanTarget(
        None, "adoption", DEC[2026],
        {"target_share": 100, "unit_kind": "halsocentral"},
        "Nära vård-arbetssätt används på samtliga HC i dec 2026",
    ),
    "po6-arbetssatt-fortydligade-2025": PlanTarget(
        "po6-nara-vard-arbetssatt-2026", "deliverable", DEC[2025], {},
        "Förtydligande av de nära vård-arbetssätt som ska användas – klart dec 2025",
    ),
    "po6-utfasning-fortydligad-2025": PlanTarget(
        "po6-nara-vard-arbetssatt-2026", "deliverable", DEC[2025], {},
        "Förtydligande av de arbetssätt som ska fasas ut – klart dec 2025",
    ),
}  # fmt: skip


def _unwrap(text: str) -> str:
    return " ".join(text.split())


# --- the TOML against the plan, without a database --------------------------------------------


def test_the_plans_eleven_goals_and_milestones_have_its_targets_and_deadlines() -> None:
    goals = {item["code"]: item for item in toml("plan.toml")["goals"]}

    assert len(PLAN) == 11
    for code, plan in PLAN.items():
        item = goals[code]
        assert item.get("parent") == plan.parent, code
        assert item["kind"] == plan.kind, code
        assert item["deadline"] == plan.deadline, code
        for name, value in plan.target.items():
            assert item[name] == value, (code, name)
        assert item["provenance"] == "plan", code
        assert plan.wording in _unwrap(item["provenance_note"]), code


def test_goals_the_plan_does_not_set_are_labelled_examples() -> None:
    goals = {item["code"]: item for item in toml("plan.toml")["goals"]}
    from_plan = set(PLAN) | {"po1-teamarbete"}  # the PO 1 direction goal has no deadline

    others = {code: item for code, item in goals.items() if code not in from_plan}

    assert set(others) == {"po4-digitala-arbetssatt", "po5-proaktiva-arbetssatt"}
    for code, item in others.items():
        assert item["provenance"] == "exempel", code
        assert "Planen sätter inget mål" in _unwrap(item["provenance_note"]), code
        assert "bedöms varje kvartal" not in item.get("description", ""), code
    assert goals["po1-teamarbete"]["provenance"] == "plan"
    assert "deadline" not in goals["po1-teamarbete"]


def test_every_record_of_the_data_set_states_its_provenance() -> None:
    plan, measures = toml("plan.toml"), toml("measures.toml")
    records = [
        *plan["goals"],
        *plan["working_methods"],
        *plan["timeline"],
        *plan["supporting_process_links"],
        *measures["measures"],
    ]

    for item in records:
        assert item["provenance"] in {"plan", "exempel"}, item
        if item["provenance"] == "exempel":
            assert item["provenance_note"].strip(), item


def test_the_plans_undated_steps_and_start_dates_are_not_invented() -> None:
    plan = toml("plan.toml")
    goals = {item["code"]: item for item in plan["goals"]}
    areas = {item["number"]: item for item in plan["programme_areas"]}

    assert "start_date" not in areas[4]  # "PO 4 Digitala arbetssätt – pågår"
    assert "start_date" not in goals["po2-riskbedomning-2027"]  # the plan says only "2027"
    # "Beslut om åtgärder och rutin …" is a step of its own, not part of the milestone.
    assert "rutin" not in goals["po2-instrument-beslutat-2025"].get("description", "")
    assert "Beslut om åtgärder och rutin" in _unwrap(areas[2]["description"])
    for number in (2, 6):
        assert "Förändringsledningsstöd" in areas[number]["description"], number
        assert "Implementeringsstöd" in areas[number]["description"], number
    assert "Etc" in areas[5]["description"]
    assert "sköra äldre" not in (DATASET / "plan.toml").read_text(encoding="utf-8")


# --- loaded into the database -----------------------------------------------------------------


@pytest.fixture(scope="module")
def _plan_loaded_once(django_db_setup: None, django_db_blocker: DjangoDbBlocker) -> Iterator[None]:
    """The data set without its demo values, loaded once for the module and rolled back."""
    with django_db_blocker.unblock(), transaction.atomic():
        dataset_import(path=DATASET)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def plan_loaded(_plan_loaded_once: None, db: None) -> None:
    """The data set without its demo values (no users, no observations)."""


def test_every_goal_measure_method_and_link_has_a_provenance(plan_loaded: None) -> None:
    models = (Goal, Measure, WorkingMethod, ProgrammeAreaProcess, PhaseEvent)

    for model in models:
        rows = model.objects.all()
        assert rows.exists(), model
        assert not rows.filter(provenance=Provenance.REGION).exists(), model
        assert not rows.filter(provenance=Provenance.EXAMPLE, provenance_note="").exists(), model
    assert set(Measure.objects.values_list("provenance", flat=True)) == {Provenance.EXAMPLE}
    assert WorkingMethod.objects.get(code="teamrond").provenance == Provenance.EXAMPLE
    assert WorkingMethod.objects.get(code="riskbedomning-skora").name == (
        "Riskbedömning av sköra personer"
    )


# The supporting processes each area's own text in the plan names or plainly describes. The
# plan lists all twelve once, beside every area, and ties none to one area.
AREA_PROCESSES = {
    1: {"Ledarskap"},  # "Förändringsledningsstöd: Dialogmodellen"
    2: {"Ledarskap"},
    3: {"Cosmic", "Ledarskap"},  # "en dokumenterad överenskommelse i Cosmic"
    4: {"Min vård Gävleborg (MVG)", "Cosmic", "Digitalisering"},  # "digitala verktyg som MVG …"
    5: {"Mobila vårdformer", "Samverkan med kommunerna"},  # mobile teams, närvårdssamverkan
    6: {"Ledarskap", "Samverkan primärvård–sjukhusvård"},  # "VC-grupp i PV …, öppenvård VUP"
}


def test_each_area_links_only_to_the_supporting_processes_its_plan_text_supports(
    plan_loaded: None,
) -> None:
    links = ProgrammeAreaProcess.objects.all()

    assert SupportingProcess.objects.count() == 12  # the plan's list, linked or not
    for area in ProgrammeArea.objects.all():
        names = set(area.supporting_processes.values_list("name", flat=True))
        assert names == AREA_PROCESSES[area.number], area.number
    # The plan ties no process to one area: every link is the data set's reading of it.
    assert set(links.values_list("provenance", flat=True)) == {Provenance.EXAMPLE}
    for link in links:
        assert "Planen knyter inte de stödjande processerna" in _unwrap(link.provenance_note)


def test_no_note_shown_to_users_speaks_to_the_developers() -> None:
    text = "".join(
        (DATASET / name).read_text(encoding="utf-8")
        for name in ("plan.toml", "measures.toml", "demo.toml")
    )
    for developer_note in ("öppna fråga", "se måttet", "platshållare", "basperioden"):
        assert developer_note not in text, developer_note


def test_po6_mental_health_measures_from_cyklop_are_labelled(plan_loaded: None) -> None:
    measure = Measure.objects.get(code="psykisk-halsa-cyklop")

    assert measure.source == Measure.Source.CYKLOP
    assert list(measure.programme_areas.values_list("number", flat=True)) == [6]
    assert measure.provenance == Provenance.EXAMPLE
    assert "Cyklop-rapport" in _unwrap(measure.provenance_note)


def test_timeline_and_governance_of_the_plan_are_on_the_phase(plan_loaded: None) -> None:
    phase = Phase.objects.get(code="fas-2")
    events = list(phase.events.all())

    assert [e.code for e in events][:1] == ["fas2-inriktning-2025"]
    assert len(events) == 7
    first = events[0]
    assert (first.start_date, first.end_date) == (
        datetime.date(2025, 2, 1),
        datetime.date(2025, 3, 31),
    )
    assert PhaseEvent.objects.get(code="po4-pagar").ongoing
    assert "VC/bitr. VC VUP" in PhaseEvent.objects.get(code="po6-uppstart-2025").title
    assert "GONV Utvecklingsgrupp (möten 1 gång/månad)" in _unwrap(phase.governance)
    assert "HSL styrgrupp" in phase.governance
    assert "Slutenvårdens uppdrag i Fas 2" in phase.governance
    assert "Öppenvårdens uppdrag i Fas 2" in phase.governance
    # Timeline items are not goals: the status engine never sees them.
    assert not Goal.objects.filter(code__in=[e.code for e in events]).exists()


def test_loading_again_changes_nothing(plan_loaded: None) -> None:
    report = dataset_import(path=DATASET)

    assert not report.changed
    assert report.changes == []


def test_a_dry_run_lists_each_change_and_keeps_nothing(plan_loaded: None, tmp_path: Path) -> None:
    edited = tmp_path / "gavleborg"
    shutil.copytree(DATASET, edited)
    plan = edited / "plan.toml"
    plan.write_text(
        plan.read_text(encoding="utf-8").replace(
            'title = "Ökat teamarbete i hela vården"', 'title = "Mer teamarbete"'
        ),
        encoding="utf-8",
    )
    Goal.objects.filter(code="po5-proaktiva-arbetssatt").delete()

    preview = dataset_import(path=edited, dry_run=True)

    assert [(c.key, c.state, c.fields) for c in preview.changes] == [
        ("code=po1-teamarbete", "updated", ("title",)),
        ("code=po5-proaktiva-arbetssatt", "created", ()),
    ]
    assert Goal.objects.get(code="po1-teamarbete").title == "Ökat teamarbete i hela vården"
    assert not Goal.objects.filter(code="po5-proaktiva-arbetssatt").exists()

    out = io.StringIO()
    call_command("load_demo", "--dataset", str(edited), "--dry-run", stdout=out)
    printed = out.getvalue()

    assert "ändras/changes   mål (Goal) code=po1-teamarbete: title" in printed
    assert "ny/new           mål (Goal) code=po5-proaktiva-arbetssatt" in printed
    assert "Dry run: nothing saved." in printed
    assert Goal.objects.get(code="po1-teamarbete").title == "Ökat teamarbete i hela vården"


# --- shown in the UI ----------------------------------------------------------------------------


@pytest.fixture
def staff(db: None) -> User:
    return User.objects.create_superuser("granskare", password="x" * 12)  # noqa: S106


def test_start_page_labels_each_example_goal_with_its_note(
    plan_loaded: None, client: Client, staff: User
) -> None:
    client.force_login(staff)

    content = client.get(reverse("home")).content.decode()

    assert content.count(EXAMPLE_LABEL) == 2  # the PO 4 and PO 5 direction goals
    po4 = content[content.index("Fortsätta öka användningen av digitala verktyg") :]
    assert po4.index(EXAMPLE_LABEL) < po4.index("PO 5.")
    assert "Planen sätter inget mål för PO 4" in po4
    # A plan goal shows the plan's wording, without the example label.
    teamrond = content[content.index("Teamrond infört på samtliga hälsocentraler") :]
    assert "Planen: ”Arbetssättet ’Teamrond’ ska" in teamrond
    assert teamrond.index("Planen: ”Arbetssättet") < teamrond.index(EXAMPLE_LABEL)
    assert "Styrning, ledning och uppdrag" in content
    assert "Sätta inriktning 2025–2027" in content


@pytest.mark.parametrize(
    ("model", "code"),
    [("goals/goal", "po4-digitala-arbetssatt"), ("followup/measure", "arbetsmiljo")],
)
def test_admin_lists_and_filters_provenance_and_edits_it(
    plan_loaded: None, client: Client, staff: User, model: str, code: str
) -> None:
    client.force_login(staff)
    app, name = model.split("/")

    listing = client.get(reverse(f"admin:{app}_{name}_changelist"))
    examples = client.get(
        reverse(f"admin:{app}_{name}_changelist"), {"provenance__exact": "exempel"}
    )
    row = (Goal if name == "goal" else Measure).objects.get(code=code)
    change = client.get(reverse(f"admin:{app}_{name}_change", args=[row.pk]))

    assert listing.status_code == 200
    assert EXAMPLE_LABEL in examples.content.decode()
    assert 'name="provenance"' in change.content.decode()
    assert row.provenance_note.split("\n")[0] in change.content.decode()


def test_admin_shows_the_area_links_with_their_provenance(
    plan_loaded: None, client: Client, staff: User
) -> None:
    client.force_login(staff)
    area = ProgrammeArea.objects.get(number=3)

    content = client.get(reverse("admin:programmes_programmearea_change", args=[area.pk]))

    assert content.status_code == 200
    # Area 3's two links (Cosmic, Ledarskap), each row with its fields, and their provenance.
    html = content.content.decode()
    assert 'name="process_links-1-supporting_process"' in html
    assert "Planen (PO 3)" in html
