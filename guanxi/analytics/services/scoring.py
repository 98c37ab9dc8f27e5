"""Scores computed from the history arrays, vectorised: RFM, loyalty, value × loyalty, the value groups.

Only customers with at least one purchase are scored; the others get no RFM scores, no segment, no
percentile, no loyalty score and no quadrant ("no purchase yet").

* **Quintile scores** (R, F, M, 1–5): each customer's mid-rank percentile among the purchasers,
  q = (number below + ½ × number equal) / n, gives the score ⌊5q⌋ + 1. Ties get the same score;
  with five distinct values the scores are 1…5; when everyone is equal everyone gets 3. Recency
  is ranked reversed (a recent purchase scores 5); F counts purchase days in the spend window; M is
  the window's net spend, negative spend (refunds) clipped to 0.
* **RFM segments** from the (R, F) scores by ``SEGMENT_GRID`` (rows R = 1…5, columns F = 1…5).
* **Loyalty** in [0, 1]: the weighted mean (``LOYALTY_WEIGHTS``) of tenure (days since the first
  purchase or the customer's creation, whichever came first, over two years, at most 1), regularity
  (1 − coefficient of variation of the gaps between purchase days, clipped to [0, 1]; one gap: ½;
  none: 0), repeat rate (repeat purchase days / purchase days) and, for customers who answered an
  NPS survey, their mean score / 10. Without an NPS answer the other three share its weight.
* **Value** is the window's net spend or gross profit (``AnalyticsPolicy.value_basis``); its
  mid-rank percentile among purchasers is stored; *high value* = percentile ≥
  ``high_value_percentile`` and value > 0; *high loyalty* = score ≥ ``high_loyalty_score``.
* **Value groups** (seed 004): current value = window spend, potential value = predicted spend over
  the lifetime-value horizon, word-of-mouth = positive survey answers; "high" current / potential
  value = at or above the same percentile as high value (and > 0). See ``value_group_codes``.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt
from django.utils.translation import gettext_lazy as _

from guanxi.analytics.models import Quadrant, RfmSegment, ValueGroup

from .history import FloatArray, History, IntArray

BoolArray = npt.NDArray[np.bool_]

S = RfmSegment
SEGMENT_GRID: tuple[tuple[str, ...], ...] = (
    # F = 1, 2, 3, 4, 5
    (S.LOST, S.HIBERNATING, S.AT_RISK, S.AT_RISK, S.CANT_LOSE),  # R = 1
    (S.HIBERNATING, S.HIBERNATING, S.AT_RISK, S.AT_RISK, S.CANT_LOSE),  # R = 2
    (S.ABOUT_TO_SLEEP, S.ABOUT_TO_SLEEP, S.NEED_ATTENTION, S.LOYAL, S.LOYAL),  # R = 3
    (S.PROMISING, S.POTENTIAL, S.POTENTIAL, S.LOYAL, S.LOYAL),  # R = 4
    (S.NEW, S.POTENTIAL, S.POTENTIAL, S.CHAMPIONS, S.CHAMPIONS),  # R = 5
)

LOYALTY_WEIGHTS = {"tenure": 0.25, "regularity": 0.25, "repeat": 0.25, "nps": 0.25}
TENURE_FULL_DAYS = 730

# What to do with each value group (seed 004); the customer page and reports show it.
VALUE_GROUP_TREATMENT: dict[str, Any] = {
    ValueGroup.KEY: _("Keep them buying: price offers or bonus points, and a senior contact."),
    ValueGroup.GROWTH: _("Develop them: regular contact and cross-selling until buying from us is a habit."),
    ValueGroup.STABLE: _("Hold the service level and look for new needs before they drift away."),
    ValueGroup.ADVOCATE: _("Invest in the relationship: thank them, ask for referrals and reviews."),
    ValueGroup.SMALL: _("Call them back to learn what they need; serve them through low-cost channels."),
}


def percentile(values: FloatArray, mask: BoolArray) -> FloatArray:
    """Mid-rank percentile (0–100) of each masked value among the masked values; NaN elsewhere."""
    out = np.full(len(values), np.nan)
    chosen = values[mask]
    if len(chosen) == 0:
        return out
    ordered = np.sort(chosen)
    below = np.searchsorted(ordered, chosen, side="left")
    at_or_below = np.searchsorted(ordered, chosen, side="right")
    out[mask] = 100.0 * (below + 0.5 * (at_or_below - below)) / len(chosen)
    return out


def quintile_score(values: FloatArray, mask: BoolArray) -> IntArray:
    """1–5 by mid-rank percentile among the masked values (ties share a score); 0 = not scored."""
    pct = percentile(values, mask)
    scores = np.clip(np.floor(np.nan_to_num(pct, nan=0.0) / 20.0) + 1, 1, 5).astype(np.int64)
    return np.where(mask, scores, 0)


def buyers(hist: History) -> BoolArray:
    return hist.n_days > 0


def recency_days(hist: History) -> IntArray:
    return np.where(buyers(hist), np.maximum(hist.as_of_day - hist.last_day, 0), 0)


def tenure_days(hist: History) -> IntArray:
    start = np.where(buyers(hist), np.minimum(hist.first_day, hist.created_day), hist.created_day)
    return np.maximum(hist.as_of_day - start, 0)


def rfm(hist: History) -> tuple[IntArray, IntArray, IntArray, npt.NDArray[np.object_]]:
    """(R, F, M scores, segment codes); 0 and "" for customers without a purchase."""
    mask = buyers(hist)
    r = quintile_score(-recency_days(hist).astype(np.float64), mask)
    f = quintile_score(hist.window_days.astype(np.float64), mask)
    m = quintile_score(np.maximum(hist.window_net, 0.0), mask)
    grid = np.array([[str(code) for code in row] for row in SEGMENT_GRID], dtype=object)
    segments = np.where(mask, grid[np.maximum(r, 1) - 1, np.maximum(f, 1) - 1], "")
    return r, f, m, segments


def regularity(hist: History) -> FloatArray:
    gaps = np.maximum(hist.n_days - 1, 0).astype(np.float64)
    safe = np.maximum(gaps, 1.0)
    mean = (hist.last_day - hist.first_day) / safe
    variance = np.maximum(hist.gap_sumsq / safe - mean * mean, 0.0)
    with np.errstate(divide="ignore", invalid="ignore"):
        cv = np.where(mean > 0, np.sqrt(variance) / mean, 0.0)
    regular = np.clip(1.0 - cv, 0.0, 1.0)
    return np.select([gaps >= 2, gaps == 1], [regular, 0.5], 0.0)


def loyalty(hist: History) -> FloatArray:
    """Loyalty score in [0, 1] for purchasers (NaN for the others); see the module docstring."""
    w = LOYALTY_WEIGHTS
    n = np.maximum(hist.n_days, 1).astype(np.float64)
    parts = (w["tenure"] * np.minimum(tenure_days(hist) / TENURE_FULL_DAYS, 1.0)
             + w["regularity"] * regularity(hist)
             + w["repeat"] * (np.maximum(hist.n_days - 1, 0) / n))
    answered = np.isfinite(hist.nps_mean)
    nps = np.clip(np.nan_to_num(hist.nps_mean, nan=0.0) / 10.0, 0.0, 1.0)
    base = w["tenure"] + w["regularity"] + w["repeat"]
    score = np.where(answered, (parts + w["nps"] * nps) / (base + w["nps"]), parts / base)
    return np.where(buyers(hist), np.clip(score, 0.0, 1.0), np.nan)


def value(hist: History, basis: str) -> FloatArray:
    return hist.window_profit.copy() if basis == "profit" else np.maximum(hist.window_net, 0.0)


def quadrants(hist: History, *, basis: str, high_percentile: float,
              high_loyalty: float) -> tuple[FloatArray, FloatArray, npt.NDArray[np.object_]]:
    """(value percentile, loyalty score, quadrant code) per customer."""
    mask = buyers(hist)
    val = value(hist, basis)
    pct = percentile(val, mask)
    loyal = loyalty(hist)
    high_value = (np.nan_to_num(pct, nan=-1.0) >= high_percentile) & (val > 0)
    high_loyal = np.nan_to_num(loyal, nan=-1.0) >= high_loyalty
    quadrant = np.select([high_value & high_loyal, high_value, high_loyal],
                         [Quadrant.CORE, Quadrant.KEEP, Quadrant.MAINTAIN], Quadrant.LOW).astype(object)
    return pct, loyal, np.where(mask, quadrant, "")


def value_group_codes(current: FloatArray, potential: FloatArray, word_of_mouth: FloatArray, mask: BoolArray,
                      high_percentile: float) -> npt.NDArray[np.object_]:
    """Seed 004's groups: key (high current and potential value), growth (high potential), stable (high current),
    advocate (speaks well of us: at least one positive survey answer), small (none of these). The first rule
    that applies wins; customers without a purchase can only be advocates or small."""
    high_current = (np.nan_to_num(percentile(current, mask), nan=-1.0) >= high_percentile) & (current > 0)
    high_potential = (np.nan_to_num(percentile(potential, mask), nan=-1.0) >= high_percentile) & (potential > 0)
    return np.select(
        [high_current & high_potential, high_potential, high_current, word_of_mouth > 0],
        [ValueGroup.KEY, ValueGroup.GROWTH, ValueGroup.STABLE, ValueGroup.ADVOCATE], ValueGroup.SMALL,
    ).astype(object)


def category_share(hist: History) -> FloatArray:
    if hist.categories_total <= 0:
        return np.zeros(len(hist))
    return np.clip(hist.categories_bought / hist.categories_total, 0.0, 1.0)
