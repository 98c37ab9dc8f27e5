"""The tables of the customer-value reports as (sheet title, headers, rows): one per chart or table of the page,
for the Excel downloads (report_export.py)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from guanxi.analytics.models import ChurnState

from ..selectors.churn import ChurnReport, Group
from ..selectors.churn_reasons import source_labels
from ..selectors.dashboard import Dashboard
from ..selectors.pareto import ParetoReport

Table = tuple[str, list[str], list[list[Any]]]


def _month(d: Any) -> str:
    return d.strftime("%Y-%m")


def dashboard_tables(d: Dashboard) -> list[Table]:
    f = d.forecast
    return [
        (_("Lifecycle"), [_("Lifecycle status"), _("Customers")], [[r["label"], r["count"]] for r in d.lifecycle]),
        (_("Value × loyalty"), [_("Quadrant"), _("Customers"), _("Spend in the window"), _("Share of spend (%)")],
         [[r["label"], r["count"], r["spend"], r["revenue_share"]] for r in d.quadrants]),
        (_("Tiers"), [_("Tier"), _("Customers")], [[r["label"], r["count"]] for r in d.tiers]),
        (_("Tier moves"), [_("Month"), _("Up"), _("Down"), _("Kept by protection"), _("First tier")],
         [[_month(r["month"]), r["up"], r["down"], r["kept"], r["first"]] for r in d.tier_moves]),
        (_("Revenue"), [_("Month"), _("Net revenue"), _("Buyers"), _("Returning buyers"), _("Repeat-purchase rate (%)")],
         [[_month(r["month"]), r["revenue"], r["buyers"], r["returning"], r["repeat_rate"]] for r in d.revenue]),
        (_("Churn and win-back"), [_("Month"), _("Churned"), _("Won back")],
         [[_month(r["month"]), r["churned"], r["won_back"]] for r in d.churn]),
        (_("Top at-risk customers"),
         [_("Customer"), _("Owner"), _("Value × loyalty"), _("Spend in the window"), _("Lifetime value"),
          _("P(alive)"), _("Days since last purchase")],
         [[r["name"], r["owner"], r["quadrant_label"], r["spend"], r["clv"], r["p_alive"], r["recency_days"]]
          for r in d.at_risk]),
        (_("Forecast by quadrant"), [_("Quadrant"), _("Expected purchases, 90 days"), _("Expected spend, 90 days")],
         [[r["label"], r["purchases"], r["spend"]] for r in f["by_quadrant"]]
         + [[_("Total"), f["purchases"], f["spend"]]]),
        (_("Next purchases by month"), [_("Month"), _("Customers expected to buy"), _("Expected spend")],
         [[_month(r["month"]), r["customers"], r["spend"]] for r in f["by_month"]]),
    ]


def pareto_tables(r: ParetoReport) -> list[Table]:
    t = r.total
    return [
        (_("Top 20%"), [_("Figure"), _("Value")],
         [[_("Customers who bought"), t.customers], [_("Customers in the top 20%"), t.top_count],
          [_("Net revenue"), t.revenue], [_("Net revenue of the top 20%"), t.top_revenue],
          [_("Revenue share of the top 20% (%)"), t.revenue_share], [_("Gross profit"), t.profit],
          [_("Gross profit of the top 20%"), t.top_profit], [_("Profit share of the top 20% (%)"), t.profit_share]]),
        (_("Pareto curve"), [_("Share of customers (%)"), _("Cumulative share of revenue (%)")],
         [[p["customers"], p["revenue"]] for p in r.curve]),
        (_("Share over time"),
         [_("Period"), _("From"), _("To"), _("Customers who bought"), _("Net revenue"),
          _("Revenue share of the top 20% (%)"), _("Profit share of the top 20% (%)")],
         [[p["label"], p["start"], p["end"], p["customers"], p["revenue"], p["revenue_share"], p["profit_share"]]
          for p in r.over_time]),
        (_("Top customers"), [_("Customer"), _("Owner"), _("Net revenue"), _("Gross profit"),
                              _("Cumulative share of revenue (%)")],
         [[c["name"], c["owner"], c["revenue"], c["profit"], c["cumulative_share"]] for c in r.top]),
    ]


def _groups(title: str, first: str, groups: list[Group]) -> Table:
    return (title, [first, _("Churned"), _("At risk"), _("Spend in the year before leaving"), _("Lifetime value")],
            [[g.label, g.churned, g.at_risk, g.year_spend, g.clv] for g in groups])


def churn_tables(r: ChurnReport) -> list[Table]:
    states = dict(ChurnState.choices)
    sources = source_labels()
    return [
        (_("Summary"), [_("Figure"), _("Value")],
         [[_("Churned in the period"), r.churned], [_("At risk now"), r.at_risk],
          [_("Spend lost (the year before leaving)"), r.year_spend_lost],
          [_("Spend at risk (the last year)"), r.year_spend_at_risk], [_("Lifetime value at risk"), r.clv_at_risk]]),
        (_("By reason"), [_("Reason"), _("Source"), _("Churned"), _("At risk"), _("Spend in the year before leaving"),
                          _("Lifetime value")],
         [[g.label, sources.get(g.source, g.source), g.churned, g.at_risk, g.year_spend, g.clv]
          for g in r.by["reason"]]),
        _groups(_("By tier"), _("Tier"), r.by["tier"]),
        _groups(_("By region"), _("Province"), r.by["region"]),
        _groups(_("By product"), _("Most bought category"), r.by["product"]),
        _groups(_("By owner"), _("Owner"), r.by["owner"]),
        _groups(_("By quarter"), _("Quarter of churn"), r.by["quarter"]),
        (_("Customers"), [_("Customer"), _("State"), _("Owner"), _("Last purchase"), _("Churn date"),
                          _("Spend in the year before leaving"), _("Lifetime value"), _("Reasons")],
         [[c["name"], str(states.get(c["state"], c["state"])), c["owner"], c["last_purchase"], c["churn_date"],
           c["year_spend"], c["clv"], c["reasons"]] for c in r.customers]),
    ]
