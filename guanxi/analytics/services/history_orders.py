"""The order part of the history: one grouped query per chunk of customers, the per-day arithmetic in NumPy.

Per chunk (a keyset range of customer ids, walked on the orders' customer index) the database
filters the orders and groups them by customer: per customer the first and last order time and,
as comma-separated lists in one order, each order's local day number, net spend and gross profit.
NumPy then sums per (customer, day) — a purchase is a day — and derives per customer the purchase
days, first/last day, lifetime and first-day spend, the window's days, spend and profit, the sum of
squared gaps between purchase days and the median gap.

Why not all in SQL: the gaps and the median gap need the purchase days in order (window functions),
and on SQLite the window passes made the query ~5× slower than this one pass (21 s against 4 s
for 1,000,000 orders on a 100,000-customer synthetic set); the lists cost one string split per chunk.
SQLite walks the orders' (customer, date) index for each chunk, so no sort is needed for the grouping.
"""

from __future__ import annotations

from datetime import datetime, time
from typing import TYPE_CHECKING, Any

import numpy as np
from django.db import connection
from django.utils import timezone

from guanxi.customers.models import Order

if TYPE_CHECKING:
    from .history import FloatArray, History, IntArray

SQL = """
SELECT o.customer_id, COUNT(*), {first}, {last},
       {concat_day}, {concat_net}, {concat_profit}
FROM {table} o
WHERE o.customer_id BETWEEN %s AND %s AND {not_deleted} AND o.status <> 'cancelled' AND o.ordered_at < %s
GROUP BY o.customer_id
"""
# In floating point: PostgreSQL's numeric division took 80% of the query's time (SQLite stores REAL anyway).
TOTAL, COST = "CAST(o.total_amount AS DOUBLE PRECISION)", "CAST(o.cost_amount AS DOUBLE PRECISION)"
NET = f"({TOTAL} - CASE WHEN o.updated_at < %s THEN CAST(o.refunded_amount AS DOUBLE PRECISION) ELSE 0 END)"
PROFIT = f"({NET} - CASE WHEN o.total_amount > 0 THEN {COST} * {NET} / {TOTAL} ELSE {COST} END)"


def utc_offset_seconds(as_of: Any) -> int:
    offset = timezone.get_current_timezone().utcoffset(datetime.combine(as_of, time(12)))
    return int(offset.total_seconds()) if offset else 0


def _sql(as_of: Any) -> tuple[str, int]:
    """The query for this database, and how many times the cut-off parameter appears in its select list."""
    if connection.vendor == "postgresql":
        day = "((o.ordered_at AT TIME ZONE %s)::date - DATE '1970-01-01')"

        def concat(expr: str) -> str:  # the three lists are fed the rows in the same order: no ORDER BY needed
            return f"string_agg(({expr})::text, ',')"

        parts = {"first": "EXTRACT(EPOCH FROM MIN(o.ordered_at))::float8",
                 "last": "EXTRACT(EPOCH FROM MAX(o.ordered_at))::float8", "not_deleted": "o.deleted_at IS NULL"}
    else:
        # Local day from the UTC text SQLite stores, with the offset in force on the as-of date.
        day = f"((CAST(strftime('%%s', o.ordered_at) AS INTEGER) + {utc_offset_seconds(as_of)}) / 86400)"

        def concat(expr: str) -> str:
            return f"group_concat({expr})"

        # "+" keeps SQLite from walking the deleted_at index instead of the customer one.
        parts = {"first": "MIN(o.ordered_at)", "last": "MAX(o.ordered_at)", "not_deleted": "+o.deleted_at IS NULL"}
    sql = SQL.format(table=Order._meta.db_table, concat_day=concat(day), concat_net=concat(NET),
                     concat_profit=concat(PROFIT), **parts)
    return sql, 3  # NET once, PROFIT twice


def read_orders_chunk(hist: History, start: int, stop: int, cutoff: datetime) -> None:
    """Read the orders of customers hist.customer_id[start:stop] (a keyset range) into `hist`."""
    sql, cutoffs = _sql(hist.as_of)
    db_cutoff = connection.ops.adapt_datetimefield_value(cutoff)
    tz_params = [timezone.get_current_timezone_name()] if connection.vendor == "postgresql" else []
    lo, hi = int(hist.customer_id[start]), int(hist.customer_id[stop - 1])
    with connection.cursor() as cursor:
        cursor.execute(sql, [*tz_params, *[db_cutoff] * cutoffs, lo, hi, db_cutoff])
        rows = cursor.fetchall()
    if rows:
        _store(hist, rows)


def _timestamps(values: list[Any]) -> FloatArray:
    if connection.vendor == "postgresql":
        return np.asarray(values, dtype=np.float64)
    stamps = np.asarray(values, dtype="datetime64[us]")
    return stamps.astype(np.int64) / 1e6


def _parse(texts: list[Any], dtype: Any) -> Any:
    return np.asarray(",".join(str(t) for t in texts).split(","), dtype=dtype)


def _store(hist: History, rows: list[tuple[Any, ...]]) -> None:
    ids = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
    idx, ours = hist.positions(ids)
    counts = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    first_ts, last_ts = _timestamps([r[2] for r in rows]), _timestamps([r[3] for r in rows])
    days = _parse([r[4] for r in rows], np.float64).astype(np.int64)
    nets = _parse([r[5] for r in rows], np.float64)
    profits = _parse([r[6] for r in rows], np.float64)
    owner = np.repeat(np.arange(len(rows)), counts)
    stats = per_customer(owner, days, nets, profits, len(rows), window_start=hist.window_start_day)
    keep = idx[ours]
    hist.first_ts[keep], hist.last_ts[keep] = first_ts[ours], last_ts[ours]
    for name, values in stats.items():
        getattr(hist, name)[keep] = values[ours]


def per_customer(owner: IntArray, days: IntArray, nets: FloatArray, profits: FloatArray, n: int, *,
                 window_start: int) -> dict[str, Any]:
    """Per-customer figures from per-order (customer index, day, net, profit); see the module docstring."""
    order = np.lexsort((days, owner))
    owner, days, nets, profits = owner[order], days[order], nets[order], profits[order]
    new_day = np.r_[True, (owner[1:] != owner[:-1]) | (days[1:] != days[:-1])]
    starts = np.flatnonzero(new_day)
    d_owner, d_day = owner[starts], days[starts]
    d_net, d_profit = np.add.reduceat(nets, starts), np.add.reduceat(profits, starts)
    first_of_customer = np.r_[True, d_owner[1:] != d_owner[:-1]]
    last_of_customer = np.r_[d_owner[1:] != d_owner[:-1], True]
    in_window = d_day >= window_start
    out: dict[str, Any] = {
        "n_days": np.bincount(d_owner, minlength=n),
        "first_day": np.zeros(n, dtype=np.int64), "last_day": np.zeros(n, dtype=np.int64),
        "lifetime_net": np.bincount(d_owner, weights=d_net, minlength=n),
        "first_day_net": np.zeros(n),
        "window_days": np.bincount(d_owner, weights=in_window, minlength=n).astype(np.int64),
        "window_net": np.bincount(d_owner, weights=d_net * in_window, minlength=n),
        "window_profit": np.bincount(d_owner, weights=d_profit * in_window, minlength=n),
    }
    out["first_day"][d_owner[first_of_customer]] = d_day[first_of_customer]
    out["last_day"][d_owner[last_of_customer]] = d_day[last_of_customer]
    out["first_day_net"][d_owner[first_of_customer]] = d_net[first_of_customer]
    gap_owner = d_owner[~first_of_customer]
    gaps = np.diff(d_day)[~first_of_customer[1:]].astype(np.float64)
    out["gap_sumsq"] = np.bincount(gap_owner, weights=gaps * gaps, minlength=n)
    out["median_gap"] = _median_by_group(gap_owner, gaps, n)
    return out


def _median_by_group(group: IntArray, values: FloatArray, n: int) -> FloatArray:
    """Median of `values` per group 0…n-1 (NaN for empty groups)."""
    out = np.full(n, np.nan)
    if len(values) == 0:
        return out
    order = np.lexsort((values, group))
    group, values = group[order], values[order]
    counts = np.bincount(group, minlength=n)
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    has = counts > 0
    low = starts[has] + (counts[has] - 1) // 2
    high = starts[has] + counts[has] // 2
    out[has] = (values[low] + values[high]) / 2.0
    return out
