"""Importing orders against the database's raw bulk insert, measured in the same run.

    .venv/bin/python -m bench.bench_import --rows 100000
    .venv/bin/python -m bench.bench_import --rows 100000 --database-url postgres://postgres@127.0.0.1:5432/postgres

Target (issue 2, Performance): importing 100,000 orders, validation and idempotency included,
reaches at least 1/4 of the raw bulk-insert speed of the same database (COPY on PostgreSQL,
executemany on SQLite), i.e. ratio = raw seconds / import seconds >= 0.25.

What is measured, each repeated --repeat times (medians reported):
  (a) raw    the same orders, already as Python rows, written by the demo/bench writer
             (`BulkWriter`: COPY or executemany) in one transaction: the database's floor;
  (b) import the Guanxi import service run directly (no worker): read the CSV, parse and validate
             every cell, find the customers and the existing (source, external id) pairs, write
             the new orders per batch of GUANXI_IMPORT_BATCH_SIZE in its own transaction, audit,
             progress;
  (c) again  the same file imported a second time: every row is found unchanged, nothing written.
The orders table is emptied between rounds. The upload step (sniffing the file and counting its
rows, done once when the file is uploaded) is timed separately and shown, not counted in (b).

The database is built fresh: a SQLite file in a temporary directory, or a scratch PostgreSQL
database created next to the one named by --database-url and dropped at the end.
Figures go to stdout and to bench/RESULTS.md between <!-- import:start --> and <!-- import:end -->.
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import datetime
import io
import os
import pstats
import random
import re
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from bench.common import RESULTS, db_version, machine_summary, read_section, write_section

HEADERS = ["订单ID", "订单号", "客户编号", "下单时间", "金额", "成本", "订单状态", "销售渠道"]
MAPPING = {"订单ID": "external_id", "订单号": "number", "客户编号": "customer_external_id",
           "下单时间": "ordered_at", "金额": "total_amount", "成本": "cost_amount", "订单状态": "status",
           "销售渠道": "channel"}
STATUSES = [("已付款", "paid"), ("paid", "paid"), ("已退款", "refunded"), ("cancelled", "cancelled")]
CHANNELS = [("门店", "store"), ("online", "online"), ("电话", "phone"), ("直销", "sales"), ("微信", "wechat")]


def scratch_postgres(url: str) -> tuple[str, str, str]:
    """Create a scratch database, named after the one in `url`, on its server (through the
    `postgres` maintenance database); returns (its url, the maintenance url, its name)."""
    import psycopg

    parts = urlsplit(url)
    name = f"{parts.path.lstrip('/') or 'guanxi'}_bench_import"
    admin = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return urlunsplit(parts._replace(path=f"/{name}")), admin, name


def drop_postgres(admin_url: str, name: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def make_rows(rows: int, customers: int, seed: int) -> tuple[list[list[str]], list[tuple[Any, ...]]]:
    """CSV rows (text as a shop system exports it) and the same orders as typed values."""
    rnd = random.Random(seed)
    text_rows: list[list[str]] = []
    typed: list[tuple[Any, ...]] = []
    base = datetime.datetime(2023, 1, 1, 8, 0)
    for i in range(rows):
        cust = rnd.randrange(customers)
        when = base + datetime.timedelta(minutes=rnd.randrange(700_000))
        amount = Decimal(rnd.randrange(100, 5_000_000)) / 100
        cost = (amount * Decimal("0.6")).quantize(Decimal("0.01"))
        status_text, status = STATUSES[rnd.randrange(len(STATUSES))]
        channel_text, channel = CHANNELS[rnd.randrange(len(CHANNELS))]
        ext, number = f"SO{i + 1:08d}", f"NO-{i + 1:08d}"
        text_rows.append([ext, number, f"C{cust + 1:07d}", when.strftime("%Y-%m-%d %H:%M:%S"), f"{amount:,}",
                          str(cost), status_text, channel_text])
        typed.append((ext, number, cust, when, amount, cost, status, channel))
    return text_rows, typed


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_import", description=__doc__.split("\n\n")[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=None, help="default: rows / 5")
    parser.add_argument("--database-url", help="a PostgreSQL server to create a scratch database on; "
                                               "default: SQLite in a temporary directory")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-results", action="store_true", help="do not write bench/RESULTS.md")
    parser.add_argument("--profile", action="store_true", help="print where the first round's imports spend time")
    args = parser.parse_args(argv)
    customers = args.customers or max(1, args.rows // 5)

    tmp = tempfile.mkdtemp(prefix="guanxi-bench-import-")
    pg_admin = pg_name = None
    if args.database_url and args.database_url.startswith(("postgres://", "postgresql://")):
        url, pg_admin, pg_name = scratch_postgres(args.database_url)
    else:
        url = f"sqlite:///{tmp}/bench.sqlite3"
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.conf import settings

    settings.DEBUG = False  # no query log
    try:
        results = run(args, customers)
    finally:
        from django.db import connections

        connections.close_all()
        if pg_admin and pg_name:
            drop_postgres(pg_admin, pg_name)
        shutil.rmtree(tmp, ignore_errors=True)
    if not args.no_results:
        write_results(results)


def run(args: argparse.Namespace, customers: int) -> dict[str, Any]:
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from guanxi.customers.demo.writer import BulkWriter
    from guanxi.customers.models import Customer, ImportJob, Order
    from guanxi.customers.models.orders import default_currency
    from guanxi.customers.services.imports import import_job_create, import_job_run
    from guanxi.governance.models import Department, Role
    from guanxi.governance.services import employee_create

    print(f"database: {connection.vendor}; migrating…", flush=True)
    call_command("migrate", verbosity=0)
    dept = Department.objects.create(name="Bench")
    admin = employee_create(actor=None, username="bench_admin", role=Role.ADMIN, department=dept,
                            password="bench-Guanxi-2024").user  # noqa: S106
    writer = BulkWriter()
    now = timezone.now()
    tz = timezone.get_current_timezone()
    cust_rows = [{"id": i + 1, "name": f"客户{i + 1}", "external_id": f"C{i + 1:07d}", "owner_id": admin.pk,
                  "department_id": dept.pk, "created_by_id": admin.pk, "lifecycle": Customer.Lifecycle.ACTIVE,
                  "created_at": now, "updated_at": now} for i in range(customers)]
    with transaction.atomic():
        writer.write({"customer": cust_rows})
    writer.finish()
    text_rows, typed = make_rows(args.rows, customers, args.seed)
    buffer = io.StringIO()
    out = csv.writer(buffer)
    out.writerow(HEADERS)
    out.writerows(text_rows)
    content = buffer.getvalue().encode("utf-8")
    currency = default_currency()
    print(f"{customers:,} customers; CSV of {args.rows:,} orders, {len(content) / 1e6:.1f} MB", flush=True)

    def raw_rows(first_id: int) -> list[dict[str, Any]]:
        stamp = timezone.now()
        return [{"id": first_id + n, "customer_id": cust + 1, "number": number, "external_source": "shop",
                 "external_id": ext, "status": status, "channel": channel,
                 "ordered_at": when.replace(tzinfo=tz), "currency": currency, "total_amount": amount,
                 "cost_amount": cost, "salesperson_id": admin.pk, "custom": {}, "created_at": stamp,
                 "updated_at": stamp, "version": 1}
                for n, (ext, number, cust, when, amount, cost, status, channel) in enumerate(typed)]

    def empty_orders() -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute(f"TRUNCATE {connection.ops.quote_name(Order._meta.db_table)} CASCADE")
            else:
                cursor.execute(f"DELETE FROM {connection.ops.quote_name(Order._meta.db_table)}")
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"VACUUM ANALYZE {connection.ops.quote_name(Order._meta.db_table)}")

    times: dict[str, list[float]] = {"raw": [], "upload": [], "import": [], "again": []}
    counts: dict[str, Any] = {}
    for round_no in range(1, args.repeat + 1):
        empty_orders()
        rows = raw_rows(10_000_000 * round_no)
        t0 = time.perf_counter()
        with transaction.atomic():
            writer.write({"order": rows})
        times["raw"].append(time.perf_counter() - t0)
        assert Order.objects.count() == args.rows
        del rows
        empty_orders()

        t0 = time.perf_counter()
        job = import_job_create(actor=admin, entity="order", filename="orders.csv", content=content, source="shop")
        times["upload"].append(time.perf_counter() - t0)
        runs = []
        for label in ("import", "again"):
            ImportJob.objects.filter(pk=job.pk).update(
                mapping=MAPPING, mode=ImportJob.Mode.COMMIT, status=ImportJob.Status.QUEUED, content=content)
            profiler = cProfile.Profile() if args.profile and round_no == 1 else None
            t0 = time.perf_counter()
            if profiler:
                profiler.enable()
            done = import_job_run(job_id=job.pk)
            times[label].append(time.perf_counter() - t0)
            if profiler:
                profiler.disable()
                print(f"--- profile: {label}")
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(40)
            assert done is not None and done.status == ImportJob.Status.DONE, (done and done.message)
            runs.append((done.created_count, done.updated_count, done.unchanged_count, done.error_count))
        assert runs[0] == (args.rows, 0, 0, 0), runs[0]
        assert runs[1] == (0, 0, args.rows, 0), runs[1]
        assert Order.objects.count() == args.rows
        counts = {"first": runs[0], "again": runs[1]}
        print(f"round {round_no}: raw {times['raw'][-1]:.2f} s, import {times['import'][-1]:.2f} s, "
              f"re-import {times['again'][-1]:.2f} s (upload {times['upload'][-1]:.2f} s)", flush=True)
    empty_orders()

    med = {k: statistics.median(v) for k, v in times.items()}
    database = db_version(connection)
    result = {
        "vendor": connection.vendor, "db_version": database, "rows": args.rows, "customers": customers,
        "repeat": args.repeat, "times": times, "median": med, "counts": counts,
        "ratio": med["raw"] / med["import"], "ratio_again": med["raw"] / med["again"],
        # each round's raw insert and import run back to back: on a busy machine their ratio is steadier
        "round_ratio": statistics.median(r / i for r, i in zip(times["raw"], times["import"], strict=True)),
        "method": "COPY" if writer.copy else "executemany",
        "batch": int(getattr(settings_module(), "GUANXI_IMPORT_BATCH_SIZE", 1000)),
    }
    print(f"\n{database}: {args.rows:,} orders, medians of {args.repeat}")
    print(f"  raw {result['method']:<12} {med['raw']:7.2f} s  {args.rows / med['raw']:>9,.0f} rows/s")
    print(f"  Guanxi import     {med['import']:7.2f} s  {args.rows / med['import']:>9,.0f} rows/s  "
          f"ratio {result['ratio']:.2f} (target >= 0.25; median of the rounds' ratios {result['round_ratio']:.2f})")
    print(f"  re-import same    {med['again']:7.2f} s  {args.rows / med['again']:>9,.0f} rows/s  "
          f"ratio {result['ratio_again']:.2f}")
    print(f"  (upload: sniff and count the file {med['upload']:.2f} s, not counted above)")
    return result


def settings_module() -> Any:
    from django.conf import settings

    return settings


def write_results(r: dict[str, Any]) -> None:
    rows, med = r["rows"], r["median"]
    key = "postgresql" if r["vendor"] == "postgresql" else "sqlite"
    block = (
        f"<!-- import:{key} -->\n"
        f"**{r['db_version']}** — {rows:,} orders ({r['customers']:,} customers), median of {r['repeat']} runs, "
        f"batches of {r['batch']:,}, measured {datetime.date.today().isoformat()} "
        f"(load average at the end {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores):\n\n"
        "| step | seconds | rows/s | vs raw |\n|---|---:|---:|---:|\n"
        f"| raw bulk insert ({r['method']}, one transaction) | {med['raw']:.2f} | {rows / med['raw']:,.0f} | 1.00 |\n"
        f"| Guanxi import (parse + validate + idempotent write + audit) | {med['import']:.2f} | "
        f"{rows / med['import']:,.0f} | **{r['ratio']:.2f}** |\n"
        f"| re-import of the same file (all unchanged) | {med['again']:.2f} | {rows / med['again']:,.0f} | "
        f"{r['ratio_again']:.2f} |\n"
        f"| (upload: sniff + count rows, once per file) | {med['upload']:.2f} | | |\n\n"
        f"Target: import ≥ 0.25 × raw speed — {'met' if r['ratio'] >= 0.25 else 'MISSED'} "
        f"({r['ratio']:.2f}; median of each round's raw/import ratio {r['round_ratio']:.2f}). All runs (s): raw {fmt(r['times']['raw'])}; import {fmt(r['times']['import'])}; "
        f"re-import {fmt(r['times']['again'])}.\n"
        f"<!-- /import:{key} -->\n"
    )
    # The section keeps the other database's figures: one block per database inside it.
    body = read_section("import")
    parts = {k: m.group(0) for k in ("sqlite", "postgresql")
             for m in [re.search(rf"<!-- import:{k} -->.*?<!-- /import:{k} -->\n", body, re.S)] if m}
    parts[key] = block
    section = (
        "## Import: 100,000 orders vs the raw bulk insert (`python -m bench.bench_import`)\n\n"
        f"Machine: {machine_summary()}.\n\n"
        + "\n".join(parts[k] for k in ("sqlite", "postgresql") if k in parts)
    )
    write_section("import", section)
    print(f"wrote {RESULTS}")


def fmt(values: list[float]) -> str:
    return ", ".join(f"{v:.2f}" for v in values)


if __name__ == "__main__":
    main(sys.argv[1:])
