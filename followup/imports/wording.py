"""The import's sentences with counts, in singular or plural as the count wants ("1 nytt",
"2 nya"), shared by the pages, their messages and the command.

Counts are written as the pages write numbers ("1 234"). Each counted phrase is its own
ngettext, so a sentence with two counts gets each right ("1 nytt och 2 ändrade värden").
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from base.formatting import format_number


def count_text(count: int) -> str:
    """A count as the pages write it: "1 234"."""
    return format_number(count, 0)


def _counted(singular: str, plural: str, count: int) -> str:
    return ngettext(singular, plural, count) % {"count": count_text(count)}


def stored_message(created: int, changed: int) -> str:
    """ "Importen är klar: 1 nytt och 2 ändrade värden." """
    return _("Importen är klar: %(created)s och %(changed)s.") % {
        "created": _counted("%(count)s nytt", "%(count)s nya", created),
        "changed": _counted("%(count)s ändrat värde", "%(count)s ändrade värden", changed),
    }


def stored_summary(created: int, changed: int) -> str:
    """ "1 nytt och 2 ändrade värden sparades." (the job's page after the store)"""
    return _("%(created)s och %(changed)s sparades.") % {
        "created": _counted("%(count)s nytt", "%(count)s nya", created),
        "changed": _counted("%(count)s ändrat värde", "%(count)s ändrade värden", changed),
    }


def nothing_changed_message(unchanged: int) -> str:
    """ "Inget ändrades: alla 2 värden i filen fanns redan." (or "värdet", for one)"""
    return _counted(
        "Inget ändrades: värdet i filen fanns redan.",
        "Inget ändrades: alla %(count)s värden i filen fanns redan.",
        unchanged,
    )


def skipped_message(skipped: int) -> str:
    """ "161 tomma rader hoppades över." (template rows left unfilled; the command)"""
    return _counted(
        "%(count)s tom rad hoppades över (enhet, mått och period utan värde, täljare, nämnare "
        "eller kommentar).",
        "%(count)s tomma rader hoppades över (enhet, mått och period utan värde, täljare, "
        "nämnare eller kommentar).",
        skipped,
    )


def weights_kept_message(kept: int) -> str:
    """ "1 index utan nämnare behåller sin sparade nämnare." (the command)"""
    return _counted(
        "%(count)s viktat värde (t.ex. ett index) utan nämnare behåller sin sparade nämnare.",
        "%(count)s viktade värden (t.ex. index) utan nämnare behåller sina sparade nämnare.",
        kept,
    )


def undone_message(removed: int, restored: int) -> str:
    """ "Importen är ångrad: 1 värde togs bort och 0 återställdes." """
    return _("Importen är ångrad: %(removed)s och %(restored)s.") % {
        "removed": _counted("%(count)s värde togs bort", "%(count)s värden togs bort", removed),
        "restored": _counted("%(count)s återställdes", "%(count)s återställdes", restored),
    }


def command_counts(rows: int, created: int, changed: int, unchanged: int) -> str:
    """The command's line of counts: "1 rad – 1 ny, 0 ändrade, 0 oförändrade"."""
    return ", ".join(
        [
            _counted("%(count)s rad", "%(count)s rader", rows)
            + " – "
            + _counted("%(count)s ny", "%(count)s nya", created),
            _counted("%(count)s ändrad", "%(count)s ändrade", changed),
            _counted("%(count)s oförändrad", "%(count)s oförändrade", unchanged),
        ]
    )


def manual_replaced_warning(count: int) -> str:
    """ "Importen ersätter 1 värde som rapporterats för hand …" (above Importera)"""
    return _counted(
        "Importen ersätter %(count)s värde som rapporterats för hand (källa Manuell "
        "inrapportering). Kontrollera att filens värde ska gälla i stället innan du importerar.",
        "Importen ersätter %(count)s värden som rapporterats för hand (källa Manuell "
        "inrapportering). Kontrollera att filens värden ska gälla i stället innan du importerar.",
        count,
    )


def manual_replaced_note(count: int) -> str:
    """ "Importen ersatte 1 värde som rapporterats för hand." (the batch page)"""
    return _counted(
        "Importen ersatte %(count)s värde som rapporterats för hand (källa Manuell "
        "inrapportering).",
        "Importen ersatte %(count)s värden som rapporterats för hand (källa Manuell "
        "inrapportering).",
        count,
    )


def undo_later_change_message(count: int, example: str) -> str:
    """Why a batch cannot be undone: "1 av dess värden har ändrats …: <the value>." or
    "3 av dess värden … till exempel <the first>." """
    return ngettext(
        "Importen kan inte ångras: %(count)s av dess värden har ändrats efter importen "
        "(%(example)s). Ändra det för hand i stället.",
        "Importen kan inte ångras: %(count)s av dess värden har ändrats efter importen, "
        "till exempel %(example)s. Ändra dem för hand i stället.",
        count,
    ) % {"count": count_text(count), "example": example}
