"""Benchmark of the pages (`make bench-pages`): server time per page against a bare page.

    python -m bench.pages [--scale gavleborg] [--repeat 30] [--json PATH] [--keep] [--reuse]

The parent process (re)creates the bench database, has bench.run's `generate` step load the
synthetic data of one scale, then runs the `time` child below: it computes every quarter as
the Celery chain does, then requests every page and partial of PAGES through Django's test
client, logged in as the steering group and as a VC, and the same for a bare page (a
logged-in view that renders only base.html: the floor of our own stack). Per page it reports
the median and p95 server time, the ratio of the median to the bare page's, the queries of
one request and the HTML bytes (full page, and its htmx partial). Not a timed test: figures
for the README. See bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from psycopg import sql

from bench import SCALES, TODAY
from bench.run import (
    BASE_DIR,
    _admin,
    _child_env,
    _server_url,
    _with_database,
    check_database_name,
    drop_database,
    exclusive_use,
    machine_info,
    recreate_database,
    set_synchronous_commit,
)

DEFAULT_JSON = BASE_DIR / "bench-results-pages.json"
DEFAULT_DATABASE = "gonv_bench_pages"
HX = {"HTTP_HX_REQUEST": "true"}
WARM_UP = 3


@dataclass(frozen=True)
class Fixtures:
    """What the pages are requested for: codes of a measure, goals, a VO and its area."""

    measure: str
    adoption_goal: str
    measure_goal: str
    region: str
    vo: str
    # The adoption goal's area as its links name it: with several organisations each has a
    # PO 1, so the URL carries the organisation (followup.organisation_selection).
    area_url: str
    quarter: str
    earlier_quarter: str


@dataclass(frozen=True)
class Page:
    """One page of the application and the htmx partial it swaps.

    path: the full page's URL; partial: the URL the page's htmx request asks for (sent with
    HX-Request), or None for a page without one. Add a row to PAGES for every new page.
    """

    name: str
    path: Callable[[Fixtures], str]
    partial: Callable[[Fixtures], str] | None = None
    route: str = ""  # a URL name that must exist, else the page is skipped (not yet merged)
    target: str = "quarter-region"  # the HX-Target the partial's request sends, as htmx does


def _reverse(name: str, *args: Any) -> str:
    from django.urls import reverse

    return reverse(name, args=args)


def _query(url: str, query: str) -> str:
    """The URL with `query` ("a=b") after what it carries already."""
    return f"{url}{'&' if '?' in url else '?'}{query}"


BARE = Page("bare page (base.html only)", lambda f: "/bench/bare/")

# Every page and its partial. Pages of other parts of the application join here when they land.
PAGES: list[Page] = [
    Page(
        "Portfölj",
        lambda f: _reverse("home"),
        lambda f: _reverse("home") + f"?kvartal={f.earlier_quarter}",
        route="home",
    ),
    Page(
        "Programområden",
        lambda f: _reverse("programme_area_list"),
        lambda f: _reverse("programme_area_list") + f"?kvartal={f.earlier_quarter}",
        route="programme_area_list",
    ),
    Page(
        "Programområde",
        lambda f: f.area_url,
        lambda f: _query(f.area_url, f"kvartal={f.earlier_quarter}"),
        route="programme_area_detail",
    ),
    Page(
        "Programområde: en VO",
        lambda f: _query(f.area_url, f"vo={f.vo}"),
        lambda f: _query(f.area_url, f"vo={f.vo}"),
        route="programme_area_detail",
        target="adoption",
    ),
    Page(
        "Enheter",
        lambda f: _reverse("unit_list"),
        # A folded VO opened: its units (the <details>' target has no id: no HX-Target).
        lambda f: _reverse("unit_tree_children", f.vo),
        route="unit_list",
        target="",
    ),
    Page(
        "Enhet (VO)",
        lambda f: _reverse("unit_detail", f.vo),
        lambda f: _reverse("unit_detail", f.vo) + f"?kvartal={f.earlier_quarter}",
        route="unit_detail",
    ),
    Page(
        "Mått",
        lambda f: _reverse("measure_list"),
        lambda f: _reverse("measure_list") + f"?kvartal={f.earlier_quarter}",
        route="measure_list",
    ),
    Page(
        "Mått: regionen",
        lambda f: _reverse("measure_detail", f.measure),
        lambda f: _reverse("measure_detail", f.measure) + f"?enhet={f.vo}",
        route="measure_detail",
        target="measure-unit",
    ),
    Page(
        "Mål (införande)",
        lambda f: _reverse("goal_detail", f.adoption_goal),
        lambda f: _reverse("goal_detail", f.adoption_goal) + f"?kvartal={f.earlier_quarter}",
        route="goal_detail",
    ),
    Page(
        "Mål (mått)",
        lambda f: _reverse("goal_detail", f.measure_goal),
        lambda f: _reverse("goal_detail", f.measure_goal) + f"?kvartal={f.earlier_quarter}",
        route="goal_detail",
    ),
]


@dataclass
class Timing:
    runs_ms: list[float] = field(default_factory=list)

    @property
    def median(self) -> float:
        return statistics.median(self.runs_ms)

    @property
    def p95(self) -> float:
        ordered = sorted(self.runs_ms)
        return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


# --- the child: compute, then time ---------------------------------------------------------------


def _compute_everything() -> dict[str, Any]:
    """Every quarter's roll-up and goal status, oldest first, then SPC of every measure."""
    from followup import services
    from followup.tasks import compute_quarter

    quarters = services.quarters_in_scope(TODAY)
    started = time.perf_counter()
    for quarter in quarters:
        compute_quarter.run(quarter.code, "bench")
    services.spc_compute(quarters=quarters)
    return {"quarters": [q.code for q in quarters], "compute_s": time.perf_counter() - started}


def _fixtures(quarters: list[str]) -> Fixtures:
    from django.db.models import Count, Q

    from followup.models import Measure
    from followup.organisation_selection import programme_area_url
    from goals.models import Goal
    from organisation.models import Unit

    region = Unit.objects.filter(parent__isnull=True).order_by("code").first()
    # The VO with the most health centres: the unit page's largest peer comparison (60 at
    # national scale, 6 at Gävleborg's).
    vo = (
        Unit.objects.filter(kind__code="verksamhetsomrade")
        .annotate(
            hcs=Count("children", filter=Q(children__kind__code="halsocentral")),
            n=Count("children"),
        )
        .order_by("-hcs", "-n", "code")
        .first()
    ) or Unit.objects.annotate(n=Count("children")).order_by("-n", "code").first()
    adoption = Goal.objects.filter(kind="adoption").order_by("id").first()
    measure_goal = Goal.objects.filter(kind="measure").order_by("id").first()
    measure = measure_goal.measure if measure_goal else Measure.objects.order_by("id").first()
    return Fixtures(
        measure=measure.code,
        adoption_goal=adoption.code,
        measure_goal=(measure_goal or adoption).code,
        region=region.code,
        vo=vo.code,
        area_url=programme_area_url(adoption.programme_area),
        quarter=quarters[-1],
        earlier_quarter=quarters[-2],
    )


def _users(vo_code: str) -> dict[str, Any]:
    from django.contrib.auth.models import User

    from organisation.models import Role, RoleAssignment, Unit

    steering, _ = User.objects.get_or_create(username="bench-styrgrupp")
    vc, _ = User.objects.get_or_create(username="bench-vc")
    RoleAssignment.objects.get_or_create(user=steering, role=Role.STEERING_GROUP)
    RoleAssignment.objects.get_or_create(
        user=vc, role=Role.HEAD_OF_AREA, unit=Unit.objects.get(code=vo_code)
    )
    return {"styrgrupp": steering, "vc": vc}


def _measure(
    client: Any, url: str, repeat: int, headers: dict[str, str], *, warmed: bool = False
) -> dict[str, Any]:
    """Median and p95 of `repeat` requests (warm: the page's regions cached), the queries and
    bytes of one, and the time of one cold request (right after a new cache generation, as
    after an edit: every region rendered from the database). With `warmed`, also the first
    request after a recompute whose chain warmed the cache (followup.warm): `warmed_ms`."""
    from django.db import connection

    from followup.cache import bump_generation

    extra: dict[str, Any] = {}
    if warmed:
        from followup.warm import warm_dashboards

        bump_generation()
        warm_dashboards()
        started = time.perf_counter()
        client.get(url, **headers)
        extra["warmed_ms"] = round((time.perf_counter() - started) * 1000, 2)
    bump_generation()
    started = time.perf_counter()
    response = client.get(url, **headers)
    cold_ms = (time.perf_counter() - started) * 1000
    for _ in range(WARM_UP):
        response = client.get(url, **headers)
    if response.status_code != 200:
        return {"status": response.status_code}
    queries: list[str] = []

    def count(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        response = client.get(url, **headers)
    timing = Timing()
    for _ in range(repeat):
        started = time.perf_counter()
        client.get(url, **headers)
        timing.runs_ms.append((time.perf_counter() - started) * 1000)
    return {
        "status": 200,
        "median_ms": round(timing.median, 2),
        "cold_ms": round(cold_ms, 2),
        "p95_ms": round(timing.p95, 2),
        "queries": len(queries),
        "bytes": len(response.content),
        **extra,
    }


def _computed_already() -> dict[str, Any]:
    """The quarters of a kept database (--reuse): computed by an earlier run."""
    from followup import services

    return {"quarters": [q.code for q in services.quarters_in_scope(TODAY)], "compute_s": 0.0}


def step_time(
    scale_name: str,
    repeat: int,
    *,
    compute: bool = True,
    on_computed: Callable[[], None] = lambda: None,
) -> dict[str, Any]:
    from django.test import Client, override_settings

    if compute:
        computed = _compute_everything()
        on_computed()
    else:
        computed = _computed_already()
    fixtures = _fixtures(computed["quarters"])
    users = _users(fixtures.vo)
    results: dict[str, Any] = {
        "scale": scale_name,
        "compute_s": round(computed["compute_s"], 1),
        "fixtures": fixtures.__dict__,
        "users": {},
    }
    # DEBUG off, as in production; ALLOWED_HOSTS for the test client's "testserver".
    with override_settings(
        ROOT_URLCONF="bench.pages_urls", ALLOWED_HOSTS=["testserver"], GONV_WARM_DASHBOARDS=True
    ):
        results["warm_dashboards"] = _time_warming()
        for role, user in users.items():
            client = Client()
            client.force_login(user)
            bare = _measure(client, BARE.path(fixtures), repeat, {})
            rows = [{"page": BARE.name, **bare, "ratio": 1.0}]
            for page in PAGES:
                if not _routed(page.route):
                    continue
                full = _measure(client, page.path(fixtures), repeat, {}, warmed=True)
                row: dict[str, Any] = {"page": page.name, "path": page.path(fixtures), **full}
                if full.get("status") == 200:
                    row["ratio"] = round(full["median_ms"] / bare["median_ms"], 2)
                if page.partial is not None and full.get("status") == 200:
                    headers = {**HX, "HTTP_HX_TARGET": page.target}
                    partial = _measure(client, page.partial(fixtures), repeat, headers)
                    row["partial"] = {"path": page.partial(fixtures), **partial}
                    if partial.get("status") == 200:
                        row["partial"]["ratio"] = round(partial["median_ms"] / bare["median_ms"], 2)
                        row["partial_share_of_bytes"] = round(partial["bytes"] / full["bytes"], 3)
                rows.append(row)
                print(f"  {role:9} {page.name:28} {_short(row)}", file=sys.stderr, flush=True)
            results["users"][role] = rows
    return results


def _time_warming() -> dict[str, Any]:
    """What the recompute chain's last task costs: every warmed page rendered after a new
    generation (followup.warm), as the steering group sees them."""
    from followup.cache import bump_generation
    from followup.warm import warm_dashboards

    bump_generation()
    summary = warm_dashboards()
    print(f"  warm_dashboards: {summary}", file=sys.stderr, flush=True)
    return summary


def _routed(name: str) -> bool:
    from django.urls import NoReverseMatch, reverse

    try:
        reverse(name)
    except NoReverseMatch as error:
        # A route with arguments exists if reversing failed only for want of them.
        return "with no arguments not found" in str(error) or "arguments '()'" in str(error)
    return True


def _short(row: dict[str, Any]) -> str:
    if row.get("status") != 200:
        return f"HTTP {row.get('status')}"
    return f"{row['median_ms']:.1f} ms ({row.get('ratio', 1):.2f}x), {row['queries']} queries"


def run_child(args: argparse.Namespace) -> None:
    os.environ["DATABASE_URL"] = _with_database(_server_url(), check_database_name(args.database))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gonv.settings")
    import logging

    import django

    django.setup()
    logging.getLogger("followup").setLevel(logging.WARNING)
    results = step_time(
        args.scale,
        args.repeat,
        compute=not args.no_compute,
        on_computed=lambda: _note_database(args.database, computed=True),
    )
    Path(args.out).write_text(json.dumps(results, indent=2))


# --- the parent: database, children, report ------------------------------------------------------


def report(results: dict[str, Any]) -> str:
    lines = [
        f"Pages at {results['scale']} scale, {results['repeat']} requests each "
        f"(median, p95; ratio = median / bare page's median), {results['machine_line']}",
    ]
    header = (
        f"{'page':30} {'median ms':>9} {'p95 ms':>8} {'ratio':>6} {'queries':>7} "
        f"{'HTML bytes':>10} {'partial':>8} {'p/full':>6} {'p ratio':>7} {'cold ms':>8} "
        f"{'warmed ms':>9}"
    )
    for role, rows in results["users"].items():
        lines += ["", f"as {role}:", header, "-" * len(header)]
        for row in rows:
            if row.get("status") != 200:
                lines.append(f"{row['page']:30} HTTP {row.get('status')}")
                continue
            partial = row.get("partial") or {}
            ok = partial.get("status") == 200
            partial_bytes = f"{partial['bytes']:,d}" if ok else "–"
            share = f"{row['partial_share_of_bytes']:.2f}" if ok else "–"
            partial_ratio = f"{partial['ratio']:.2f}" if ok else "–"
            lines.append(
                f"{row['page']:30} {row['median_ms']:9.1f} {row['p95_ms']:8.1f} "
                f"{row.get('ratio', 1.0):6.2f} {row['queries']:7d} {row['bytes']:10,d} "
                f"{partial_bytes:>8} {share:>6} {partial_ratio:>7} "
                f"{_ms(row.get('cold_ms')):>8} {_ms(row.get('warmed_ms')):>9}"
            )
    return "\n".join(lines)


def _ms(value: float | None) -> str:
    return "–" if value is None else f"{value:,.0f}"


def _database_note(database: str) -> dict[str, Any]:
    """What a run noted on the database (its COMMENT): scale, generated counts, computed."""
    with _admin() as conn:
        row = conn.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [database],
        ).fetchone()
    try:
        note = json.loads(row[0]) if row and row[0] else {}
    except ValueError:
        return {}
    return note if isinstance(note, dict) else {}


def _note_database(database: str, **fields: Any) -> None:
    """Add to the note on the database, for a later --reuse."""
    note = {**_database_note(database), **fields}
    with _admin() as conn:
        conn.execute(
            sql.SQL("COMMENT ON DATABASE {} IS {}").format(
                sql.Identifier(check_database_name(database)), sql.Literal(json.dumps(note))
            )
        )


def _kept(database: str, scale: str) -> bool:
    """Whether the database is a kept run's of this scale, generated and computed."""
    note = _database_note(database)
    return note.get("scale") == scale and bool(note.get("computed"))


def run_parent(args: argparse.Namespace) -> int:
    database = check_database_name(args.database)
    machine = machine_info()
    with exclusive_use(database), tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        env = _child_env()
        # The dashboards' cache keys (and the engine's generation) of this database only.
        env["CACHE_KEY_PREFIX"] = f"{database}-{args.scale}"
        reuse = args.reuse and _kept(database, args.scale)
        generate_out = workdir / "generate.json"
        if reuse:
            print(f"reusing {database} ({args.scale}, computed)", file=sys.stderr)
            generate_out.write_text(json.dumps(_database_note(database).get("generated", {})))
        else:
            recreate_database(database)
            set_synchronous_commit(database, on=False)
            subprocess.run(
                [sys.executable, "-m", "bench.run", "--one", args.scale, "--step", "generate",
                 "--out", str(generate_out), "--database", database],
                env=env, cwd=BASE_DIR, check=True,
            )  # fmt: skip
            set_synchronous_commit(database, on=True)
            generated = json.loads(generate_out.read_text())
            _note_database(database, scale=args.scale, generated=generated, computed=False)
        time_out = workdir / "time.json"
        subprocess.run(
            [sys.executable, "-m", "bench.pages", "--child", "--scale", args.scale,
             "--repeat", str(args.repeat), "--out", str(time_out), "--database", database,
             *(["--no-compute"] if reuse else [])],
            env=env, cwd=BASE_DIR, check=True,
        )  # fmt: skip
        results = json.loads(time_out.read_text())
        results["generated"] = json.loads(generate_out.read_text())
        results["reused_database"] = reuse
        if not (args.keep or args.reuse):
            drop_database(database)
    results.update(
        repeat=args.repeat,
        machine=machine,
        machine_line=(
            f"{machine.get('cpu_model', platform.processor())}, {machine.get('cpus')} CPUs, "
            f"Python {platform.python_version()}"
        ),
        generated_at=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    )
    Path(args.json).write_text(json.dumps(results, indent=2))
    print(report(results))
    print(f"\nwarm_dashboards after a new generation: {results.get('warm_dashboards')}")
    print(f"\nwritten to {args.json}")
    return 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", default="gavleborg", choices=sorted(SCALES))
    parser.add_argument("--repeat", type=int, default=30, help="timed requests per page")
    parser.add_argument("--json", default=str(DEFAULT_JSON))
    parser.add_argument("--database", default=DEFAULT_DATABASE)
    parser.add_argument("--keep", action="store_true", help="leave the bench database behind")
    parser.add_argument(
        "--reuse",
        action="store_true",
        help="time on the database a --keep run of the same scale left (no generation, no "
        "compute); generate and keep it if there is none",
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--no-compute", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.child:
        run_child(args)
        return 0
    return run_parent(args)


if __name__ == "__main__":
    sys.exit(main())
