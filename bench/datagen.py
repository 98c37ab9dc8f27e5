"""Synthetic data at benchmark scale: up to 1,000,000 customers, 10,000,000 orders and follow-ups.

    python -m bench.datagen --customers 1000000 --orders 10000000 --interactions 10000000 \
        --database-url postgres://postgres@127.0.0.1:5432/guanxi_bench

Uses the demo generator (`guanxi.customers.demo.generator`), so the rows look like the demo's
(valid credit codes, E.164 mobiles, repeat-purchase order histories, pinyin search keys), and
writes them in batches: COPY on PostgreSQL, executemany on SQLite, one transaction per batch.
The demo company (departments, one login per role, products, tags) is created first if absent;
customers are appended to whatever is there, so runs can be resumed by running again with the
remaining count. Progress goes to stdout.
"""

from __future__ import annotations

import argparse
import os
import sys
import time


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.datagen", description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--orders", type=int, default=None, help="total orders (default: ~5 per customer)")
    parser.add_argument("--interactions", type=int, default=None, help="total follow-ups (default: ~4 per customer)")
    parser.add_argument("--database-url", help="default: $DATABASE_URL or the local SQLite file")
    parser.add_argument("--batch-size", type=int, default=5000, help="customers per transaction")
    parser.add_argument("--order-lines", action="store_true", help="also write order lines (about 1.5 per order)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    from guanxi.customers.demo import demo_present, load_demo
    from guanxi.customers.demo.generator import Counters, Generator, ProductRow, StaffMember
    from guanxi.customers.demo.writer import BulkWriter, next_ids
    from guanxi.customers.models import Product, Tag
    from guanxi.governance.models import Employee

    call_command("migrate", verbosity=0)
    if not demo_present():
        load_demo(customers=0, force=True)
    if connection.vendor == "sqlite":
        with connection.cursor() as c:
            c.execute("PRAGMA synchronous=OFF")
            c.execute("PRAGMA cache_size=-200000")

    regions = {"华东区": "east", "华南区": "south"}
    staff = [
        StaffMember(e.user_id, e.department_id, regions.get(e.department.name if e.department else "", "other"), e.role)
        for e in Employee.objects.select_related("department")
    ]
    products = [ProductRow(p.pk, p.name, p.price, p.cost) for p in Product.objects.all()]
    gen = Generator(seed=args.seed, now=timezone.now(), staff=staff, products=products,
                    tag_ids=list(Tag.objects.values_list("pk", flat=True)), order_lines=args.order_lines)
    writer = BulkWriter()
    start = next_ids()
    ids = Counters(customer=start["customer"], contact=start["contact"], order=start["order"],
                   interaction=start["interaction"])
    print(f"Writing {args.customers:,} customers to {connection.vendor} "
          f"({'COPY' if writer.copy else 'executemany'}), batches of {args.batch_size:,}", flush=True)
    t0 = time.monotonic()
    done = 0
    batches = gen.customers(count=args.customers, ids=ids, batch_size=args.batch_size,
                            orders_total=args.orders, interactions_total=args.interactions)
    for batch in batches:
        with transaction.atomic():
            writer.write(batch.rows)
        done += batch.count("customer")
        elapsed = time.monotonic() - t0
        rows = sum(writer.counts.values())
        eta = elapsed / done * (args.customers - done) if done else 0
        print(f"  {done:>10,} customers  {writer.counts['order']:>12,} orders  "
              f"{writer.counts['interaction']:>12,} follow-ups  {rows / elapsed:>9,.0f} rows/s  "
              f"eta {eta:,.0f} s", flush=True)
    writer.finish()
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("ANALYZE")
    elapsed = time.monotonic() - t0
    print(f"Done in {elapsed:,.1f} s: " + ", ".join(f"{k} {v:,}" for k, v in writer.counts.items() if v), flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
