"""A measure goal's target and baseline as a hostile or mistaken user writes them: on the model
(so the admin and the services refuse them too), in the goal form and in the admin's form.

A share of 250 %, a count of −5, a change of −300 % and an index of 150 were saved and judged
("Uppnått"); a baseline ending after the deadline left the goal "Underlag saknas" for good; a
number too large for its column got Django's count of digits beside "Fyll i fältet."."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from followup.models import Measure, Observation, QuarterReport
from goals.forms import GoalForm
from goals.models import Goal, closed_start_warning
from organisation.models import Unit
from programmes.models import ProgrammeArea
from tests.admin_forms import admin_post, form_errors
from tests.factories import GoalFactory, MeasureFactory, OrgTree

pytestmark = pytest.mark.django_db

SHARE = "Målvärdet för en andel ska vara 0–100 %."
INDEX = "Målvärdet för ett index ska vara 0–100."
NEGATIVE = "Målvärdet för ett antal kan inte vara negativt."
WHOLE = "Målvärdet för ett antal ska vara ett heltal."
BELOW_ALL = (
    "Förändringen kan inte vara mindre än −100 %: ett värde kan inte minska med mer än allt."
)
AFTER_DEADLINE = "Basperioden ska sluta före måldatumet (31 dec 2027): målet jämförs med den."


def _measure(kind: str) -> Measure:
    if kind == "share":
        return MeasureFactory(share=True)
    if kind == "index":
        return MeasureFactory(
            unit="index", value_type="index", aggregation=Measure.Aggregation.WEIGHTED_MEAN
        )
    if kind == "mean":
        return MeasureFactory(
            unit="dagar", value_type="mean", aggregation=Measure.Aggregation.WEIGHTED_MEAN
        )
    return MeasureFactory()  # a monthly count, summed


def _errors(goal: Goal) -> dict[str, list[str]]:
    try:
        goal.full_clean()
    except ValidationError as error:
        return error.message_dict
    return {}


# --- 1. the target by the measure's kind (Goal.clean) ------------------------------------------


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [
        ("share", "250", SHARE),
        ("share", "-1", SHARE),
        ("share", "100.01", SHARE),
        ("index", "150", INDEX),
        ("index", "-0.5", INDEX),
        ("count", "-5", NEGATIVE),
        ("count", "12.5", WHOLE),
    ],
)
def test_a_target_outside_its_measures_values_is_refused_at_the_field(
    kind: str, value: str, message: str
) -> None:
    goal = GoalFactory(measure_absolute=True, measure=_measure(kind))
    goal.target_value = Decimal(value)

    assert _errors(goal) == {"target_value": [message]}


@pytest.mark.parametrize(
    ("kind", "value"),
    [
        ("share", "0"),
        ("share", "100"),
        ("share", "72.5"),
        ("index", "100"),
        ("count", "0"),
        ("count", "195"),
        ("mean", "-3.5"),  # a mean has no range of its own (value_rules has none either)
    ],
)
def test_a_target_its_measure_can_reach_is_saved(kind: str, value: str) -> None:
    goal = GoalFactory(measure_absolute=True, measure=_measure(kind))
    goal.target_value = Decimal(value)

    assert _errors(goal) == {}


def _observation_errors(measure: Measure, unit: Unit, value: str) -> dict[str, list[str]]:
    """What Observation.clean (the admin, the services; the import and the grid in the same
    words) says of one unit's value of the measure, given alone (a share without its parts is
    judged on its value first)."""
    observation = Observation(
        measure=measure,
        unit=unit,
        period_start=datetime.date(2025, 10, 1),
        period_end=datetime.date(2025, 10, 31),
        value=Decimal(value),
    )
    try:
        observation.full_clean()
    except ValidationError as error:
        return error.message_dict
    return {}


TARGET_WORDS = {"share": SHARE, "index": INDEX}
VALUE_WORDS = {
    "share": "En andel måste vara mellan 0 och 100 procent, inte {}.",
    "index": "Ett index måste vara mellan 0 och 100, inte {}.",
}


@pytest.mark.parametrize(
    "value", ["-1", "-0.5", "0", "0.5", "12.5", "50", "100", "100.01", "150", "250"]
)
@pytest.mark.parametrize("kind", ["share", "index", "count"])
def test_a_goal_refuses_the_targets_an_observation_of_its_measure_refuses(
    org_tree: OrgTree, kind: str, value: str
) -> None:
    """One rule (base.measure_values) for a stored value and a goal's target: a share of 150 %,
    an index of −0,5 or a count of 12,5 is refused by both, each in words that name its field
    and the range."""
    measure = _measure(kind)
    goal = GoalFactory(measure_absolute=True, measure=measure)
    goal.target_value = Decimal(value)

    observation_refused = "value" in _observation_errors(measure, org_tree.hc1a, value)
    goal_errors = _errors(goal)

    assert ("target_value" in goal_errors) == observation_refused
    if kind in TARGET_WORDS and observation_refused:
        shown = value.replace(".", ",").replace("-", "−")
        assert goal_errors == {"target_value": [TARGET_WORDS[kind]]}
        assert _observation_errors(measure, org_tree.hc1a, value)["value"] == [
            VALUE_WORDS[kind].format(shown)
        ]


def test_a_count_rolled_up_as_a_mean_may_have_a_target_with_decimals(org_tree: OrgTree) -> None:
    """A count is whole where one unit reports it, and the roll-up of whole counts is whole
    where it sums them; a weighted mean of counts is not, so its target may be 12,5, but never
    negative."""
    mean_of_counts = MeasureFactory(aggregation=Measure.Aggregation.WEIGHTED_MEAN)
    goal = GoalFactory(measure_absolute=True, measure=mean_of_counts)

    goal.target_value = Decimal("12.5")
    assert _errors(goal) == {}
    goal.target_value = Decimal("-1")
    assert _errors(goal) == {"target_value": [NEGATIVE]}
    assert _observation_errors(mean_of_counts, org_tree.hc1a, "12.5") == {
        "value": ["Ett antal måste vara ett heltal, inte 12,5."]
    }


@pytest.mark.parametrize(
    ("change", "refused"), [("-300", True), ("-100.01", True), ("-100", False)]
)
def test_a_change_below_minus_a_hundred_percent_is_refused(change: str, refused: bool) -> None:
    goal = GoalFactory(measure_relative=True)
    goal.relative_change_pct = Decimal(change)

    assert _errors(goal) == ({"relative_change_pct": [BELOW_ALL]} if refused else {})


def test_another_kinds_stale_target_is_not_judged_by_a_measure() -> None:
    goal = GoalFactory(deliverable=True)
    goal.target_value = Decimal("-5")  # not a measure goal: the form clears it, Clean ignores it

    assert "target_value" not in _errors(goal)


# --- 3. the baseline ends before the deadline, and is in order --------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (datetime.date(2027, 12, 1), datetime.date(2027, 12, 31)),  # the deadline's own month
        (datetime.date(2028, 1, 1), datetime.date(2028, 1, 31)),  # after the deadline
        (datetime.date(2027, 1, 1), datetime.date(2028, 12, 31)),  # running past it
    ],
)
def test_a_baseline_ending_on_or_after_the_deadline_is_refused(
    start: datetime.date, end: datetime.date
) -> None:
    goal = GoalFactory(measure_relative=True)  # due 31 dec 2027
    goal.baseline_start, goal.baseline_end = start, end

    assert _errors(goal) == {"baseline_end": [AFTER_DEADLINE]}


def test_a_reversed_baseline_is_refused_at_its_end() -> None:
    goal = GoalFactory(measure_relative=True)
    goal.baseline_start = datetime.date(2026, 12, 1)
    goal.baseline_end = datetime.date(2026, 10, 31)

    assert _errors(goal) == {"baseline_end": ["Basperiodens slut kan inte vara före dess start."]}


def test_a_quarterly_measures_baseline_is_whole_quarters() -> None:
    quarterly = MeasureFactory(frequency=Measure.Frequency.QUARTERLY)
    goal = GoalFactory(measure_relative=True, measure=quarterly)  # baseline dec 2026

    errors = _errors(goal)

    assert list(errors) == ["baseline_start"]
    assert errors["baseline_start"] == [
        "Måttet rapporteras per kvartal: basperioden 1–31 dec 2026 ska vara hela kvartal, från "
        "den första dagen i ett kvartal till den sista, till exempel 1 okt–31 dec 2026."
    ]
    goal.baseline_start = datetime.date(2026, 10, 1)
    assert _errors(goal) == {}


# --- the goal form: the same rules by the field, one message each ------------------------------


def _form(area: ProgrammeArea, measure: Measure | None = None, **data: str) -> GoalForm:
    measure = measure or MeasureFactory()
    posted = {
        "title": "Fler överenskommelser",
        "kind": "measure",
        "deadline": "2027-12-31",
        "measure": str(measure.pk),
        "target_value": "",
        "relative_change_pct": "",
        "baseline_start": "",
        "baseline_end": "",
        "improvement": "higher",
        "version": "0",
        **data,
    }
    return GoalForm(posted, instance=Goal(programme_area=area))


@pytest.mark.parametrize(
    ("kind", "data", "field", "message"),
    [
        ("share", {"target_value": "250"}, "target_value", SHARE),
        ("count", {"target_value": "-5"}, "target_value", NEGATIVE),
        ("index", {"target_value": "150"}, "target_value", INDEX),
        (
            "count",
            {
                "relative_change_pct": "-300",
                "baseline_start": "2025-01-01",
                "baseline_end": "2025-12-31",
            },
            "relative_change_pct",
            BELOW_ALL,
        ),
        (
            "count",
            {
                "relative_change_pct": "20",
                "baseline_start": "2028-01-01",
                "baseline_end": "2028-01-31",
            },
            "baseline_end",
            AFTER_DEADLINE,
        ),
        (
            "count",
            {
                "relative_change_pct": "20",
                "baseline_start": "2026-12-01",
                "baseline_end": "2026-10-31",
            },
            "baseline_end",
            "Basperiodens slut kan inte vara före dess start.",
        ),
        (
            "count",
            {"target_value": "99999999999999"},
            "target_value",
            "Målvärdet är för stort: högst 10 siffror före decimaltecknet.",
        ),
        (
            "count",
            {"target_value": "1.23456"},
            "target_value",
            "Målvärdet får ha högst 4 decimaler.",
        ),
        (
            "count",
            {
                "relative_change_pct": "123456789",
                "baseline_start": "2025-01-01",
                "baseline_end": "2025-12-31",
            },
            "relative_change_pct",
            "Förändringen är för stor: högst 6 siffror före decimaltecknet.",
        ),
    ],
)
def test_the_goal_form_says_one_thing_by_the_field(
    programme_area: ProgrammeArea, kind: str, data: dict[str, str], field: str, message: str
) -> None:
    form = _form(programme_area, _measure(kind), **data)

    assert not form.is_valid()
    assert form.errors == {field: [message]}


def test_a_refused_target_is_not_also_missing(programme_area: ProgrammeArea) -> None:
    """ "Målvärdet är för stort." alone, not beside "Ange ett målvärde …"."""
    form = _form(programme_area, target_value="99999999999999")

    assert not form.is_valid()
    assert "Ange ett målvärde" not in str(form.errors)
    assert "Säkerställ" not in str(form.errors)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1000000000", "Målandelen ska vara 0–100 %."),
        ("150", "Målandelen ska vara 0–100 %."),
        ("-1", "Målandelen ska vara 0–100 %."),
        ("50.123", "Målandelen får ha högst 2 decimaler."),
    ],
)
def test_an_adoption_share_out_of_range_gets_the_apps_one_message(
    programme_area: ProgrammeArea, value: str, message: str
) -> None:
    goal = GoalFactory(adoption=True, programme_area=programme_area)
    posted = {
        "title": goal.title,
        "kind": "adoption",
        "deadline": "2026-12-31",
        "working_method": str(goal.working_method_id),
        "unit_kind": str(goal.unit_kind_id),
        "target_share": value,
        "version": str(goal.version),
    }
    form = GoalForm(posted, instance=goal)

    assert not form.is_valid()
    assert form.errors == {"target_share": [message]}


def test_the_page_shows_the_message_by_the_field_and_saves_nothing(
    strategist_client: Client, programme_area: ProgrammeArea
) -> None:
    share = MeasureFactory(share=True)
    url = reverse("goals:goal_create", args=[programme_area.pk])
    posted = {
        "title": "Alla har en DÖ",
        "kind": "measure",
        "deadline": "2027-12-31",
        "measure": share.pk,
        "target_value": "250",
        "relative_change_pct": "",
        "baseline_start": "",
        "baseline_end": "",
        "improvement": "higher",
        "version": 0,
        "submit_token": "t1",
    }

    response = strategist_client.post(url, posted)

    assert response.status_code == 422
    body = response.content.decode()
    assert 'id="id_target_value_error"' in body
    assert SHARE in body
    assert not Goal.objects.filter(title="Alla har en DÖ").exists()


def test_the_admin_refuses_a_share_target_of_250_and_a_share_of_150_in_its_words(
    strategist_client: Client, programme_area: ProgrammeArea
) -> None:
    goal = GoalFactory(
        measure_absolute=True,
        measure=MeasureFactory(share=True),
        programme_area=programme_area,
        deadline=datetime.date(2027, 12, 31),
    )
    url = f"/admin/goals/goal/{goal.pk}/change/"

    refused = admin_post(strategist_client, url, target_value="250")

    assert refused.status_code == 200
    assert form_errors(refused) == [SHARE]
    adoption = GoalFactory(adoption=True, programme_area=programme_area)
    refused = admin_post(
        strategist_client, f"/admin/goals/goal/{adoption.pk}/change/", target_share="150"
    )
    assert form_errors(refused) == ["Målandelen ska vara 0–100 %."]


@pytest.mark.parametrize(
    ("kind", "value", "message"),
    [("index", "100.5", INDEX), ("count", "-2", NEGATIVE), ("count", "2.5", WHOLE)],
)
def test_the_admin_refuses_the_targets_an_observation_refuses_and_saves_nothing(
    strategist_client: Client, programme_area: ProgrammeArea, kind: str, value: str, message: str
) -> None:
    goal = GoalFactory(
        measure_absolute=True,
        measure=_measure(kind),
        programme_area=programme_area,
        deadline=datetime.date(2027, 12, 31),
    )
    before = goal.target_value

    refused = admin_post(
        strategist_client, f"/admin/goals/goal/{goal.pk}/change/", target_value=value
    )

    assert refused.status_code == 200
    assert form_errors(refused) == [message]
    goal.refresh_from_db()
    assert goal.target_value == before


# --- 5. a new milestone's start date, and the warning of closed quarters ----------------------


def test_a_new_milestones_start_says_it_is_its_goals(
    strategist_client: Client, programme_area: ProgrammeArea
) -> None:
    parent = GoalFactory(programme_area=programme_area, start_date=datetime.date(2025, 3, 1))

    page = strategist_client.get(
        reverse("goals:goal_create", args=[programme_area.pk]), {"overordnat": parent.pk}
    )

    form = page.context["form"]
    assert form["start_date"].value() == datetime.date(2025, 3, 1)
    assert "Ifyllt med det överordnade målets startdatum (1 mar 2025)." in str(
        form.fields["start_date"].help_text
    )
    assert "Lämnas det tomt" in str(form.fields["start_date"].help_text)


def test_the_closed_quarters_warning_names_the_first_and_last_of_many(
    org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    for code in ("2025Q1", "2025Q2", "2025Q3", "2025Q4", "2026Q1", "2026Q2", "2026Q3"):
        QuarterReport.objects.create(
            organisation=org_tree.region, quarter=code, status=QuarterReport.Status.APPROVED
        )
    goal = GoalFactory(
        programme_area=programme_area,
        start_date=datetime.date(2025, 3, 1),
        deadline=datetime.date(2027, 12, 31),
    )

    warning = closed_start_warning(goal)

    assert warning.startswith(
        "Startdatumet 1 mar 2025 ligger i eller före 7 kvartal (Kv 1 2025 – Kv 3 2026) vars "
        "kvartalsrapporter är stängda."
    )
    assert "Kv 2 2025" not in warning
    goal.start_date = datetime.date(2026, 8, 1)
    assert closed_start_warning(goal).startswith(
        "Startdatumet 1 aug 2026 ligger i eller före Kv 3 2026, vars kvartalsrapport är stängd."
    )


def _close(org_tree: OrgTree, *codes: str) -> None:
    for code in codes:
        QuarterReport.objects.create(
            organisation=org_tree.region, quarter=code, status=QuarterReport.Status.APPROVED
        )


CLOSED_2025 = ("2025Q1", "2025Q2", "2025Q3", "2025Q4")


def _create_milestone(
    client: Client, parent: Goal, start: str | None = None
) -> tuple[str, Goal | None]:
    """Open "Nytt delmål" under the goal, keep or change the start it fills in, and save: the
    page the user lands on, and the milestone created."""
    url = reverse("goals:goal_create", args=[parent.programme_area_id])
    page = client.get(url, {"overordnat": parent.pk})
    prefilled = page.context["form"]["start_date"].value()
    posted = {
        "title": "Utbildning genomförd",
        "kind": "deliverable",
        "start_date": start if start is not None else prefilled.isoformat(),
        "deadline": "2026-12-31",
        "version": "0",
        "submit_token": page.context["submit_token"],
        "overordnat": str(parent.pk),
    }
    response = client.post(url, posted, follow=True)
    return response.content.decode(), Goal.objects.filter(parent=parent).first()


def test_a_new_milestone_left_with_its_goals_start_is_created_without_a_warning(
    strategist_client: Client, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    """The start filled in is its goal's: the milestone counts in no closed quarter its goal
    (and an empty start) would not, so nothing is said about closed quarters."""
    _close(org_tree, *CLOSED_2025)
    parent = GoalFactory(
        programme_area=programme_area,
        start_date=datetime.date(2025, 3, 1),
        deadline=datetime.date(2027, 12, 31),
    )

    body, milestone = _create_milestone(strategist_client, parent)

    assert milestone is not None
    assert milestone.start_date == datetime.date(2025, 3, 1)
    assert "”Utbildning genomförd” är skapat." in body
    assert "kvartalsrapport" not in body


def test_a_new_milestone_starting_before_its_goal_names_only_the_closed_quarters_it_adds(
    strategist_client: Client, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    _close(org_tree, *CLOSED_2025)
    parent = GoalFactory(
        programme_area=programme_area,
        start_date=datetime.date(2025, 7, 1),
        deadline=datetime.date(2027, 12, 31),
    )

    body, milestone = _create_milestone(strategist_client, parent, start="2025-03-01")

    assert milestone is not None
    assert (
        "Startdatumet 1 mar 2025 ligger i eller före 2 kvartal (Kv 1–2 2025) vars "
        "kvartalsrapporter är stängda." in body
    )


@pytest.mark.parametrize(
    ("start", "warning"),
    [
        # Within the quarter it started in: that quarter is judged as usual either way.
        ("2025-02-01", None),
        # Later, past three closed quarters: the goal is "Ej påbörjat" in them now.
        (
            "2025-10-01",
            "Startdatumet 1 okt 2025 ligger efter 3 kvartal (Kv 1–3 2025) vars "
            "kvartalsrapporter är stängda. Målet räknas från startdatumet, så i översikterna "
            "(t.ex. Portfölj) är det nu Ej påbörjat för de kvartalen.",
        ),
        # Earlier, into a closed quarter it did not count in.
        (
            "2024-12-01",
            "Startdatumet 1 dec 2024 ligger i eller före Kv 4 2024, vars kvartalsrapport är "
            "stängd.",
        ),
    ],
)
def test_a_moved_start_warns_only_of_the_closed_quarters_it_moves_the_goal_into_or_out_of(
    strategist_client: Client,
    org_tree: OrgTree,
    programme_area: ProgrammeArea,
    start: str,
    warning: str | None,
) -> None:
    _close(org_tree, "2024Q4", *CLOSED_2025)
    goal = GoalFactory(
        programme_area=programme_area,
        start_date=datetime.date(2025, 3, 1),
        deadline=datetime.date(2027, 12, 31),
    )
    posted = {
        "title": goal.title,
        "kind": goal.kind,
        "start_date": start,
        "deadline": goal.deadline.isoformat(),
        "version": str(goal.version),
    }

    response = strategist_client.post(
        reverse("goals:goal_edit", args=[goal.pk]), posted, follow=True
    )

    body = response.content.decode()
    goal.refresh_from_db()
    assert goal.start_date == datetime.date.fromisoformat(start)
    if warning is None:
        assert "kvartalsrapport" not in body
    else:
        assert warning in body


def test_the_admin_warns_of_a_milestones_start_only_where_it_changes_closed_quarters(
    strategist_client: Client, org_tree: OrgTree, programme_area: ProgrammeArea
) -> None:
    """As on the pages: a new milestone with its goal's start saves without a word about
    closed quarters; one that starts earlier than its goal is saved with the warning."""
    _close(org_tree, *CLOSED_2025)
    parent = GoalFactory(
        programme_area=programme_area,
        start_date=datetime.date(2025, 7, 1),
        deadline=datetime.date(2027, 12, 31),
    )
    add = f"/admin/goals/goal/add/?parent={parent.pk}&programme_area={programme_area.pk}"

    def create(code: str, start: str) -> str:
        response = admin_post(
            strategist_client,
            add,
            code=code,
            title=f"Delmål {code}",
            kind="deliverable",
            start_date=start,
            deadline="2026-12-31",
        )
        assert response.status_code == 302, form_errors(response)
        return strategist_client.get(response["Location"]).content.decode()

    assert "kvartalsrapport" not in create("samma-start", "2025-07-01")
    assert (
        "Startdatumet 1 mar 2025 ligger i eller före 2 kvartal (Kv 1–2 2025) vars "
        "kvartalsrapporter är stängda." in create("tidigare-start", "2025-03-01")
    )
    assert Goal.objects.filter(parent=parent).count() == 2


# --- 6. the date fields say how a date is written ------------------------------------------


@pytest.mark.parametrize(
    "name", ["start_date", "deadline", "completed_on", "baseline_start", "baseline_end"]
)
def test_each_date_field_has_the_grids_format_hint_by_aria_describedby(
    programme_area: ProgrammeArea, name: str
) -> None:
    form = GoalForm(instance=Goal(programme_area=programme_area))

    html = str(form[name])
    assert str(form.fields[name].help_text).startswith("ÅÅÅÅ-MM-DD, t.ex. 2026-03-31.")
    assert f'aria-describedby="id_{name}_helptext"' in html
