"""The dashboard's monthly trends over the period: revenue and repeat purchases, churn and win-back, tier moves.

Definitions (months are local calendar months; the customers and orders of selectors/reports.py):
- revenue: net spend of the month's orders; buyers: customers with an order in the month; repeat-purchase
  rate: the share of the month's buyers who had bought before that month (returning buyers);
- churned in a month: a customer whose purchases stopped for longer than the policy's "churned after" days,
  counted in the month the gap crossed that threshold (last purchase + the days) — both gaps that ended with a
  new purchase and the current silence since the last purchase; churn states from the analysis run are a
  snapshot and cannot be traced back, so the trend is read from the order history;
- won back in a month: a purchase after such a gap (customers marked "won back" by staff are counted in the
  lifecycle chart, which has no dates);
- tier moves: the re-tier runs' changes (up, down, kept by protection, first tier) by the month of the run.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Count, DateField, F, Max, OuterRef, Q, Subquery, Sum, Window
from django.db.models.functions import Lag, TruncMonth
from django.utils import timezone

from guanxi.analytics.models import TierChange
from guanxi.customers.models import Order

from ..filters_reports import ReportPeriod, ValueReportFilter, month_start
from .reports import NET, money, scope_customers, scope_orders, share


def _aware(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


def _first_month() -> Subquery:
    first = (Order.objects.filter(customer=OuterRef("customer_id"), deleted_at__isnull=True)
             .exclude(status=Order.Status.CANCELLED).order_by("ordered_at")
             .annotate(m=TruncMonth("ordered_at", output_field=DateField())).values("m")[:1])
    return Subquery(first, output_field=DateField())


def revenue_by_month(*, user: Any, filters: ValueReportFilter, period: ReportPeriod) -> list[dict[str, Any]]:
    rows = (scope_orders(user=user, filters=filters, period=period).order_by()
            .annotate(month=TruncMonth("ordered_at", output_field=DateField()), first_month=_first_month())
            .values("month").annotate(revenue=Sum(NET), buyers=Count("customer", distinct=True),
                                      returning=Count("customer", distinct=True,
                                                      filter=Q(first_month__lt=F("month"))))
            .values_list("month", "revenue", "buyers", "returning"))
    found = {m: (rev, b, r) for m, rev, b, r in rows}
    out = []
    for m in period.months():
        rev, buyers, returning = found.get(m, (0, 0, 0))
        out.append({"month": m, "revenue": money(rev), "buyers": buyers, "returning": returning,
                    "repeat_rate": share(returning, buyers)})
    return out


def churn_by_month(*, user: Any, filters: ValueReportFilter, period: ReportPeriod,
                   threshold: int) -> list[dict[str, Any]]:
    today = timezone.localdate()
    last_day = min(period.end, today)
    gap = timedelta(days=threshold)
    bound = _aware(period.start - gap)
    low, high = period.bounds()
    orders = scope_orders(user=user, filters=filters).filter(ordered_at__lt=min(high, _aware(today + timedelta(1))))
    churned: dict[date, int] = defaultdict(int)
    won: dict[date, int] = defaultdict(int)
    # Consecutive purchases (both after `bound`) more than the threshold apart: a churn and a win-back.
    lagged = orders.filter(ordered_at__gte=bound).annotate(
        prev=Window(Lag("ordered_at"), partition_by=[F("customer_id")],
                    order_by=[F("ordered_at").asc(), F("id").asc()]))
    gaps = lagged.filter(prev__isnull=False, ordered_at__gt=F("prev") + gap).values_list("prev", "ordered_at")
    for prev, at in gaps.iterator():
        crossed = timezone.localdate(prev) + gap
        if period.start <= crossed <= last_day:
            churned[month_start(crossed)] += 1
        if at >= low:
            won[month_start(timezone.localdate(at))] += 1
    # The first purchase after `bound` of a customer who bought before it: the gap exceeds the threshold.
    earlier = orders.filter(ordered_at__lt=bound).values("customer_id")
    for at in lagged.filter(customer_id__in=earlier, prev__isnull=True).values_list("ordered_at", flat=True):
        if at >= low:
            won[month_start(timezone.localdate(at))] += 1
    # The current silence: the last purchase + the threshold falls in the period.
    silent = (orders.order_by().values("customer_id").annotate(last=Max("ordered_at"))
              .filter(last__gte=bound, last__lt=_aware(last_day - gap + timedelta(days=1)))
              .values_list("last", flat=True))
    for last in silent:
        crossed = timezone.localdate(last) + gap
        if period.start <= crossed <= last_day:
            churned[month_start(crossed)] += 1
    return [{"month": m, "churned": churned.get(m, 0), "won_back": won.get(m, 0)} for m in period.months()]


def tier_moves_by_month(*, user: Any, filters: ValueReportFilter, period: ReportPeriod) -> list[dict[str, Any]]:
    rows = (TierChange.objects.filter(customer__in=scope_customers(user=user, filters=filters).values("pk"),
                                      as_of__gte=period.start, as_of__lte=period.end).order_by()
            .annotate(month=TruncMonth("as_of")).values("month", "direction").annotate(n=Count("pk"))
            .values_list("month", "direction", "n"))
    found: dict[date, dict[str, int]] = defaultdict(dict)
    for month, direction, n in rows:
        found[month][direction] = n
    return [{"month": m, **{d: found.get(m, {}).get(d, 0) for d in TierChange.Direction.values}}
            for m in period.months()]
