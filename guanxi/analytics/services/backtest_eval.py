"""The back-test's arithmetic: fit on the calibration history, predict the holdout, compare with what happened.

Input: two histories read by the metrics engine (``history.read_history``) — as of the calibration end C
and as of the holdout end H. Only customers who had bought by C are compared (those who first bought
later cannot be predicted from C; they are counted as ``new_buyers``).

* **Model**: BG/NBD and Gamma-Gamma fitted on the history as of C with the engine's inputs (x = repeat
  purchase days, t_x = first to last purchase day, T = first purchase day to C, m = mean net spend of
  the repeat days; ``calibration_inputs``), identical rows fitted once with their count as the weight.
  Predicted purchases = E[X(t) | x, t_x, T] with t = H − C days; predicted spend = that × the expected
  spend per purchase (Gamma-Gamma; the customer's own mean when it cannot be fitted).
* **Simple rule** (the baseline): each customer keeps their calibration rate of repeat purchases,
  x / T per day (0 when T = 0), × t; spend × their own mean spend per purchase.
* **Actual**: purchase days in (C, H] — the engine's count as of H minus its count as of C (a purchase is
  a day with an order, as everywhere in the metrics); spend = the change in net spend.

Errors: per customer MAE and RMSE of purchases; in total, (predicted − actual) / actual × 100 (signed;
the verdict uses its size). Groups: repeat purchases in calibration 0 … 6 and "7+" (the Fader-Hardie
conditional-expectation chart), RFM segment and value × loyalty quadrant as of C.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from guanxi.analytics import clv
from guanxi.analytics.models import AnalyticsPolicy, Quadrant, RfmSegment

from . import scoring
from .history import FloatArray, History

REPEAT_GROUPS = 7  # 0 … 6, then "7+"


def calibration_inputs(hist: History) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """x, t_x, T, m of every customer, defined exactly as the metrics job's prediction does."""
    x = np.maximum(hist.n_days - 1, 0).astype(np.float64)
    age = np.maximum(hist.as_of_day - hist.first_day, 0).astype(np.float64)
    t_x = np.clip(hist.last_day - hist.first_day, 0, age).astype(np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        m = np.where(x > 0, (hist.lifetime_net - hist.first_day_net) / np.maximum(x, 1.0), 0.0)
    return x, t_x, age, np.maximum(np.nan_to_num(m), 0.0)


def _finite(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None


def fit_models(x: FloatArray, t_x: FloatArray, age: FloatArray, m: FloatArray) -> dict[str, Any]:
    """BG/NBD on the distinct (x, t_x, T) rows with weights, Gamma-Gamma on the repeat buyers."""
    key = np.stack([x, t_x, age], axis=1)
    rows, inverse, counts = np.unique(key, axis=0, return_inverse=True, return_counts=True)
    bg = clv.fit_bgnbd(rows[:, 0], rows[:, 1], rows[:, 2], counts.astype(np.float64))
    gg = clv.fit_gamma_gamma(x, m)
    return {
        "bgnbd": bg, "gamma_gamma": gg, "rows": rows, "inverse": inverse.ravel(),
        "summary": {
            "converged": bool(bg.converged), "message": bg.message, "params": vars(bg.params),
            "se": bg.se if bg.converged else None, "log_likelihood": _finite(bg.log_likelihood),
            "iterations": bg.iterations, "customers": bg.n_customers, "repeat_customers": bg.n_repeat_customers,
            "gamma_gamma": {"converged": bool(gg.converged), "message": gg.message, "params": vars(gg.params),
                            "customers": gg.n_customers},
        },
    }


def _errors(predicted: FloatArray | None, actual: FloatArray) -> dict[str, Any] | None:
    if predicted is None:
        return None
    diff = predicted - actual
    total = float(actual.sum())
    return {"total": float(predicted.sum()), "mae": float(np.mean(np.abs(diff))) if len(diff) else 0.0,
            "rmse": float(np.sqrt(np.mean(diff * diff))) if len(diff) else 0.0,
            "total_error_pct": 100.0 * (float(predicted.sum()) - total) / total if total > 0 else None}


def _groups(keys: np.ndarray, order: list[str], actual: FloatArray, model: FloatArray | None,
            rule: FloatArray) -> list[dict[str, Any]]:
    out = []
    for key in order:
        sel = keys == key
        n = int(sel.sum())
        if not n:
            continue
        out.append({"key": key, "customers": n, "actual": float(actual[sel].mean()),
                    "model": None if model is None else float(model[sel].mean()), "rule": float(rule[sel].mean()),
                    "actual_total": float(actual[sel].sum()),
                    "model_total": None if model is None else float(model[sel].sum()),
                    "rule_total": float(rule[sel].sum())})
    return out


def evaluate(cal: History, hold: History, policy: AnalyticsPolicy) -> dict[str, Any]:
    """The whole back-test result (plain JSON-able values; NaN never appears)."""
    days = (hold.as_of - cal.as_of).days
    bought = cal.n_days > 0
    idx, ours = hold.positions(cal.customer_id)
    compared = bought & ours  # a customer deleted between the two reads drops out
    later = np.zeros(len(cal), dtype=np.int64)
    later[ours] = hold.n_days[idx[ours]]
    actual = np.maximum(later - cal.n_days, 0)[compared].astype(np.float64)
    net_later = np.zeros(len(cal))
    net_later[ours] = hold.lifetime_net[idx[ours]]
    actual_spend = (net_later - cal.lifetime_net)[compared]
    new_buyers = int(np.sum((hold.n_days > 0) & ~np.isin(hold.customer_id, cal.customer_id[bought])))

    x, t_x, age, m = (a[compared] for a in calibration_inputs(cal))
    own_mean = np.maximum(cal.lifetime_net[compared], 0.0) / np.maximum(cal.n_days[compared], 1)
    rule = np.where(age > 0, x / np.maximum(age, 1.0), 0.0) * days
    rule_spend = rule * own_mean
    model = model_spend = None
    fit: dict[str, Any] = {"summary": {"converged": False, "message": "no customer bought before the calibration end"}}
    if compared.any():
        fit = fit_models(x, t_x, age, m)
    if fit["summary"]["converged"]:
        rows, inverse = fit["rows"], fit["inverse"]
        model = clv.expected_purchases(fit["bgnbd"].params, float(days), rows[:, 0], rows[:, 1], rows[:, 2])[inverse]
        gg = fit["gamma_gamma"]
        per_purchase = clv.expected_average_spend(gg.params, x, m) if gg.converged else own_mean
        model_spend = model * per_purchase
        fit["summary"]["spend_model"] = "gamma_gamma" if gg.converged else "own mean"

    repeat_key = np.where(x >= REPEAT_GROUPS, f"{REPEAT_GROUPS}+", x.astype(np.int64).astype(str))
    _r, _f, _m, segment = scoring.rfm(cal)
    _pct, _loyal, quadrant = scoring.quadrants(cal, basis=policy.value_basis,
                                               high_percentile=float(policy.high_value_percentile),
                                               high_loyalty=float(policy.high_loyalty_score))
    segments, quadrants = segment[compared].astype(str), quadrant[compared].astype(str)
    return {
        "calibration_end": cal.as_of.isoformat(), "holdout_end": hold.as_of.isoformat(), "holdout_days": days,
        "customers": int(compared.sum()), "new_buyers": new_buyers,
        "first_purchase": _first_purchase(cal), "fit": fit["summary"],
        "purchases": {"actual": float(actual.sum()), "model": _errors(model, actual), "rule": _errors(rule, actual)},
        "spend": {"actual": float(actual_spend.sum()), "model": _errors(model_spend, actual_spend),
                  "rule": _errors(rule_spend, actual_spend)},
        "groups": {
            "repeat": _groups(repeat_key, [str(k) for k in range(REPEAT_GROUPS)] + [f"{REPEAT_GROUPS}+"],
                              actual, model, rule),
            "segment": _groups(segments, [str(s) for s in RfmSegment.values], actual, model, rule),
            "quadrant": _groups(quadrants, [str(q) for q in Quadrant.values], actual, model, rule),
        },
    }


def _first_purchase(hist: History) -> str | None:
    bought = hist.n_days > 0
    if not bought.any():
        return None
    return (np.datetime64("1970-01-01", "D") + int(hist.first_day[bought].min())).astype(str)
