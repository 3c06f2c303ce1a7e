"""The import's sentences with counts, in singular or plural as the count wants ("1 nytt",
"2 nya"), shared by the pages, their messages and the command.

Counts are written as the pages write numbers ("1 234"). Each counted phrase is its own
ngettext, so a sentence with two counts gets each right ("1 nytt och 2 ändrade värden").
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.html import escape, format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from base.formatting import format_number


def count_text(count: int) -> str:
    """A count as the pages write it: "1 234"."""
    return format_number(count, 0)


def _count(count: int) -> dict[str, str]:
    """The count to fill into a phrase ngettext has chosen. Each call site calls ngettext
    with its literal phrases itself: makemessages extracts only literals, so a helper taking
    the phrases as arguments would leave them out of the catalogue (and English users would
    read Swedish)."""
    return {"count": count_text(count)}


def _stored_values(created: int, changed: int) -> str:
    """ "1 nytt och 2 ändrade värden", "2 nya värden" or "1 ändrat värde": a count of none is
    left out ("0 nya och 2 ändrade värden" read as if something were missing)."""
    if created and not changed:
        return ngettext("%(count)s nytt värde", "%(count)s nya värden", created) % _count(created)
    if changed and not created:
        return ngettext("%(count)s ändrat värde", "%(count)s ändrade värden", changed) % _count(
            changed
        )
    return _("%(created)s och %(changed)s") % {
        "created": ngettext("%(count)s nytt", "%(count)s nya", created) % _count(created),
        "changed": ngettext("%(count)s ändrat värde", "%(count)s ändrade värden", changed)
        % _count(changed),
    }


def stored_message(created: int, changed: int) -> str:
    """ "Importen är klar: 1 nytt och 2 ändrade värden." (or "… 2 nya värden.")"""
    return _("Importen är klar: %(values)s.") % {"values": _stored_values(created, changed)}


def stored_summary(created: int, changed: int) -> str:
    """ "1 nytt och 2 ändrade värden sparades." (the job's page after the store)"""
    return _("%(values)s sparades.") % {"values": _stored_values(created, changed)}


def nothing_changed_message(unchanged: int) -> str:
    """ "Inget ändrades: alla 2 värden i filen fanns redan." (or "värdet", for one)"""
    return ngettext(
        "Inget ändrades: värdet i filen fanns redan.",
        "Inget ändrades: alla %(count)s värden i filen fanns redan.",
        unchanged,
    ) % _count(unchanged)


def nothing_to_import_message(unchanged: int) -> str:
    """ "Filen ändrar inget: alla 4 värden finns redan." (the preview, instead of Importera)"""
    return ngettext(
        "Filen ändrar inget: värdet finns redan.",
        "Filen ändrar inget: alla %(count)s värden finns redan.",
        unchanged,
    ) % _count(unchanged)


def skipped_message(skipped: int) -> str:
    """ "161 tomma rader hoppades över." (template rows left unfilled; the command)"""
    return ngettext(
        "%(count)s tom rad hoppades över (enhet, mått och period utan värde, täljare, nämnare "
        "eller kommentar).",
        "%(count)s tomma rader hoppades över (enhet, mått och period utan värde, täljare, "
        "nämnare eller kommentar).",
        skipped,
    ) % _count(skipped)


def weights_kept_message(kept: int) -> str:
    """ "1 index utan nämnare behåller sin sparade nämnare." (the command)"""
    return ngettext(
        "%(count)s viktat värde (t.ex. ett index) utan nämnare behåller sin sparade nämnare.",
        "%(count)s viktade värden (t.ex. index) utan nämnare behåller sina sparade nämnare.",
        kept,
    ) % _count(kept)


def undone_message(removed: int, restored: int) -> str:
    """ "Importen är ångrad: 1 värde togs bort och 2 återställdes." (a count of none left out:
    "Importen är ångrad: 1 värde återställdes.")"""
    removed_text = ngettext(
        "%(count)s värde togs bort", "%(count)s värden togs bort", removed
    ) % _count(removed)
    if removed and not restored:
        values = removed_text
    elif restored and not removed:
        values = ngettext(
            "%(count)s värde återställdes", "%(count)s värden återställdes", restored
        ) % _count(restored)
    else:
        values = _("%(removed)s och %(restored)s") % {
            "removed": removed_text,
            "restored": ngettext("%(count)s återställdes", "%(count)s återställdes", restored)
            % _count(restored),
        }
    return _("Importen är ångrad: %(values)s.") % {"values": values}


def undo_removes_text(count: int) -> str:
    """ "2 värden som importen lade till tas bort." (the undo's confirmation)"""
    return ngettext(
        "%(count)s värde som importen lade till tas bort.",
        "%(count)s värden som importen lade till tas bort.",
        count,
    ) % _count(count)


def undo_restores_text(count: int) -> str:
    """ "1 värde som importen ändrade får tillbaka sitt tidigare värde." (the confirmation)"""
    return ngettext(
        "%(count)s värde som importen ändrade får tillbaka sitt tidigare värde.",
        "%(count)s värden som importen ändrade får tillbaka sina tidigare värden.",
        count,
    ) % _count(count)


def command_counts(rows: int, created: int, changed: int, unchanged: int) -> str:
    """The command's line of counts: "1 rad – 1 ny, 0 ändrade, 0 oförändrade"."""
    return ", ".join(
        [
            ngettext("%(count)s rad", "%(count)s rader", rows) % _count(rows)
            + " – "
            + ngettext("%(count)s ny", "%(count)s nya", created) % _count(created),
            ngettext("%(count)s ändrad", "%(count)s ändrade", changed) % _count(changed),
            ngettext("%(count)s oförändrad", "%(count)s oförändrade", unchanged)
            % _count(unchanged),
        ]
    )


def manual_replaced_warning(count: int, names: list[str] | None = None) -> str:
    """ "Importen ersätter 1 värde som rapporterats för hand av Anna Berg …" (above Importera):
    values someone else reported by hand, `names` who (none when the history names no one for
    some of them: the sentence then names no one rather than only some)."""
    if names:
        return ngettext(
            "Importen ersätter %(count)s värde som rapporterats för hand av %(names)s (källa "
            "Manuell inrapportering). Kontrollera att filens värde ska gälla i stället innan du "
            "importerar.",
            "Importen ersätter %(count)s värden som rapporterats för hand av %(names)s (källa "
            "Manuell inrapportering). Kontrollera att filens värden ska gälla i stället innan du "
            "importerar.",
            count,
        ) % {**_count(count), "names": people_text(names)}
    return ngettext(
        "Importen ersätter %(count)s värde som rapporterats för hand (källa Manuell "
        "inrapportering). Kontrollera att filens värde ska gälla i stället innan du importerar.",
        "Importen ersätter %(count)s värden som rapporterats för hand (källa Manuell "
        "inrapportering). Kontrollera att filens värden ska gälla i stället innan du importerar.",
        count,
    ) % _count(count)


# How many people a warning names before it counts the rest ("… och 2 till").
PEOPLE_NAMED = 3


def people_text(names: list[str]) -> str:
    """ "Anna Berg", "Anna Berg och Bo Ek", "Anna Berg, Bo Ek, Cia Fors och 2 till"."""
    if len(names) <= PEOPLE_NAMED:
        return names_text(names)
    rest = len(names) - PEOPLE_NAMED
    return names_text(
        [*names[:PEOPLE_NAMED], ngettext("%(count)s till", "%(count)s till", rest) % _count(rest)]
    )


def entered_by_names(by: dict[str, int]) -> list[str]:
    """Who entered the values someone else reported by hand (ImportReport.manual_replaced_by),
    most values first; none if the history names no one for some of them."""
    if not by or "" in by:
        return []
    return sorted(by, key=lambda name: (-by[name], name))


def names_text(names: list[str]) -> str:
    """ "Cyklop", "Cyklop och Cosmic", "Cyklop, Cosmic och Vården i siffror"."""
    if len(names) < 2:
        return "".join(names)
    return _("%(first)s och %(last)s") % {"first": ", ".join(names[:-1]), "last": names[-1]}


def system_replaced_warning(count: int, sources: list[str]) -> str:
    """ "Importen ersätter 2 värden som importerats från Cyklop och Cosmic …" (above Importera,
    for a file imported as Manuell inrapportering: the reporting grid asks for "Ersätt värdet"
    before a system's value is replaced by hand)."""
    return ngettext(
        "Importen ersätter %(count)s värde som importerats från %(sources)s med ett värde som "
        "rapporteras för hand (källa Manuell inrapportering). Kontrollera att filens värde ska "
        "gälla i stället innan du importerar.",
        "Importen ersätter %(count)s värden som importerats från %(sources)s med värden som "
        "rapporteras för hand (källa Manuell inrapportering). Kontrollera att filens värden ska "
        "gälla i stället innan du importerar.",
        count,
    ) % {**_count(count), "sources": names_text(sources)}


def mixed_replaced_warning(
    manual: int, system: int, sources: list[str], names: list[str] | None = None
) -> str:
    """ "Importen ersätter 2 värden: 1 som rapporterats för hand och 1 som importerats från
    Cyklop. …" (above Importera, for a file imported as Manuell inrapportering that replaces
    both kinds: one warning, not manual_replaced_warning and system_replaced_warning in a row,
    which said the same thing twice)."""
    total = manual + system
    return ngettext(
        "Importen ersätter %(count)s värde: %(manual)s och %(system)s. Filens värde sparas som "
        "rapporterat för hand (källa Manuell inrapportering). Kontrollera att det ska gälla i "
        "stället innan du importerar.",
        "Importen ersätter %(count)s värden: %(manual)s och %(system)s. Filens värden sparas som "
        "rapporterade för hand (källa Manuell inrapportering). Kontrollera att de ska gälla i "
        "stället innan du importerar.",
        total,
    ) % {
        **_count(total),
        "manual": (
            ngettext(
                "%(count)s som rapporterats för hand av %(names)s",
                "%(count)s som rapporterats för hand av %(names)s",
                manual,
            )
            % {**_count(manual), "names": people_text(names)}
            if names
            else ngettext(
                "%(count)s som rapporterats för hand", "%(count)s som rapporterats för hand", manual
            )
            % _count(manual)
        ),
        "system": ngettext(
            "%(count)s som importerats från %(sources)s",
            "%(count)s som importerats från %(sources)s",
            system,
        )
        % {**_count(system), "sources": names_text(sources)},
    }


def manual_replaced_note(count: int, names: list[str] | None = None) -> str:
    """ "Importen ersatte 1 värde som rapporterats för hand av Anna Berg …" (the batch page):
    values someone else reported by hand, `names` who, as the upload preview's warning names
    them (none when the history names no one for some of them)."""
    if names:
        return ngettext(
            "Importen ersatte %(count)s värde som rapporterats för hand av %(names)s (källa "
            "Manuell inrapportering).",
            "Importen ersatte %(count)s värden som rapporterats för hand av %(names)s (källa "
            "Manuell inrapportering).",
            count,
        ) % {**_count(count), "names": people_text(names)}
    return ngettext(
        "Importen ersatte %(count)s värde som rapporterats för hand (källa Manuell "
        "inrapportering).",
        "Importen ersatte %(count)s värden som rapporterats för hand (källa Manuell "
        "inrapportering).",
        count,
    ) % _count(count)


@dataclass(frozen=True)
class LaterChange:
    """Who changed a batch's value after it, and how: a later import (its number, file name
    and page) or a person (by hand in the grid or the admin, or by undoing another import)."""

    who: str  # the person's name ("" if the history has none)
    when: str  # "1 dec 2026 14:03"
    batch_id: int | None = None  # the later import's, if an import changed it
    file_name: str = ""
    url: str = ""  # the later import's page


@dataclass(frozen=True)
class ChangedValue:
    """A value a batch wrote that changed after it: "Enhet, Mått, nov 2025", its cell in the
    reporting grid, and who changed it."""

    text: str
    url: str  # the reporting grid's cell: /redigera/rapportera/<unit>/?period=2025-11#…
    change: LaterChange


def _later_import(change: LaterChange) -> str:
    """The later import, linked: <a href="/importer/4/">import #4 ”fil.csv”</a>."""
    name = _("import #%(number)s") % {"number": change.batch_id}
    if change.file_name:
        name += f" ”{change.file_name}”"
    return format_html('<a href="{}">{}</a>', change.url, name)


def _changed_value_text(value: ChangedValue) -> str:
    """ "<a href=grid>Enhet, Mått, nov 2025</a> (ändrat av Namn Namnsson, 1 dec 2026 14:03)",
    or "(ändrat av <a>import #4 ”fil.csv”</a>, Namn Namnsson, 1 dec 2026 14:03)"."""
    change = value.change
    facts = {"who": change.who or _("okänd användare"), "when": change.when}
    if change.batch_id is not None:
        how = format_html(
            _("ändrat av {later}, {who}, {when}"), later=_later_import(change), **facts
        )
    else:
        how = format_html(_("ändrat av {who}, {when}"), **facts)
    return format_html('<a href="{}">{}</a> ({})', value.url, value.text, how)


def undo_later_change_message(count: int, values: list[ChangedValue]) -> SafeString:
    """Why a batch cannot be undone: `count` of its values changed after it; the first of
    `values` decides what to do. A later import is named and linked ("… av import #4 ”fil.csv”
    (Namn Namnsson, 1 dec 2026 14:03). Ångra den först."); after a change by a person the
    values given are listed, each linked to its cell in the reporting grid, with who changed
    it and when ("… Ändra värdena för hand under Rapportera i stället."). HTML: the links;
    every text from the data is escaped."""
    first = values[0]
    if first.change.batch_id is not None:
        facts: dict[str, str] = {
            "count": count_text(count), "example": escape(first.text),
            "who": escape(first.change.who or _("okänd användare")),
            "when": escape(first.change.when), "later": _later_import(first.change),
        }  # fmt: skip
        template = ngettext(
            "Importen kan inte ångras: %(count)s av dess värden har ändrats efter importen "
            "(%(example)s) av %(later)s (%(who)s, %(when)s). Ångra den först.",
            "Importen kan inte ångras: %(count)s av dess värden har ändrats efter importen, "
            "till exempel %(example)s av %(later)s (%(who)s, %(when)s). Ångra den först.",
            count,
        )
        return mark_safe(template % facts)  # noqa: S308 - the catalogue's text, facts escaped
    named = "; ".join(_changed_value_text(value) for value in values)
    if count > len(values):
        rest = count - len(values)
        named += "; " + ngettext(
            "och %(count)s värde till", "och %(count)s värden till", rest
        ) % _count(rest)
    template = ngettext(
        "Importen kan inte ångras: %(count)s av dess värden har ändrats efter importen: "
        "%(values)s. Ändra värdet för hand under Rapportera i stället.",
        "Importen kan inte ångras: %(count)s av dess värden har ändrats efter importen: "
        "%(values)s. Ändra värdena för hand under Rapportera i stället.",
        count,
    )
    return mark_safe(template % {"count": count_text(count), "values": named})  # noqa: S308


def source_mismatch_warning(chosen: str, measures: list[tuple[str, str]], total: int) -> str:
    """The measures (name, own source) whose own source is not the one chosen for the file,
    the first five named: "Du har valt källan Cyklop, men ”Besök” (Cosmic) har en annan
    källa. …" (above Importera; a warning, not a refusal)."""
    named = ", ".join(f"”{name}” ({source})" for name, source in measures[:5])
    if total > len(measures[:5]):
        rest = total - len(measures[:5])
        named += " " + ngettext("och %(count)s mått till", "och %(count)s mått till", rest) % (
            _count(rest)
        )
    return _(
        "Du har valt källan %(chosen)s, men %(measures)s har en annan källa. Värdena sparas "
        "med källan du valt: kontrollera att den stämmer innan du importerar."
    ) % {"chosen": chosen, "measures": named}


def closed_quarter_note(count: int | None, quarter: str, status: str) -> str:
    """ "3 värden gäller Kv 4 2025, vars kvartalsrapport är godkänd …" (the preview, and the
    reporting grid's confirmation); with no count, the reporting grid before saving:
    "Perioden ligger i Kv 4 2025, vars kvartalsrapport är godkänd …"."""
    if count is None:
        return _(
            "Perioden ligger i %(quarter)s, vars kvartalsrapport är %(status)s. Rapporten "
            "ändras inte (den visar det som fastställdes), men sidorna räknas om; ändras "
            "kvartalets resultat säger rapporten att underlaget har räknats om sedan den "
            "fastställdes."
        ) % {"quarter": quarter, "status": status}
    return ngettext(
        "%(count)s värde gäller %(quarter)s, vars kvartalsrapport är %(status)s. Rapporten "
        "ändras inte (den visar det som fastställdes), men sidorna räknas om; ändras kvartalets "
        "resultat säger rapporten att underlaget har räknats om sedan den fastställdes.",
        "%(count)s värden gäller %(quarter)s, vars kvartalsrapport är %(status)s. Rapporten "
        "ändras inte (den visar det som fastställdes), men sidorna räknas om; ändras kvartalets "
        "resultat säger rapporten att underlaget har räknats om sedan den fastställdes.",
        count,
    ) % {**_count(count), "quarter": quarter, "status": status}


def jump_warning(count: int, pct: str) -> str:
    """ "2 värden skiljer sig mer än 50 % från föregående period och har ingen kommentar. …"
    (above Importera and in the command's output; a warning, not a refusal)."""
    return ngettext(
        "%(count)s värde skiljer sig mer än %(pct)s %% från föregående period och har ingen "
        "kommentar. I rapporteringen krävs då en kommentar; importen sparar värdet ändå. "
        "Kontrollera det innan du importerar, och skriv gärna en förklaring i filens kolumn "
        "kommentar.",
        "%(count)s värden skiljer sig mer än %(pct)s %% från föregående period och har ingen "
        "kommentar. I rapporteringen krävs då en kommentar; importen sparar värdena ändå. "
        "Kontrollera dem innan du importerar, och skriv gärna en förklaring i filens kolumn "
        "kommentar.",
        count,
    ) % {**_count(count), "pct": pct}


def more_jumps_text(count: int) -> str:
    """ "…och 3 värden till." (the jumps not listed)"""
    return ngettext("…och %(count)s värde till.", "…och %(count)s värden till.", count) % (
        _count(count)
    )


def units_text(count: int, unit: str, vo: str) -> str:
    """The units a batch wrote, for the list of imports: the unit's name when one, the VO when
    they all belong to one ("VO Norr (3 enheter)"), else how many ("12 enheter"); "–" for
    none (a batch stored before its units were recorded whose history names none)."""
    if not count:
        return "–"
    if count == 1 and unit:
        return unit
    text = ngettext("%(count)s enhet", "%(count)s enheter", count) % _count(count)
    return _("%(vo)s (%(count)s)") % {"vo": vo, "count": text} if vo else text
