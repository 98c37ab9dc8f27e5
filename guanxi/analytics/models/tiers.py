"""Member tiers (会员等级) as data, each customer's tier, and the history of moves."""

from __future__ import annotations

from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class Tier(models.Model):
    name = models.CharField(_("name"), max_length=50)
    position = models.PositiveSmallIntegerField(_("rank"), help_text=_("0 is the lowest tier."))
    min_spend = models.DecimalField(_("from rolling spend"), max_digits=16, decimal_places=2, default=Decimal("0"),
                                    validators=[MinValueValidator(Decimal("0"))])
    min_points = models.PositiveIntegerField(_("or from points"), null=True, blank=True)
    benefits = models.TextField(_("benefits"), max_length=5000, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("tier")
        verbose_name_plural = _("tiers")
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["position"], name="tier_position_unique")]

    def __str__(self) -> str:
        return self.name


class CustomerTier(models.Model):
    customer = models.OneToOneField("customers.Customer", on_delete=models.CASCADE, primary_key=True,
                                    related_name="tier_status")
    tier = models.ForeignKey(Tier, verbose_name=_("tier"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="members")
    since = models.DateField(_("since"))
    rolling_spend = models.DecimalField(_("rolling spend"), max_digits=16, decimal_places=2, default=Decimal("0"))
    points = models.PositiveIntegerField(_("points"), default=0)
    # A customer who would drop a tier keeps it until this date (one period of protection).
    protected_until = models.DateField(_("protected until"), null=True, blank=True)

    class Meta:
        verbose_name = _("customer tier")
        verbose_name_plural = _("customer tiers")

    def __str__(self) -> str:
        return f"{self.customer_id} {self.tier_id}"


class TierPolicy(models.Model):
    class Period(models.TextChoices):
        MONTH = "month", _("Monthly")
        QUARTER = "quarter", _("Quarterly")
        YEAR = "year", _("Yearly")

    period = models.CharField(_("re-tier"), max_length=8, choices=Period.choices, default=Period.QUARTER)
    window_months = models.PositiveSmallIntegerField(_("rolling spend over (months)"), default=12,
                                                     validators=[MinValueValidator(1)])
    downgrade_protection = models.BooleanField(_("protect from downgrade for one period"), default=True)
    last_run_on = models.DateField(_("last re-tiered"), null=True, blank=True)

    class Meta:
        verbose_name = _("tier settings")
        verbose_name_plural = _("tier settings")

    def __str__(self) -> str:
        return self.get_period_display()

    @classmethod
    def current(cls) -> TierPolicy:
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy


class TierChange(models.Model):
    class Direction(models.TextChoices):
        UP = "up", _("Up")
        DOWN = "down", _("Down")
        KEPT = "kept", _("Kept by protection")
        FIRST = "first", _("First tier")

    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="tier_changes")
    from_tier = models.ForeignKey(Tier, verbose_name=_("from"), null=True, blank=True, on_delete=models.SET_NULL,
                                  related_name="+")
    to_tier = models.ForeignKey(Tier, verbose_name=_("to"), null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+")
    direction = models.CharField(_("direction"), max_length=5, choices=Direction.choices)
    reason = models.CharField(_("why"), max_length=300, blank=True)
    as_of = models.DateField(_("as of"), db_index=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("tier change")
        verbose_name_plural = _("tier changes")
        ordering = ["-as_of", "-id"]
        indexes = [models.Index(fields=["customer", "-as_of"])]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.direction} {self.as_of}"
