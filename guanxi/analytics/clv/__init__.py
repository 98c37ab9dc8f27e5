"""Customer lifetime value models: BG/NBD (purchases, P(alive)) and Gamma-Gamma (spend), NumPy/SciPy only.

Typical use, with per-customer x (repeat purchases), t_x (first to last purchase), T (first
purchase to the as-of date) in days and m̄ (mean repeat-transaction value)::

    fit = fit_bgnbd(x, t_x, T)
    if fit.converged:
        alive = probability_alive(fit.params, x, t_x, T)
        next_90 = expected_purchases(fit.params, 90, x, t_x, T)
    spend = fit_gamma_gamma(x, m)
    if fit.converged and spend.converged:
        clv = customer_lifetime_value(fit.params, spend.params, x, t_x, T, m, months=12,
                                      monthly_discount_rate=0.01, periods_per_month=30)

A fit that did not converge (too little data, optimizer failure, q ≤ 1 …) has ``converged=False``
and the reason in ``message``; its params are not estimates and must not be used for
predictions — callers fall back to simple rules (e.g. the customer's own average interval) and
label them as such. With any finite positive params the prediction functions return finite
numbers (never NaN), even for malformed rows (which are clipped into the model's domain).
"""

from guanxi.analytics.clv.bgnbd import BgNbdFit, BgNbdParams, fit_bgnbd
from guanxi.analytics.clv.bgnbd_predict import (
    expected_purchases,
    expected_purchases_new_customer,
    median_time_to_next_purchase,
    probability_alive,
    probability_purchase_within,
)
from guanxi.analytics.clv.gamma_gamma import (
    GammaGammaFit,
    GammaGammaParams,
    customer_lifetime_value,
    expected_average_spend,
    fit_gamma_gamma,
)

__all__ = [
    "BgNbdFit",
    "BgNbdParams",
    "GammaGammaFit",
    "GammaGammaParams",
    "customer_lifetime_value",
    "expected_average_spend",
    "expected_purchases",
    "expected_purchases_new_customer",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "median_time_to_next_purchase",
    "probability_alive",
    "probability_purchase_within",
]
