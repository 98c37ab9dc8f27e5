"""Reads of the back-tests (the reports right), and what the pages show of a result: the verdict in plain words,
the group tables and the ECharts options."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from guanxi.analytics.models import BacktestRun, MetricsRun, Quadrant, RfmSegment
from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.governance import permissions

GROUPINGS = [
    ("repeat", gettext_lazy("By repeat purchases in the calibration period")),
    ("segment", gettext_lazy("By RFM segment at the calibration end")),
    ("quadrant", gettext_lazy("By value × loyalty quadrant at the calibration end")),
]


def _require_reports(user: Any) -> None:
    if not permissions.can(user, permissions.VIEW_REPORTS):
        raise PermissionDeniedError()


def backtest_list(*, user: Any) -> QuerySet[BacktestRun]:
    _require_reports(user)
    return BacktestRun.objects.select_related("created_by").order_by("-id")


def backtest_get(*, user: Any, pk: int) -> BacktestRun:
    _require_reports(user)
    run = BacktestRun.objects.select_related("created_by").filter(pk=pk).first()
    if run is None:
        raise NotFoundError()
    return run


def is_busy(run: BacktestRun) -> bool:
    return run.status in (MetricsRun.Status.QUEUED, MetricsRun.Status.RUNNING)


def error_text(run: BacktestRun) -> str:
    code = (run.result or {}).get("error")
    if code == "stale":
        return _("Stopped: it did not finish within an hour.")
    if code:
        return _("The back-test stopped because of an unexpected error (details in the server log).")
    return ""


def _pct(value: float) -> int:
    return round(abs(value))


def verdict(run: BacktestRun) -> str:
    """E.g. "On your data the model's 90-day predictions were off by 12% in total; better than the simple rule
    (31%)." — empty until the back-test is done."""
    result = run.result or {}
    if run.status != MetricsRun.Status.DONE or "purchases" not in result:
        return ""
    days = result["holdout_days"]
    purchases = result["purchases"]
    model, rule = purchases.get("model"), purchases["rule"]
    if not result["customers"]:
        return _("Nobody had bought by the end of the calibration period, so there was nothing to predict.")
    rule_pct = rule.get("total_error_pct")
    if model is None:
        text = _("The model could not be fitted on the data up to the calibration end, so only the simple rule "
                 "is shown.")
        if rule_pct is not None:
            text += " " + (_("Its %(days)d-day predictions were off by %(rule)d%% in total.")
                           % {"days": days, "rule": _pct(rule_pct)})
        return text
    model_pct = model.get("total_error_pct")
    if model_pct is None or rule_pct is None:
        text = _("Nobody bought during the holdout period, so the error in total cannot be measured.")
    else:
        values = {"days": days, "model": _pct(model_pct), "rule": _pct(rule_pct)}
        if _pct(model_pct) < _pct(rule_pct):
            text = _("On your data the model's %(days)d-day predictions were off by %(model)d%% in total; better "
                     "than the simple rule (%(rule)d%%).") % values
        elif _pct(model_pct) > _pct(rule_pct):
            text = _("On your data the model's %(days)d-day predictions were off by %(model)d%% in total; worse "
                     "than the simple rule (%(rule)d%%).") % values
        else:
            text = _("On your data the model's %(days)d-day predictions were off by %(model)d%% in total, as much "
                     "as the simple rule.") % values
    text += " " + (_("Per customer it was off by %(model).2f purchases on average (the simple rule: %(rule).2f).")
                   % {"model": model["mae"], "rule": rule["mae"]})
    return text


def group_label(grouping: str, key: str) -> str:
    if grouping == "segment":
        return str(RfmSegment(key).label) if key in RfmSegment.values else key
    if grouping == "quadrant":
        return str(Quadrant(key).label) if key in Quadrant.values else key
    return key


def group_tables(run: BacktestRun) -> list[dict[str, Any]]:
    """Per grouping: title, rows (with labels) and the chart's options, for the result page."""
    groups = (run.result or {}).get("groups") or {}
    out = []
    for key, title in GROUPINGS:
        rows = [{**row, "label": group_label(key, row["key"])} for row in groups.get(key, [])]
        if rows:
            out.append({"key": key, "title": str(title), "rows": rows, "chart": chart_options(rows),
                        "chart_id": f"backtest-chart-{key}"})
    return out


def chart_options(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """ECharts bar chart: mean purchases per customer in each group — actual, model, simple rule."""
    def series(name: str, field: str) -> dict[str, Any]:
        return {"name": name, "type": "bar",
                "data": [None if r[field] is None else round(r[field], 3) for r in rows]}

    model = [series(_("Model"), "model")] if any(r["model"] is not None for r in rows) else []
    return {
        "tooltip": {"trigger": "axis"}, "legend": {"top": 0},
        "grid": {"left": 10, "right": 10, "bottom": 10, "top": 40, "containLabel": True},
        "xAxis": {"type": "category", "data": [r["label"] for r in rows], "axisLabel": {"interval": 0, "rotate": 30}},
        "yAxis": {"type": "value", "name": _("purchases per customer"), "nameTextStyle": {"align": "left"}},
        "series": [series(_("Actual"), "actual"), *model, series(_("Simple rule"), "rule")],
    }
