"""The kanban board page with 500 open opportunities, next to its raw SQL and the framework floor.

    .venv/bin/python -m bench.bench_board                   # 3 runs, writes RESULTS.md
    .venv/bin/python -m bench.bench_board --runs 1 --no-results
    .venv/bin/python -m bench.bench_board --profile 30      # cProfile of 30 admin renders, top functions

Target (issue 3, Performance): kanban board of 500 open opportunities, one page render under 150 ms.

Data: a small scratch SQLite database of its own, `bench/out/board.sqlite3` (built once; `--rebuild`
builds it again): migrated (the default pipeline with its stages comes from the sales migrations),
an admin and a sales manager created with `guanxi.governance.services.employee_create`, 8 sales
reps in the manager's department, 1,000 company customers owned by the reps (bulk_create), and
`--open` (500) open opportunities spread over the default pipeline's open stages, amounts and
expected close dates varied, 10 % without a date, plus 60 closed in the last 30 days (won/lost,
for the drop-zone totals) and 40 closed long ago — ORM bulk_create. Admin and manager both see
all 500 cards (the manager through his department's scope, the harder visibility filter).

Measured, in-process with django.test.Client (DEBUG off, `bench/settings.py`, the full middleware):
  * the board `GET /sales/pipeline/board/` (whole page) — `--requests` timed renders after
    `--warmup`, per role and run;
  * "raw SQL": every SELECT the page issued (captured once per role, with its parameters) replayed
    through the DB cursor right after each render;
  * "floor": a trivial login-required view rendering an empty template (`render` of a template
    from an empty string, with the request, so context processors run) through the same
    middleware — what any page costs here; and "layout": the same view rendering an empty page
    that extends `web/base.html` (navigation, menus) — what every full page costs before content.
Medians of `--runs` runs. Figures go to stdout and to bench/RESULTS.md between
<!-- board:start --> and <!-- board:end -->.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import random
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

from bench.common import OUT, cpu_model, load_average, median_of_runs, p50_p95, replay, write_section

TARGET_MS = 150.0
BOARD_URL = "/sales/pipeline/board/"
PASSWORD = "bench-" + "board"  # scratch logins; the benchmark uses force_login


NOTES = """\
**Findings and changes (2026-11-23).** Before: p50 **194 / 229 ms** (admin / manager), p95 413 / 586 ms, in the
same window as the "after" run beside it (p50 94 / 85 ms, p95 164 / 164 ms; load ≈ 4.5, a PostgreSQL
data build running) — and 379 / 320 ms p50 in a busier window. The SQL was never the problem (10–13 queries,
4–12 ms replayed). cProfile of 15 renders: 66 % template rendering — 500 cards × ~10 variables
(`_resolve_lookup`, `localize`/`number_format` for every integer id, autoescape) — and 24 % the board selector
building 1,500 model instances (opportunity, customer, owner per card; 54 ms vs 9 ms for the same rows as
tuples). Changes, same HTML byte for byte (compared on the htmx fragment and the page): `selectors/opportunities.board`
reads the cards with `values_list` into slotted `BoardCard` rows (same attributes the view and template used:
pk, name, amount, expected_close_date, stage_id, version, customer.name, owner); `views/pipeline.board_view`
renders the cards of each column with one `format_html_join` over a `CARD_HTML` format (every value escaped
as autoescape did) and the template prints `{{ col.cards_html }}`. Tests: `pytest guanxi/sales` 290 passed.
"""  # findings of the first runs; kept in RESULTS.md on every run


# ---------------------------------------------------------------- data


def build(open_count: int, seed: int) -> None:
    from django.core.management import call_command
    from django.db import transaction
    from django.utils import timezone

    from guanxi.core.text import company_key, pinyin_keys
    from guanxi.customers.demo.generator import CITIES, INDUSTRIES
    from guanxi.customers.models import Customer
    from guanxi.governance.models import Department, Role
    from guanxi.governance.services import employee_create
    from guanxi.sales.models import Opportunity, Pipeline, Stage

    call_command("migrate", verbosity=0)
    rng = random.Random(seed)
    now = timezone.now()
    with transaction.atomic():
        admin = employee_create(actor=None, username="admin", password=PASSWORD, role=Role.ADMIN,
                                first_name="管理员", is_superuser=True).user
        dept = Department.objects.create(name="华东区")
        employee_create(actor=admin, username="manager", password=PASSWORD, role=Role.SALES_MANAGER,
                        department=dept, first_name="经理", last_name="王")
        surnames, given = "王李张刘陈杨黄赵吴周", "伟芳娜敏静磊洋勇艳杰"
        reps = [employee_create(actor=admin, username=f"rep{i}", password=PASSWORD, role=Role.SALES_REP,
                                department=dept, first_name=given[i], last_name=surnames[i]).user for i in range(8)]
        customers = []
        for i in range(1000):
            city = rng.choice(CITIES)[1].rstrip("市")
            _industry, words = rng.choice(INDUSTRIES)
            name = f"{city}{rng.choice('华信达恒泰瑞丰源宏鑫')}{rng.choice('科创新联合通盛博远')}{rng.choice(words)}有限公司{i}"
            full, initials = pinyin_keys(name)
            owner = reps[i % len(reps)]
            customers.append(Customer(name=name, kind=Customer.Kind.COMPANY, owner=owner, department=dept,
                                      created_by=owner, claimed_at=now, name_key=company_key(name),
                                      search_pinyin=full, search_initials=initials))
        customers = Customer.objects.bulk_create(customers, batch_size=500)
        pipeline = Pipeline.objects.get(is_default=True)
        stages = list(Stage.objects.filter(pipeline=pipeline).order_by("position"))
        open_stages = [s for s in stages if s.kind == Stage.Kind.OPEN]
        closed_stages = [s for s in stages if s.kind in (Stage.Kind.WON, Stage.Kind.LOST)]
        opps = []
        products = ["ERP 实施", "年度维保", "设备采购", "软件许可", "咨询服务", "耗材框架协议"]
        for i in range(open_count + 100):
            customer = rng.choice(customers)
            is_open = i < open_count
            stage = rng.choice(open_stages) if is_open else rng.choice(closed_stages)
            closed_at = None if is_open else now - datetime.timedelta(days=rng.randint(1, 29) if i < open_count + 60
                                                                      else rng.randint(120, 400))
            close_date = None if rng.random() < 0.1 else (now + datetime.timedelta(days=rng.randint(-20, 120))).date()
            opps.append(Opportunity(
                customer=customer, name=f"{customer.name[:8]} {rng.choice(products)} {i}", pipeline=pipeline,
                stage=stage, amount=Decimal(rng.randint(1_000, 2_000_000)) + Decimal(rng.randint(0, 99)) / 100,
                expected_close_date=close_date, owner_id=customer.owner_id, closed_at=closed_at,
                stage_changed_at=now - datetime.timedelta(days=rng.randint(0, 60)), position=i,
                created_by_id=customer.owner_id))
        Opportunity.objects.bulk_create(opps, batch_size=500)


# ---------------------------------------------------------------- the floor views

urlpatterns: list[Any] = []


def install_floor_views() -> tuple[str, str]:
    from django.conf import settings
    from django.contrib.auth.decorators import login_required
    from django.http import HttpResponse
    from django.template import engines
    from django.urls import clear_url_caches, include, path

    empty = engines["django"].from_string("")
    layout = engines["django"].from_string('{% extends "web/base.html" %}')

    @login_required
    def empty_view(request: Any) -> HttpResponse:
        return HttpResponse(empty.render({}, request))

    @login_required
    def layout_view(request: Any) -> HttpResponse:
        return HttpResponse(layout.render({}, request))

    global urlpatterns
    urlpatterns = [path("bench/empty", empty_view), path("bench/layout", layout_view),
                   path("", include(settings.ROOT_URLCONF))]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    return "/bench/empty", "/bench/layout"


# ---------------------------------------------------------------- measuring


def capture(client: Any, url: str) -> tuple[list[tuple[str, Any]], int, int]:
    from django.db import connection

    recorded: list[tuple[str, Any]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        recorded.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    selects = [(s, p) for s, p in recorded if s.lstrip().upper().startswith("SELECT")]
    return selects, len(recorded), len(response.content)


def timed(client: Any, url: str, n: int) -> list[float]:
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(url)
        out.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    return out


def run_role(client: Any, urls: dict[str, str], requests: int, warmup: int) -> dict[str, Any]:
    queries, n_queries, size = capture(client, urls["board"])
    for url in urls.values():
        timed(client, url, warmup)
    page, raw = [], []
    floor: dict[str, list[float]] = {"empty": [], "layout": []}
    # Interleaved in slices of 5 so drifting load hits page and floors alike.
    while len(page) < requests:
        for _ in range(5):
            page += timed(client, urls["board"], 1)
            raw.append(replay(queries))
        floor["empty"] += timed(client, urls["empty"], 5)
        floor["layout"] += timed(client, urls["layout"], 5)
    return {"n": len(page), "queries": n_queries, "kb": size / 1024,
            **p50_p95("page", page), "page_min": min(page), **p50_p95("raw", raw),
            **p50_p95("empty", floor["empty"]), **p50_p95("layout", floor["layout"])}


def profile(client: Any, n: int) -> None:
    import cProfile
    import pstats

    timed(client, BOARD_URL, 3)
    prof = cProfile.Profile()
    prof.enable()
    timed(client, BOARD_URL, n)
    prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(45)
    stats.sort_stats("tottime").print_stats(25)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_board", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=str(OUT / "board.sqlite3"), help="scratch SQLite file")
    parser.add_argument("--rebuild", action="store_true", help="build the scratch database again")
    parser.add_argument("--open", type=int, default=500, help="open opportunities")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40, help="timed renders per role and run")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many admin renders instead")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    db = Path(args.database)
    if args.rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(str(db) + suffix).unlink(missing_ok=True)
    fresh = not db.exists()
    os.environ["DATABASE_URL"] = f"sqlite:///{db}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    import sqlite3

    from django.contrib.auth import get_user_model
    from django.test import Client

    from guanxi.sales.models import Opportunity, Stage

    if fresh:
        t0 = time.perf_counter()
        build(args.open, args.seed)
        print(f"built {db} in {time.perf_counter() - t0:.1f} s", flush=True)
    open_n = Opportunity.objects.filter(stage__kind=Stage.Kind.OPEN, deleted_at__isnull=True).count()
    total_n = Opportunity.objects.count()
    empty_url, layout_url = install_floor_views()
    urls = {"board": BOARD_URL, "empty": empty_url, "layout": layout_url}
    users = get_user_model().objects
    clients = {}
    for role, username in (("admin", "admin"), ("manager", "manager")):
        client = Client()
        client.force_login(users.get(username=username))
        clients[role] = client
    body = clients["manager"].get(BOARD_URL).content.decode()
    cards = {role: c.get(BOARD_URL).content.decode().count('class="board-card"') for role, c in clients.items()}
    assert body.count('class="board-card"') == cards["manager"]
    print(f"open opportunities {open_n} (of {total_n}); cards shown: {cards}", flush=True)
    if args.profile:
        profile(clients["admin"], args.profile)
        return

    runs = []
    for run in range(args.runs):
        result = {}
        for role, client in clients.items():
            r = run_role(client, urls, args.requests, args.warmup)
            result[role] = r
            print(f"run {run + 1} {role:7} board p50 {r['page_p50']:6.1f} p95 {r['page_p95']:6.1f} "
                  f"min {r['page_min']:6.1f} | raw SQL p50 {r['raw_p50']:5.1f} p95 {r['raw_p95']:5.1f} "
                  f"| floor p50 {r['empty_p50']:5.1f} | layout p50 {r['layout_p50']:5.1f} ms "
                  f"({r['queries']} queries, {r['kb']:.0f} KB)", flush=True)
        runs.append(result)
    load = load_average()
    keys = ("page_p50", "page_p95", "page_min", "raw_p50", "raw_p95", "empty_p50", "empty_p95", "layout_p50",
            "layout_p95")
    rows = []
    met_all = True
    for role in clients:
        m = median_of_runs((r[role] for r in runs), keys)
        first = runs[0][role]
        met = m["page_p50"] < TARGET_MS
        met_all &= met
        rows.append(f"| {role} | {cards[role]} | {first['queries']} | {first['kb']:.0f} | {m['page_p50']:.1f} | "
                    f"**{m['page_p95']:.1f}** | {m['raw_p50']:.1f} / {m['raw_p95']:.1f} | "
                    f"{m['empty_p50']:.1f} / {m['empty_p95']:.1f} | {m['layout_p50']:.1f} / {m['layout_p95']:.1f} | "
                    f"{'met' if met else '**missed**'}{'' if m['page_p95'] < TARGET_MS else ' (p95 over)'} |")
    text = f"""## Kanban board, {open_n} open opportunities (`python -m bench.bench_board`)

Machine: {os.cpu_count()} cores (shared, load average {load} at the end), {cpu_model()}; Python {platform.python_version()};
Django {django.get_version()}; SQLite {sqlite3.sqlite_version}. Measured {datetime.date.today():%Y-%m-%d}, median of {args.runs} runs of {args.requests} timed
renders per role after {args.warmup} warm-up ones. Data: a scratch database (`bench/out/board.sqlite3`, see the module's
docstring): {open_n} open opportunities on the default pipeline's open stages + {total_n - open_n} closed, 1,000 customers,
an admin (sees all) and a sales manager (department scope; sees the same 500).
Page = `client.get("{BOARD_URL}")` (whole page, full middleware, in-process); raw SQL = every SELECT the page
issued replayed through the cursor after each render; floor = a login-required view rendering an empty template
through the same middleware; layout = the same view rendering an empty page that extends `web/base.html`.

| role | cards | queries | KB | page p50 ms | page p95 ms | raw SQL p50 / p95 | floor p50 / p95 | layout p50 / p95 | target: one render < {TARGET_MS:.0f} ms (p50) |
|---|---:|---:|---:|---:|---:|---:|---:|---:|---|
{chr(10).join(rows)}

Target: one page render of a 500-card board under 150 ms — {'met' if met_all else 'MISSED'} (judged on the p50 render; the p95 is shown for the machine's noise).
All runs (page p50 ms): {'; '.join(role + ' ' + ', '.join(f"{r[role]['page_p50']:.1f}" for r in runs) for role in clients)}.
"""
    text += "\n" + NOTES
    print(text)
    if not args.no_results:
        write_section("board", text)


if __name__ == "__main__":
    main(sys.argv[1:])
