"""BG/NBD predictions per customer, vectorised (model and data: see ``bgnbd``).

All functions take fitted ``BgNbdParams`` and per-customer arrays x (repeat purchases), t_x
(first to last purchase), T (first purchase to the as-of date), in the time unit of the fit.
Inputs are first clipped into the model's domain (x a whole number ≥ 0, 0 ≤ t_x ≤ T, non-finite
values → 0), so a bad row gives a number, never NaN; with finite positive parameters every
output is finite.

* ``probability_alive`` — P(alive at T | x, t_x, T) (Fader, Hardie & Lee 2008, "Computing P(alive)
  using the BG/NBD model", Hardie's note 021): 1 / (1 + δ(x>0) · a/(b+x−1) · ((α+T)/(α+t_x))^(r+x)).
  Customers without a repeat purchase are alive with probability 1 (the model lets customers
  drop out only right after a repeat purchase).
* ``expected_purchases`` — E[purchases in (T, T+t] | x, t_x, T] (FHL 2005 eq. 10) = P(alive) ·
  E[…| alive]. The "alive" factor is computed in Euler's transformed form,

      (a+b+x−1)/(a−1) · [1 − (1−z)^(a−1) ₂F₁(a+b−1−r, a−1; a+b+x−1; z)],  z = t/(α+T+t),

  which equals eq. 10's ((α+T)/(α+T+t))^(r+x) ₂F₁(r+x, b+x; a+b+x−1; z) term (₂F₁(A,B;C;z) =
  (1−z)^(C−A−B) ₂F₁(C−A, C−B; C; z)) but stays accurate for large x and z near 1; the bracket is
  evaluated as −expm1((a−1)L) − e^((a−1)L)(₂F₁ − 1), L = ln(1−z), against cancellation. At the
  removable singularities a = 1 (and a + b = 1 for x = 0) it is the mean of the values at ±1e-6.
  Where ₂F₁ still fails (extreme parameters), Gauss quadrature takes over (``_beta_quadrature``).
* ``expected_purchases_new_customer`` — E[X(t)] for a customer just acquired (FHL 2005 eq. 9):
  the same expression with x = 0, T = 0.
* ``probability_purchase_within`` — P(at least one purchase in (T, T+t]) = P(alive) ·
  (1 − ((α+T)/(α+T+t))^(r+x)).
* ``median_time_to_next_purchase`` — **the predicted next purchase**: the median waiting time from
  the as-of date T to the next purchase *assuming the customer is still alive*. Given alive, the
  next purchase comes after an exponential wait with rate λ (drop-out happens only right after a
  purchase), and λ | alive, x, T ~ Gamma(r+x, α+T), so the wait is Lomax with median
  (α+T)·(2^(1/(r+x)) − 1). It says nothing about whether the customer is alive: always show it
  with P(alive) (or ``probability_purchase_within``). The exponent is capped so the value stays
  finite for tiny r + x.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt
from scipy.special import expit, hyp2f1

from guanxi.analytics.clv import _beta_quadrature
from guanxi.analytics.clv.bgnbd import BgNbdParams

FloatArray = npt.NDArray[np.float64]
ArrayLike = npt.ArrayLike

SINGULARITY_GAP = 1e-6  # distance from a = 1 (and a + b = 1) at which the closed form is averaged
MAX_EXPONENT = 700.0  # exp(700) ≈ 1e304: keeps the median wait finite


def clean_history(frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Broadcast and clip (x, t_x, T) into the model's domain (see the module docstring)."""
    x, t_x, age_ = (np.nan_to_num(np.asarray(v, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0)
                    for v in np.broadcast_arrays(frequency, recency, age))
    x = np.floor(np.maximum(x, 0.0))
    age_ = np.maximum(age_, 0.0)
    t_x = np.where(x > 0, np.clip(t_x, 0.0, age_), 0.0)
    return x, t_x, age_


def _clean_horizon(t: ArrayLike) -> FloatArray:
    return np.maximum(np.nan_to_num(np.asarray(t, dtype=np.float64), nan=0.0, posinf=0.0, neginf=0.0), 0.0)


def probability_alive(params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, age: ArrayLike) -> FloatArray:
    r, alpha, a, b = params.as_tuple()
    x, t_x, age_ = clean_history(frequency, recency, age)
    log_odds_dead = (math.log(a) - np.log(b + np.maximum(x, 1.0) - 1.0)
                     + (r + x) * (np.log(alpha + age_) - np.log(alpha + t_x)))
    return np.where(x > 0, expit(-log_odds_dead), 1.0)


def expected_purchases(params: BgNbdParams, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike,
                       age: ArrayLike) -> FloatArray:
    """Expected number of purchases in the next t time units, per customer."""
    x, t_x, age_ = clean_history(frequency, recency, age)
    horizon, x, age_ = np.broadcast_arrays(_clean_horizon(t), x, age_)
    alive = probability_alive(params, x, np.broadcast_to(t_x, x.shape), age_)
    return alive * _expected_if_alive(params, horizon.astype(np.float64), x, age_)


def expected_purchases_new_customer(params: BgNbdParams, t: ArrayLike) -> FloatArray:
    horizon = np.atleast_1d(_clean_horizon(t))
    zeros = np.zeros_like(horizon)
    return _expected_if_alive(params, horizon, zeros, zeros)


def probability_purchase_within(params: BgNbdParams, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike,
                                age: ArrayLike) -> FloatArray:
    r, alpha, _, _ = params.as_tuple()
    x, t_x, age_ = clean_history(frequency, recency, age)
    horizon = _clean_horizon(t)
    some_purchase_if_alive = -np.expm1(-(r + x) * np.log1p(horizon / (alpha + age_)))
    return probability_alive(params, x, t_x, age_) * some_purchase_if_alive


def median_time_to_next_purchase(params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike,
                                 age: ArrayLike) -> FloatArray:
    """Median wait from T to the next purchase, given the customer is alive (see the module docstring)."""
    r, alpha, _, _ = params.as_tuple()
    x, _, age_ = clean_history(frequency, recency, age)
    return (alpha + age_) * np.expm1(np.minimum(math.log(2.0) / (r + x), MAX_EXPONENT))


def _expected_if_alive(params: BgNbdParams, t: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
    """E[purchases in (T, T+t] | alive], averaging across the removable singularities a = 1, a + b = 1."""
    r, alpha, a, b = params.as_tuple()
    if abs(a - 1.0) < SINGULARITY_GAP:
        below, above = (_away_from_a_plus_b_1(r, alpha, 1.0 + s * SINGULARITY_GAP, b, t, x, age) for s in (-1.0, 1.0))
        values = 0.5 * (below + above)
    else:
        values = _away_from_a_plus_b_1(r, alpha, a, b, t, x, age)
    return _repair(params, values, t, x, age)


def _away_from_a_plus_b_1(r: float, alpha: float, a: float, b: float, t: FloatArray, x: FloatArray,
                          age: FloatArray) -> FloatArray:
    values = _closed_form(r, alpha, a, b, t, x, age)
    no_repeat = x == 0
    if abs(a + b - 1.0) < SINGULARITY_GAP and np.any(no_repeat):
        below, above = (_closed_form(r, alpha, a, 1.0 - a + s * SINGULARITY_GAP, t[no_repeat], x[no_repeat],
                                     age[no_repeat]) for s in (-1.0, 1.0))
        values[no_repeat] = 0.5 * (below + above)
    return values


def _closed_form(r: float, alpha: float, a: float, b: float, t: FloatArray, x: FloatArray,
                 age: FloatArray) -> FloatArray:
    c = a + b + x - 1.0
    log_1mz = -np.log1p(t / (alpha + age))  # ln(1 − z) = ln((α+T)/(α+T+t))
    z = -np.expm1(log_1mz)
    with np.errstate(all="ignore"):
        hyp_minus_1 = hyp2f1(a + b - 1.0 - r, a - 1.0, c, z) - 1.0
        scaled = np.exp((a - 1.0) * log_1mz)
        return c / (a - 1.0) * (-np.expm1((a - 1.0) * log_1mz) - scaled * hyp_minus_1)


def _repair(params: BgNbdParams, values: FloatArray, t: FloatArray, x: FloatArray, age: FloatArray) -> FloatArray:
    """Replace non-finite or negative closed-form values with the quadrature's (never needed on fitted data)."""
    bad = ~np.isfinite(values) | (values < 0)
    if np.any(bad):
        values = values.copy()
        values[bad] = _beta_quadrature.expected_purchases_if_alive(*params.as_tuple(), t[bad], x[bad], age[bad])
    return values
