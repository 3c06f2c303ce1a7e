"""`manage.py load_demo`: load a region's data set and demo data, then print the demo accounts.

The data set (plan, units, measures) is loaded by `followup.dataset`, the synthetic values and
demo accounts by `followup.demo`; `--dry-run` shows what loading the data set would change,
row by row, and keeps nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from followup.dataset import DEFAULT_DATASET, DatasetError, LoadReport, dataset_import
from followup.demo import DemoReport, DemoUsersRefused, demo_load, demo_quarter_reports
from followup.services import recompute_all


def _resolve_dataset(raw: str) -> Path:
    """A data set path as given, or relative to the project when not found from here."""
    path = Path(raw)
    if path.is_absolute() or path.exists():
        return path
    return Path(settings.BASE_DIR) / path


class Command(BaseCommand):
    help = (
        "Läser in en datamängd (plan, enhetsträd, mått) och demodata, idempotent. / "
        "Loads a data set (plan, unit tree, measures) and demo data, idempotently."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Options: the data set folder, demo accounts, plan only, forced recompute."""
        parser.add_argument(
            "--dataset",
            default=DEFAULT_DATASET,
            help=f"Mapp med TOML-filerna / folder with the TOML files (default {DEFAULT_DATASET}).",
        )
        accounts = parser.add_mutually_exclusive_group()
        accounts.add_argument(
            "--users",
            dest="users",
            action="store_const",
            const=True,
            help="Skapa demokonton (fel i produktionsläge) / create demo accounts "
            "(an error in production mode).",
        )
        accounts.add_argument(
            "--no-users",
            dest="users",
            action="store_const",
            const=False,
            help="Skapa inga demokonton / create no demo accounts.",
        )
        parser.set_defaults(users=None)
        parser.add_argument(
            "--plan-only",
            action="store_true",
            help="Bara plan, enhetsträd och mått, inga demodata / only the plan, units and "
            "measures, no demo data.",
        )
        parser.add_argument(
            "--dry-run",
            action="store_true",
            help="Visa vad inläsningen av datamängden skulle ändra, rad för rad, utan att spara "
            "något / show what loading the data set would change, row by row, keeping nothing.",
        )
        parser.add_argument(
            "--recompute",
            action="store_true",
            help="Räkna om även om inget ändrades / recompute even when nothing changed.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Load, summarise, recompute when something changed, print the demo accounts."""
        dataset = _resolve_dataset(options["dataset"])
        report: LoadReport
        try:
            if options["dry_run"]:
                report = dataset_import(path=dataset, dry_run=True)
            else:
                report = demo_load(
                    dataset=dataset, users=options["users"], synthetic=not options["plan_only"]
                )
        except (DatasetError, DemoUsersRefused) as exc:
            raise CommandError(str(exc)) from exc
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self._print_summary(report)
        if report.dry_run:
            self._print_changes(report)
            return
        self._recompute(report, force=options["recompute"])
        if isinstance(report, DemoReport):
            self._quarter_reports(report)
            self._print_accounts(report)

    def _print_summary(self, report: LoadReport) -> None:
        """Created, updated and unchanged rows per kind."""
        self.stdout.write(f"Datamängd / data set: {report.dataset}")
        width = max((len(label) for label in report.tallies), default=0)
        for label, tally in report.tallies.items():
            deleted = f"  {tally.deleted:>4} borttagna/deleted" if tally.deleted else ""
            self.stdout.write(
                f"  {label:<{width}}  {tally.created:>5} nya/created  "
                f"{tally.updated:>4} ändrade/updated  {tally.unchanged:>5} oförändrade/unchanged"
                f"{deleted}"
            )
        for note in report.notes:
            self.stdout.write(self.style.WARNING(note))
        if report.dry_run:
            self.stdout.write(
                self.style.WARNING("Förhandsgranskning: inget sparades. / Dry run: nothing saved.")
            )
        elif report.changed:
            self.stdout.write(self.style.SUCCESS("Inläsningen klar. / Load complete."))
        else:
            self.stdout.write(
                self.style.SUCCESS("Inget att ändra: allt var redan inläst. / Nothing to change.")
            )

    def _print_changes(self, report: LoadReport) -> None:
        """Each row the load would create, update or delete, with the fields that differ."""
        words = {"created": "ny/new", "updated": "ändras/changes", "deleted": "tas bort/deleted"}
        for change in report.changes:
            fields = f": {', '.join(change.fields)}" if change.fields else ""
            self.stdout.write(f"  {words[change.state]:<16} {change.kind} {change.key}{fields}")

    def _recompute(self, report: LoadReport, *, force: bool) -> None:
        """Run the follow-up engine when it exists and the data changed (or when asked)."""
        if not (report.changed or force):
            self.stdout.write(
                "Ingen omräkning: inga data ändrades (använd --recompute). / "
                "No recompute: no data changed (use --recompute)."
            )
            return
        summaries = recompute_all(trigger="load_demo")
        self.stdout.write(
            self.style.SUCCESS(
                f"Omräknat / recomputed: {len(summaries)} kvartal, "
                f"{sum(s.goal_rows for s in summaries)} målstatus, "
                f"{sum(s.measure_rows for s in summaries)} måttvärden"
            )
        )

    def _quarter_reports(self, report: DemoReport) -> None:
        """Close and approve the ended quarters' reports (after the recompute: a quarter is
        closed only once computed), where missing."""
        notes = len(report.notes)
        made = demo_quarter_reports(report)
        for note in report.notes[notes:]:
            self.stdout.write(self.style.WARNING(note))
        if made:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Kvartalsrapporter / quarterly reports: {made} nya/created (demodata)"
                )
            )

    def _print_accounts(self, report: DemoReport) -> None:
        """The demo accounts as a table (`make run` shows it before starting the server)."""
        if not report.accounts:
            return
        header = (
            "Användarnamn/username",
            "Namn/name",
            "Roll/role",
            "Omfattning/scope",
            "Lösenord/password",
        )
        rows = [header] + [
            (a.username, a.full_name, a.role, a.scope, a.password) for a in report.accounts
        ]
        widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
        self.stdout.write("")
        self.stdout.write(self.style.MIGRATE_HEADING("Demokonton / demo accounts"))
        for index, row in enumerate(rows):
            self.stdout.write(
                "  ".join(
                    cell.ljust(width) for cell, width in zip(row, widths, strict=True)
                ).rstrip()
            )
            if index == 0:
                self.stdout.write("  ".join("-" * width for width in widths))
