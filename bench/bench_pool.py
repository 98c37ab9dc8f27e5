"""The nightly public-pool job (recycling + warnings) over 1,000,000 customers on SQLite.

    .venv/bin/python -m bench.bench_pool                       # median of 3 runs, writes RESULTS.md
    .venv/bin/python -m bench.bench_pool --runs 1 --no-results

Target (issue 3, Performance): the nightly pool recycle over 1,000,000 customers runs in under
60 s on SQLite, set-based (no per-customer Python loop over the table).

Data: the 1M-customer database built by `bench/datagen.py` (`bench/out/bench.sqlite3`, see
bench/README.md) is never modified: it is copied to `bench/out/pool_base.sqlite3` and migrated
(once), then copied to `bench/out/pool_prepared.sqlite3` and prepared with plain SQL (once):
  * owned customers get a claim time spread over the last 120 days, a level A–D (by id), 1% are
    locked; the demo reps keep the customers the generator gave them;
  * 60,000 opportunities (every 16th customer: 2/3 open, 1/3 won);
  * the company pool recycles after 30 days without follow-up, 60 days without an opportunity,
    90 days without winning, warns 3 days before; level A has 90/120/180 days, level B 45 days
    without follow-up; a second pool for one sales region (华东区) with its own 40 days.
Each run copies the prepared file to `bench/out/pool_run.sqlite3` and times `pool_recycle(now=…)`
(the first night: everything overdue goes at once, the worst case), then the next night's run
(steady state). Reference, measured in the same run: one raw full-table COUNT over the customers
with the no-follow-up condition (the floor of any set-based pass over the table).
Figures go to stdout and to bench/RESULTS.md between <!-- pool:start --> and <!-- pool:end -->.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import sqlite3
import statistics
import time
from pathlib import Path
from typing import Any

from bench.common import OUT, copy_and_migrate, machine_summary, write_section


def prepare(base: Path, prepared: Path, now: datetime.datetime) -> None:
    if prepared.exists():
        return
    print(f"preparing {prepared} …", flush=True)
    tmp = prepared.with_suffix(".partial")
    shutil.copyfile(base, tmp)
    db = sqlite3.connect(tmp)
    ts = now.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
    db.executescript(f"""
        UPDATE customers_customer SET
            claimed_at = CASE WHEN owner_id IS NULL THEN NULL
                              ELSE datetime('{ts}', '-' || (id % 120) || ' days', '-' || (id % 1440) || ' minutes') END,
            level = substr('ABCD', (id % 4) + 1, 1),
            locked_at = CASE WHEN owner_id IS NOT NULL AND id % 100 = 0 THEN datetime('{ts}', '-200 days') END;
        INSERT INTO sales_opportunity (created_at, updated_at, version, name, amount, competitors, lost_reason,
                                       position, notes, customer_id, owner_id, pipeline_id, stage_id)
        SELECT datetime('{ts}', '-' || (id % 100) || ' days'), datetime('{ts}'), 1, 'bench ' || id, 1000, '', '',
               0, '', id, owner_id, (SELECT id FROM sales_pipeline WHERE is_default = 1 LIMIT 1),
               CASE WHEN id % 3 = 0 THEN (SELECT id FROM sales_stage WHERE kind = 'won' LIMIT 1)
                    ELSE (SELECT id FROM sales_stage WHERE kind = 'open' LIMIT 1) END
        FROM customers_customer WHERE id % 16 = 0 LIMIT 60000;
        UPDATE sales_pool SET is_active = 1, no_follow_up_days = 30, no_opportunity_days = 60, not_won_days = 90,
            warn_days_before = 3, exempt_won = 1, exempt_open_opportunity = 1 WHERE department_id IS NULL;
        DELETE FROM sales_poollevelrule;
        INSERT INTO sales_poollevelrule (pool_id, level, no_follow_up_days, no_opportunity_days, not_won_days)
        SELECT id, 'A', 90, 120, 180 FROM sales_pool WHERE department_id IS NULL;
        INSERT INTO sales_poollevelrule (pool_id, level, no_follow_up_days, no_opportunity_days, not_won_days)
        SELECT id, 'B', 45, NULL, NULL FROM sales_pool WHERE department_id IS NULL;
        INSERT INTO sales_pool (name, department_id, is_active, no_follow_up_days, no_opportunity_days, not_won_days,
            warn_days_before, exempt_won, exempt_open_opportunity, daily_claim_limit, holding_limit,
            holding_counts_won, reclaim_block_days, lock_limit)
        SELECT '华东区公海', id, 1, 40, NULL, NULL, 3, 1, 1, 10, 500, 0, 7, 5
        FROM governance_department WHERE name = '华东区' AND NOT EXISTS (
            SELECT 1 FROM sales_pool p WHERE p.department_id = governance_department.id);
    """)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    tmp.rename(prepared)


def raw_reference(cutoff: datetime.datetime) -> float:
    from django.db import connection

    ts = cutoff.astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")
    sql = ("SELECT COUNT(*) FROM customers_customer WHERE owner_id IS NOT NULL AND locked_at IS NULL "
           "AND deleted_at IS NULL AND (claimed_at < %s) AND (last_interaction_at IS NULL OR last_interaction_at < %s)")
    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        cursor.execute(sql, [ts, ts])
        cursor.fetchone()
        return time.perf_counter() - t0


def one_run(prepared: Path, run_file: Path, now: datetime.datetime) -> dict[str, Any]:
    from django.db import connections

    from guanxi.sales.selectors.pool import clock_cutoff
    from guanxi.sales.services.recycle import pool_recycle

    connections.close_all()
    shutil.copyfile(prepared, run_file)
    for suffix in ("-wal", "-shm"):
        Path(str(run_file) + suffix).unlink(missing_ok=True)
    raw = raw_reference(clock_cutoff(now, 30))
    t0 = time.perf_counter()
    first = pool_recycle(now=now)
    first_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    second = pool_recycle(now=now + datetime.timedelta(days=1))
    second_s = time.perf_counter() - t0
    connections.close_all()
    return {"raw": raw, "first": first_s, "second": second_s, "first_result": first, "second_result": second}


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_pool", description=__doc__.split("\n\n")[0])
    parser.add_argument("--source", default=str(OUT / "bench.sqlite3"),
                        help="the datagen database (only read; default bench/out/bench.sqlite3)")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--rebuild", action="store_true", help="prepare the data again")
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    base, prepared, run_file = OUT / "pool_base.sqlite3", OUT / "pool_prepared.sqlite3", OUT / "pool_run.sqlite3"
    copy_and_migrate(Path(args.source), base)
    if args.rebuild:
        prepared.unlink(missing_ok=True)
    with sqlite3.connect(f"file:{base}?mode=ro", uri=True) as db:
        latest = db.execute("SELECT MAX(last_interaction_at), COUNT(*) FROM customers_customer").fetchone()
    customers = latest[1]
    # The night after the newest follow-up in the data, 02:00 Shanghai (the scheduler's slot).
    newest = datetime.datetime.fromisoformat(latest[0]).replace(tzinfo=datetime.UTC)
    now = datetime.datetime.combine(newest.date() + datetime.timedelta(days=1), datetime.time(2),
                                    tzinfo=datetime.timezone(datetime.timedelta(hours=8)))
    prepare(base, prepared, now)

    os.environ["DATABASE_URL"] = f"sqlite:///{run_file}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.settings")
    import django

    django.setup()

    runs = []
    for n in range(args.runs):
        result = one_run(prepared, run_file, now)
        runs.append(result)
        print(f"run {n + 1}: first night {result['first']:.2f} s (recycled {result['first_result']['recycled']:,}, "
              f"warned {result['first_result']['warned']:,}); next night {result['second']:.2f} s "
              f"(recycled {result['second_result']['recycled']:,}, warned {result['second_result']['warned']:,}); "
              f"raw scan {result['raw']:.2f} s", flush=True)
    first = statistics.median(r["first"] for r in runs)
    second = statistics.median(r["second"] for r in runs)
    raw = statistics.median(r["raw"] for r in runs)
    sample = runs[0]
    verdict = "met" if first < 60 else "MISSED"
    text = f"""## Public pool: nightly recycling over {customers:,} customers (`python -m bench.bench_pool`)

Machine: {machine_summary()}.
Median of {args.runs} runs, measured {datetime.date.today():%Y-%m-%d}; data: `bench/datagen.py` + the preparation in the module's docstring
(2 pools, 3 rules, level rules for A and B, 60,000 opportunities, 1% locked).

| job | seconds | recycled | warned | vs raw scan |
|---|---:|---:|---:|---:|
| raw full-table scan (one COUNT with the no-follow-up condition) | {raw:.2f} | | | 1.0 |
| first night (everything overdue goes at once) | **{first:.2f}** | {sample['first_result']['recycled']:,} | {sample['first_result']['warned']:,} | {first / raw:.1f} |
| next night (steady state) | {second:.2f} | {sample['second_result']['recycled']:,} | {sample['second_result']['warned']:,} | {second / raw:.1f} |

Target: nightly recycle over 1,000,000 customers under 60 s on SQLite — {verdict} ({first:.1f} s).
Set-based: per pool one INSERT … SELECT into the OwnerChange ledger (all rules and levels at once) and one
UPDATE of the customers it names; warnings: one read per pool of the customers inside the warning window,
then one bulk insert of their tasks.
All runs (s): first {", ".join(f"{r['first']:.2f}" for r in runs)}; next {", ".join(f"{r['second']:.2f}" for r in runs)}.
"""
    print(text)
    if not args.no_results:
        write_section("pool", text)


if __name__ == "__main__":
    main()
