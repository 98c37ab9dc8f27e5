"""BG/NBD and Gamma-Gamma against the published CDNOW figures and the `lifetimes` reference implementation.

The CDNOW sample (2,357 customers, weeks) is the CSV that `lifetimes` ships; it is read straight
from the installed package's data directory, so the published-figure tests do not need lifetimes'
code to import. The comparisons with lifetimes' predictions import it (test/bench-only dependency).
"""

from __future__ import annotations

import importlib.util
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from guanxi.analytics.clv import (
    BgNbdParams,
    GammaGammaParams,
    _beta_quadrature,
    bgnbd,
    customer_lifetime_value,
    expected_average_spend,
    expected_purchases,
    expected_purchases_new_customer,
    fit_bgnbd,
    fit_gamma_gamma,
    gamma_gamma,
    median_time_to_next_purchase,
    probability_alive,
    probability_purchase_within,
)

HORIZONS = (1.0, 10.0, 39.0, 52.0, 104.0)  # weeks


def cdnow() -> dict[str, np.ndarray]:
    spec = importlib.util.find_spec("lifetimes")
    assert spec is not None and spec.submodule_search_locations, "the lifetimes package (test dependency) is missing"
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "cdnow_customers_summary_with_transactions.csv"
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    return {"x": table[:, 1], "t_x": table[:, 2], "T": table[:, 3], "m": table[:, 4]}


@pytest.fixture(scope="module")
def data() -> dict[str, np.ndarray]:
    return cdnow()


@pytest.fixture(scope="module")
def bg_fit(data):
    return fit_bgnbd(data["x"], data["t_x"], data["T"])


@pytest.fixture(scope="module")
def gg_fit(data):
    return fit_gamma_gamma(data["x"], data["m"])


@pytest.fixture(scope="module")
def lifetimes_models(bg_fit, gg_fit):
    """lifetimes' fitters carrying *our* parameters, to compare the prediction formulas alone."""
    lifetimes = pytest.importorskip("lifetimes")
    pd = pytest.importorskip("pandas")
    bg = lifetimes.BetaGeoFitter()
    bg.params_ = pd.Series(dict(zip(("r", "alpha", "a", "b"), bg_fit.params.as_tuple(), strict=True)))
    bg.predict = bg.conditional_expected_number_of_purchases_up_to_time
    gg = lifetimes.GammaGammaFitter()
    gg.params_ = pd.Series(dict(zip(("p", "q", "v"), gg_fit.params.as_tuple(), strict=True)))
    return bg, gg


def assert_relative(ours, reference, tolerance: float) -> None:
    ours, reference = np.asarray(ours, dtype=float), np.asarray(reference, dtype=float)
    assert np.all(np.isfinite(ours))
    np.testing.assert_allclose(ours, reference, rtol=tolerance, atol=0)


# ---------------------------------------------------------------- published CDNOW figures


def test_bgnbd_reproduces_fader_hardie_lee_2005(bg_fit):
    assert bg_fit.converged, bg_fit.message
    p = bg_fit.params
    assert (round(p.r, 3), round(p.alpha, 3), round(p.a, 3), round(p.b, 3)) == (0.243, 4.414, 0.793, 2.426)
    assert bg_fit.log_likelihood == pytest.approx(-9582.43, abs=0.01)
    assert bg_fit.n_customers == 2357 and bg_fit.n_repeat_customers == 946
    assert all(0 < se < math.inf for se in bg_fit.se.values())


def test_gamma_gamma_reproduces_the_published_fit(gg_fit):
    assert gg_fit.converged, gg_fit.message
    p = gg_fit.params
    # published: p = 6.25, q = 3.74, γ = 15.44 (Excel Solver); the exact optimum has γ = 15.4477
    assert (round(p.p, 2), round(p.q, 2)) == (6.25, 3.74)
    assert p.gamma == pytest.approx(15.44, abs=0.01)
    assert gg_fit.n_customers == 946 and gg_fit.n_excluded == 1411


def test_standard_errors_match_lifetimes(data, bg_fit, gg_fit):
    lifetimes = pytest.importorskip("lifetimes")
    bg = lifetimes.BetaGeoFitter().fit(data["x"], data["t_x"], data["T"])
    for name, ours in zip(("r", "alpha", "a", "b"), bg_fit.se.values(), strict=True):
        assert ours == pytest.approx(bg.standard_errors_[name], rel=2e-3)
        assert bg_fit.params.as_tuple()[("r", "alpha", "a", "b").index(name)] == pytest.approx(bg.params_[name], rel=1e-4)
    repeat = data["x"] > 0
    gg = lifetimes.GammaGammaFitter().fit(data["x"][repeat], data["m"][repeat])
    for name, ref in zip(("p", "q", "gamma"), ("p", "q", "v"), strict=True):
        assert gg_fit.se[name] == pytest.approx(gg.standard_errors_[ref], rel=2e-3)


def test_penalizer_has_lifetimes_meaning(data):
    lifetimes = pytest.importorskip("lifetimes")
    ours = fit_bgnbd(data["x"], data["t_x"], data["T"], penalizer_coef=0.01)
    ref = lifetimes.BetaGeoFitter(penalizer_coef=0.01).fit(data["x"], data["t_x"], data["T"], tol=1e-10)
    assert ours.converged
    assert_relative(ours.params.as_tuple(), ref.params_[["r", "alpha", "a", "b"]].to_numpy(), 1e-4)
    repeat = data["x"] > 0
    ours_gg = fit_gamma_gamma(data["x"], data["m"], penalizer_coef=0.001)
    ref_gg = lifetimes.GammaGammaFitter(penalizer_coef=0.001).fit(data["x"][repeat], data["m"][repeat], tol=1e-10)
    assert_relative(ours_gg.params.as_tuple(), ref_gg.params_[["p", "q", "v"]].to_numpy(), 1e-4)


# ---------------------------------------------------------------- predictions = lifetimes' on the same params


def test_predictions_equal_lifetimes(data, bg_fit, lifetimes_models):
    bg, _ = lifetimes_models
    x, t_x, T = data["x"], data["t_x"], data["T"]
    for t in HORIZONS:
        assert_relative(expected_purchases(bg_fit.params, t, x, t_x, T),
                        bg.conditional_expected_number_of_purchases_up_to_time(t, x, t_x, T), 1e-6)
        assert_relative(expected_purchases_new_customer(bg_fit.params, t), [bg.expected_number_of_purchases_up_to_time(t)], 1e-6)
    assert_relative(probability_alive(bg_fit.params, x, t_x, T), bg.conditional_probability_alive(x, t_x, T), 1e-6)


def test_spend_and_clv_equal_lifetimes(data, bg_fit, gg_fit, lifetimes_models):
    pd = pytest.importorskip("pandas")
    bg, gg = lifetimes_models
    frame = pd.DataFrame({"x": data["x"], "t_x": data["t_x"], "T": data["T"], "m": data["m"]})
    assert_relative(expected_average_spend(gg_fit.params, data["x"], data["m"]),
                    gg.conditional_expected_average_profit(frame.x, frame.m).to_numpy(), 1e-6)
    for months, rate in ((12, 0.01), (3, 0.0), (24, 0.05)):
        ours = customer_lifetime_value(bg_fit.params, gg_fit.params, data["x"], data["t_x"], data["T"], data["m"],
                                       months=months, monthly_discount_rate=rate, periods_per_month=4.345)
        ref = gg.customer_lifetime_value(bg, frame.x, frame.t_x, frame["T"], frame.m, time=months, discount_rate=rate,
                                         freq="W")
        assert_relative(ours, ref.to_numpy(), 1e-6)


def test_quadrature_agrees_with_the_closed_form(data, bg_fit):
    """The safety-net quadrature and the hypergeometric closed form are two independent computations."""
    params = bg_fit.params
    alive = probability_alive(params, data["x"], data["t_x"], data["T"])
    for t in (1.0, 10.0, 52.0):
        horizon = np.full(len(data["x"]), t)
        by_quadrature = _beta_quadrature.expected_purchases_if_alive(*params.as_tuple(), horizon, data["x"], data["T"])
        assert_relative(alive * by_quadrature, expected_purchases(params, t, data["x"], data["t_x"], data["T"]), 1e-9)


def test_removable_singularities_give_the_limit():
    x, t_x, T = np.array([0.0, 1.0, 4.0]), np.array([0.0, 3.0, 10.0]), np.array([12.0, 12.0, 12.0])
    for a, b in ((1.0, 2.0), (0.4, 0.6)):  # a = 1; a + b = 1 (affects x = 0)
        at = expected_purchases(BgNbdParams(0.5, 3.0, a, b), 20.0, x, t_x, T)
        near = [expected_purchases(BgNbdParams(0.5, 3.0, a + s, b - s * (a != 1.0)), 20.0, x, t_x, T)
                for s in (-1e-3, 1e-3)]
        assert np.all(np.isfinite(at))
        assert_relative(at, (near[0] + near[1]) / 2, 1e-5)


# ---------------------------------------------------------------- gradients and data handling


@pytest.mark.parametrize("point", [(0.243, 4.41, 0.793, 2.43), (1.5, 0.7, 3.0, 0.4), (0.05, 40.0, 0.2, 9.0)])
def test_bgnbd_gradient_matches_finite_differences(data, point):
    summary = bgnbd.summarise(data["x"], data["t_x"], data["T"])
    theta = np.log(point)
    _, gradient = bgnbd.log_likelihood(theta, summary)
    step = 1e-6
    numeric = [(bgnbd.log_likelihood(theta + step * e, summary)[0] - bgnbd.log_likelihood(theta - step * e, summary)[0])
               / (2 * step) for e in np.eye(4)]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-5)


@pytest.mark.parametrize("point", [(6.25, 3.74, 15.44), (0.8, 12.0, 2.0)])
def test_gamma_gamma_gradient_matches_finite_differences(data, point):
    repeat = data["x"] > 0
    spend = gamma_gamma.spend_data(data["x"][repeat], data["m"][repeat], np.ones(int(repeat.sum())))
    theta = np.log(point)
    _, gradient = gamma_gamma.log_likelihood(theta, spend)
    step = 1e-6
    numeric = [(gamma_gamma.log_likelihood(theta + step * e, spend)[0]
                - gamma_gamma.log_likelihood(theta - step * e, spend)[0]) / (2 * step) for e in np.eye(3)]
    np.testing.assert_allclose(gradient, numeric, rtol=1e-6, atol=1e-5)


def test_identical_customers_are_merged_and_weighted(data, bg_fit):
    summary = bgnbd.summarise(data["x"], data["t_x"], data["T"])
    assert len(summary.x) < len(data["x"]) and summary.total_weight == len(data["x"])
    doubled = fit_bgnbd(data["x"], data["t_x"], data["T"], weights=np.full(len(data["x"]), 2.0))
    assert doubled.log_likelihood == pytest.approx(2 * bg_fit.log_likelihood, rel=1e-12)
    assert_relative(doubled.params.as_tuple(), bg_fit.params.as_tuple(), 1e-7)
    assert_relative(list(doubled.se.values()), np.array(list(bg_fit.se.values())) / math.sqrt(2), 1e-5)


@pytest.mark.parametrize(("x", "t_x", "T"), [([-1], [0], [1]), ([1], [2], [1]), ([1.5], [1], [2]), ([np.nan], [0], [1])])
def test_fit_rejects_malformed_rows(x, t_x, T):
    with pytest.raises(ValueError):
        fit_bgnbd(x, t_x, T)


# ---------------------------------------------------------------- not converged


def test_too_little_data_is_reported_not_fitted():
    fit = fit_bgnbd([0, 1, 2, 0, 3], [0, 1, 5, 0, 6], [7, 7, 7, 7, 7])
    assert not fit.converged and "too little data" in fit.message
    assert all(math.isfinite(v) and v > 0 for v in fit.params.as_tuple())
    assert np.all(np.isfinite(expected_purchases(fit.params, 30, [0, 1, 2], [0, 1, 5], [7, 7, 7])))
    spend = fit_gamma_gamma([1, 2, 0], [10.0, -5.0, 0.0])
    assert not spend.converged and "too little data" in spend.message and spend.n_excluded == 2


def test_unidentified_model_is_reported_not_converged():
    rng = np.random.default_rng(0)
    age = rng.uniform(10, 40, 50)
    fit = fit_bgnbd(np.ones(50), age, age)  # everyone bought again exactly at the as-of date: no drop-out seen
    assert not fit.converged and fit.message
    assert all(s == math.inf for s in fit.se.values())
    spend = fit_gamma_gamma(np.full(50, 2.0), np.full(50, 10.0))  # no spread in spend at all
    assert not spend.converged


# ---------------------------------------------------------------- properties


PARAMS = {
    "cdnow": BgNbdParams(0.2425929, 4.4135316, 0.7928862, 2.4257535),
    "days": BgNbdParams(0.243, 30.9, 0.793, 2.426),
    "loyal": BgNbdParams(2.0, 10.0, 0.3, 8.0),
    "fickle": BgNbdParams(0.05, 0.5, 3.0, 0.5),
}


@st.composite
def histories(draw):
    age = draw(st.one_of(st.just(0.0), st.floats(1e-6, 1e-2), st.floats(0.0, 4000.0)))
    x = draw(st.one_of(st.just(0), st.integers(1, 5), st.integers(0, 500), st.just(10**6)))
    t_x = 0.0 if x == 0 else draw(st.one_of(st.just(age), st.just(0.0), st.floats(0.0, 1.0).map(lambda f: f * age)))
    return float(x), t_x, age


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(histories(), min_size=1, max_size=20), st.sampled_from(sorted(PARAMS)),
       st.lists(st.floats(0.0, 2000.0), min_size=2, max_size=5))
def test_predictions_stay_in_range(rows, params_name, horizons):
    params = PARAMS[params_name]
    x, t_x, T = (np.array(column) for column in zip(*rows, strict=True))
    alive = probability_alive(params, x, t_x, T)
    assert np.all((alive >= 0) & (alive <= 1))
    previous = np.zeros(len(x))
    for t in sorted(horizons):
        expected = expected_purchases(params, t, x, t_x, T)
        assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
        assert np.all(expected >= previous * (1 - 1e-9))
        previous = expected
        within = probability_purchase_within(params, t, x, t_x, T)
        assert np.all((within >= 0) & (within <= alive + 1e-12))
    wait = median_time_to_next_purchase(params, x, t_x, T)
    assert np.all(np.isfinite(wait)) and np.all(wait > 0)
    value = customer_lifetime_value(params, GammaGammaParams(6.25, 3.74, 15.44), x, t_x, T, np.full(len(x), 20.0),
                                    months=6, periods_per_month=30.0)
    assert np.all(np.isfinite(value)) and np.all(value >= 0)


@settings(max_examples=200, deadline=None)
@given(st.tuples(*[st.floats(-4.6, 4.6)] * 4), st.lists(histories(), min_size=1, max_size=10),
       st.floats(0.0, 365.0))
def test_predictions_are_finite_for_any_parameters(log_params, rows, t):
    params = BgNbdParams(*np.exp(log_params).tolist())
    x, t_x, T = (np.array(column) for column in zip(*rows, strict=True))
    expected = expected_purchases(params, t, x, t_x, T)
    assert np.all(np.isfinite(expected)) and np.all(expected >= 0)
    assert np.all(np.isfinite(median_time_to_next_purchase(params, x, t_x, T)))
    assert np.all(np.isfinite(expected_purchases_new_customer(params, t)))


def test_malformed_rows_in_predictions_give_numbers(bg_fit):
    x, t_x, T = [np.nan, -2, 3, 1.7, np.inf], [5, 1, 9, -1, 2], [4, np.nan, 2, 3, 1]
    for values in (probability_alive(bg_fit.params, x, t_x, T), expected_purchases(bg_fit.params, 10, x, t_x, T),
                   median_time_to_next_purchase(bg_fit.params, x, t_x, T)):
        assert np.all(np.isfinite(values))
    assert np.all(np.isfinite(expected_average_spend(GammaGammaParams(6.25, 3.74, 15.44), x, [np.nan, -3, 0, 5, 1])))
