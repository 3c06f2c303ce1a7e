"""Benchmark of the quarterly follow-up computation on synthetic data (`make bench`).

The scales live here, free of Django imports, so the orchestrating parent process of
bench.run can list them without setting Django up.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

FIRST_MONTH = datetime.date(2023, 1, 1)
MONTHS = 36
# The day the benchmark pretends it is: the last day of the 36th month, so every quarter of
# the series is in scope and the latest one is complete.
TODAY = datetime.date(2025, 12, 31)
DEFAULT_SEED = 2025


@dataclass(frozen=True)
class Scale:
    """How big an organisation to generate."""

    name: str
    regions: int
    health_centres: int
    units: int
    description: str
    # Health centres of the first region's first primary-care VO (0: spread evenly, ~6 a VO):
    # the VC's unit page at national scale is that of a VO with 60 health centres.
    largest_vo: int = 0


SCALES: dict[str, Scale] = {
    "tiny": Scale("tiny", 1, 8, 30, "smoke test: one small region"),
    "gavleborg": Scale("gavleborg", 1, 30, 150, "Region Gävleborg: ~30 HC, ~150 units"),
    "region": Scale("region", 1, 200, 1_500, "a large region: ~200 HC, ~1,500 units"),
    "national": Scale(
        "national", 21, 1_200, 10_000, "21 regions: ~1,200 HC, ~10,000 units", largest_vo=60
    ),
}
