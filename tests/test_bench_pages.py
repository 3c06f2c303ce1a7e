"""The pages benchmark's table of pages and its report (the timing itself is `make bench-pages`)."""

from __future__ import annotations

import pytest
from django.urls import NoReverseMatch, reverse

from bench import pages


def _fixtures() -> pages.Fixtures:
    return pages.Fixtures(
        measure="ratt-hjalp",
        adoption_goal="teamrond",
        measure_goal="do-2030",
        region="REG",
        vo="VO1",
        area_url="/programomraden/1/",
        quarter="2025Q4",
        earlier_quarter="2025Q3",
    )


def test_every_page_of_the_table_resolves_and_its_partial_differs_or_sends_hx() -> None:
    fixtures = _fixtures()
    for page in pages.PAGES:
        assert pages._routed(page.route), f"{page.name}: no route {page.route!r}"
        path = page.path(fixtures)
        assert path.startswith("/")
        if page.partial is not None:
            assert page.partial(fixtures).startswith(path.split("?")[0])


def test_a_route_that_does_not_exist_is_skipped() -> None:
    with pytest.raises(NoReverseMatch):
        reverse("no_such_page")
    assert not pages._routed("no_such_page")
    assert pages._routed("measure_detail")  # exists, needs an argument


def test_the_report_prints_ratio_queries_and_bytes_of_full_page_and_partial() -> None:
    results = {
        "scale": "gavleborg",
        "repeat": 3,
        "machine_line": "test machine",
        "users": {
            "styrgrupp": [
                {"page": "bare page", "status": 200, "median_ms": 10.0, "p95_ms": 12.0,
                 "queries": 4, "bytes": 2500, "ratio": 1.0},
                {"page": "Mått: regionen", "status": 200, "median_ms": 30.0, "p95_ms": 40.0,
                 "queries": 13, "bytes": 46000, "ratio": 3.0, "partial_share_of_bytes": 0.07,
                 "partial": {"status": 200, "bytes": 3400, "ratio": 2.5}},
                {"page": "Broken", "status": 500},
            ]
        },
    }  # fmt: skip
    text = pages.report(results)
    assert "Mått: regionen                      30.0     40.0   3.00      13     46,000" in text
    assert "3,400   0.07    2.50" in text
    assert "Broken                         HTTP 500" in text
