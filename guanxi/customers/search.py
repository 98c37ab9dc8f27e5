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

import unicodedata

from django.db import connection as default_connection
from django.db.models import Count, Max, Q, Subquery
from django.db.models.expressions import RawSQL

FTS_TABLE = "customers_customer_fts"
FTS_VOCAB = f"{FTS_TABLE}_vocab"
FTS_COLUMNS = ("name", "short_name", "search_pinyin", "search_initials")
SENTINEL = "\x1f"
# The two-character expansion: the trigrams in [pair, pair + U+10FFFF) of the vocabulary.
_TOP = "\U0010ffff"


def _fts_phrase(needle: str) -> str:
    return '"' + needle.replace('"', '""') + '"'


def _caseless_pair(needle: str) -> bool:
    """Two characters whose FTS5 case folding is plain ASCII lower-casing (CJK, digits, ASCII...)."""
    for ch in needle:
        if ch.isascii():
            if not ch.isprintable():
                return False
        elif ch.lower() != ch or ch.upper() != ch or unicodedata.category(ch)[0] not in "LN":
            return False  # a cased letter outside ASCII: FTS5's folding may differ from str.lower()
    return True


def _fts_candidates(needles: list[str]) -> RawSQL | None:
    """`SELECT rowid FROM fts WHERE fts MATCH …` for all needles (OR), or None if one can't use the index."""
    phrases: list[str] = []
    pairs: list[str] = []
    for needle in dict.fromkeys(needles):
        if SENTINEL in needle or "\x00" in needle:
            return None
        n = len(needle)
        if n >= 3:
            phrases.append(_fts_phrase(needle))
        elif n == 2 and _caseless_pair(needle):
            pairs.append(needle.lower())
        else:
            return None
    parts: list[str] = []
    params: list[str] = []
    if phrases:
        parts.append("%s")
        params.append(" OR ".join(phrases))
    for pair in pairs:
        # One uncorrelated scalar subquery: evaluated once per statement. No trigram -> '""' matches nothing.
        quoted = "'\"' || replace(term, '\"', '\"\"') || '\"'"
        parts.append(f"(SELECT coalesce(group_concat({quoted}, ' OR '), '\"\"') FROM {FTS_VOCAB}"  # noqa: S608
                     " WHERE term >= %s AND term < %s)")
        params += [pair, pair + _TOP]
    match = " || ' OR ' || ".join(parts)
    return RawSQL(f"SELECT rowid FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH {match}", params)  # noqa: S608, S611


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
        candidates = _fts_candidates(needles)
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

def _values(prefix: str) -> str:
    return ", ".join(f"{prefix}{c} || char(31)" for c in FTS_COLUMNS)


_COLS = ", ".join(FTS_COLUMNS)
SQLITE_TRIGGERS = {
    f"{FTS_TABLE}_ai": f"""CREATE TRIGGER {FTS_TABLE}_ai AFTER INSERT ON customers_customer BEGIN
        INSERT INTO {FTS_TABLE}(rowid, {_COLS}) VALUES (new.id, {_values('new.')});
    END""",  # noqa: S608
    f"{FTS_TABLE}_ad": f"""CREATE TRIGGER {FTS_TABLE}_ad AFTER DELETE ON customers_customer BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLS}) VALUES ('delete', old.id, {_values('old.')});
    END""",  # noqa: S608
    f"{FTS_TABLE}_au": f"""CREATE TRIGGER {FTS_TABLE}_au AFTER UPDATE OF id, {_COLS} ON customers_customer
    WHEN old.id IS NOT new.id OR {' OR '.join(f'old.{c} IS NOT new.{c}' for c in FTS_COLUMNS)} BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {_COLS}) VALUES ('delete', old.id, {_values('old.')});
        INSERT INTO {FTS_TABLE}(rowid, {_COLS}) VALUES (new.id, {_values('new.')});
    END""",  # noqa: S608
}


def ensure_sqlite_search_index(connection: object) -> bool:
    """Recreate the sync triggers and refill the FTS table if a migration dropped the triggers.

    Django rebuilds a SQLite table for many schema changes (copy, DROP TABLE, rename), which drops the
    table's triggers with it; the FTS table would silently stop following the customers. Connected to
    `post_migrate` (apps.py). Returns True if it had to repair.
    """
    if getattr(connection, "vendor", None) != "sqlite":
        return False
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (%s, %s)",
                       ["customers_customer", FTS_TABLE])
        if len(cursor.fetchall()) < 2:
            return False  # not migrated that far (or already migrated back)
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'customers_customer'")
        present = {row[0] for row in cursor.fetchall()}
        missing = [name for name in SQLITE_TRIGGERS if name not in present]
        if not missing:
            return False
        for name in SQLITE_TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")  # noqa: S608
        cursor.execute(f"INSERT INTO {FTS_TABLE}(rowid, {_COLS}) SELECT id, {_values('')} FROM customers_customer")  # noqa: S608
        for sql in SQLITE_TRIGGERS.values():
            cursor.execute(sql)
    return True
