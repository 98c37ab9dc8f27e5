"""Server time of the customer pages and throughput of the JSON list, next to the raw database.

    .venv/bin/python -m bench.bench_web --database-url sqlite:////abs/bench/out/bench.sqlite3 --runs 3
    .venv/bin/python -m bench.bench_web --database-url postgres://postgres@127.0.0.1:5432/guanxi_bench --runs 3

Pages are requested in-process with django.test.Client (no network, no WSGI server), logged in
as the demo admin (sees everything) and the demo sales rep (own customers + public pool, the
harder visibility filter). For each page the SQL it issued is captured once and then replayed
through the DB cursor: "raw main" is the query for the page's main rows (plus the capped count
on lists), "raw all" every SELECT the page ran. The difference to the page time is Django,
the ORM, templates and middleware.

Targets (issue 2, Performance): list and search p95 < 100 ms server time with 1,000,000
customers on SQLite; the 360° page of a customer with 1,000 timeline items < 100 ms;
`GET /api/customers` serves at least as many requests/s per worker as a plain Django view
returning the same rows with `.values()` (defined below, same visibility filter, same page size).

Set-up is idempotent: the first run adds one customer ("bench-timeline-1000", owned by the rep)
with 1,000 timeline items (700 follow-ups, 200 orders, 100 tasks). Samples of search terms are
drawn from the data with a fixed seed, so runs are comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bench.common import load_average, machine, median_of_runs, p50_p95

TIMELINE_EXTERNAL_ID = "bench-timeline-1000"
API_PAGE_SIZE = 50  # guanxi.api.pagination.DEFAULT_LIMIT
TARGET_P95_MS = 100.0


# ---------------------------------------------------------------- measuring helpers


@dataclass
class Sample:
    case: str
    role: str
    page_ms: list[float] = field(default_factory=list)
    raw_main_ms: list[float] = field(default_factory=list)
    raw_all_ms: list[float] = field(default_factory=list)
    queries: int = 0

    def summary(self) -> dict[str, Any]:
        return {
            "case": self.case, "role": self.role, "n": len(self.page_ms), "queries": self.queries,
            **p50_p95("page", self.page_ms), **p50_p95("raw_main", self.raw_main_ms),
            **p50_p95("raw_all", self.raw_all_ms),
        }


# ---------------------------------------------------------------- set-up


def ensure_timeline_customer(rep: Any) -> int:
    """One customer, owned by the rep, with 1,000 timeline items. Returns its id."""
    from django.db import transaction
    from django.utils import timezone

    from guanxi.customers.models import Customer, Interaction, Order, Task
    from guanxi.customers.services.customers import customer_create

    existing = Customer.objects.filter(external_id=TIMELINE_EXTERNAL_ID).values_list("pk", flat=True).first()
    if existing:
        return existing
    now = timezone.now()
    with transaction.atomic():
        customer = customer_create(actor=rep, data={"name": "基准测试时间线有限公司", "kind": "company",
                                                     "external_id": TIMELINE_EXTERNAL_ID})
        Interaction.objects.bulk_create(
            Interaction(customer=customer, summary=f"跟进 {i}", content="电话沟通报价与交付时间。" * 3,
                        occurred_at=now - timedelta(hours=7 * i), staff=rep,
                        channel=Interaction.Channel.PHONE if i % 2 else Interaction.Channel.WECHAT)
            for i in range(700)
        )
        Order.objects.bulk_create(
            Order(customer=customer, number=f"BENCH-{i:05d}", ordered_at=now - timedelta(hours=23 * i),
                  total_amount=100 + i, salesperson=rep)
            for i in range(200)
        )
        Task.objects.bulk_create(
            Task(customer=customer, title=f"回访 {i}", assignee=rep, due_at=now - timedelta(hours=41 * i),
                 created_by=rep, done_at=now if i > 5 else None)
            for i in range(100)
        )
        Customer.objects.filter(pk=customer.pk).update(last_interaction_at=now)
    return customer.pk


def search_terms(rng: random.Random, samples: int) -> dict[str, list[str]]:
    """Realistic search inputs drawn from the data: part of a name someone remembers."""
    from django.db.models import Max

    from guanxi.customers.models import Contact, Customer

    top = Customer.objects.aggregate(m=Max("id"))["m"] or 0
    rows: list[tuple[str, str, str]] = []
    tries = 0
    while len(rows) < samples and tries < samples * 20:
        tries += 1
        row = (Customer.objects.filter(pk__gte=rng.randint(1, top), deleted_at__isnull=True)
               .order_by("pk").values_list("name", "search_pinyin", "search_initials").first())
        if row and row[1]:
            rows.append(row)
    names, pinyins, initials = [], [], []
    for name, pin, ini in rows:
        base = name.split("(")[0].split("（")[0]
        start = rng.randint(0, max(0, len(base) - 4))
        names.append(base[start:start + rng.choice((2, 3, 4))])
        pin = pin.split("|")[0]
        start = rng.randint(0, max(0, len(pin) - 8))
        pinyins.append(pin[start:start + rng.choice((5, 6, 8))])
        ini = ini.split("|")[0]
        initials.append(ini[: rng.choice((2, 3, 4))])
    mobiles: list[str] = []
    top_c = Contact.objects.aggregate(m=Max("id"))["m"] or 0
    tries = 0
    while len(mobiles) < samples and tries < samples * 20:
        tries += 1
        mobile = (Contact.objects.filter(pk__gte=rng.randint(1, top_c), deleted_at__isnull=True)
                  .exclude(mobile="").order_by("pk").values_list("mobile", flat=True).first())
        if mobile:
            mobiles.append(mobile)
    return {
        "name": names,
        "pinyin": pinyins,
        "initials": initials,
        "last4": [m[-4:] for m in mobiles],
        "mobile": [m.removeprefix("+86") for m in mobiles],
    }


# ---------------------------------------------------------------- the reference view for throughput

REFERENCE_FIELDS = (
    "id", "kind", "name", "short_name", "credit_code", "industry", "source", "province", "city", "address",
    "birthday", "lifecycle", "churn_reason", "owner_id", "owner__username", "owner__first_name",
    "owner__last_name", "department_id", "department__name", "notes", "custom", "last_interaction_at",
    "created_at", "updated_at", "version",
)


def reference_customer_values(request: Any) -> Any:
    """A plain Django view: the same visibility filter, order and page size as GET /api/customers,
    rows as `.values()` (+ the tag names in one more query), serialised with JsonResponse."""
    from django.http import HttpResponseForbidden, JsonResponse

    from guanxi.customers.models import Customer

    if not request.user.is_authenticated:
        return HttpResponseForbidden()
    rows = list(Customer.objects.visible_to(request.user).order_by("-id").values(*REFERENCE_FIELDS)[:API_PAGE_SIZE])
    tags: dict[int, list[str]] = {}
    through = Customer.tags.through
    for cid, name in through.objects.filter(customer_id__in=[r["id"] for r in rows]).values_list(
        "customer_id", "tag__name"
    ):
        tags.setdefault(cid, []).append(name)
    for r in rows:
        r["tags"] = sorted(tags.get(r["id"], []))
    return JsonResponse({"items": rows, "next_cursor": None}, json_dumps_params={"ensure_ascii": False})


# Picked up by ROOT_URLCONF when the benchmark installs it (see install_reference_view).
urlpatterns: list[Any] = []


def install_reference_view() -> str:
    """Route /bench/customers-values to the reference view, in front of the real URLconf."""
    from django.conf import settings
    from django.urls import clear_url_caches, include, path

    global urlpatterns
    urlpatterns = [
        path("bench/customers-values", reference_customer_values),
        path("", include(settings.ROOT_URLCONF)),
    ]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()
    return "/bench/customers-values"


# ---------------------------------------------------------------- page benchmark


@dataclass
class Case:
    name: str
    urls: list[str]
    main: Callable[[str], bool]  # which captured SQL is the page's main query


def _is_list_main(sql: str) -> bool:
    s = sql.upper()
    return '"CUSTOMERS_CUSTOMER"' in s and s.lstrip().startswith("SELECT") and (
        "LIMIT 26" in s or "COUNT(*)" in s
    ) and "CUSTOMERS_CUSTOMER_TAGS" not in s.split("FROM", 1)[1][:40]


def _is_timeline_main(sql: str) -> bool:
    s = sql.upper()
    return "LIMIT 21" in s and any(t in s for t in ('"CUSTOMERS_INTERACTION"', '"CUSTOMERS_ORDER"',
                                                      '"CUSTOMERS_TASK"', '"GOVERNANCE_AUDITLOG"'))


def capture(client: Any, url: str) -> list[str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [q["sql"] for q in ctx.captured_queries]


def replay(queries: list[str]) -> float:
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for sql in queries:
            cursor.execute(sql)
            cursor.fetchall()
    return (time.perf_counter() - t0) * 1000


def run_case(client: Any, case: Case, role: str, requests: int, warmup: int) -> Sample:
    sample = Sample(case.name, role)
    urls = [case.urls[i % len(case.urls)] for i in range(requests)]
    plans: dict[str, tuple[list[str], list[str]]] = {}
    for url in dict.fromkeys(urls):
        sqls = [s for s in capture(client, url) if s.lstrip().upper().startswith("SELECT")]
        plans[url] = ([s for s in sqls if case.main(s)], [s for s in sqls if not case.main(s)])
        sample.queries = max(sample.queries, len(sqls))
    for url in urls[:warmup]:
        client.get(url)
        replay(plans[url][0] + plans[url][1])
    for url in urls:
        t0 = time.perf_counter()
        response = client.get(url)
        sample.page_ms.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, (url, response.status_code)
        main, others = plans[url]
        raw_main = replay(main)
        sample.raw_main_ms.append(raw_main)
        sample.raw_all_ms.append(raw_main + replay(others))
    return sample


def throughput(client: Any, urls: dict[str, str], seconds: float) -> dict[str, float]:
    """Requests/s for each URL, interleaved in slices so drifting machine load hits both alike."""
    done = dict.fromkeys(urls, 0)
    spent = dict.fromkeys(urls, 0.0)
    for url in urls.values():  # warm-up
        for _ in range(5):
            assert client.get(url).status_code == 200, url
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        for name, url in urls.items():
            t0 = time.perf_counter()
            for _ in range(10):
                client.get(url)
            spent[name] += time.perf_counter() - t0
            done[name] += 10
    return {name: done[name] / spent[name] for name in urls}


def data_counts() -> dict[str, int]:
    from django.db import connection

    counts = {}
    with connection.cursor() as c:
        for table in ("customers_customer", "customers_contact", "customers_order", "customers_interaction",
                      "customers_task", "governance_auditlog"):
            c.execute(f'SELECT COUNT(*) FROM "{table}"')
            counts[table.split("_", 1)[1]] = c.fetchone()[0]
    return counts


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_web", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="default: $DATABASE_URL or bench/out/bench.sqlite3")
    parser.add_argument("--runs", type=int, default=3, help="repeat everything this many times; medians quoted")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per page, role and run")
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--samples", type=int, default=25, help="distinct search terms per search kind")
    parser.add_argument("--seconds", type=float, default=8.0, help="length of each throughput run")
    parser.add_argument("--only", default="", help="comma-separated case names (default: all)")
    parser.add_argument("--json", help="write all figures to this file")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)

    if args.database_url:
        os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from urllib.parse import urlencode

    from django.contrib.auth import get_user_model
    from django.test import Client

    users = get_user_model().objects
    admin, rep = users.get(username="admin"), users.get(username="rep")
    timeline_pk = ensure_timeline_customer(rep)
    terms = search_terms(random.Random(args.seed), args.samples)
    info = machine()
    counts = data_counts()
    print(json.dumps({"machine": info, "rows": counts}, ensure_ascii=False), flush=True)

    def q(kind: str) -> list[str]:
        return ["/customers/?" + urlencode({"q": t}) for t in terms[kind]]

    cases = [
        Case("list", ["/customers/"], _is_list_main),
        Case("search_name", q("name"), _is_list_main),
        Case("search_pinyin", q("pinyin"), _is_list_main),
        Case("search_initials", q("initials"), _is_list_main),
        Case("search_last4", q("last4"), _is_list_main),
        Case("search_mobile", q("mobile"), _is_list_main),
        Case("detail_1000", [f"/customers/{timeline_pk}/"], _is_timeline_main),
    ]
    only = {c for c in args.only.split(",") if c}
    cases = [c for c in cases if not only or c.name in only]
    reference_url = install_reference_view()

    clients = {}
    for role, user in (("admin", admin), ("rep", rep)):
        client = Client()
        client.force_login(user)
        clients[role] = client

    runs: list[dict[str, Any]] = []
    for run in range(args.runs):
        result: dict[str, Any] = {"pages": [], "throughput": {}}
        for case in cases:
            for role, client in clients.items():
                s = run_case(client, case, role, args.requests, args.warmup).summary()
                result["pages"].append(s)
                print(f"run {run + 1} {case.name:16} {role:5}  page p50 {s['page_p50']:7.1f} p95 {s['page_p95']:7.1f}"
                      f"  | raw main p50 {s['raw_main_p50']:7.1f} p95 {s['raw_main_p95']:7.1f}"
                      f"  | raw all p50 {s['raw_all_p50']:7.1f}  ({s['queries']} queries)", flush=True)
        if not only or "throughput" in only:
            for role, client in clients.items():
                rps = throughput(client, {"api": f"/api/customers?limit={API_PAGE_SIZE}", "values": reference_url},
                                 args.seconds)
                result["throughput"][role] = rps
                print(f"run {run + 1} throughput {role:5}  /api/customers {rps['api']:7.1f} req/s   "
                      f".values() view {rps['values']:7.1f} req/s   ratio {rps['api'] / rps['values']:.2f}",
                      flush=True)
        runs.append(result)

    # Medians over runs.
    print("\nmedians over", args.runs, "runs (ms)")
    keys = ("page_p50", "page_p95", "raw_main_p50", "raw_main_p95", "raw_all_p50", "raw_all_p95")
    medians: dict[str, Any] = {"pages": [], "throughput": {}}
    for i, first in enumerate(runs[0]["pages"]):
        row = {"case": first["case"], "role": first["role"], "queries": first["queries"]}
        row.update(median_of_runs((r["pages"][i] for r in runs), keys))
        medians["pages"].append(row)
        met = "met" if row["page_p95"] < TARGET_P95_MS else "MISSED"
        print(f"{row['case']:16} {row['role']:5} page p50 {row['page_p50']:7.1f} p95 {row['page_p95']:7.1f}  "
              f"raw main p50 {row['raw_main_p50']:7.1f} p95 {row['raw_main_p95']:7.1f}  "
              f"raw all p95 {row['raw_all_p95']:7.1f}  {met}")
    for role in runs[0]["throughput"]:
        api = statistics.median(r["throughput"][role]["api"] for r in runs)
        ref = statistics.median(r["throughput"][role]["values"] for r in runs)
        ratios = [r["throughput"][role]["api"] / r["throughput"][role]["values"] for r in runs]
        medians["throughput"][role] = {"api": api, "values": ref, "ratio": statistics.median(ratios)}
        print(f"throughput {role:5} api {api:7.1f} req/s  values {ref:7.1f} req/s  "
              f"ratio {statistics.median(ratios):.2f}  {'met' if statistics.median(ratios) >= 1 else 'MISSED'}")
    print("load average at the end:", load_average())
    if args.json:
        with open(args.json, "w", encoding="utf-8") as fh:
            json.dump({"machine": info, "rows": counts, "args": vars(args), "terms": terms, "runs": runs,
                       "medians": medians}, fh, ensure_ascii=False, indent=1, default=str)


if __name__ == "__main__":
    main(sys.argv[1:])
