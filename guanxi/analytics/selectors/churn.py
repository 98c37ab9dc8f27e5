"""The churn report (issue 5 §5, 原因、方向、结构): churned and at-risk customers by reason, tier, region, product,
owner and quarter of churn, with the value lost.

Who counts (customers the user may see, in the chosen department):
- churned: the last analysis run found them churned (no purchase for the policy's "churned after" days), or
  staff set their lifecycle to churned; only those whose churn date falls in the period;
- at risk: the last run flagged them at risk (and staff have not marked them churned) — always, as of that run;
- churn date: last purchase + the "churned after" days; when that is not yet past (marked by hand), the day the
  customer record was last changed;
- value: the net spend of the year up to their last purchase (what a year of them was worth when they stopped)
  and their lifetime value (CLV) from the last run;
- product: the category they spent most on (order lines, all time); region: the province.
Reasons: see churn_reasons.py.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict, dataclass, field
from datetime import timedelta
from typing import Any

from django.db.models import OuterRef, Q, Subquery, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.analytics.models import AnalyticsPolicy, ChurnState, Tier
from guanxi.customers.models import Customer, Order, OrderLine

from ..filters_reports import ReportPeriod, ValueReportFilter
from . import churn_reasons as why
from .reports import NET, money, owner_names, quarter_label, scope_customers

LIST_ROWS = 50
DIMENSIONS = ("reason", "tier", "region", "product", "owner", "quarter")


@dataclass
class Group:
    key: str
    label: str
    source: str = ""
    churned: int = 0
    at_risk: int = 0
    year_spend: float = 0.0
    clv: float = 0.0


@dataclass
class ChurnReport:
    period: ReportPeriod
    filters: dict[str, Any]
    churned_after_days: int
    churned: int = 0
    at_risk: int = 0
    year_spend_lost: float = 0.0
    year_spend_at_risk: float = 0.0
    clv_at_risk: float = 0.0
    by: dict[str, list[Group]] = field(default_factory=dict)
    customers: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["period"] = {"start": self.period.start, "end": self.period.end}
        return data


def _last_order() -> Subquery:
    """The last purchase up to now (a future-dated order is not a purchase yet)."""
    return Subquery(Order.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True,
                                         ordered_at__lte=timezone.now())
                    .exclude(status=Order.Status.CANCELLED).order_by("-ordered_at").values("ordered_at")[:1])


def _year_spend() -> Subquery:
    orders = (Order.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True,
                                   ordered_at__gt=OuterRef("last_at") - timedelta(days=365),
                                   ordered_at__lte=OuterRef("last_at"))
              .exclude(status=Order.Status.CANCELLED).order_by().values("customer").annotate(s=Sum(NET)).values("s"))
    return Subquery(orders[:1])


def _categories(candidates: Any) -> dict[int, str]:
    """Each customer's most bought product category (by line amount; ties: alphabetical)."""
    spent: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    rows = (OrderLine.objects.filter(order__customer__in=candidates, order__deleted_at__isnull=True)
            .exclude(order__status=Order.Status.CANCELLED).order_by()
            .values("order__customer_id", "product__category").annotate(amount=Sum("amount"))
            .values_list("order__customer_id", "product__category", "amount"))
    for customer_id, category, amount in rows:
        spent[customer_id][(category or "").strip()] += float(amount or 0)
    return {cid: min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0] for cid, c in spent.items() if c}


def _candidates(user: Any, filters: ValueReportFilter) -> Any:
    churned = Q(metrics__churn_state=ChurnState.CHURNED) | Q(lifecycle=Customer.Lifecycle.CHURNED)
    return scope_customers(user=user, filters=filters).filter(churned | Q(metrics__churn_state=ChurnState.AT_RISK))


def churn_report(*, user: Any, filters: ValueReportFilter) -> ChurnReport:
    """The churn report for a valid filter. PermissionDeniedError without the view-reports right."""
    period: ReportPeriod = filters.cleaned_data["range"]
    threshold = AnalyticsPolicy.current().churned_after_days
    today = timezone.localdate()
    report = ChurnReport(period=period, filters=filters.params(), churned_after_days=threshold)
    candidates = _candidates(user, filters)
    rows = list(candidates.annotate(last_at=_last_order()).annotate(year=_year_spend()).values(
        "pk", "name", "province", "owner_id", "lifecycle", "churn_reason", "updated_at", "metrics__churn_state",
        "metrics__clv", "tier_status__tier_id", "last_at", "year"))
    chosen: list[dict[str, Any]] = []
    for row in rows:
        last = timezone.localdate(row["last_at"]) if row["last_at"] else None
        churned = row["lifecycle"] == Customer.Lifecycle.CHURNED or row["metrics__churn_state"] == ChurnState.CHURNED
        row["state"] = ChurnState.CHURNED if churned else ChurnState.AT_RISK
        if churned:
            due = last + timedelta(days=threshold) if last else None
            row["churn_date"] = due if due and due <= today else timezone.localdate(row["updated_at"])
            if not period.contains(row["churn_date"]):
                continue
            row["window"] = ((last or row["churn_date"]) - timedelta(days=365), row["churn_date"])
        else:
            row["churn_date"] = None
            row["window"] = ((last or today) - timedelta(days=365), today)
        row["last"], row["year_spend"], row["clv"] = last, money(row["year"]), money(row["metrics__clv"])
        chosen.append(row)
    ids = {r["pk"] for r in chosen}
    reasons = why.gather_reasons(candidates, {r["pk"]: r["window"] for r in chosen},
                                 {r["pk"]: r["churn_reason"] for r in chosen if r["churn_reason"]})
    categories = _categories(candidates) if ids else {}
    tiers = dict(Tier.objects.values_list("pk", "name"))
    owners = owner_names({r["owner_id"] for r in chosen if r["owner_id"]})
    groups: dict[str, dict[str, Group]] = {d: {} for d in DIMENSIONS}

    def add(dim: str, key: str, label: str, row: dict[str, Any], source: str = "") -> None:
        g = groups[dim].setdefault(key, Group(key=key, label=label, source=source))
        if row["state"] == ChurnState.CHURNED:
            g.churned += 1
        else:
            g.at_risk += 1
        g.year_spend = round(g.year_spend + row["year_spend"], 2)
        g.clv = round(g.clv + row["clv"], 2)

    for row in chosen:
        pk = row["pk"]
        for key, (source, label) in reasons[pk].items():
            add("reason", key, label, row, source)
        tier_id = row["tier_status__tier_id"]
        add("tier", str(tier_id or ""), tiers.get(tier_id, _("No tier")), row)
        add("region", row["province"] or "", row["province"] or _("Unknown region"), row)
        category = categories.get(pk)
        if category is None:
            add("product", "-", _("No product data"), row)
        else:
            add("product", "=" + category, category or _("Uncategorised"), row)
        add("owner", str(row["owner_id"] or ""), owners.get(row["owner_id"], _("Public pool")), row)
        if row["churn_date"] is not None:
            q = quarter_label(row["churn_date"])
            add("quarter", q, q, row)
        else:
            add("quarter", "at_risk", _("At risk now"), row)
        if row["state"] == ChurnState.CHURNED:
            report.churned += 1
            report.year_spend_lost += row["year_spend"]
        else:
            report.at_risk += 1
            report.year_spend_at_risk += row["year_spend"]
            report.clv_at_risk += row["clv"]
    for dim, found in groups.items():
        if dim == "quarter":
            ordered = sorted(found.values(), key=lambda g: (g.key == "at_risk", g.key))
        else:
            ordered = sorted(found.values(), key=lambda g: (-(g.churned + g.at_risk), -g.year_spend, g.label))
        report.by[dim] = ordered
    report.year_spend_lost, report.year_spend_at_risk = round(report.year_spend_lost, 2), round(
        report.year_spend_at_risk, 2)
    report.clv_at_risk = round(report.clv_at_risk, 2)
    chosen.sort(key=lambda r: (-r["year_spend"], -r["clv"], r["pk"]))
    for row in chosen[:LIST_ROWS]:
        report.customers.append({
            "id": row["pk"], "name": row["name"], "state": str(row["state"]),
            "owner": owners.get(row["owner_id"], ""), "last_purchase": row["last"], "churn_date": row["churn_date"],
            "year_spend": row["year_spend"], "clv": row["clv"],
            "reasons": why.reason_summary(reasons[row["pk"]])})
    return report
