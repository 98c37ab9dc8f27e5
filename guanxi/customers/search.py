"""Index-backed customer search: the same matches as plain substring predicates, without a table scan.

Semantics (unchanged): the name or short name contains the text (case-insensitively, as the ORM's
`icontains` on each database), the pinyin / initials keys contain the lower-case ASCII key.

* PostgreSQL: the ORM's own predicates; GIN trigram indexes (migration 0004) on exactly the
  expressions they compile to (`UPPER("name"::text) LIKE UPPER(%s)`, `"search_pinyin"::text LIKE %s`)
  serve terms of 3+ characters. Shorter terms scan (pg_trgm has no trigram to look up).
* SQLite: the FTS5 trigram table `customers_customer_fts` (contentless, synced by triggers) gives a
  superset of candidate ids -- it folds case for all of Unicode, SQLite's LIKE only for ASCII -- and
  the unchanged LIKE predicates are applied to those candidates only, so the result is exact.
  Terms of 3+ characters are an FTS5 phrase; 2-character terms are expanded through the fts5vocab
  table to the trigrams that start with them (every indexed value ends with a U+001F sentinel, so
  every occurrence of two characters starts a trigram). 1-character terms scan as before.
"""

from __future__ import annotations

from django.db import connection as default_connection
from django.db.models import Count, Max, Q, Subquery

from guanxi.core.fts import SENTINEL, TrigramIndex

FTS_COLUMNS = ("name", "short_name", "search_pinyin", "search_initials")
INDEX = TrigramIndex("customers_customer", FTS_COLUMNS)  # the shared FTS5 machinery (guanxi/core/fts.py)
FTS_TABLE = INDEX.fts
FTS_VOCAB = INDEX.vocab
__all__ = ["FTS_TABLE", "FTS_VOCAB", "SENTINEL", "ensure_sqlite_search_index", "text_q"]


def text_q(text: str, key: str | None, *, name_only: bool = False, using_vendor: str | None = None) -> Q:
    """Name / short name contain `text` (case-insensitively); pinyin / initials contain `key` (if given)."""
    q = Q(name__icontains=text)
    needles = [text]
    if not name_only:
        q |= Q(short_name__icontains=text)
    if key:
        q |= Q(search_pinyin__contains=key) | Q(search_initials__contains=key)
        needles.append(key)
    vendor = using_vendor or default_connection.vendor
    if vendor == "sqlite":
        candidates = INDEX.candidates(needles)
        if candidates is not None and not _common_on_sqlite(q):
            return Q(pk__in=candidates) & q
    return q


# A term found in many customers is cheaper to find by scanning: the list's queries stop early (a page of
# 20 rows, the count capped at 10,001), while the FTS5 candidate list is built in full first (686,000
# candidates for 有限公司: 150 ms for the MATCH alone, against 14 ms for the capped LIKE scan). The term's
# share is estimated on the newest PROBE_ROWS customers (one short rowid-range scan: 2-4 ms at 1,000,000).
# Not lower: a user who sees part of the customers (a rep: 17 %) is served by the index down to ~10 %
# (the scan walks all the rows they see: 'zs' at ~12 %, 1.1 s scanning vs 0.3 s through the index).
PROBE_ROWS = 2000
COMMON_SHARE = 0.25
PROBE_MIN_TABLE = 4 * PROBE_ROWS  # smaller tables: always the index (the scan is short anyway)


def _common_on_sqlite(q: Q) -> bool:
    """One query: the newest PROBE_ROWS customers (a rowid range below max(id)), how many match, the top id."""
    from .models import Customer

    top = Customer.objects.order_by("-pk").values("pk")[:1]
    window = Customer.objects.filter(pk__gt=Subquery(top) - PROBE_ROWS).aggregate(
        rows=Count("pk"), hits=Count("pk", filter=q), top=Max("pk"))
    if (window["top"] or 0) < PROBE_MIN_TABLE:
        return False
    return window["hits"] >= window["rows"] * COMMON_SHARE


# ---------------------------------------------------------------- keeping the SQLite index in place

SQLITE_TRIGGERS = INDEX.triggers()


def ensure_sqlite_search_index(connection: object) -> bool:
    """Recreate the sync triggers and refill the FTS table if a migration dropped them (apps.py's
    `post_migrate` hook; see TrigramIndex.ensure). Returns True if it had to repair."""
    return INDEX.ensure(connection)
