"""Per-customer metrics as of a date (services/metrics.py writes them), and the runs that computed them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RfmSegment(models.TextChoices):
    CHAMPIONS = "champions", _("Champions")
    LOYAL = "loyal", _("Loyal")
    POTENTIAL = "potential", _("Potential loyalists")
    NEW = "new", _("New customers")
    PROMISING = "promising", _("Promising")
    NEED_ATTENTION = "attention", _("Need attention")
    ABOUT_TO_SLEEP = "about_to_sleep", _("About to sleep")
    AT_RISK = "at_risk", _("At risk")
    CANT_LOSE = "cant_lose", _("Can't lose them")
    HIBERNATING = "hibernating", _("Hibernating")
    LOST = "lost", _("Lost")


class Quadrant(models.TextChoices):
    """Value × loyalty (seed 002 §3)."""

    CORE = "core", _("Core (high value, high loyalty)")
    KEEP = "keep", _("Keep (high value, low loyalty)")
    MAINTAIN = "maintain", _("Maintain (low value, high loyalty)")
    LOW = "low", _("Low value")


class ValueGroup(models.TextChoices):
    """Current, potential and word-of-mouth value (seed 004): four groups, each with its treatment."""

    KEY = "key", _("Key: high current and potential value")
    GROWTH = "growth", _("Growth: high potential value")
    STABLE = "stable", _("Stable: high current value, little potential")
    ADVOCATE = "advocate", _("Advocate: speaks well of us")
    SMALL = "small", _("Small: low on every count")


class ChurnState(models.TextChoices):
    ACTIVE = "active", _("Active")
    AT_RISK = "at_risk", _("At risk")
    CHURNED = "churned", _("Churned")
    NO_PURCHASE = "none", _("No purchase yet")


class PredictionMethod(models.TextChoices):
    MODEL = "bgnbd", _("BG/NBD and Gamma-Gamma model")
    RULES = "rules", _("Simple rules (the model could not be fitted)")
    NONE = "none", _("Not enough history")


class CustomerMetrics(models.Model):
    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, primary_key=True,
                                    related_name="metrics")
    as_of = models.DateField(_("as of"))
    computed_at = models.DateTimeField(_("computed at"))
    # Purchase history (net of refunds, cancelled orders left out).
    first_order_at = models.DateTimeField(_("first purchase"), null=True, blank=True)
    last_order_at = models.DateTimeField(_("last purchase"), null=True, blank=True)
    orders_count = models.PositiveIntegerField(_("purchases"), default=0)
    lifetime_spend = models.DecimalField(_("spend to date"), max_digits=16, decimal_places=2, default=0)
    # RFM over the policy's window.
    recency_days = models.PositiveIntegerField(_("days since last purchase"), null=True, blank=True)
    frequency = models.PositiveIntegerField(_("purchases in the window"), default=0)
    monetary = models.DecimalField(_("spend in the window"), max_digits=16, decimal_places=2, default=0)
    profit = models.DecimalField(_("gross profit in the window"), max_digits=16, decimal_places=2, default=0)
    r_score = models.PositiveSmallIntegerField("R", null=True, blank=True)
    f_score = models.PositiveSmallIntegerField("F", null=True, blank=True)
    m_score = models.PositiveSmallIntegerField("M", null=True, blank=True)
    rfm_segment = models.CharField(_("RFM segment"), max_length=14, choices=RfmSegment.choices, blank=True,
                                   db_index=True)
    # Value × loyalty.
    value_percentile = models.FloatField(_("value percentile"), null=True, blank=True)
    loyalty_score = models.FloatField(_("loyalty score"), null=True, blank=True)
    quadrant = models.CharField(_("value × loyalty"), max_length=8, choices=Quadrant.choices, blank=True,
                                db_index=True)
    current_value = models.DecimalField(_("current value"), max_digits=16, decimal_places=2, default=0)
    potential_value = models.DecimalField(_("potential value"), max_digits=16, decimal_places=2, default=0)
    word_of_mouth = models.FloatField(_("word-of-mouth value"), default=0)
    value_group = models.CharField(_("value group"), max_length=8, choices=ValueGroup.choices, blank=True)
    # Relationship width, length, depth.
    tenure_days = models.PositiveIntegerField(_("customer for (days)"), default=0)
    active_relationships = models.PositiveIntegerField(_("active relationships"), default=0)
    category_share = models.FloatField(_("share of product categories bought"), default=0)
    # Prediction.
    method = models.CharField(_("prediction"), max_length=5, choices=PredictionMethod.choices,
                              default=PredictionMethod.NONE)
    p_alive = models.FloatField(_("P(alive)"), null=True, blank=True)
    expected_30 = models.FloatField(_("expected purchases, 30 days"), null=True, blank=True)
    expected_90 = models.FloatField(_("expected purchases, 90 days"), null=True, blank=True)
    expected_365 = models.FloatField(_("expected purchases, 365 days"), null=True, blank=True)
    expected_order_value = models.DecimalField(_("expected spend per purchase"), max_digits=16, decimal_places=2,
                                               null=True, blank=True)
    clv = models.DecimalField(_("lifetime value"), max_digits=16, decimal_places=2, null=True, blank=True)
    typical_interval_days = models.FloatField(_("usual days between purchases"), null=True, blank=True)
    next_purchase_date = models.DateField(_("predicted next purchase"), null=True, blank=True, db_index=True)
    run_out_date = models.DateField(_("predicted run-out"), null=True, blank=True, db_index=True)
    churn_state = models.CharField(_("churn"), max_length=8, choices=ChurnState.choices,
                                   default=ChurnState.NO_PURCHASE, db_index=True)

    class Meta:
        verbose_name = _("customer metrics")
        verbose_name_plural = _("customer metrics")

    def __str__(self) -> str:
        return f"{self.customer_id} @ {self.as_of}"


class MetricsRun(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    as_of = models.DateField(_("as of"))
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.QUEUED)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    progress = models.PositiveIntegerField(_("done"), default=0)
    total = models.PositiveIntegerField(_("to do"), default=0)
    message = models.CharField(_("message"), max_length=500, blank=True)
    # Fitted parameters, convergence, log-likelihood, counts per segment: what the run found.
    summary = models.JSONField(_("summary"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("analysis run")
        verbose_name_plural = _("analysis runs")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.as_of} {self.status}"


class BacktestRun(models.Model):
    """Predictions from a calibration period compared with what customers then bought (services/backtest.py)."""

    calibration_end = models.DateField(_("calibration ends"))
    holdout_end = models.DateField(_("holdout ends"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("started by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(_("status"), max_length=8, choices=MetricsRun.Status.choices,
                              default=MetricsRun.Status.QUEUED)
    result = models.JSONField(_("result"), default=dict, blank=True)

    class Meta:
        verbose_name = _("back-test")
        verbose_name_plural = _("back-tests")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"{self.calibration_end} → {self.holdout_end}"


class UsageRate(models.Model):
    """How fast a customer uses up a product (the rice seller's notebook): predicts the run-out date."""

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="usage_rates")
    product = models.ForeignKey("customers.Product", verbose_name=_("product"), on_delete=models.CASCADE,
                                related_name="+")
    units_per_day = models.DecimalField(_("used per day"), max_digits=12, decimal_places=3)
    note = models.CharField(_("note"), max_length=200, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("usage rate")
        verbose_name_plural = _("usage rates")
        constraints = [models.UniqueConstraint(fields=["customer", "product"], name="usage_rate_once")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.product_id} {self.units_per_day}/d"
