"""Database housekeeping: planner statistics (nightly job `database_optimize`, and after the demo set-up)."""

from __future__ import annotations

import time
from typing import Any

from django.db import connections

# Rows ANALYZE samples per index on SQLite; 0 = all. Sampled statistics (analysis_limit=1000) estimated
# `deleted_at IS NULL` at ~1,000 rows per key on 1,000,000 customers that all have it NULL, so the planner
# still walked that index; the exact ones take ~2 s for the customers table at 1,000,000 rows.
SQLITE_ANALYSIS_LIMIT = 0


def database_optimize(using: str = "default") -> dict[str, Any]:
    """Refresh the query planner's statistics.

    SQLite: `ANALYZE` when there are no statistics yet (`sqlite_stat1` missing or
    empty -- Django never creates them, and without them SQLite walks e.g. the `deleted_at` index for a
    condition every row meets), then `PRAGMA optimize`. On SQLite before 3.46 `PRAGMA optimize` only
    re-analyses tables the *current connection* has queried, so a fresh nightly connection would not
    refresh stale statistics: the job analyses again when the largest table's row count has moved by
    by more than a factor of 2 since the last statistics (the sampled estimate itself is ±30 %). PostgreSQL: `ANALYZE` (autovacuum does it too, but not
    right after a bulk load).
    """
    connection = connections[using]
    started = time.monotonic()
    analyzed = False
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute(f"PRAGMA analysis_limit={SQLITE_ANALYSIS_LIMIT}")
            if _sqlite_stats_stale(cursor):
                cursor.execute("ANALYZE")
                analyzed = True
            cursor.execute("PRAGMA optimize")
        elif connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
            analyzed = True
    return {"vendor": connection.vendor, "analyzed": analyzed, "ms": round((time.monotonic() - started) * 1000)}


def _sqlite_stats_stale(cursor: Any) -> bool:
    cursor.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
    if cursor.fetchone() is None:
        return True
    # stat is "<rows> <avg rows per key> …" per index; the first number estimates the table's rows. The
    # customers table stands for the data's size (max(id) is the last key of its b-tree: no scan).
    cursor.execute("SELECT stat FROM sqlite_stat1 WHERE tbl = 'customers_customer' AND idx IS NOT NULL")
    estimates = [str(row[0]).split()[0] for row in cursor.fetchall()]
    estimate = max((int(e) for e in estimates if e.isdigit()), default=0)
    cursor.execute("SELECT max(id) FROM customers_customer")
    top = cursor.fetchone()[0] or 0
    if estimate == 0:
        return top > 0
    return top > 2 * estimate or top < estimate // 2
