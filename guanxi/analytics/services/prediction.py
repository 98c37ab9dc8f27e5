"""Predictions per customer: P(alive), expected purchases, spend per purchase, lifetime value, next purchase, churn.

**Model** (``method = "bgnbd"``): BG/NBD and Gamma-Gamma (``guanxi.analytics.clv``) fitted on every
purchaser's (x, t_x, T) in days as of D — x repeat purchase days, t_x first to last purchase day,
T first purchase day to D — and, for spend, the mean net spend of the repeat purchase days.
Identical (x, t_x, T) rows are fitted and predicted once, with their count as the weight.
Lifetime value = expected spend per purchase × Σ over the horizon's months of the month's expected
purchases discounted at the monthly rate (30-day months, as ``clv.customer_lifetime_value``);
potential value = the same without discounting. The next purchase date is D + the model's median
wait to the next purchase *if the customer is still alive* (``clv.median_time_to_next_purchase``);
read it with P(alive). When Gamma-Gamma cannot be fitted the customer's own mean spend per purchase
is used (``summary["spend_model"] == "own mean"``).

**Rules** (``method = "rules"``; when BG/NBD does not converge, e.g. too few repeat buyers): with I
the customer's median gap between purchase days (or, for one-time buyers, the median of everyone's;
or ``DEFAULT_INTERVAL_DAYS`` when nobody has bought twice), P(alive) = 2^(−days since the last
purchase / (2·I)) (a half-life of two usual intervals), expected purchases in t days = P(alive) ×
t × (x + 1) / (T + I) (the historical rate), spend per purchase = own mean, next purchase = the last
purchase + I (today when that has passed).

**Churn**: no purchase → "none"; more than ``churned_after_days`` since the last purchase →
"churned"; P(alive) below ``at_risk_p_alive`` or a gap since the last purchase longer than
``at_risk_interval_factor`` × I → "at risk"; otherwise "active".

Every output is finite: NaN marks "no value" (stored as NULL) and is only used for customers
without a purchase (and next-purchase waits beyond ``MAX_WAIT_DAYS``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from guanxi.analytics import clv
from guanxi.analytics.models import AnalyticsPolicy, ChurnState, PredictionMethod

from .history import FloatArray, History, IntArray
from .scoring import buyers, recency_days

DEFAULT_INTERVAL_DAYS = 90.0
MAX_WAIT_DAYS = 3650.0  # a predicted wait beyond ten years is no prediction
MAX_MONEY = 1e12  # the stored money fields hold up to 10^14; keep well inside
DAYS_PER_MONTH = 30.0


@dataclass
class Prediction:
    method: str
    p_alive: FloatArray
    expected: dict[int, FloatArray]  # horizon in days -> expected purchases
    order_value: FloatArray
    clv: FloatArray
    potential: FloatArray
    interval: FloatArray  # the customer's own median gap (NaN: fewer than two purchase days)
    next_wait: FloatArray  # days after D
    churn: Any = None  # object array of ChurnState codes
    summary: dict[str, Any] = field(default_factory=dict)


def _inputs(hist: History) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    x = np.maximum(hist.n_days - 1, 0).astype(np.float64)
    age = np.maximum(hist.as_of_day - hist.first_day, 0).astype(np.float64)
    t_x = np.clip(hist.last_day - hist.first_day, 0, age).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(x > 0, (hist.lifetime_net - hist.first_day_net) / np.maximum(x, 1.0), 0.0)
    return x, t_x, age, np.maximum(np.nan_to_num(m), 0.0)


def _own_mean_spend(hist: History) -> FloatArray:
    return np.maximum(hist.lifetime_net, 0.0) / np.maximum(hist.n_days, 1)


def predict(hist: History, policy: AnalyticsPolicy) -> Prediction:
    mask = buyers(hist)
    x, t_x, age, m = (a[mask] for a in _inputs(hist))
    horizon_months = int(policy.clv_horizon_months)
    rate = float(policy.monthly_discount_rate)
    fit = _fit(x, t_x, age, m)
    n = len(hist)
    full = lambda: np.full(n, np.nan)  # noqa: E731
    pred = Prediction(method=PredictionMethod.NONE, p_alive=full(), expected={t: full() for t in (30, 90, 365)},
                      order_value=full(), clv=full(), potential=full(), interval=hist.median_gap.copy(),
                      next_wait=full(), summary=fit["summary"])
    if mask.any():
        if fit["bgnbd"] is not None:
            pred.method = PredictionMethod.MODEL
            values = _model(fit, x, t_x, age, m, _own_mean_spend(hist)[mask], horizon_months, rate)
        else:
            pred.method = PredictionMethod.RULES
            values = _rules(hist, mask, x, age, horizon_months, rate)
        for name, vals in values.items():
            if name.startswith("e"):
                pred.expected[int(name[1:])][mask] = vals
            else:
                getattr(pred, name)[mask] = vals
    pred.summary["method"] = str(pred.method)
    pred.churn = churn_states(hist, pred, policy)
    _check_finite(pred, mask)
    return pred


def _fit(x: FloatArray, t_x: FloatArray, age: FloatArray, m: FloatArray) -> dict[str, Any]:
    summary: dict[str, Any] = {"customers_fitted": len(x)}
    keys, inverse, counts = _distinct(x, t_x, age)
    try:
        bg = clv.fit_bgnbd(x[keys], t_x[keys], age[keys], counts)
    except ValueError as exc:  # malformed input never reaches here, but never crash the job on it
        summary["bgnbd"] = {"converged": False, "message": str(exc)}
        return {"bgnbd": None, "gamma_gamma": None, "summary": summary}
    summary["bgnbd"] = {"converged": bg.converged, "message": bg.message, "params": vars(bg.params),
                        "se": bg.se if bg.converged else None,
                        "log_likelihood": bg.log_likelihood if math.isfinite(bg.log_likelihood) else None,
                        "repeat_customers": bg.n_repeat_customers}
    gg = clv.fit_gamma_gamma(x, m)
    summary["gamma_gamma"] = {"converged": gg.converged, "message": gg.message, "params": vars(gg.params),
                              "customers": gg.n_customers, "correlation": gg.frequency_spend_correlation}
    summary["spend_model"] = "gamma_gamma" if gg.converged else "own mean"
    return {"bgnbd": bg if bg.converged else None, "gamma_gamma": gg if gg.converged else None,
            "summary": summary, "distinct": (keys, inverse)}


def _distinct(x: FloatArray, t_x: FloatArray, age: FloatArray) -> tuple[IntArray, IntArray, FloatArray]:
    """First index of each distinct (x, t_x, T), each row's distinct index, and the counts."""
    key = (np.minimum(x, 2**20 - 1).astype(np.int64) << 42) | (t_x.astype(np.int64) << 21) | age.astype(np.int64)
    _, first, inverse, counts = np.unique(key, return_index=True, return_inverse=True, return_counts=True)
    return first, inverse, counts.astype(np.float64)


def _model(fit: dict[str, Any], x: FloatArray, t_x: FloatArray, age: FloatArray, m: FloatArray,
           own_mean: FloatArray, months: int, rate: float) -> dict[str, FloatArray]:
    params = fit["bgnbd"].params
    keys, inverse = fit["distinct"]
    ux, ut, ua = x[keys], t_x[keys], age[keys]
    out = {"p_alive": clv.probability_alive(params, ux, ut, ua)[inverse]}
    for t in (30, 90, 365):
        out[f"e{t}"] = clv.expected_purchases(params, float(t), ux, ut, ua)[inverse]
    discounted, previous = np.zeros(len(ux)), np.zeros(len(ux))
    for month in range(1, months + 1):
        cumulative = clv.expected_purchases(params, month * DAYS_PER_MONTH, ux, ut, ua)
        discounted += (cumulative - previous) / (1.0 + rate) ** month
        previous = cumulative
    gg = fit["gamma_gamma"]
    spend = clv.expected_average_spend(gg.params, x, m) if gg is not None else own_mean
    out["order_value"] = spend
    out["clv"] = spend * discounted[inverse]
    out["potential"] = spend * previous[inverse]
    out["next_wait"] = clv.median_time_to_next_purchase(params, ux, ut, ua)[inverse]
    return out


def typical_interval(hist: History) -> FloatArray:
    """The customer's own median gap, else everyone's median, else DEFAULT_INTERVAL_DAYS."""
    own = hist.median_gap
    known = own[np.isfinite(own)]
    population = float(np.median(known)) if len(known) else DEFAULT_INTERVAL_DAYS
    return np.where(np.isfinite(own), np.maximum(own, 1.0), max(population, 1.0))


def _rules(hist: History, mask: Any, x: FloatArray, age: FloatArray, months: int,
           rate: float) -> dict[str, FloatArray]:
    interval = typical_interval(hist)[mask]
    gap = recency_days(hist)[mask].astype(np.float64)
    p_alive = np.exp2(-gap / (2.0 * interval))
    per_day = (x + 1.0) / np.maximum(age + interval, 1.0)
    out = {"p_alive": p_alive}
    for t in (30, 90, 365):
        out[f"e{t}"] = p_alive * per_day * t
    spend = _own_mean_spend(hist)[mask]
    months_ = np.arange(1, months + 1)
    discount = float(np.sum(1.0 / (1.0 + rate) ** months_))
    out["order_value"] = spend
    out["clv"] = spend * p_alive * per_day * DAYS_PER_MONTH * discount
    out["potential"] = spend * p_alive * per_day * DAYS_PER_MONTH * months
    out["next_wait"] = np.maximum(hist.last_day[mask] + interval - hist.as_of_day, 0.0)
    return out


def churn_states(hist: History, pred: Prediction, policy: AnalyticsPolicy) -> Any:
    gap = recency_days(hist)
    p_alive = np.nan_to_num(pred.p_alive, nan=1.0)
    too_long = gap > float(policy.at_risk_interval_factor) * typical_interval(hist)
    states = np.select(
        [~buyers(hist), gap > policy.churned_after_days, (p_alive < float(policy.at_risk_p_alive)) | too_long],
        [ChurnState.NO_PURCHASE, ChurnState.CHURNED, ChurnState.AT_RISK], ChurnState.ACTIVE)
    return states.astype(object)


def _check_finite(pred: Prediction, mask: Any) -> None:
    """Clip into range and make sure no NaN/inf is left where a value is expected."""
    pred.p_alive = np.clip(pred.p_alive, 0.0, 1.0)
    for t, values in pred.expected.items():
        pred.expected[t] = np.clip(values, 0.0, 1e6)
    for name in ("order_value", "clv", "potential"):
        setattr(pred, name, np.clip(getattr(pred, name), 0.0, MAX_MONEY))
    pred.next_wait = np.where(pred.next_wait <= MAX_WAIT_DAYS, np.maximum(pred.next_wait, 0.0), np.nan)
    for name in ("p_alive", "order_value", "clv", "potential"):
        values = getattr(pred, name)[mask]
        if not np.all(np.isfinite(values)):  # the models promise finite output; repair rather than crash
            bad = ~np.isfinite(getattr(pred, name)) & mask
            getattr(pred, name)[bad] = 0.0
            pred.summary.setdefault("repaired", []).append(name)
    for t in pred.expected:
        bad = ~np.isfinite(pred.expected[t]) & mask
        pred.expected[t][bad] = 0.0
