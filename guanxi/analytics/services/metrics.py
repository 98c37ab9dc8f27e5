"""The metrics job: read the history as of a date, score and predict in NumPy, store one row per customer,
and prompt the owners (proactive tasks).

``compute_metrics(as_of=…)`` is what the background task, the daily schedule and ``guanxi analytics
run`` call (through ``services/runs.py``). What each figure means: ``history`` (what data counts),
``scoring`` (RFM, loyalty, quadrant, value groups), ``prediction`` (models, rules, churn),
``usage`` (run-out dates), ``proactive`` (tasks).

The job is not one transaction: the rows are written in batches of ``BATCH`` (each batch atomic), so
a run over a million customers neither holds the database's write lock for minutes nor hides its
progress. Every row carries its ``as_of``; a run that fails half-way leaves the rows it wrote
(valid for their date) and the older rows, and is marked failed.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
import numpy.typing as npt
from django.utils import timezone

from guanxi.analytics.models import AnalyticsPolicy, ChurnState, CustomerMetrics, MetricsRun, PredictionMethod

from . import scoring
from .history import FloatArray, History, IntArray, end_of_day, read_history
from .metrics_store import store_metrics
from .prediction import Prediction, predict
from .proactive import create_proactive_tasks
from .usage import run_out_days

logger = logging.getLogger(__name__)
Progress = Callable[[int, int], None]


@dataclass
class Computed:
    """Everything the job found, one array entry per customer of ``hist`` (same order)."""

    hist: History
    r: IntArray
    f: IntArray
    m: IntArray
    segment: npt.NDArray[np.object_]
    value_percentile: FloatArray
    loyalty: FloatArray
    quadrant: npt.NDArray[np.object_]
    current: FloatArray
    word_of_mouth: FloatArray
    value_group: npt.NDArray[np.object_]
    tenure: IntArray
    category_share: FloatArray
    pred: Prediction
    run_out_day: FloatArray


class _Reporter:
    """Progress of the two passes (read, write) as one count, to the run row and/or a callback."""

    def __init__(self, run: MetricsRun | None, progress: Progress | None):
        self.run, self.callback, self.total = run, progress, 0

    def report(self, done: int) -> None:
        if self.run is not None:
            MetricsRun.objects.filter(pk=self.run.pk).update(progress=done, total=self.total)
        if self.callback is not None:
            self.callback(done, self.total)

    def reading(self, done: int, n: int) -> None:
        self.total = 2 * n
        self.report(done)

    def writing(self, done: int, n: int) -> None:
        self.total = 2 * n
        self.report(n + done)


def compute(hist: History, policy: AnalyticsPolicy) -> Computed:
    """All scores and predictions from the history (pure NumPy; no database access but the usage rates)."""
    r, f, m, segment = scoring.rfm(hist)
    pct, loyal, quadrant = scoring.quadrants(hist, basis=policy.value_basis,
                                             high_percentile=float(policy.high_value_percentile),
                                             high_loyalty=float(policy.high_loyalty_score))
    pred = predict(hist, policy)
    current = np.maximum(hist.window_net, 0.0)
    word_of_mouth = hist.positive_answers.astype(np.float64)
    groups = scoring.value_group_codes(current, np.nan_to_num(pred.potential, nan=0.0), word_of_mouth,
                                       scoring.buyers(hist), float(policy.high_value_percentile))
    return Computed(hist=hist, r=r, f=f, m=m, segment=segment, value_percentile=pct, loyalty=loyal,
                    quadrant=quadrant, current=current, word_of_mouth=word_of_mouth, value_group=groups,
                    tenure=scoring.tenure_days(hist), category_share=scoring.category_share(hist), pred=pred,
                    run_out_day=run_out_days(hist, end_of_day(hist.as_of)))


def compute_metrics(*, as_of: date, run: MetricsRun | None = None, progress: Progress | None = None,
                    create_tasks: bool | None = None) -> dict[str, Any]:
    """Compute and store every customer's metrics as of `as_of`; returns the run's summary.

    Proactive tasks are created only for a run as of today (`create_tasks=None`): a back-dated run
    would prompt for dates long past."""
    policy = AnalyticsPolicy.current()
    reporter = _Reporter(run, progress)
    started = timezone.now()
    hist = read_history(as_of=as_of, window_months=policy.monetary_window_months, progress=reporter.reading)
    read_at = timezone.now()
    computed = compute(hist, policy)
    previously_at_risk = np.fromiter(
        CustomerMetrics.objects.filter(churn_state=ChurnState.AT_RISK).values_list("customer_id", flat=True)
        .iterator(chunk_size=20_000), dtype=np.int64)
    fitted_at = timezone.now()
    written = store_metrics(computed, computed_at=started, progress=reporter.writing)
    removed, _ = CustomerMetrics.objects.filter(customer__deleted_at__isnull=False).delete()
    if create_tasks is None:
        create_tasks = as_of == timezone.localdate()
    tasks = create_proactive_tasks(computed, lead_days=policy.task_lead_days,
                                   previously_at_risk=previously_at_risk) if create_tasks else {}
    reporter.total = max(reporter.total, 1)
    reporter.report(reporter.total)
    summary = _summary(computed, written=written, removed=removed, tasks=tasks)
    summary["seconds"] = {"read": round((read_at - started).total_seconds(), 2),
                          "compute": round((fitted_at - read_at).total_seconds(), 2),
                          "total": round((timezone.now() - started).total_seconds(), 2)}
    logger.info("metrics as of %s: %s customers in %ss", as_of, written, summary["seconds"]["total"])
    return json_safe(summary)


def json_safe(value: Any) -> Any:
    """The summary as plain JSON: NumPy numbers to Python ones, NaN and infinity to null (PostgreSQL's jsonb
    refuses them; an unfitted model's parameters can be infinite)."""
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value if value is None or isinstance(value, str) else str(value)


def _counts(values: npt.NDArray[Any]) -> dict[str, int]:
    return {str(k): n for k, n in sorted(Counter(values.tolist()).items()) if k}


def _summary(c: Computed, *, written: int, removed: int, tasks: dict[str, int]) -> dict[str, Any]:
    hist, buyers = c.hist, scoring.buyers(c.hist)
    return {
        "as_of": hist.as_of.isoformat(),
        "customers": written,
        "with_purchases": int(buyers.sum()),
        "method": str(c.pred.method),
        "method_label": str(PredictionMethod(c.pred.method).label),
        "model": c.pred.summary,
        "segments": _counts(c.segment),
        "quadrants": _counts(c.quadrant),
        "value_groups": _counts(c.value_group),
        "churn": _counts(c.pred.churn),
        # Bad input met on the way: reported, not fatal.
        "negative_spend_customers": int(np.sum(hist.lifetime_net < 0)),
        "orders_before_customer_created": int(np.sum(buyers & (hist.first_day < hist.created_day))),
        "removed_rows_of_deleted_customers": removed,
        "tasks": tasks,
    }
