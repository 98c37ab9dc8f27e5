"""Gamma-Gamma model of spend per transaction, and customer lifetime value with BG/NBD.

Model (Fader, Hardie & Lee 2005, "RFM and CLV: Using Iso-Value Curves for Customer Base
Analysis", J. Marketing Research 42(4), 415-430; Fader & Hardie 2013, "The Gamma-Gamma Model of
Monetary Value", Hardie's note 025): a customer's transaction values are Gamma(p, ν) with a
customer-specific rate ν ~ Gamma(q, γ) across customers; spend is independent of the purchase
process (frequency, recency). Fitted on customers with repeat purchases (x > 0) and a positive
mean repeat-transaction value m̄ (the first purchase is left out, as in the papers). The mean of
x values is Gamma(px, νx), so (note 025 eq. 1)

    ln f(m̄ | x) = lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m̄ + px ln x − (px+q) ln(x m̄ + γ)

with the analytic gradient w.r.t. (ln p, ln q, ln γ). The optional ``penalizer_coef`` adds
``penalizer_coef · (p² + q² + γ²)`` to the mean negative log-likelihood, like lifetimes'
``GammaGammaFitter``. Rows with x = 0 or m̄ ≤ 0 (e.g. refunds) are left out and counted.

Not converged (``converged=False``, reason in ``message``): fewer than ``MIN_CUSTOMERS`` usable
customers, an optimizer failure, or q ≤ 1 (the population's mean spend pγ/(q−1) is then infinite).

``expected_average_spend`` — E[spend per transaction | x, m̄] = (pγ + p x m̄)/(px + q − 1) (note 025
eq. 5), a weighted mean of the population mean pγ/(q−1) and the customer's own m̄ (m̄ ≤ 0 or
non-finite counts as 0; customers with x = 0 get the population mean).

``customer_lifetime_value`` — like lifetimes' ``customer_lifetime_value``: Σ over months k = 1…K of
expected spend × (E[Y(k·f)] − E[Y((k−1)·f)]) / (1 + d)^k, E[Y(t)] the BG/NBD conditional expected
purchases, f the time units per month (30 for days, as lifetimes' "D"), d the monthly discount rate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, gammaln

from guanxi.analytics.clv._optimize import minimize_mean_objective, natural_standard_errors, weighted_sum
from guanxi.analytics.clv.bgnbd import BgNbdParams
from guanxi.analytics.clv.bgnbd_predict import expected_purchases

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

MIN_CUSTOMERS = 20
PARAM_NAMES = ("p", "q", "gamma")


@dataclass(frozen=True)
class GammaGammaParams:
    p: float
    q: float
    gamma: float

    def as_tuple(self) -> tuple[float, float, float]:
        return (self.p, self.q, self.gamma)


@dataclass(frozen=True)
class GammaGammaFit:
    params: GammaGammaParams
    se: dict[str, float]  # natural-parameter standard errors (delta method); inf when not converged
    log_likelihood: float  # total, unpenalised
    converged: bool
    message: str
    iterations: int
    n_customers: int  # used in the fit (x > 0 and m̄ > 0), total weight
    n_excluded: int  # rows left out (x = 0, m̄ ≤ 0 or not finite)
    frequency_spend_correlation: float  # Pearson r of x and m̄ among the fitted; the model assumes ≈ 0


@dataclass(frozen=True)
class SpendData:
    """Fitting rows (x > 0, m̄ > 0) with the sums that do not depend on the parameters."""

    xm: FloatArray  # x·m̄ per row
    weight: FloatArray
    weighted_x: FloatArray  # w·x per row
    x_values: FloatArray  # distinct x, with their total weight
    x_weight: FloatArray
    sum_x_log_xm: float  # Σ w·x·(ln x + ln m̄)
    sum_log_m: float  # Σ w·ln m̄

    @property
    def total_weight(self) -> float:
        return float(self.x_weight.sum())


def spend_data(x: FloatArray, m: FloatArray, weight: FloatArray) -> SpendData:
    x_values, x_index = np.unique(x, return_inverse=True)
    x_weight = np.bincount(x_index, weights=weight, minlength=len(x_values)).astype(np.float64)
    weighted_x = weight * x
    return SpendData(x * m, weight, weighted_x, x_values, x_weight,
                     weighted_sum(weighted_x, np.log(x) + np.log(m)), weighted_sum(weight, np.log(m)))


def log_likelihood(log_params: FloatArray, data: SpendData) -> tuple[float, FloatArray]:
    """Total weighted log-likelihood and its gradient w.r.t. (ln p, ln q, ln γ).

    The sum of note 025's eq. 1 over customers, regrouped: the lnΓ and digamma terms depend on x only
    (once per distinct x), (px−1) ln m̄ + px ln x is linear in p (precomputed sums), and only
    ln(x m̄ + γ) and 1/(x m̄ + γ) are computed per row.
    """
    p, q, gamma = np.exp(log_params)
    u, wu, total = data.x_values, data.x_weight, data.total_weight
    log_tail = np.log(data.xm + gamma)
    inverse_tail = 1.0 / (data.xm + gamma)
    sum_x_log_tail, sum_log_tail = weighted_sum(data.weighted_x, log_tail), weighted_sum(data.weight, log_tail)
    psi_puq = digamma(p * u + q)
    ll = (weighted_sum(wu, gammaln(p * u + q) - gammaln(p * u)) - total * gammaln(q) + total * q * math.log(gamma)
          + p * data.sum_x_log_xm - data.sum_log_m - p * sum_x_log_tail - q * sum_log_tail)
    gradient = np.array([
        p * (weighted_sum(wu, u * (psi_puq - digamma(p * u))) + data.sum_x_log_xm - sum_x_log_tail),
        q * (weighted_sum(wu, psi_puq) - total * digamma(q) + total * math.log(gamma) - sum_log_tail),
        total * q - gamma * (p * weighted_sum(data.weighted_x, inverse_tail) + q * weighted_sum(data.weight, inverse_tail)),
    ])
    return float(ll), gradient


def fit_gamma_gamma(frequency: ArrayLike, monetary_value: ArrayLike, weights: ArrayLike | None = None, *,
                    penalizer_coef: float = 0.0) -> GammaGammaFit:
    """Fit Gamma-Gamma by maximum likelihood on the rows with x > 0 and m̄ > 0 (see the module docstring)."""
    x_all = np.asarray(frequency, dtype=np.float64).ravel()
    m_all = np.asarray(monetary_value, dtype=np.float64).ravel()
    w_all = np.ones_like(x_all) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if not (len(x_all) == len(m_all) == len(w_all)):
        raise ValueError("frequency, monetary_value and weights must have the same length")
    usable = np.isfinite(x_all) & np.isfinite(m_all) & np.isfinite(w_all) & (x_all > 0) & (m_all > 0) & (w_all > 0)
    x, m, w = x_all[usable], m_all[usable], w_all[usable]
    total = float(w.sum())
    excluded = round(float(np.where(usable, 0.0, np.nan_to_num(np.maximum(w_all, 0.0))).sum()))
    correlation = _weighted_correlation(x, m, w)
    start = np.log(np.array([1.0, 2.0, weighted_sum(w, m) / total if total > 0 else 1.0]))
    if total < MIN_CUSTOMERS:
        return GammaGammaFit(GammaGammaParams(*np.exp(start).tolist()), dict.fromkeys(PARAM_NAMES, math.inf),
                             -math.inf, False, f"too little data: {int(total)} customers with repeat purchases "
                             f"and positive spend (at least {MIN_CUSTOMERS} needed)", 0, round(total),
                             excluded, correlation)

    data = spend_data(x, m, w)

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        value, gradient = log_likelihood(theta, data)
        params = np.exp(theta)
        return (-value / total + penalizer_coef * float(np.sum(params * params)),
                -gradient / total + 2.0 * penalizer_coef * params * params)

    optimum = minimize_mean_objective(objective, start)
    params = GammaGammaParams(*(float(v) for v in np.exp(optimum.log_params)))
    ll = log_likelihood(optimum.log_params, data)[0]
    converged, message = optimum.converged and math.isfinite(ll), optimum.message
    if converged and params.q <= 1.0:
        converged, message = False, "q ≤ 1: the model's population mean spend p·γ/(q−1) is not finite"
    se, _ = natural_standard_errors(optimum, total)
    if not converged:
        se = np.full(3, np.inf)
    return GammaGammaFit(params, dict(zip(PARAM_NAMES, (float(s) for s in se), strict=True)), ll, converged,
                         message, optimum.iterations, round(total), excluded, correlation)


def expected_average_spend(params: GammaGammaParams, frequency: ArrayLike, monetary_value: ArrayLike) -> FloatArray:
    """E[spend per transaction | x, m̄] (see the module docstring); finite for finite positive params."""
    p, q, gamma = params.as_tuple()
    x_raw, m_raw = np.broadcast_arrays(np.asarray(frequency, dtype=np.float64),
                                       np.asarray(monetary_value, dtype=np.float64))
    x = np.floor(np.maximum(np.nan_to_num(x_raw, nan=0.0, posinf=0.0, neginf=0.0), 0.0))
    m = np.maximum(np.nan_to_num(m_raw, nan=0.0, posinf=0.0, neginf=0.0), 0.0)
    m = np.where(x > 0, m, 0.0)
    denominator = p * x + q - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        shrunk = (p * gamma + p * x * m) / denominator
    # q ≤ 1 (never from a converged fit): no finite population mean; fall back to the customer's own mean
    return np.where(denominator > 0, shrunk, m)


def customer_lifetime_value(bgnbd: BgNbdParams, gamma_gamma: GammaGammaParams, frequency: ArrayLike,
                            recency: ArrayLike, age: ArrayLike, monetary_value: ArrayLike, *, months: int = 12,
                            monthly_discount_rate: float = 0.01, periods_per_month: float = 30.0) -> FloatArray:
    """Discounted expected spend over the next `months` months, per customer (see the module docstring)."""
    spend = expected_average_spend(gamma_gamma, frequency, monetary_value)
    value = np.zeros(np.broadcast_shapes(spend.shape, np.shape(recency), np.shape(age)))
    previous = np.zeros_like(value)
    for month in range(1, int(months) + 1):
        cumulative = expected_purchases(bgnbd, month * periods_per_month, frequency, recency, age)
        value += (cumulative - previous) / (1.0 + monthly_discount_rate) ** month
        previous = cumulative
    return spend * value


def _weighted_correlation(x: FloatArray, m: FloatArray, w: FloatArray) -> float:
    if len(x) < 2:
        return 0.0
    dx, dm = x - np.average(x, weights=w), m - np.average(m, weights=w)
    denominator = math.sqrt(weighted_sum(w, dx * dx) * weighted_sum(w, dm * dm))
    return weighted_sum(w, dx * dm) / denominator if denominator > 0 else 0.0
