"""ECharts options of the customer-value pages, by the id of the element each chart is drawn in (plain JSON: the
page hands them over with json_script; web/report_charts.js draws them and follows the container width)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from ..selectors.churn import ChurnReport, Group
from ..selectors.dashboard import Dashboard
from ..selectors.pareto import ParetoReport

GRID = {"left": 8, "right": 8, "top": 36, "bottom": 8, "containLabel": True}
PERCENT = {"type": "value", "min": 0, "max": 100, "axisLabel": {"formatter": "{value}%"}}
RANKED = 12  # bars shown in a ranking chart; the table below it has them all


def _months(rows: list[dict[str, Any]]) -> list[str]:
    return [r["month"].strftime("%Y-%m") for r in rows]


def _bars(categories: list[str], series: list[dict[str, Any]], y_axis: Any = None, **extra: Any) -> dict[str, Any]:
    return {"tooltip": {"trigger": "axis"}, "legend": {"top": 0}, "grid": GRID,
            "xAxis": {"type": "category", "data": categories}, "yAxis": y_axis or {"type": "value", "minInterval": 1},
            "series": series, **extra}


def _ranking(groups: list[Group]) -> dict[str, Any]:
    """Horizontal stacked bars (churned, at risk), the biggest group on top."""
    top = groups[:RANKED]
    return {"tooltip": {"trigger": "axis", "axisPointer": {"type": "shadow"}}, "legend": {"top": 0}, "grid": GRID,
            "xAxis": {"type": "value", "minInterval": 1},
            "yAxis": {"type": "category", "inverse": True, "data": [g.label for g in top],
                      "axisLabel": {"width": 120, "overflow": "truncate"}},
            "series": [{"name": _("Churned"), "type": "bar", "stack": "n", "data": [g.churned for g in top]},
                       {"name": _("At risk"), "type": "bar", "stack": "n", "data": [g.at_risk for g in top]}]}


def dashboard_charts(d: Dashboard) -> dict[str, Any]:
    scored = [q for q in d.quadrants if q["key"]]
    f = d.forecast
    moves = [("up", _("Up")), ("down", _("Down")), ("kept", _("Kept by protection")), ("first", _("First tier"))]
    return {
        "chart-lifecycle": {
            "tooltip": {"trigger": "item"}, "legend": {"bottom": 0},
            "series": [{"name": _("Customers"), "type": "pie", "radius": ["40%", "68%"], "center": ["50%", "45%"],
                        "data": [{"name": r["label"], "value": r["count"]} for r in d.lifecycle]}]},
        "chart-quadrants": _bars(
            [q["label"] for q in scored],
            [{"name": _("Customers"), "type": "bar", "data": [q["count"] for q in scored]},
             {"name": _("Share of spend (%)"), "type": "line", "yAxisIndex": 1,
              "data": [q["revenue_share"] for q in scored]}],
            [{"type": "value", "minInterval": 1}, PERCENT],
            xAxis={"type": "category", "data": [q["label"] for q in scored],
                   "axisLabel": {"interval": 0, "width": 90, "overflow": "break"}}),
        "chart-tiers": _bars([t["label"] for t in d.tiers],
                             [{"name": _("Customers"), "type": "bar", "data": [t["count"] for t in d.tiers]}]),
        "chart-tier-moves": _bars(_months(d.tier_moves), [
            {"name": label, "type": "bar", "stack": "moves", "data": [r[key] for r in d.tier_moves]}
            for key, label in moves]),
        "chart-revenue": _bars(
            _months(d.revenue),
            [{"name": _("Net revenue"), "type": "bar", "data": [r["revenue"] for r in d.revenue]},
             {"name": _("Repeat-purchase rate (%)"), "type": "line", "yAxisIndex": 1, "connectNulls": True,
              "data": [r["repeat_rate"] for r in d.revenue]}],
            [{"type": "value"}, PERCENT]),
        "chart-churn": _bars(_months(d.churn), [
            {"name": _("Churned"), "type": "bar", "data": [r["churned"] for r in d.churn]},
            {"name": _("Won back"), "type": "bar", "data": [r["won_back"] for r in d.churn]}]),
        "chart-forecast": _bars(
            [r["label"] for r in f["by_quadrant"]],
            [{"name": _("Expected purchases, 90 days"), "type": "bar", "data": [r["purchases"] for r in f["by_quadrant"]]},
             {"name": _("Expected spend, 90 days"), "type": "bar", "yAxisIndex": 1,
              "data": [r["spend"] for r in f["by_quadrant"]]}],
            [{"type": "value"}, {"type": "value"}],
            xAxis={"type": "category", "data": [r["label"] for r in f["by_quadrant"]],
                   "axisLabel": {"interval": 0, "width": 90, "overflow": "break"}}),
        "chart-next": _bars(_months(f["by_month"]), [
            {"name": _("Customers expected to buy"), "type": "bar", "data": [r["customers"] for r in f["by_month"]]}]),
    }


def pareto_charts(r: ParetoReport) -> dict[str, Any]:
    return {
        "chart-pareto": {
            "tooltip": {"trigger": "axis"}, "legend": {"top": 0}, "grid": GRID,
            "xAxis": {**PERCENT, "name": _("customers")}, "yAxis": {**PERCENT, "name": _("revenue")},
            "series": [
                {"name": _("Cumulative share of revenue"), "type": "line", "showSymbol": False, "areaStyle": {},
                 "data": [[p["customers"], p["revenue"]] for p in r.curve],
                 "markLine": {"symbol": "none", "lineStyle": {"type": "dashed"},
                              "data": [{"xAxis": 20, "name": _("top 20%")}]}},
                {"name": _("Every customer alike"), "type": "line", "showSymbol": False,
                 "lineStyle": {"type": "dotted"}, "data": [[0, 0], [100, 100]]}]},
        "chart-pareto-time": _bars(
            [p["label"] for p in r.over_time],
            [{"name": _("Revenue share of the top 20% (%)"), "type": "line", "connectNulls": True,
              "data": [p["revenue_share"] for p in r.over_time]},
             {"name": _("Profit share of the top 20% (%)"), "type": "line", "connectNulls": True,
              "data": [p["profit_share"] for p in r.over_time]}],
            {"type": "value", "min": 0, "axisLabel": {"formatter": "{value}%"}}),
    }


def churn_charts(r: ChurnReport) -> dict[str, Any]:
    quarters = r.by["quarter"]
    return {
        "chart-reasons": _ranking(r.by["reason"]),
        "chart-quarter": _bars(
            [g.label for g in quarters],
            [{"name": _("Churned"), "type": "bar", "stack": "n", "data": [g.churned for g in quarters]},
             {"name": _("At risk"), "type": "bar", "stack": "n", "data": [g.at_risk for g in quarters]},
             {"name": _("Spend in the year before leaving"), "type": "line", "yAxisIndex": 1,
              "data": [g.year_spend for g in quarters]}],
            [{"type": "value", "minInterval": 1}, {"type": "value"}]),
        **{f"chart-{dim}": _ranking(r.by[dim]) for dim in ("tier", "region", "product", "owner")},
    }
