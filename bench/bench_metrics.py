"""The whole metrics job (issue 5) on 1,000,000 customers and 10,000,000 orders, beside its bare SQL aggregation.

    .venv/bin/python -m bench.bench_metrics --build-only            # SQLite: bench/out/metrics.sqlite3
    .venv/bin/python -m bench.bench_metrics                         # measure (4 runs), writes RESULTS.md
    createdb -h 127.0.0.1 -U postgres guanxi_bench_metrics
    .venv/bin/python -m bench.bench_metrics \
        --database-url postgres://postgres@127.0.0.1:5432/guanxi_bench_metrics
    .venv/bin/python -m bench.bench_metrics --profile               # cProfile of one job run

Target: the whole job under 120 s and under 4 GB of memory on SQLite on a 2-core machine.

Data: `bench/metrics_data.py` (BG/NBD purchase histories simulated in NumPy, bulk-written; see there).
Measured, each in a fresh subprocess (so its peak memory is its own), interleaved per run:

* **job**: `guanxi.analytics.services.runs.run_now(as_of=today)` — the history read, scoring, the
  BG/NBD + Gamma-Gamma fits and predictions, the upsert of one CustomerMetrics row per customer and the
  proactive tasks, exactly as `guanxi analytics run` does; wall time of the call, and the process's peak
  resident memory (`resource.getrusage(RUSAGE_SELF).ru_maxrss`, which includes Python, Django and NumPy:
  the RSS right after `django.setup()` is shown too). Run 1 finds no CustomerMetrics rows (inserts a
  million and creates the tasks); later runs are the daily steady state (overwrite in place, no new tasks).
* **bare SQL**: the order aggregation the job's history read issues (`history_orders._sql`), as one
  GROUP BY customer query over all customers, `fetchall()` — what the database alone needs; and the same
  query in the job's chunks of 50,000 customers (what the job actually sends).
Figures go to `bench/out/metrics-<vendor>.json`; RESULTS.md's "metrics" section shows every database measured.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from typing import Any

from bench.common import OUT, ROOT, load_average, machine_summary, write_section

TARGET_S, TARGET_GB = 120.0, 4.0
NOTES = """\
**Where the time goes (2026-12-02, cProfile of one steady-state run each, `--profile`).** SQLite, 93.5 s under the
profiler: history read 49 s (the order chunks and the three other reads run on 2 threads since the engine's
latest change, so the bare SQL above overlaps with the parsing), scoring and prediction 12.6 s (5.5 s of it
`searchsorted` in `scoring.percentile`, 6.0 s `prediction.predict`: the BG/NBD fit on the distinct rows 1.6 s and
the predictions 3.4 s), the upsert of 1,000,000 CustomerMetrics rows 29.9 s (`executemany` 18.8 s, commits of the
200 batches 3.7 s, building the row tuples 4.0 s). PostgreSQL, 67.6 s: the upsert 36.9 s (COPY into a temporary
table and `INSERT … ON CONFLICT`: 23.7 s waiting for the server, 7.6 s building the COPY text), history read
22.0 s, scoring and prediction 7.1 s. The first run of a database is slower (no rows yet: 1,000,000 inserts, and
~52,000 proactive tasks written in bulk). Peak memory stays under 1 GB (0.17 GB of it Python, Django and NumPy
before the job). The machine is shared: the bare SQL alone varied from 15 to 36 s between runs, so the
per-run figures and the load averages are listed. The job met the target on the engine as it stood at the time
of measuring; no change to the engine was made for this benchmark.
Sanity check of the synthetic data: the job's BG/NBD fit recovers the generating parameters (r 1.23 / a 0.60 /
b 8.7 against 1.2 / 0.6 / 9), and the 90-day back-test's model error of about 1 % in total against the simple
rule's 35 % is what a correctly specified model should show.
Builds (`--build-only`, load 7–12): SQLite 867 s (1,000,000 customers 160 s — the search triggers fire per row —,
10,000,000 orders 308 s, indexes 240 s, `ANALYZE` 38 s; a 2.9 GB file); PostgreSQL 422 s (COPY; orders 207 s,
indexes 75 s).
"""
DEFAULT_DB = f"sqlite:///{OUT / 'metrics.sqlite3'}"


def _rss_gb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2  # KiB on Linux


def _setup(url: str) -> None:
    os.environ["DATABASE_URL"] = url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()


def child_job(profile: bool) -> dict[str, Any]:
    from django.utils import timezone

    from guanxi.analytics.models import CustomerMetrics, MetricsRun
    from guanxi.analytics.services.runs import BUSY, run_now

    base = _rss_gb()
    existing = CustomerMetrics.objects.count()
    # A scratch database: a run left "running" by an interrupted bench process must not block this one.
    MetricsRun.objects.filter(status__in=BUSY).update(status=MetricsRun.Status.FAILED)
    prof = None
    if profile:
        import cProfile

        prof = cProfile.Profile()
        prof.enable()
    t0 = time.perf_counter()
    run = run_now(as_of=timezone.localdate())
    seconds = time.perf_counter() - t0
    if prof is not None:
        import pstats

        prof.disable()
        pstats.Stats(prof, stream=sys.stderr).sort_stats("cumulative").print_stats(40)
        pstats.Stats(prof, stream=sys.stderr).sort_stats("tottime").print_stats(25)
    summary = run.summary or {}
    return {"seconds": seconds, "peak_gb": _rss_gb(), "base_gb": base, "status": run.status,
            "rows_before": existing, "parts": summary.get("seconds"), "tasks": summary.get("tasks"),
            "customers": summary.get("customers"), "method": summary.get("method"),
            "model": {k: v for k, v in (summary.get("model") or {}).items() if k in ("params", "converged", "bgnbd")}}


def child_reset() -> dict[str, Any]:
    """Back to "never run": no CustomerMetrics rows, no analysis runs, no proactive tasks (run 1 is a first run)."""
    from django.db import connection, transaction

    from guanxi.analytics.models import CustomerMetrics, MetricsRun
    from guanxi.customers.models import Task

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {CustomerMetrics._meta.db_table}")
        tasks = Task.objects.filter(related_type__startswith="analytics.").delete()[0]
        runs = MetricsRun.objects.all().delete()[0]
    return {"tasks": tasks, "runs": runs}


def child_backtest() -> dict[str, Any]:
    """A back-test over the last 90 days (services/backtest.compute_backtest: two history reads and the fit)."""
    from datetime import timedelta

    from django.utils import timezone

    from guanxi.analytics.services.backtest import compute_backtest

    today = timezone.localdate()
    t0 = time.perf_counter()
    r = compute_backtest(calibration_end=today - timedelta(days=90), holdout_end=today)
    model, rule = r["purchases"]["model"] or {}, r["purchases"]["rule"]
    return {"seconds": time.perf_counter() - t0, "peak_gb": _rss_gb(), "parts": r["seconds"], "customers": r["customers"],
            "model_pct": model.get("total_error_pct"), "rule_pct": rule["total_error_pct"], "model_mae": model.get("mae"),
            "rule_mae": rule["mae"], "params": r["fit"].get("params"), "load": load_average()}


def child_sql() -> dict[str, Any]:
    from django.db import connection
    from django.utils import timezone

    from guanxi.analytics.services.history import CHUNK, end_of_day
    from guanxi.analytics.services.history_orders import _sql
    from guanxi.customers.models import Customer

    as_of = timezone.localdate()
    sql, cutoffs = _sql(as_of)
    cutoff = connection.ops.adapt_datetimefield_value(end_of_day(as_of))
    tz = [timezone.get_current_timezone_name()] if connection.vendor == "postgresql" else []
    ids = list(Customer.objects.filter(deleted_at__isnull=True).order_by("id").values_list("id", flat=True))
    out: dict[str, Any] = {}
    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        cursor.execute(sql, [*tz, *[cutoff] * cutoffs, ids[0], ids[-1], cutoff])
        rows = cursor.fetchall()
        out["single_s"], out["groups"] = time.perf_counter() - t0, len(rows)
        del rows
        t0 = time.perf_counter()
        for start in range(0, len(ids), CHUNK):
            cursor.execute(sql, [*tz, *[cutoff] * cutoffs, ids[start], ids[min(start + CHUNK, len(ids)) - 1], cutoff])
            cursor.fetchall()
        out["chunked_s"] = time.perf_counter() - t0
        cursor.execute("SELECT COUNT(*) FROM customers_order")
        out["orders"] = cursor.fetchone()[0]
    out["customers"] = len(ids)
    return out


def spawn(url: str, what: str, extra: list[str] | None = None) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.bench_metrics", "--database-url", url, "--child", what, *(extra or [])]
    done = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        raise SystemExit(f"{what} failed:\n{done.stderr[-4000:]}")
    if extra:
        print(done.stderr[-20000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


def measure(url: str, runs: int) -> dict[str, Any]:
    _setup(url)
    from django.db import connection

    from bench.common import db_version

    database = db_version(connection)
    result: dict[str, Any] = {"database": database, "runs": [], "sql": []}
    print(f"reset: {spawn(url, 'reset')}", flush=True)
    for i in range(runs):
        sql = spawn(url, "sql")
        job = spawn(url, "job")
        result["sql"].append(sql)
        result["runs"].append({**job, "load": load_average()})
        print(f"run {i + 1}: job {job['seconds']:.1f} s (parts {job['parts']}), peak RSS {job['peak_gb']:.2f} GB "
              f"(after setup {job['base_gb']:.2f}); bare SQL one query {sql['single_s']:.1f} s, "
              f"in chunks {sql['chunked_s']:.1f} s; load {load_average()}", flush=True)
    result["load_end"] = load_average()
    result["machine"] = machine_summary(load=result["load_end"], database=database)
    result["date"] = time.strftime("%Y-%m-%d")
    return result


def _row(r: dict[str, Any]) -> str:
    runs, sqls = r["runs"], r["sql"]
    steady = runs[1:] or runs
    med = statistics.median(x["seconds"] for x in steady)
    peak = max(x["peak_gb"] for x in runs)
    parts = {k: statistics.median((x["parts"] or {}).get(k, 0) for x in steady) for k in ("read", "compute", "total")}
    single = statistics.median(s["single_s"] for s in sqls)
    chunked = statistics.median(s["chunked_s"] for s in sqls)
    met = "met" if med < TARGET_S and peak < TARGET_GB else "**missed**"
    return (f"| {r['database']} | {sqls[0]['customers']:,} / {sqls[0]['orders']:,} | **{med:.1f}** | "
            f"{runs[0]['seconds']:.1f} | {parts['read']:.1f} / {parts['compute']:.1f} / "
            f"{parts['total'] - parts['read'] - parts['compute']:.1f} | {single:.1f} | {chunked:.1f} | "
            f"**{peak:.2f}** ({runs[0]['base_gb']:.2f}) | {', '.join(x['load'] for x in runs)} | "
            f"{'met' if r['database'].startswith('PostgreSQL') and med < TARGET_S else met} |")


def _backtest_text(b: dict[str, Any] | None) -> str:
    if not b:
        return ""
    if b["model_pct"] is None:
        return f" Back-test over the last 90 days: {b['seconds']:.1f} s; the model did not converge."
    return (f" Back-test over the last 90 days (`services/backtest.compute_backtest`, {b['customers']:,} customers "
            f"compared): {b['seconds']:.1f} s (reads {b['parts']['read']:.1f} s, fit and evaluation "
            f"{b['parts']['fit']:.1f} s), peak {b['peak_gb']:.2f} GB, load {b['load']}; total purchases off by "
            f"{b['model_pct']:+.1f} % (model, MAE {b['model_mae']:.3f} per customer) vs {b['rule_pct']:+.1f} % "
            f"(simple rule, MAE {b['rule_mae']:.3f}).")


def results_text() -> str:
    measured = [json.loads(p.read_text()) for p in sorted(OUT.glob("metrics-*.json"), reverse=True)]  # SQLite first
    rows = "\n".join(_row(r) for r in measured)
    detail = "\n".join(f"- {r['database']} ({r['date']}; {r['machine']}): job runs "
                       + ", ".join(f"{x['seconds']:.1f} s / {x['peak_gb']:.2f} GB" for x in r["runs"])
                       + f"; tasks created in run 1: {r['runs'][0].get('tasks')}; method {r['runs'][0].get('method')}."
                       + _backtest_text(r.get("backtest")) for r in measured)
    return f"""## Metrics job, 1,000,000 customers and 10,000,000 orders (`python -m bench.bench_metrics`)

The whole job (`runs.run_now(as_of=today)`: history read, RFM and quadrants, BG/NBD + Gamma-Gamma fit and
predictions, upsert of one CustomerMetrics row per customer, proactive tasks), each run in a fresh process,
beside the bare SQL: the job's order aggregation (`history_orders._sql`) as one GROUP BY customer query with
`fetchall()`, and in the job's chunks of 50,000 customers. Peak memory = `ru_maxrss` of the job's process
(in brackets: right after `django.setup()`). Data: `bench/metrics_data.py` (BG/NBD histories over three
years, 10 % of customers without orders, ~4 % same-day second orders, refunds and cancellations; orders
only — no follow-ups, surveys or order lines). Run 1 inserts the rows and creates the tasks; the median is
over the later runs (the daily steady state: rows overwritten in place).

| database | customers / orders | job s (median) | job s run 1 | read / compute / write+tasks s | bare SQL s one query | bare SQL s chunks | peak GB (base) | load per run | target < {TARGET_S:.0f} s, < {TARGET_GB:.0f} GB |
|---|---:|---:|---:|---:|---:|---:|---:|---|---|
{rows}

{detail}

{NOTES}"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_metrics", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DB)
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--orders", type=int, default=10_000_000)
    parser.add_argument("--runs", type=int, default=4, help="run 1 from scratch, the median over the others")
    parser.add_argument("--build-only", action="store_true")
    parser.add_argument("--profile", action="store_true", help="cProfile one job run (stderr)")
    parser.add_argument("--no-results", action="store_true")
    parser.add_argument("--backtest", action="store_true", help="time a 90-day back-test instead (adds to the figures)")
    parser.add_argument("--child", choices=["job", "sql", "reset", "backtest"], help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _setup(args.database_url)
        child = {"job": lambda: child_job(args.profile), "sql": child_sql, "reset": child_reset,
                 "backtest": child_backtest}[args.child]
        print(json.dumps(child()), flush=True)
        return
    OUT.mkdir(exist_ok=True)
    if args.profile:
        print(spawn(args.database_url, "job", ["--profile"]))
        return
    if args.build_only:
        _setup(args.database_url)
        from bench.metrics_data import build

        t0 = time.monotonic()
        steps = build(customers=args.customers, orders=args.orders, log=lambda s: print(s, flush=True))
        print(f"built in {time.monotonic() - t0:.0f} s: {steps}; load {load_average()}", flush=True)
        return
    vendor = "postgresql" if args.database_url.startswith("postgres") else "sqlite"
    figures = OUT / f"metrics-{vendor}.json"
    if args.backtest:
        result = json.loads(figures.read_text())
        result["backtest"] = spawn(args.database_url, "backtest")
        print(result["backtest"])
    else:
        result = {**measure(args.database_url, args.runs),
                  **({"backtest": json.loads(figures.read_text()).get("backtest")} if figures.exists() else {})}
    figures.write_text(json.dumps(result, indent=1))
    text = results_text()
    print(text)
    if not args.no_results:
        write_section("metrics", text)


if __name__ == "__main__":
    main(sys.argv[1:])
