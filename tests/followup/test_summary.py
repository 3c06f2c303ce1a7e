"""The portfolio's summary paragraph: one case per sentence, facts only, word for word."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.utils import translation

from base.periods import Quarter
from followup.summary import DueGoal, SummaryFacts, join_words, quarter_summary
from goals.status import Status

Q4 = Quarter(2025, 4)


@pytest.fixture(autouse=True)
def _swedish() -> Iterator[None]:
    with translation.override("sv"):
        yield


def facts(**kwargs: object) -> SummaryFacts:
    base: dict[str, object] = {"quarter": Q4, "statuses": [Status.ON_TRACK]}
    base.update(kwargs)
    return SummaryFacts(**base)  # type: ignore[arg-type]


def test_join_words_lists_the_swedish_way() -> None:
    assert join_words([]) == ""
    assert join_words(["a"]) == "a"
    assert join_words(["a", "b"]) == "a och b"
    assert join_words(["a", "b", "c"]) == "a, b och c"


def test_status_counts_name_only_the_statuses_that_occur_in_a_fixed_order() -> None:
    statuses = [
        Status.MISSED,
        Status.ON_TRACK,
        Status.ACHIEVED,
        Status.ON_TRACK,
        Status.AT_RISK,
    ]

    first = quarter_summary(facts(statuses=statuses))[0]

    # A label with its count, not "1 uppnått, 2 enligt plan, 1 risk och 1 ej uppnått".
    assert first == (
        "Under Kv 4 2025 följs 5 mål och delmål upp. Uppnått: 1, enligt plan: 2, risk: 1, "
        "ej uppnått: 1."
    )


def test_goals_without_a_counted_status_are_said_to_have_none_not_guessed() -> None:
    statuses = [Status.OFF_TRACK, Status.NO_DATA, Status.NOT_STARTED, None]

    first = quarter_summary(facts(statuses=statuses))[0]

    assert first == (
        "Under Kv 4 2025 följs 4 mål och delmål upp. Ej enligt plan: 1, annan status "
        "(ej påbörjat, underlag saknas eller ej bedömt): 3."
    )


def test_one_goal_without_a_counted_status_reads_alike() -> None:
    first = quarter_summary(facts(statuses=[Status.NOT_STARTED]))[0]

    assert first == (
        "Under Kv 4 2025 följs 1 mål eller delmål upp. Annan status "
        "(ej påbörjat, underlag saknas eller ej bedömt): 1."
    )


def test_no_goals_at_all_says_so() -> None:
    assert quarter_summary(facts(statuses=[]))[0] == (
        "Under Kv 4 2025 finns inga mål eller delmål att följa upp."
    )


def test_milestones_due_in_the_quarter_are_named_met_or_not_with_their_status() -> None:
    due = [
        DueGoal("Teamrond på 50 % av HC", Status.ACHIEVED),
        DueGoal("Riskinstrument beslutat", Status.MISSED),
        DueGoal("Arbetssätt klarlagda", None),
    ]

    sentence = quarter_summary(facts(due=due))[1]

    assert sentence == (
        "3 delmål hade måldatum under kvartalet. Uppnått: ”Teamrond på 50 % av HC”. "
        "Inte uppnått: ”Riskinstrument beslutat” (ej uppnått) och ”Arbetssätt klarlagda” "
        "(status saknas)."
    )


def test_a_milestone_whose_deadline_is_still_ahead_is_not_called_missed() -> None:
    # The quarter is under way: a milestone due at its end is neither met nor missed yet.
    due = [
        DueGoal("Riskinstrument beslutat", Status.MISSED),
        DueGoal("Modulen fungerar i Cosmic", Status.ON_TRACK, pending=True),
    ]

    sentence = quarter_summary(facts(due=due))[1]

    assert sentence == (
        "2 delmål har måldatum under kvartalet. Inte uppnått: ”Riskinstrument beslutat” "
        "(ej uppnått). Måldatum ännu inte passerat: ”Modulen fungerar i Cosmic” (enligt plan)."
    )


def test_goals_due_in_the_quarter_are_counted_beside_its_milestones() -> None:
    # The ongoing quarter: goals and milestones due at its end, with their current status.
    due = [
        DueGoal("Modulen fungerar i Cosmic", Status.ON_TRACK, pending=True),
        DueGoal("Teamrond på alla HC", Status.AT_RISK, pending=True, milestone=False),
        DueGoal("Nära vård-arbetssätt på alla HC", Status.OFF_TRACK, pending=True, milestone=False),
        DueGoal("Instrumentet implementerat", Status.ON_TRACK, pending=True, milestone=False),
    ]

    sentence = quarter_summary(facts(due=due))[1]

    assert sentence == (
        "3 mål och 1 delmål har måldatum under kvartalet. Måldatum ännu inte passerat: "
        "”Modulen fungerar i Cosmic” (enligt plan), ”Teamrond på alla HC” (risk), "
        "”Nära vård-arbetssätt på alla HC” (ej enligt plan) och ”Instrumentet implementerat” "
        "(enligt plan)."
    )


def test_a_goal_due_alone_is_counted_as_a_goal() -> None:
    due = [DueGoal("Teamrond på alla HC", Status.ACHIEVED, milestone=False)]

    assert quarter_summary(facts(due=due))[1] == (
        "1 mål hade måldatum under kvartalet. Uppnått: ”Teamrond på alla HC”."
    )


def test_nothing_due_says_so() -> None:
    assert quarter_summary(facts())[1] == "Inga mål eller delmål hade måldatum under kvartalet."


def test_special_cause_variation_is_listed_by_kind_in_name_order() -> None:
    sentence = quarter_summary(
        facts(
            improvements=["Rätt hjälp på en gång", "Frigjorda läkartider"],
            concerns=["Arbetsmiljö"],
            measures_with_spc=4,
        )
    )[2]

    # Each name quoted: capitalised and run into the sentence, a list of names read as
    # several sentences.
    assert sentence == (
        "Regionens styrdiagram visar särskild orsak – förbättring för ”Frigjorda läkartider” "
        "och ”Rätt hjälp på en gång”; särskild orsak – försämring för ”Arbetsmiljö”."
    )


def test_a_name_with_a_comma_stays_one_name_in_the_list() -> None:
    sentence = quarter_summary(
        facts(
            improvements=["Antal besök, fysiska", "Andel patienter med DÖ", "Frigjorda läkartider"],
            measures_with_spc=3,
        )
    )[2]

    assert sentence == (
        "Regionens styrdiagram visar särskild orsak – förbättring för ”Andel patienter med DÖ”, "
        "”Antal besök, fysiska” och ”Frigjorda läkartider”."
    )


def test_only_common_cause_variation_says_no_special_cause() -> None:
    sentence = quarter_summary(facts(measures_with_spc=3))[2]

    assert sentence == ("Regionens styrdiagram visar ingen särskild orsak till variation (3 mått).")


def test_no_spc_at_all_says_there_are_no_limits_rather_than_no_signal() -> None:
    sentence = quarter_summary(facts(measures_with_spc=0))[2]

    # It names the quarter the limits would be computed up to: a later quarter's measure page
    # judges these periods with limits computed on more values and may show signals.
    assert sentence == (
        "Inget av regionens mått har styrgränser med värdena t.o.m. Kv 4 2025 "
        "(för få punkter eller inget styrdiagram). Med ett senare kvartal valt kan samma "
        "perioder få signaler, bedömda med styrgränser beräknade på fler värden."
    )


def test_completeness_gives_share_counts_and_measures_without_values() -> None:
    sentence = quarter_summary(
        facts(reporting_units=412, expected_units=474, missing_values=["Arbetsmiljö"])
    )[3]

    assert sentence == (
        "Datatäckning: 86,9\u00a0% av förväntade inrapporteringar (412 av 474). "
        "Värden saknas för ”Arbetsmiljö”."
    )


def test_a_whole_coverage_has_its_decimal_and_counts_their_thousands() -> None:
    # The same "100,0 %" as the table's Datatäckning column, "1 006" as every count.
    sentence = quarter_summary(facts(reporting_units=1006, expected_units=1006))[3]

    assert sentence == (
        "Datatäckning: 100,0\u00a0% av förväntade inrapporteringar (1\u00a0006 av 1\u00a0006)."
    )


def test_nothing_expected_says_so() -> None:
    assert quarter_summary(facts())[3] == ("Inga inrapporteringar förväntades för kvartalets mått.")


def test_the_same_facts_give_the_same_text() -> None:
    one = facts(
        statuses=[Status.AT_RISK, Status.ACHIEVED],
        improvements=["B", "A"],
        measures_with_spc=2,
    )
    two = facts(
        statuses=[Status.AT_RISK, Status.ACHIEVED], improvements=["A", "B"], measures_with_spc=2
    )

    assert quarter_summary(one) == quarter_summary(two)


def test_the_paragraph_never_gives_a_cause() -> None:
    text = " ".join(
        quarter_summary(
            facts(
                statuses=[Status.OFF_TRACK, Status.MISSED],
                due=[DueGoal("X", Status.MISSED)],
                concerns=["Arbetsmiljö"],
                measures_with_spc=1,
                reporting_units=1,
                expected_units=10,
            )
        )
    )

    for causal in ("på grund av", "eftersom", "beror", "orsakas", "därför"):
        assert causal not in text
