"""`manage.py compute_followup --quarter 2025Q4` or `--all`: compute synchronously and report."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from base.periods import InvalidQuarter, Quarter
from followup import services


class Command(BaseCommand):
    help = "Beräkna kvartalsuppföljningen (måttvärden, SPC och målstatus) direkt, utan kö."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--quarter", help="kvartal att beräkna, t.ex. 2025Q4")
        group.add_argument("--all", action="store_true", help="alla kvartal med data eller plan")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["all"]:
            summaries = services.recompute_all(trigger="command")
        else:
            try:
                quarter = Quarter.parse(options["quarter"])
            except InvalidQuarter as error:
                raise CommandError(str(error)) from error
            summaries = [services.quarter_compute(quarter=quarter, trigger="command")]
        for summary in summaries:
            # Counts are rows written: a rerun over unchanged data rewrites nothing.
            self.stdout.write(
                f"{Quarter.parse(summary.quarter).label}: skrev {summary.measure_rows} "
                f"måttvärden, {summary.period_rows} periodvärden, {summary.spc_series} "
                f"SPC-serier och {summary.goal_rows} målstatusar (oförändrade hoppas över)"
            )
