"""`manage.py compute_followup --quarter 2025Q4` or `--all`: compute synchronously and report."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

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
                _(
                    "%(quarter)s: skrev %(measures)s måttvärden, %(periods)s periodvärden, "
                    "%(spc)s SPC-serier och %(goals)s målstatusar (oförändrade hoppas över)"
                )
                % {
                    "quarter": Quarter.parse(summary.quarter).label,
                    "measures": summary.measure_rows,
                    "periods": summary.period_rows,
                    "spc": summary.spc_series,
                    "goals": summary.goal_rows,
                }
            )
