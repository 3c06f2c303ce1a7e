"""The quarter's summary paragraph on the portfolio: facts from the computed results, in Swedish.

Pure and deterministic: the same input gives the same text, word for word. It states what the
engine computed (counts, goals and milestones due, SPC signals, completeness) and never a cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from base.formatting import format_count, format_share
from base.periods import Quarter
from goals.status import Status

# The statuses the paragraph counts by name, in the order it names them.
COUNTED = (
    Status.ACHIEVED,
    Status.ON_TRACK,
    Status.AT_RISK,
    Status.OFF_TRACK,
    Status.MISSED,
)


@dataclass(frozen=True)
class DueGoal:
    """A goal or milestone whose deadline falls in the quarter."""

    title: str
    status: Status | None
    # Its deadline is still ahead (the quarter is under way): neither met nor missed yet.
    pending: bool = False
    milestone: bool = True


@dataclass(frozen=True)
class SummaryFacts:
    """What the paragraph is built from, all read from the engine's results for one quarter."""

    quarter: Quarter
    statuses: Sequence[Status | None]  # one per goal and milestone: computed, else assessed
    due: Sequence[DueGoal] = ()  # goals and milestones due in the quarter
    improvements: Sequence[str] = ()  # measures whose region series shows improvement
    concerns: Sequence[str] = ()  # … or concern
    measures_with_spc: int = 0
    reporting_units: int = 0
    expected_units: int = 0
    missing_values: Sequence[str] = field(default_factory=tuple)


def join_words(items: Sequence[str]) -> str:
    """ "a", "a och b", "a, b och c"."""
    items = list(items)
    if len(items) <= 1:
        return "".join(items)
    return _("%(first)s och %(last)s") % {"first": ", ".join(items[:-1]), "last": items[-1]}


def quoted(name: str) -> str:
    """A name as running text quotes it, ”Frigjorda läkartider”: a measure's name or a goal's
    title starts with a capital letter and may hold commas of its own, so unquoted in a list it
    reads as the start of a new sentence, or as two names."""
    return _("”%(name)s”") % {"name": name}


def join_names(names: Sequence[str]) -> str:
    """Names quoted and listed the Swedish way: "”a”, ”b” och ”c”"."""
    return join_words([quoted(name) for name in names])


def quarter_summary(facts: SummaryFacts) -> list[str]:
    """The paragraph's sentences."""
    return [
        s
        for s in (
            _status_sentence(facts),
            _due_sentence(facts),
            _spc_sentence(facts),
            _completeness_sentence(facts),
        )
        if s
    ]


def _status_sentence(facts: SummaryFacts) -> str:
    total = len(facts.statuses)
    if not total:
        return _("Under %(quarter)s finns inga mål eller delmål att följa upp.") % {
            "quarter": facts.quarter.label
        }
    counts = [(status, sum(1 for s in facts.statuses if s == status)) for status in COUNTED]
    # Each status as a label with its count ("Uppnått: 4", "risk: 1"): "4 uppnått, 2 risk" is
    # no Swedish, and the label form reads alike for any count.
    named = [
        _("%(status)s: %(count)s") % {"status": status.label.lower(), "count": count}
        for status, count in counts
        if count
    ]
    rest = total - sum(count for _status, count in counts)
    if rest:
        named.append(
            _("annan status (ej påbörjat, underlag saknas eller ej bedömt): %(count)s")
            % {"count": rest}
        )
    text = ngettext(
        "Under %(quarter)s följs %(total)s mål eller delmål upp.",
        "Under %(quarter)s följs %(total)s mål och delmål upp.",
        total,
    ) % {"quarter": facts.quarter.label, "total": total}
    counted = ", ".join(named)
    return f"{text} {counted[:1].upper()}{counted[1:]}."


def _due_count(due: Sequence[DueGoal]) -> str:
    """ "2 mål och 1 delmål", "3 delmål", "1 mål" (the words are the same in the plural)."""
    goals = sum(1 for d in due if not d.milestone)
    milestones = len(due) - goals
    parts = []
    if goals:
        parts.append(_("%(count)s mål") % {"count": goals})
    if milestones:
        parts.append(_("%(count)s delmål") % {"count": milestones})
    return join_words(parts)


def _due_sentence(facts: SummaryFacts) -> str:
    """The goals and milestones due in the quarter: met, not met, or (the quarter under way)
    still ahead with their current status."""
    due = list(facts.due)
    if not due:
        return _("Inga mål eller delmål hade måldatum under kvartalet.")
    met = [quoted(d.title) for d in due if d.status == Status.ACHIEVED]

    def with_status(d: DueGoal) -> str:
        status = d.status.label.lower() if d.status else _("status saknas")
        return _("%(title)s (%(status)s)") % {"title": quoted(d.title), "status": status}

    pending = [with_status(d) for d in due if d.status != Status.ACHIEVED and d.pending]
    not_met = [with_status(d) for d in due if d.status != Status.ACHIEVED and not d.pending]
    # "har" while a deadline in it is still ahead (the quarter is under way), else "hade".
    if any(d.pending for d in due):
        text = _("%(items)s har måldatum under kvartalet.") % {"items": _due_count(due)}
    else:
        text = _("%(items)s hade måldatum under kvartalet.") % {"items": _due_count(due)}
    if met:
        text += " " + _("Uppnått: %(titles)s.") % {"titles": join_words(met)}
    if not_met:
        text += " " + _("Inte uppnått: %(titles)s.") % {"titles": join_words(not_met)}
    if pending:
        text += " " + _("Måldatum ännu inte passerat: %(titles)s.") % {
            "titles": join_words(pending)
        }
    return text


def _spc_sentence(facts: SummaryFacts) -> str:
    if not facts.measures_with_spc:
        # The limits are computed on each series up to the quarter's end, so a later quarter's
        # measure page can show signals for these same periods: the sentence says which.
        return _(
            "Inget av regionens mått har styrgränser med värdena t.o.m. %(quarter)s "
            "(för få punkter eller inget styrdiagram). Med ett senare kvartal valt kan samma "
            "perioder få signaler, bedömda med styrgränser beräknade på fler värden."
        ) % {"quarter": facts.quarter.label}
    parts = []
    if facts.improvements:
        parts.append(
            _("särskild orsak – förbättring för %(names)s")
            % {"names": join_names(sorted(facts.improvements))}
        )
    if facts.concerns:
        parts.append(
            _("särskild orsak – försämring för %(names)s")
            % {"names": join_names(sorted(facts.concerns))}
        )
    if not parts:
        return ngettext(
            "Regionens styrdiagram visar ingen särskild orsak till variation (%(count)s mått).",
            "Regionens styrdiagram visar ingen särskild orsak till variation (%(count)s mått).",
            facts.measures_with_spc,
        ) % {"count": facts.measures_with_spc}
    # The kinds apart by a semicolon: each list of names ends in "och" already.
    text = _("Regionens styrdiagram visar %(parts)s.") % {"parts": "; ".join(parts)}
    return text[0].upper() + text[1:]


def _completeness_sentence(facts: SummaryFacts) -> str:
    if not facts.expected_units:
        return _("Inga inrapporteringar förväntades för kvartalets mått.")
    share = 100 * facts.reporting_units / facts.expected_units
    text = _(
        "Datatäckning: %(share)s av förväntade inrapporteringar (%(reporting)s av %(expected)s)."
    ) % {
        "share": format_share(share),
        "reporting": format_count(facts.reporting_units),
        "expected": format_count(facts.expected_units),
    }
    if facts.missing_values:
        text += " " + _("Värden saknas för %(names)s.") % {
            "names": join_names(sorted(facts.missing_values))
        }
    return text
