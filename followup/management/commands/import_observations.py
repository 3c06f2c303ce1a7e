"""`manage.py import_observations FILE`: check a file of measure values and store it, or not.

Exits 0 when the file was valid (and stored, unless --dry-run), 1 with the problems on stderr
when it was not; a refused file stores nothing.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from base.formatting import format_number
from followup.imports.report import ImportRefused, ImportReport
from followup.imports.services import (
    IMPORT_SOURCES,
    check_import_source,
    import_preview,
    import_store,
)
from followup.imports.wording import (
    command_counts,
    jump_warning,
    more_jumps_text,
    skipped_message,
    weights_kept_message,
)


def _count(number: int) -> str:
    """A count as the pages write it: "1 234" (an id or a file's line number stays as it is)."""
    return format_number(number, 0)


class Command(BaseCommand):
    help = "Importera mätvärden från en CSV- eller XLSX-fil (förhandsgranska med --dry-run)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="CSV- eller XLSX-fil, en rad per värde")
        parser.add_argument("--dry-run", action="store_true", help="kontrollera men spara inget")
        parser.add_argument("--source", choices=IMPORT_SOURCES, default="manual", help="källsystem")
        parser.add_argument("--sheet", help="blad i XLSX-filen (annars det första)")
        parser.add_argument(
            "--user", help="användarnamn; importen görs med användarens behörighet och i dess namn"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(_("Filen %(path)s finns inte.") % {"path": path})
        user = None
        if options["user"]:
            try:
                user = get_user_model().objects.get(username=options["user"])
            except get_user_model().DoesNotExist as error:
                raise CommandError(
                    _("Användaren ”%(username)s” finns inte.") % {"username": options["user"]}
                ) from error
        try:
            # A system as the source is the strategist's (a VC's values are their own report).
            check_import_source(user=user, source=options["source"])
        except PermissionDenied as refusal:
            self.stderr.write(str(refusal))
            sys.exit(1)
        arguments = {
            "user": user,
            "path": path,
            "file_name": path.name,
            "source": options["source"],
            "sheet": options["sheet"],
        }
        try:
            if options["dry_run"]:
                report = import_preview(**arguments)
            else:
                report = import_store(**arguments)
        except ImportRefused as refused:
            report = refused.report
        self._counts(report, dry_run=options["dry_run"])
        if not report.ok:
            for line in report.problem_lines():
                self.stderr.write(line)
            self.stderr.write(
                _("Filen har %(count)s problem; inget sparades.")
                % {"count": _count(report.problem_count)}
            )
            sys.exit(1)

    def _counts(self, report: ImportReport, *, dry_run: bool) -> None:
        counts = command_counts(report.rows, report.created, report.changed, report.unchanged)
        self.stdout.write(_("%(file)s: %(counts)s.") % {"file": report.file_name, "counts": counts})
        if report.skipped:
            self.stdout.write(skipped_message(report.skipped))
        if report.weights_kept:
            self.stdout.write(weights_kept_message(report.weights_kept))
        if report.ignored_columns:
            self.stdout.write(
                _("Ignorerade kolumner: %(columns)s")
                % {"columns": ", ".join(report.ignored_columns)}
            )
        for change in report.changes:
            if change.old != "–":
                self.stdout.write(
                    "  "
                    + _("rad %(row)s: %(unit)s, %(measure)s, %(period)s: %(old)s → %(new)s")
                    % {
                        "row": change.row,
                        "unit": change.unit,
                        "measure": change.measure,
                        "period": change.period,
                        "old": change.old,
                        "new": change.new,
                    }
                    + (f" ({change.details})" if change.details else "")
                )
        if not report.ok:
            return
        if report.jumps:
            # A warning, not a refusal (the reporting grid asks for a comment; an export has none).
            self.stdout.write(
                jump_warning(report.jump_count, report.jumps[0].pct), self.style.WARNING
            )
            for jump in report.jumps:
                self.stdout.write("  " + str(jump), self.style.WARNING)
            if report.jump_count > len(report.jumps):
                self.stdout.write(
                    "  " + more_jumps_text(report.jump_count - len(report.jumps)),
                    self.style.WARNING,
                )
        if dry_run:
            self.stdout.write(_("Provkörning (--dry-run): inget sparades."))
        elif report.batch_id is not None:
            self.stdout.write(_("Sparat som importomgång %(id)s.") % {"id": report.batch_id})
        else:
            self.stdout.write(_("Inget ändrades."))
