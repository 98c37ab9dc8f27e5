"""The measuring of bench/bench_support.py (see its docstring): queue pages, the SLA check job, knowledge-base search."""

from __future__ import annotations

import datetime
import time
from typing import Any

from bench.common import p50_p95, replay
from bench.support_texts import KB_QUERIES

# ---------------------------------------------------------------- the queue pages


def capture(client: Any, url: str) -> list[tuple[str, Any]]:
    from django.db import connection

    recorded: list[tuple[str, Any]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        recorded.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(wrapper):
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return [(s, p) for s, p in recorded if s.lstrip().upper().startswith("SELECT")]


def timed_page(client: Any, url: str, n: int, warmup: int) -> dict[str, float]:
    queries = capture(client, url)
    for _ in range(warmup):
        client.get(url)
    page, raw = [], []
    for _ in range(n):
        t0 = time.perf_counter()
        response = client.get(url)
        page.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200
        raw.append(replay(queries))
    return {**p50_p95("page", page), **p50_p95("raw", raw), "queries": len(queries)}


def profile(client: Any, url: str, n: int) -> None:
    import cProfile
    import pstats

    for _ in range(3):
        client.get(url)
    prof = cProfile.Profile()
    prof.enable()
    for _ in range(n):
        client.get(url)
    prof.disable()
    stats = pstats.Stats(prof)
    stats.sort_stats("cumulative").print_stats(40)
    stats.sort_stats("tottime").print_stats(20)


def explain(client: Any, url: str) -> None:
    """The query plan of each SELECT the page issues."""
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN (ANALYZE, BUFFERS) "
    for sql, params in capture(client, url):
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            print(sql[:400], "\n   ", "\n    ".join(str(r[-1]) for r in cursor.fetchall()), "\n", flush=True)


# ---------------------------------------------------------------- the SLA check job


def sla_crossings(moment: datetime.datetime) -> tuple[int, int]:
    """(breaches, warnings) a check at `moment` would find: the job's own candidate filters, ids only."""
    from guanxi.support.models import SlaState
    from guanxi.support.services.sla_check import _first_response_running, _running, _warning_edges

    breach = set(_first_response_running().filter(first_response_due__lt=moment, first_response_breached=False)
                 .values_list("pk", flat=True))
    breach |= set(_running().filter(resolution_due__lt=moment, resolution_breached=False).values_list("pk", flat=True))
    frt_q, res_q, latest = _warning_edges(moment)
    warn = set(_first_response_running().filter(frt_q, first_response_due__gte=moment, first_response_due__lte=latest,
                                                 sla_state=SlaState.ON_TRACK).values_list("pk", flat=True))
    warn |= set(_running().filter(res_q, resolution_due__gte=moment, resolution_due__lte=latest,
                                  sla_state=SlaState.ON_TRACK).values_list("pk", flat=True))
    return len(breach), len(warn)


def sla_moment(anchor: datetime.datetime, target: int) -> tuple[datetime.datetime, tuple[int, int]]:
    """The clock moved forward from the data's "now" far enough that about `target` running clocks cross their
    warning or due time: bisection over business minutes (Monday-Friday 09:00-18:00 with the holidays), so the
    check runs in working hours, when warnings are due as well as breaches."""
    from guanxi.support.models import SlaPolicy
    from guanxi.support.services.business_hours import HolidayBook, add_business_minutes

    calendar, book = SlaPolicy(), HolidayBook()
    lo, hi = 0, 10 * 540
    best = (anchor, sla_crossings(anchor))
    for _ in range(18):
        mid = (lo + hi) // 2
        moment = add_business_minutes(anchor, mid, calendar, book)
        counts = sla_crossings(moment)
        if abs(sum(counts) - target) < abs(sum(best[1]) - target):
            best = (moment, counts)
        if abs(sum(counts) - target) <= target // 10 or hi - lo <= 1:
            break
        lo, hi = (mid, hi) if sum(counts) < target else (lo, mid)
    return best


def _candidate_selects(recorded: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """The job's reads of the candidate rows (the due-time range scans), from its captured SQL."""
    return [(s, p) for s, p in recorded if s.lstrip().upper().startswith("SELECT") and '"support_ticket"' in s
            and ("first_response_due" in s.split("WHERE", 1)[-1] or "resolution_due" in s.split("WHERE", 1)[-1])]


def sla_run(moment: datetime.datetime, *, record: bool = False) -> tuple[float, dict[str, int], list[Any]]:
    """One timed `check_sla(now=moment)`, inside a transaction that is rolled back afterwards, so every run
    starts from the same rows. Returns seconds, the job's counts, and (with `record`) the candidate SELECTs."""
    from django.core import mail
    from django.db import connection, transaction

    from guanxi.support.services.sla import check_sla

    recorded: list[tuple[str, Any]] = []

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        recorded.append((sql, params))
        return execute(sql, params, many, context)

    mail.outbox = []
    with transaction.atomic():
        if record:
            with connection.execute_wrapper(wrapper):
                t0 = time.perf_counter()
                result = check_sla(now=moment)
                seconds = time.perf_counter() - t0
        else:
            t0 = time.perf_counter()
            result = check_sla(now=moment)
            seconds = time.perf_counter() - t0
        transaction.set_rollback(True)
    result = {**result, "mails": len(mail.outbox), "statements": len(recorded)}
    return seconds, result, _candidate_selects(recorded)


def sla_raw(selects: list[tuple[str, Any]]) -> float:
    """Seconds to run the job's candidate SELECTs again (FOR UPDATE included, in a rolled-back transaction)."""
    from django.db import connection, transaction

    with transaction.atomic():
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            for sql, params in selects:
                cursor.execute(sql, params)
                cursor.fetchall()
        seconds = time.perf_counter() - t0
        transaction.set_rollback(True)
    return seconds


# ---------------------------------------------------------------- knowledge-base search

RAW_SQL = ("SELECT id FROM support_article WHERE deleted_at IS NULL AND status = 'approved' AND ({where}) "
           "ORDER BY use_count DESC, id DESC LIMIT 20")


def kb_selectivity(q: str) -> int:
    """How many approved articles hold all the query's terms."""
    from django.db import connection

    from guanxi.support.knowledge_search import query_terms

    terms = query_terms(q)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM support_article WHERE deleted_at IS NULL AND status = 'approved' AND "
                       + " AND ".join(["search_text LIKE %s"] * len(terms)), [f"%{t}%" for t in terms])
        return int(cursor.fetchone()[0])


def kb_raw(q: str) -> int:
    """The naive search: LIKE '%term%' on search_text for all terms, then (if fewer than 20) for any term."""
    from django.db import connection

    from guanxi.support.knowledge_search import query_terms

    terms = query_terms(q)
    found: list[Any] = []
    with connection.cursor() as cursor:
        for joiner in (" AND ", " OR "):
            if joiner == " OR " and (len(terms) < 2 or len(found) >= 20):
                break
            cursor.execute(RAW_SQL.format(where=joiner.join(["search_text LIKE %s"] * len(terms))),
                           [f"%{t}%" for t in terms])
            found += cursor.fetchall()
    return len(found)


def kb_run(user: Any, repeats: int) -> dict[str, Any]:
    """Each query `repeats` times through article_search, each time followed by its raw LIKE scan."""
    from guanxi.support.selectors.knowledge import article_search

    search: list[float] = []
    raw: list[float] = []
    per_query: dict[str, list[float]] = {}
    hits: dict[str, int] = {}
    for q in KB_QUERIES:  # warm-up
        article_search(user=user, q=q)
        kb_raw(q)
        hits[q] = kb_selectivity(q)
    for _ in range(repeats):
        for q in KB_QUERIES:
            t0 = time.perf_counter()
            article_search(user=user, q=q)
            ms = (time.perf_counter() - t0) * 1000
            search.append(ms)
            per_query.setdefault(q, []).append(ms)
            t0 = time.perf_counter()
            kb_raw(q)
            raw.append((time.perf_counter() - t0) * 1000)
    slowest = sorted(per_query, key=lambda q: -sorted(per_query[q])[len(per_query[q]) // 2])[:5]
    return {**p50_p95("search", search), **p50_p95("raw", raw), "n": len(search), "hits": hits,
            "slowest": [(q, sorted(per_query[q])[len(per_query[q]) // 2]) for q in slowest]}
