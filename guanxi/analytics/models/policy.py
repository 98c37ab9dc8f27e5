"""The analysis's settings as data: windows, thresholds, horizons (one row, edited on the settings page)."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class AnalyticsPolicy(models.Model):
    class ValueBasis(models.TextChoices):
        SPEND = "spend", _("Spend")
        PROFIT = "profit", _("Gross profit")

    monetary_window_months = models.PositiveSmallIntegerField(
        _("spend window (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(120)])
    value_basis = models.CharField(_("value from"), max_length=6, choices=ValueBasis.choices,
                                   default=ValueBasis.SPEND)
    high_value_percentile = models.PositiveSmallIntegerField(
        _("high value from percentile"), default=80, validators=[MinValueValidator(1), MaxValueValidator(99)],
        help_text=_("Customers whose value is at or above this percentile count as high value (80: the top 20%)."))
    high_loyalty_score = models.DecimalField(
        _("high loyalty from score"), max_digits=3, decimal_places=2, default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))])
    at_risk_p_alive = models.DecimalField(
        _("at risk below P(alive)"), max_digits=3, decimal_places=2, default=Decimal("0.50"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("1"))])
    at_risk_interval_factor = models.DecimalField(
        _("at risk after this many typical intervals"), max_digits=4, decimal_places=1, default=Decimal("2.0"),
        validators=[MinValueValidator(Decimal("1"))])
    churned_after_days = models.PositiveIntegerField(_("churned after days without a purchase"), default=365,
                                                     validators=[MinValueValidator(30)])
    clv_horizon_months = models.PositiveSmallIntegerField(
        _("lifetime value horizon (months)"), default=12, validators=[MinValueValidator(1), MaxValueValidator(120)])
    monthly_discount_rate = models.DecimalField(
        _("monthly discount rate"), max_digits=5, decimal_places=4, default=Decimal("0.0100"),
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("0.5"))])
    task_lead_days = models.PositiveSmallIntegerField(
        _("remind owners this many days before a predicted purchase"), default=7,
        validators=[MaxValueValidator(90)])
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("analysis settings")
        verbose_name_plural = _("analysis settings")

    def __str__(self) -> str:
        return str(_("analysis settings"))

    @classmethod
    def current(cls) -> AnalyticsPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy
