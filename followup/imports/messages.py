"""The import's messages (Swedish msgids, gettext_noop), its limits and the change reasons
its history rows carry; every step of the import words its problems from here.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_noop

from ..models import ImportBatch
from . import parsing

# --- messages (the tests import them) ---------------------------------------------------------

ERROR_FILE_TOO_LARGE = gettext_noop("Filen är {size}; den får vara högst {limit}.")
ERROR_UNKNOWN_UNIT = gettext_noop(
    "Enheten ”{code}” finns inte (varken som enhetskod eller HSA-id)."
)
ERROR_AMBIGUOUS_UNIT = gettext_noop(
    "”{code}” kan vara flera enheter ({codes}): de skiljer sig bara i stora och små "
    "bokstäver. Skriv koden exakt som enheten har den."
)
ERROR_UNKNOWN_MEASURE = gettext_noop("Måttet ”{code}” finns inte.")
# A unit or measure written by its name (what every page shows, and what BI exports carry):
# never matched by it (names can repeat; a wrong match is worse than a refusal), but when
# exactly one has that name the message gives its code.
ERROR_UNIT_NAME = gettext_noop(
    "”{text}” är en enhets namn; skriv dess kod {code} eller HSA-id (se mallen)."
)
ERROR_MEASURE_NAME = gettext_noop("”{text}” är ett måtts namn; skriv dess kod {code} (se mallen).")
ERROR_AMBIGUOUS_MEASURE = gettext_noop(
    "”{code}” kan vara flera mått ({codes}): de skiljer sig bara i stora och små bokstäver. "
    "Skriv koden exakt som måttet har den."
)
# Each suggests the period that holds what was typed: "nov 2026" → Kv 4 2026, "2026Q4" → its
# months (period_suggestion).
ERROR_MONTH_FOR_QUARTERLY = gettext_noop(
    "”{text}” är en månad, men måttet ”{measure}” rapporteras per kvartal; skriv kvartalet, "
    "{quarter}."
)
ERROR_QUARTER_FOR_MONTHLY = gettext_noop(
    "”{text}” är ett kvartal, men måttet ”{measure}” rapporteras per månad; skriv en månad, "
    "till exempel {months}."
)
MONTHS_OR = gettext_noop("{first}, {second} eller {third}")
ERROR_VALUE_MISSING = gettext_noop("Värde saknas (ange värde, eller täljare och nämnare).")
ERROR_PERCENT_NOT_SHARE = gettext_noop("Procenttecken passar bara mått som är andelar ({value}).")
ERROR_DUPLICATE = gettext_noop("Samma enhet, mått och period finns redan på rad {row}.")
# With where the unit belongs and what to do: the row is someone else's to import.
ERROR_OUT_OF_SCOPE = gettext_noop(
    "Du får inte rapportera värden för enheten ”{unit}”. Ta bort raden eller be strategen "
    "importera den."
)
ERROR_OUT_OF_SCOPE_VO = gettext_noop(
    "Du får inte rapportera värden för enheten ”{unit}”. Den hör till {vo}; ta bort raden "
    "eller be strategen importera den."
)
# A value's source decides where it comes from for every page (a system's export awaited,
# a warning before an import replaces a value reported by hand): only those who edit everything
# name a system (services.check_import_source); everyone else's values are their own report.
ERROR_SOURCE_SYSTEM = gettext_noop(
    "Bara strategen och administratörer anger ett system ({systems}) som källa. Dina värden "
    "importeras som Manuell inrapportering; inget har sparats."
)
# The hint under "Källa: Manuell inrapportering" (upload.html), which names the source once.
SOURCE_MANUAL_ONLY = gettext_noop(
    "Värdena sparas som din egen rapportering. Exporter ur Cyklop, Cosmic och andra system "
    "importeras av strategen."
)
ERROR_MORE_PROBLEMS = gettext_noop("…och {count} problem till.")
ERROR_NO_ROWS = gettext_noop("Filen har en rubrikrad men inga rader med värden.")
ERROR_ONLY_EMPTY_ROW = gettext_noop(
    "Filen har inga ifyllda värden: raden har varken värde, täljare eller nämnare."
)
ERROR_ONLY_EMPTY_ROWS = gettext_noop(
    "Filen har inga ifyllda värden: ingen av de {count} raderna har värde, täljare eller nämnare."
)
# A changed value's täljare, nämnare and comment, beside the value in the preview.
CHANGE_NUMERATOR = gettext_noop("täljare {old} → {new}")
CHANGE_DENOMINATOR = gettext_noop("nämnare {old} → {new}")
CHANGE_WEIGHT_KEPT = gettext_noop("nämnaren {value} behålls")
# A comment cell left empty keeps the stored comment and is not mentioned; a filled-in one
# replaces it, shown old → new ("–" for none).
CHANGE_COMMENT = gettext_noop("kommentar {old} → {new}")
# A new value's parts, as given: "täljare 40; nämnare 200; kommentar ”Från Cyklop”".
NEW_NUMERATOR = gettext_noop("täljare {value}")
NEW_DENOMINATOR = gettext_noop("nämnare {value}")
NEW_COMMENT = gettext_noop("kommentar {value}")
# A value the import writes that moved more than GONV_REPORT_JUMP_PCT % from the previous
# period, without a comment: the reporting grid refuses it so (reporting.ERROR_JUMP), the import
# only warns (a system's export carries real jumps, and nobody writes comments into it).
WARNING_JUMP = gettext_noop(
    "Värdet skiljer sig mer än {pct} % från föregående period ({previous}): nytt värde {new}, "
    "utan kommentar."
)
# The same jump as one line of the list under the summary (wording.jump_warning, which says
# the rule once): how much and against which period, "+82 % mot okt 2025 (22 st → 40 st)"; a
# change from 0 has no percentage.
JUMP_LINE = gettext_noop("{change} mot {period} ({previous} → {new})")
JUMP_LINE_FROM_ZERO = gettext_noop("från {previous} i {period} till {new}")
ERROR_HAS_PROBLEMS = gettext_noop("Filen har {count} problem och importerades inte.")
ERROR_UNDO_DONE = gettext_noop("Importen är redan ångrad.")
ERROR_UNDO_FORBIDDEN = gettext_noop(
    "Du kan inte ångra importen: den innehåller värden för enheter du inte får ändra ({units})."
)
ERROR_UNDO_NOT_IMPORTER = gettext_noop(
    "Du får inte ångra importer: det kräver behörighet att rapportera mätvärden."
)
ERROR_UNDO_DEMO = gettext_noop(
    "Demodata kan inte ångras som en import: de tas bort tillsammans med sina värden i "
    "administrationen."
)
ERROR_UNDO_UNATTRIBUTED = gettext_noop(
    "Importen kan inte ångras: inga värden i historiken kommer från den, så det går inte att "
    "se vad den skrev."
)

PROBLEM_LIMIT = 300
CHANGE_LIMIT = 200
JUMP_LIMIT = 200
CHUNK_ROWS = 2000
FOUR_PLACES = Decimal(1).scaleb(-parsing.MAX_DECIMALS)


def change_reason(batch: ImportBatch) -> str:
    """The history's change reason of every value a batch wrote (undo finds them by it)."""
    return f"Import #{batch.pk}"


# How an undo's history rows begin: they put back what someone else entered, so they never say
# who entered a value (history.manual_entries looks past them).
UNDO_REASON_PREFIX = "Ångrad import #"


def undo_reason(batch: ImportBatch) -> str:
    return f"{UNDO_REASON_PREFIX}{batch.pk}"
