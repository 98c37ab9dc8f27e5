"""Run-out dates from usage rates (the rice seller's notebook).

For each usage rate (customer, product, units per day) the last purchase day of that product before
the cut-off is found; the quantity bought that day (all its order lines, orders on one day add up)
lasts quantity / units per day days from that day. A customer's run-out date is the earliest over
their products. Cancelled, fully refunded and deleted orders do not count; a rate of 0 predicts
nothing. Only the customers that have usage rates are read, so this stays small.
"""

from __future__ import annotations

import math
from collections import defaultdict
from datetime import datetime
from decimal import Decimal

import numpy as np
from django.db.models import Exists, OuterRef
from django.utils import timezone

from guanxi.analytics.models import UsageRate
from guanxi.customers.models import Order, OrderLine

from .history import FloatArray, History, day_number

MAX_DAYS_OF_STOCK = 3650


def run_out_days(hist: History, cutoff: datetime) -> FloatArray:
    """Run-out day number per customer of `hist` (NaN: no usage rate or no purchase of the product)."""
    out = np.full(len(hist), np.nan)
    rates = {(c, p): Decimal(r) for c, p, r in
             UsageRate.objects.filter(units_per_day__gt=0).values_list("customer_id", "product_id", "units_per_day")}
    if not rates:
        return out
    has_rate = UsageRate.objects.filter(customer_id=OuterRef("order__customer_id"), product_id=OuterRef("product_id"),
                                        units_per_day__gt=0)
    lines = (OrderLine.objects.filter(Exists(has_rate), order__ordered_at__lt=cutoff, order__deleted_at__isnull=True)
             .exclude(order__status__in=[Order.Status.CANCELLED, Order.Status.REFUNDED])
             .values_list("order__customer_id", "product_id", "order__ordered_at", "quantity"))
    tz = timezone.get_current_timezone()
    bought: dict[tuple[int, int], dict[int, Decimal]] = defaultdict(lambda: defaultdict(Decimal))
    for customer_id, product_id, ordered_at, quantity in lines.iterator(chunk_size=5000):
        bought[(customer_id, product_id)][day_number(ordered_at.astimezone(tz).date())] += quantity or Decimal(0)
    earliest: dict[int, float] = {}
    for (customer_id, product_id), days in bought.items():
        last = max(days)
        stock_days = float(days[last] / rates[(customer_id, product_id)])
        if not math.isfinite(stock_days):
            continue
        run_out = last + math.floor(min(max(stock_days, 0.0), MAX_DAYS_OF_STOCK))
        earliest[customer_id] = min(earliest.get(customer_id, run_out), run_out)
    if earliest:
        ids = np.fromiter(earliest.keys(), dtype=np.int64, count=len(earliest))
        idx, ours = hist.positions(ids)
        out[idx[ours]] = np.fromiter(earliest.values(), dtype=np.float64, count=len(earliest))[ours]
    return out
