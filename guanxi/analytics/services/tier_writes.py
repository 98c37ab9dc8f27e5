"""The re-tier run's bulk writes, as plain SQL in batches (services/tiers_retier.py decides, this writes).

Django's bulk_create / bulk_update cost ~30-50 µs a row in Python (model instances, per-value
preparation, SQLite's 999-parameter batches), too slow for a million customers. SQLite gets
`executemany` (one prepared statement, rows bound in C); PostgreSQL gets COPY, and updates go
through a temporary table (COPY in, one UPDATE … FROM) — a row-by-row UPDATE costs a round trip
each there.
"""

from __future__ import annotations

from typing import Any

from django.db import connection

from guanxi.analytics.models import CustomerTier, TierChange

BATCH = 5_000
TIER_COLUMNS = ("customer_id", "tier_id", "since", "rolling_spend", "points", "protected_until")
UPDATE_COLUMNS = ("tier_id", "since", "rolling_spend", "protected_until", "customer_id")
CHANGE_COLUMNS = ("customer_id", "from_tier_id", "to_tier_id", "direction", "reason", "as_of", "created_at")


def _table(model: Any) -> str:
    return connection.ops.quote_name(model._meta.db_table)


def _insert(model: Any, columns: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
    if not rows:
        return
    names = ", ".join(columns)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            with cursor.cursor.copy(f"COPY {_table(model)} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            return
        sql = f"INSERT INTO {_table(model)} ({names}) VALUES ({', '.join(['%s'] * len(columns))})"  # noqa: S608
        for i in range(0, len(rows), BATCH):
            cursor.executemany(sql, rows[i:i + BATCH])


def insert_tiers(rows: list[tuple[Any, ...]]) -> None:
    """New CustomerTier rows: (customer_id, tier_id, since, rolling_spend, points, protected_until)."""
    _insert(CustomerTier, TIER_COLUMNS, rows)


def insert_changes(rows: list[tuple[Any, ...]]) -> None:
    """TierChange rows: (customer_id, from_tier_id, to_tier_id, direction, reason, as_of, created_at)."""
    _insert(TierChange, CHANGE_COLUMNS, rows)


def update_tiers(rows: list[tuple[Any, ...]]) -> None:
    """Changed CustomerTier rows: (tier_id, since, rolling_spend, protected_until, customer_id); points stay."""
    if not rows:
        return
    table = _table(CustomerTier)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql":
            sql = (f"UPDATE {table} SET tier_id = %s, since = %s, rolling_spend = %s, "  # noqa: S608
                   "protected_until = %s WHERE customer_id = %s")
            for i in range(0, len(rows), BATCH):
                cursor.executemany(sql, rows[i:i + BATCH])
            return
        cursor.execute("CREATE TEMPORARY TABLE IF NOT EXISTS retier_update (tier_id bigint, since date, "
                       "rolling_spend numeric(16, 2), protected_until date, customer_id bigint) ON COMMIT DROP")
        cursor.execute("TRUNCATE retier_update")
        with cursor.cursor.copy(f"COPY retier_update ({', '.join(UPDATE_COLUMNS)}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(f"UPDATE {table} AS t SET tier_id = u.tier_id, since = u.since, "  # noqa: S608
                       "rolling_spend = u.rolling_spend, protected_until = u.protected_until "
                       "FROM retier_update AS u WHERE t.customer_id = u.customer_id")
