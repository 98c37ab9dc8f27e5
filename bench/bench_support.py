"""The service desk at scale: the agent queue page over 1,000,000 tickets, the SLA check job, knowledge-base search.

    .venv/bin/python -m bench.bench_support                    # SQLite scratch file, 3 runs, writes RESULTS.md
    createdb -h 127.0.0.1 -U postgres guanxi_bench_support
    .venv/bin/python -m bench.bench_support --database-url postgres://postgres@127.0.0.1:5432/guanxi_bench_support
    .venv/bin/python -m bench.bench_support --runs 1 --no-results --only queue      # or sla, kb
    .venv/bin/python -m bench.bench_support --profile 20        # cProfile of the queue pages instead
    .venv/bin/python -m bench.bench_support --explain           # their query plans instead

Targets (issue 4, Performance): with 1,000,000 tickets the agent queue page p95 under 100 ms; the SLA check job
(which tickets are about to breach) under 10 s; knowledge-base search p95 under 50 ms with 10,000 articles.

Data (bench/support_data.py, built once per database on first use, ~20-25 minutes; `--rebuild` for SQLite): migrated;
an admin, 5 service teams (departments) with a service manager and 10 agents each (`employee_create`); 100,000
customers; 1,000,000 tickets over two years: 92 % resolved or closed, the rest new / open / waiting / reopened, 85 % of
those opened in the last ten days, each on a team, 97 % assigned round the team's agents; the default SLA policies and
the 2026 holiday calendar (demo_defaults.py); the running clocks' due times in business hours and their state (on
track / at risk / breached / paused) as the clock and the check job would have left them at the data's "now" (the
admin's date_joined); 10,000 approved knowledge-base articles from bench/support_texts.py (topics × products ×
numbers × filler sentences, 30 % English): the first 200 through `article_create` + `version_approve`, the rest bulk
inserted with `build_search_text` (the FTS5 triggers / GIN indexes index them). Then ANALYZE (PostgreSQL: VACUUM
ANALYZE).

Measured (in-process django.test.Client, DEBUG off, `bench/settings.py`):
  * queue: `GET /support/` (the agent's default list: their queue, newest first, 25 a page, capped count) and
    `GET /support/?sla_state=at_risk` as agent `agent0_0`, and `GET /support/` as the team's service manager;
    p50/p95 of `--requests` timed renders per run, each followed by the SQL the page issued replayed through the
    cursor;
  * sla: `check_sla(now=…)` with the clock moved forward (bisection over business minutes) until ~`--sla-crossings`
    running clocks cross their warning or due time; every run inside a transaction rolled back afterwards, so all
    start from the same rows; beside it the job's own candidate SELECTs (captured) replayed;
  * kb: `article_search(user=agent, q=…)` for the 41 queries of support_texts.KB_QUERIES (Chinese 2-4 characters,
    English words and two-word phrases, pinyin, two long sentences), each `--kb-repeats` times, p50/p95 per run,
    each followed by a raw `LIKE '%term%'` query on search_text for the same terms.
Medians of `--runs` runs go to bench/RESULTS.md between <!-- support-<vendor>:start --> and <!-- support-<vendor>:end -->.
"""

from __future__ import annotations

import argparse
import datetime
import os
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import OUT, load_average, machine_summary, median_of_runs, write_section
from bench.support_measure import explain, profile, sla_moment, timed_page

QUEUE_TARGET_MS = 100.0
SLA_TARGET_S = 10.0
KB_TARGET_MS = 50.0
NOTES = """\
**Findings and changes (2026-12-02).** *Queue.* The list counted up to 10,001 matching tickets for its "N tickets"
line: 60-300 ms on SQLite (agent / manager), 80-110 ms on PostgreSQL, more than the page's other work. Now
`views/tickets.py` caps the ticket list's count at 1,000 ("1,000+ tickets"; `COUNT_CAP`): 2-40 ms. PostgreSQL's plans
are then right (a backward primary-key scan that stops after 26 rows, Memoize on the customer join; count and rows
≤ 16 ms in EXPLAIN ANALYZE); the rest of the page is Django (the template ≈ 15 ms), so its p95 follows the machine's
load. SQLite misses for the agent, for three reasons outside the view: (1) the queue rule
(`models/tickets.queue_q`: assigned to me OR unassigned in my team) makes SQLite read all ~25,000 of the agent's
tickets through a MULTI-INDEX OR and sort them in a temp B-tree before taking 26 (170-500 ms); the same rows as a
`UNION ALL` of the two branches, each walking its assignee index newest first, take < 1 ms (measured by hand: a
change of the rule's shape, not an index); (2) SQLite ≥ 3.38 builds a Bloom filter over the 100,000 customers for the
"customer not deleted" join of every list query (≈ 25 ms; without the join 1.7 ms); (3) without STAT4 histograms
SQLite estimates `sla_state = 'at_risk'` at 200,000 rows, so the at-risk count walks the agent's 25,000 tickets
(70-190 ms) instead of the 1,098 at-risk ones. The at-risk list also misses on PostgreSQL under load: it ANDs the
1,098 at-risk entries with a bitmap of the agent's whole queue (~50,000 entries). **Missing index (not created: it
needs a migration): `Index(fields=["sla_state", "assignee"])` on Ticket**, measured on copies of these databases:
at-risk rows 36 → 5 ms and count 31 → 1 ms on PostgreSQL, 24 → 7 ms and 114 → 0.7 ms on SQLite. For the agent's
plain queue on SQLite no index helps (the OR always sorts); a default of open work only for agents (status
new/open/waiting/reopened) would bring its rows to ≈ 30 ms, the UNION ALL shape to < 1 ms. *SLA job.* 80 % of its time is one
`task_create` per escalated ticket (full_clean's two foreign-key checks, the insert and its audit row: 6 statements
each, 1,329 escalations here); a real five-minute run escalates a handful. *Knowledge base.* The long English
sentence is the slowest query on PostgreSQL (80-145 ms): its any-term fallback scores every article holding any of
9 terms, each with an `id IN (…)` subquery; the p95 stays under the target.


**After these findings (2026-12-02, second measurement).** Two changes: the index `Index(fields=["sla_state",
"assignee"])` (support migration 0004), and the web list opens on the *open work* (status new / open / waiting /
reopened; "All statuses" shows the history) — what a queue is for. The agent's queue and at-risk list now meet the
target on SQLite (first table). The "all statuses" list (the history) keeps the OR-and-sort cost described above.
The manager's default list got *slower* on this data, and the reason is the data, not the page: `support_data.py`
gives tickets random opening times in id order, so the ~8 % still open are spread evenly over all million ids and
the newest-first walk of the primary key must read ~1,600 rows per open ticket found. In a real desk ids grow with
time and the open tickets are the newest ones. Rebuilding the data with ids in time order (a 20–25 minute build) is
the next step to measure this honestly; until then the manager's list counts as missed."""  # findings of the first runs; kept in RESULTS.md on every run
QUEUE_PAGES = (("agent queue", "agent", "/support/"), ("agent at risk", "agent", "/support/?sla_state=at_risk"),
               ("agent, all statuses", "agent", "/support/?status="), ("manager team", "manager", "/support/"))


# ---------------------------------------------------------------- the parts and their tables


def queue_part(clients: dict[str, Any], args: Any, run: int) -> dict[str, Any]:
    result = {}
    for name, role, url in QUEUE_PAGES:
        r = timed_page(clients[role], url, args.requests, args.warmup)
        result[name] = r
        print(f"run {run + 1} {name:14} p50 {r['page_p50']:6.1f} p95 {r['page_p95']:6.1f} ms | raw "
              f"{r['raw_p50']:5.1f} / {r['raw_p95']:5.1f} ms ({r['queries']} queries)", flush=True)
    return result


def queue_text(runs: list[dict[str, Any]]) -> str:
    rows = []
    for name, _role, url in QUEUE_PAGES:
        m = median_of_runs((r["queue"][name] for r in runs), ("page_p50", "page_p95", "raw_p50", "raw_p95"))
        rows.append(f"| {name} `{url}` | {runs[0]['queue'][name]['queries']} | {m['page_p50']:.1f} | "
                    f"**{m['page_p95']:.1f}** | {m['raw_p50']:.1f} / {m['raw_p95']:.1f} | "
                    f"{'met' if m['page_p95'] < QUEUE_TARGET_MS else '**missed**'} |")
    return f"""| page | queries | p50 ms | p95 ms | raw SQL p50 / p95 ms | target p95 < {QUEUE_TARGET_MS:.0f} ms |
|---|---:|---:|---:|---:|---|
{chr(10).join(rows)}
All runs (p95 ms): {'; '.join(n + ' ' + ', '.join(f"{r['queue'][n]['page_p95']:.1f}" for r in runs) for n, _r, _u in QUEUE_PAGES)}."""


def sla_part(moment: datetime.datetime, run: int) -> dict[str, Any]:
    from bench.support_measure import sla_raw, sla_run

    _seconds, captured, selects = sla_run(moment, record=True)  # not in the figures: captures the SQL
    seconds, counts, _ = sla_run(moment)
    counts["statements"] = captured["statements"]
    raw = sla_raw(selects)
    print(f"run {run + 1} sla check {seconds:6.2f} s {counts} | raw candidate SELECTs {raw:.3f} s "
          f"({len(selects)} statements)", flush=True)
    return {"seconds": seconds, "raw": raw, "counts": counts}


def sla_text(runs: list[dict[str, Any]], moment: datetime.datetime, anchor: datetime.datetime) -> str:
    m = median_of_runs((r["sla"] for r in runs), ("seconds", "raw"))
    c = runs[0]["sla"]["counts"]
    from django.utils import timezone

    shift = (moment - anchor).total_seconds() / 3600
    start, end = timezone.localtime(anchor), timezone.localtime(moment)
    return f"""Clock moved {shift:.1f} h past the data's "now" ({start:%a %Y-%m-%d %H:%M} → {end:%a %H:%M}, {end:%Z}): \
**{c['breached']:,} breaches** ({c['escalated']:,} escalated: priority up, a task per team lead, a mail per lead) and \
**{c['at_risk']:,} warnings** (a mail per assignee); {c['mails']} mails, {c['statements']} SQL statements per run.
Each run inside a transaction that is rolled back afterwards (so every run starts from the same rows; the job's own
`@transaction.atomic` blocks become savepoints, the commit itself is not timed; mails go to the locmem backend).

| job | seconds | target < {SLA_TARGET_S:.0f} s |
|---|---:|---|
| `check_sla(now=…)` | **{m['seconds']:.2f}** | {'met' if m['seconds'] < SLA_TARGET_S else '**missed**'} |
| raw: the job's candidate SELECTs (due-time ranges on the partial indexes) replayed | {m['raw']:.3f} | |

All runs (s): {', '.join(f"{r['sla']['seconds']:.2f}" for r in runs)}."""


def kb_part(user: Any, repeats: int, run: int) -> dict[str, Any]:
    from bench.support_measure import kb_run

    r = kb_run(user, repeats)
    print(f"run {run + 1} kb search p50 {r['search_p50']:5.1f} p95 {r['search_p95']:5.1f} ms | raw LIKE "
          f"{r['raw_p50']:5.1f} / {r['raw_p95']:5.1f} ms | slowest {r['slowest']}", flush=True)
    return r


def kb_text(runs: list[dict[str, Any]], articles: int) -> str:
    from bench.support_texts import KB_QUERIES

    m = median_of_runs((r["kb"] for r in runs), ("search_p50", "search_p95", "raw_p50", "raw_p95"))
    hits = runs[0]["kb"]["hits"]
    slowest = ", ".join(f"{q[:24]} {ms:.1f}" for q, ms in runs[-1]["kb"]["slowest"])
    return f"""{len(KB_QUERIES)} queries × {runs[0]['kb']['n'] // len(KB_QUERIES)} per run over {articles:,} approved articles \
(`article_search(user=agent, q=…)`, 20 best with highlighted snippets); raw = `LIKE '%term%'` on search_text for all
terms (then any term if fewer than 20), the same terms, ids only.

| search | p50 ms | p95 ms | raw LIKE p50 / p95 ms | target p95 < {KB_TARGET_MS:.0f} ms |
|---|---:|---:|---:|---|
| `article_search` | {m['search_p50']:.1f} | **{m['search_p95']:.1f}** | {m['raw_p50']:.1f} / {m['raw_p95']:.1f} | \
{'met' if m['search_p95'] < KB_TARGET_MS else '**missed**'} |

Articles holding all the query's terms (raw count), per query: {', '.join(f"{q[:12]} {n:,}" for q, n in hits.items())}.
Slowest queries of the last run (median ms): {slowest}. All runs (p95 ms): \
{', '.join(f"{r['kb']['search_p95']:.1f}" for r in runs)}."""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_support", description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=f"sqlite:///{OUT / 'support.sqlite3'}")
    parser.add_argument("--rebuild", action="store_true", help="build the SQLite scratch database again")
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--articles", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--kb-repeats", type=int, default=5, help="times each search query is timed per run")
    parser.add_argument("--sla-crossings", type=int, default=2000, help="clocks the moved clock should cross")
    parser.add_argument("--seed", type=int, default=4)
    parser.add_argument("--only", default="queue,sla,kb")
    parser.add_argument("--profile", type=int, default=0, help="cProfile this many agent queue renders instead")
    parser.add_argument("--explain", action="store_true", help="print the queue pages' query plans instead")
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args(argv)
    OUT.mkdir(exist_ok=True)
    if args.database_url.startswith("sqlite:///") and args.rebuild:
        for suffix in ("", "-wal", "-shm"):
            Path(args.database_url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    os.environ["DATABASE_URL"] = args.database_url
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    import django

    django.setup()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from bench.common import db_version
    from bench.support_data import anchor, build
    from guanxi.customers.models import Customer
    from guanxi.support.models import Article, Ticket

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # the SLA job's mails
    call_command("migrate", verbosity=0)
    if not Ticket.objects.exists():
        t0 = time.perf_counter()
        build(tickets=args.tickets, customers=args.customers, articles=args.articles, seed=args.seed)
        print(f"built in {time.perf_counter() - t0:.1f} s", flush=True)
    total = Ticket.objects.count()
    articles = Article.objects.filter(status=Article.Status.APPROVED, deleted_at__isnull=True).count()
    users = get_user_model().objects
    clients = {}
    for role, username in (("agent", "agent0_0"), ("manager", "lead0")):
        clients[role] = Client()
        clients[role].force_login(users.get(username=username))
    if args.profile or args.explain:
        for _name, role, url in QUEUE_PAGES:
            (profile(clients[role], url, args.profile) if args.profile else explain(clients[role], url))
        return
    only = set(args.only.split(","))
    moment = data_now = anchor()
    if "sla" in only:
        moment, counts = sla_moment(data_now, args.sla_crossings)
        print(f"SLA check at {moment} ({(moment - data_now).total_seconds() / 3600:.1f} h after the data's now): "
              f"{counts[0]} breaches + {counts[1]} warnings expected", flush=True)
    runs: list[dict[str, Any]] = []
    for run in range(args.runs):
        result: dict[str, Any] = {}
        if "queue" in only:
            result["queue"] = queue_part(clients, args, run)
        if "sla" in only:
            result["sla"] = sla_part(moment, run)
        if "kb" in only:
            result["kb"] = kb_part(users.get(username="agent0_0"), args.kb_repeats, run)
        runs.append(result)
    load = load_average()
    parts = [f"""## Service desk over {total:,} tickets — {db_version()} (`python -m bench.bench_support`)

Machine: {machine_summary(load=load, database=db_version())}. Measured {datetime.date.today():%Y-%m-%d}, median of \
{args.runs} runs. Data: `bench/support_data.py` (5 teams × 10 agents + a service manager each, {total:,} tickets, \
{Customer.objects.count():,} customers, 7 SLA policies and the 2026 holiday calendar, {articles:,} approved articles)."""]
    if "queue" in only:
        parts.append(f"""### Agent queue (in-process `django.test.Client`, {args.requests} timed renders per page and run)

Agent `agent0_0` (queue: assigned to them + their team's unassigned), service manager `lead0` (their team). Raw SQL =
every SELECT the page issued, replayed through the cursor after each render.

{queue_text(runs)}""")
    if "sla" in only:
        parts.append("### SLA check job\n\n" + sla_text(runs, moment, data_now))
    if "kb" in only:
        parts.append("### Knowledge-base search\n\n" + kb_text(runs, articles))
    text = "\n\n".join([*parts, NOTES])
    print(text)
    if not args.no_results:
        write_section(f"support-{connection.vendor}", text)


if __name__ == "__main__":
    main(sys.argv[1:])
