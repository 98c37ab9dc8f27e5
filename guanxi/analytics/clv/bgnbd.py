"""BG/NBD: fitting the beta-geometric / negative-binomial model of repeat purchases.

Model (Fader, Hardie & Lee 2005, "Counting Your Customers the Easy Way: An Alternative to the
Pareto/NBD Model", Marketing Science 24(2), 275-284), per customer:

* while alive, purchases follow a Poisson process with rate λ;
* λ varies across customers as Gamma(shape r, rate α);
* after each *repeat* purchase the customer drops out for good with probability p;
* p varies across customers as Beta(a, b); λ and p are independent.

Data per customer, all in one time unit (days in Guanxi): x = number of repeat purchases
(purchases after the first), t_x = time from the first to the last purchase (0 if x = 0),
T = time from the first purchase to the end of the observation period (the as-of date).

Log-likelihood (FHL 2005 eq. 6 as written in Hardie's note 004 "Implementing the BG/NBD model
for customer-base analysis in Excel", §7), ll = ln A1 + ln A2 + ln(A3 + δ(x>0) A4) with

    ln A1 = lnΓ(r+x) − lnΓ(r) + r ln α
    ln A2 = lnΓ(a+b) + lnΓ(b+x) − lnΓ(b) − lnΓ(a+b+x)
    ln A3 = −(r+x) ln(α+T)
    ln A4 = ln a − ln(b+x−1) − (r+x) ln(α+t_x)

The sum ln(A3 + A4) is taken with logaddexp, so nothing over- or underflows. Its gradient with
respect to (ln r, ln α, ln a, ln b) is analytic (digamma for the lnΓ terms; w3, w4 = the shares
A3/(A3+A4), A4/(A3+A4) for the last term). Identical (x, t_x, T) rows are merged into one row
with a weight (numpy.unique); x-only terms (lnΓ, digamma) are computed once per distinct x.

The optional ``penalizer_coef`` adds ``penalizer_coef · (r² + (α/T_max)² + a² + b²)`` to the
*mean* negative log-likelihood — the same L2 penalty, on the same scale (lifetimes rescales time
so that the oldest customer has age 1), as ``lifetimes.BetaGeoFitter(penalizer_coef=…)``, so the
same coefficient gives the same fit. The reported log-likelihood is the unpenalised total.

Not converged: fewer than ``MIN_REPEAT_CUSTOMERS`` customers with a repeat purchase, an optimizer
failure, a parameter running off to 0 or infinity, or a flat likelihood give ``converged=False``
with the reason in ``message``; the params are then only the last iterate and must not be used —
callers fall back to simple rules (see ``guanxi.analytics.clv``). Predictions: ``bgnbd_predict``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
from scipy.special import digamma, expit, gammaln

from guanxi.analytics.clv._optimize import minimize_mean_objective, natural_standard_errors, weighted_sum

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

MIN_REPEAT_CUSTOMERS = 20
PARAM_NAMES = ("r", "alpha", "a", "b")


@dataclass(frozen=True)
class BgNbdParams:
    r: float
    alpha: float
    a: float
    b: float

    def as_tuple(self) -> tuple[float, float, float, float]:
        return (self.r, self.alpha, self.a, self.b)


@dataclass(frozen=True)
class BgNbdFit:
    params: BgNbdParams
    se: dict[str, float]  # natural-parameter standard errors (delta method); inf when not converged
    log_likelihood: float  # total, unpenalised
    converged: bool
    message: str
    iterations: int
    n_customers: int  # total weight
    n_repeat_customers: int  # customers with x > 0


@dataclass(frozen=True)
class SummaryData:
    """Distinct (x, t_x, T) rows with their counts, sorted by x (the x = 0 rows first), and the distinct x values."""

    x: FloatArray
    t_x: FloatArray
    T: FloatArray
    weight: FloatArray
    x_values: FloatArray  # distinct x
    x_index: npt.NDArray[np.intp]  # row -> position in x_values
    x_weight: FloatArray  # total weight per distinct x
    n_no_repeat: int  # rows with x = 0 (a prefix)

    @property
    def total_weight(self) -> float:
        return float(self.weight.sum())


def summarise(frequency: ArrayLike, recency: ArrayLike, age: ArrayLike, weights: ArrayLike | None = None) -> SummaryData:
    """Validate the per-customer arrays and merge identical rows. Raises ValueError on bad input."""
    x = np.asarray(frequency, dtype=np.float64).ravel()
    t_x = np.asarray(recency, dtype=np.float64).ravel()
    age_ = np.asarray(age, dtype=np.float64).ravel()
    w = np.ones_like(x) if weights is None else np.asarray(weights, dtype=np.float64).ravel()
    if not (len(x) == len(t_x) == len(age_) == len(w)):
        raise ValueError("frequency, recency, age and weights must have the same length")
    for name, values in (("frequency", x), ("recency", t_x), ("age", age_), ("weights", w)):
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"{name} must be finite and non-negative")
    if np.any(x != np.floor(x)):
        raise ValueError("frequency must be whole numbers of repeat purchases")
    if np.any(t_x > age_):
        raise ValueError("recency (first to last purchase) cannot exceed age (first purchase to the as-of date)")
    t_x = np.where(x > 0, t_x, 0.0)  # unused by the model when x = 0; zero it so such rows merge
    keep = w > 0
    x, t_x, age_, w = x[keep], t_x[keep], age_[keep], w[keep]
    if len(x) == 0:
        empty = np.zeros(0)
        return SummaryData(empty, empty, empty, empty, empty, np.zeros(0, dtype=np.intp), empty, 0)
    # lexsort + boundaries: ~3x faster than np.unique(axis=0) at a million rows
    order = np.lexsort((age_, t_x, x))
    x, t_x, age_, w = x[order], t_x[order], age_[order], w[order]
    new_x = np.r_[True, x[1:] != x[:-1]]
    new_row = new_x | np.r_[True, (t_x[1:] != t_x[:-1]) | (age_[1:] != age_[:-1])]
    starts = np.flatnonzero(new_row)
    weight = np.add.reduceat(w, starts)
    x_index = np.cumsum(new_x[starts]) - 1
    x_values = x[starts][new_x[starts]]
    x_weight = np.bincount(x_index, weights=weight, minlength=len(x_values)).astype(np.float64)
    return SummaryData(x[starts], t_x[starts], age_[starts], weight, x_values, x_index.astype(np.intp), x_weight,
                       int(np.count_nonzero(x[starts] == 0)))


def log_likelihood(log_params: FloatArray, data: SummaryData) -> tuple[float, FloatArray]:
    """Total weighted log-likelihood and its gradient w.r.t. (ln r, ln α, ln a, ln b).

    Terms in x only are computed once per distinct x; rows without a repeat purchase (ln A3 only,
    t_x = 0) and rows with one (A3 + A4) are summed separately. share_4 = A4 / (A3 + A4).
    """
    r, alpha, a, b = np.exp(log_params)
    xv, n0 = data.x_values, data.n_no_repeat
    psi_ab, psi_abx = digamma(a + b), digamma(a + b + xv)
    ln_a12_x = (gammaln(r + xv) - gammaln(r) + r * math.log(alpha)
                + gammaln(a + b) + gammaln(b + xv) - gammaln(b) - gammaln(a + b + xv))
    grad_x = np.column_stack([r * (digamma(r + xv) - digamma(r) + math.log(alpha)), np.full(len(xv), r),
                              a * (psi_ab - psi_abx), b * (psi_ab + digamma(b + xv) - digamma(b) - psi_abx)])
    ll = weighted_sum(data.x_weight, ln_a12_x)
    gradient = np.einsum("i,ij->j", data.x_weight, grad_x)

    w0, log_T0 = data.weight[:n0], np.log(alpha + data.T[:n0])
    ll -= r * weighted_sum(w0, log_T0)
    gradient[0] -= r * weighted_sum(w0, log_T0)
    gradient[1] -= alpha * r * weighted_sum(w0, 1.0 / (alpha + data.T[:n0]))

    w1, x1, T1, t1 = data.weight[n0:], data.x[n0:], data.T[n0:], data.t_x[n0:]
    log_T1, log_t1 = np.log(alpha + T1), np.log(alpha + t1)
    inverse_b_x = 1.0 / (b + xv - 1.0 + (xv == 0))  # x = 0 never used here; avoids 1/(b−1)
    ln_a3 = -(r + x1) * log_T1
    ln_a4 = math.log(a) + np.log(inverse_b_x)[data.x_index[n0:]] - (r + x1) * log_t1
    share_4 = expit(ln_a4 - ln_a3)
    ll += weighted_sum(w1, np.logaddexp(ln_a3, ln_a4))
    gradient[0] -= r * weighted_sum(w1, log_T1 + share_4 * (log_t1 - log_T1))
    gradient[1] -= alpha * weighted_sum(w1 * (r + x1), (1.0 - share_4) / (alpha + T1) + share_4 / (alpha + t1))
    gradient[2] += weighted_sum(w1, share_4)
    gradient[3] -= b * weighted_sum(w1 * share_4, inverse_b_x[data.x_index[n0:]])
    return float(ll), gradient


def fit_bgnbd(frequency: ArrayLike, recency: ArrayLike, age: ArrayLike, weights: ArrayLike | None = None, *,
              penalizer_coef: float = 0.0) -> BgNbdFit:
    """Fit BG/NBD by maximum likelihood; see the module docstring for the data and the penalty."""
    data = summarise(frequency, recency, age, weights)
    return fit_summary(data, penalizer_coef=penalizer_coef)


def fit_summary(data: SummaryData, *, penalizer_coef: float = 0.0) -> BgNbdFit:
    total = data.total_weight
    n_repeat = round(float(data.weight[data.x > 0].sum()))
    start = _starting_values(data)
    if n_repeat < MIN_REPEAT_CUSTOMERS:
        return _not_fitted(start, total, n_repeat,
                           f"too little data: {n_repeat} customers with a repeat purchase "
                           f"(at least {MIN_REPEAT_CUSTOMERS} needed)")
    age_scale = float(data.T.max())
    penalty_scale = np.array([1.0, 1.0 / age_scale, 1.0, 1.0])

    def objective(theta: FloatArray) -> tuple[float, FloatArray]:
        value, gradient = log_likelihood(theta, data)
        scaled = np.exp(theta) * penalty_scale
        return (-value / total + penalizer_coef * float(np.sum(scaled * scaled)),
                -gradient / total + 2.0 * penalizer_coef * scaled * scaled)

    optimum = minimize_mean_objective(objective, start)
    se, _ = natural_standard_errors(optimum, total)
    params = BgNbdParams(*(float(v) for v in np.exp(optimum.log_params)))
    ll = log_likelihood(optimum.log_params, data)[0]
    converged = optimum.converged and math.isfinite(ll)
    message = optimum.message if math.isfinite(ll) or not optimum.converged else "non-finite log-likelihood"
    return BgNbdFit(params, dict(zip(PARAM_NAMES, (float(s) for s in se), strict=True)), ll, converged,
                    message, optimum.iterations, round(total), n_repeat)


def _starting_values(data: SummaryData) -> FloatArray:
    """r = 1, α from the pooled purchase rate (r/α = Σx / ΣT), a = 1, b = 1, as logs."""
    purchases = weighted_sum(data.weight, data.x)
    exposure = weighted_sum(data.weight, data.T)
    alpha = exposure / purchases if purchases > 0 and exposure > 0 else 1.0
    return np.log(np.array([1.0, alpha, 1.0, 1.0]))


def _not_fitted(start: FloatArray, total: float, n_repeat: int, reason: str) -> BgNbdFit:
    params = BgNbdParams(*(float(v) for v in np.exp(start)))
    return BgNbdFit(params, dict.fromkeys(PARAM_NAMES, math.inf), -math.inf, False, reason, 0,
                    round(total), n_repeat)
