"""Opportunities (商机) moving through a pipeline of stages that an admin defines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import RestrictedQuerySet, SoftDeleteModel, TimeStampedModel, VersionedModel
from guanxi.customers.models.visibility import customer_read_q, customer_write_q
from guanxi.governance import permissions


class Pipeline(models.Model):
    name = models.CharField(_("name"), max_length=100)
    department = models.ForeignKey("governance.Department", verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="+",
                                   help_text=_("Empty: the company-wide pipeline."))
    is_default = models.BooleanField(_("default"), default=False)

    class Meta:
        verbose_name = _("pipeline")
        verbose_name_plural = _("pipelines")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Stage(models.Model):
    class Kind(models.TextChoices):
        OPEN = "open", _("Open")
        WON = "won", _("Won")
        LOST = "lost", _("Lost")
        INVALID = "invalid", _("Invalid")

    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.CASCADE, related_name="stages")
    name = models.CharField(_("name"), max_length=100)
    position = models.PositiveIntegerField(_("position"), default=0)
    probability = models.PositiveSmallIntegerField(_("win probability (%)"), default=10,
                                                   validators=[MaxValueValidator(100)])
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.OPEN)

    class Meta:
        verbose_name = _("stage")
        verbose_name_plural = _("stages")
        ordering = ["pipeline", "position", "id"]

    def __str__(self) -> str:
        return self.name


class OpportunityQuerySet(RestrictedQuerySet):
    """Opportunities follow their customer's visibility."""

    def visible_to(self, user: Any) -> OpportunityQuerySet:
        return self.filter(deleted_at__isnull=True).filter(customer_read_q(user, "customer__"))

    def editable_by(self, user: Any) -> OpportunityQuerySet:
        return self.filter(deleted_at__isnull=True).filter(customer_write_q(user, "customer__"))

    def restorable_by(self, user: Any) -> OpportunityQuerySet:
        """Deleted opportunities in the user's recycle bin: the RESTORE capability and a live customer the user
        may change. While the customer is in the bin too they are hidden, like its contacts and orders: restoring
        the customer comes first."""
        if not permissions.can(user, permissions.RESTORE):
            return self.none()
        return self.filter(deleted_at__isnull=False).filter(customer_write_q(user, "customer__"))


class Opportunity(TimeStampedModel, VersionedModel, SoftDeleteModel):
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="opportunities")
    name = models.CharField(_("name"), max_length=200)
    pipeline = models.ForeignKey(Pipeline, verbose_name=_("pipeline"), on_delete=models.PROTECT,
                                 related_name="opportunities")
    stage = models.ForeignKey(Stage, verbose_name=_("stage"), on_delete=models.PROTECT, related_name="opportunities")
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal("0"),
                                 validators=[MinValueValidator(Decimal("0"))])
    expected_close_date = models.DateField(_("expected close date"), null=True, blank=True, db_index=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("owner"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="opportunities")
    competitors = models.CharField(_("competitors"), max_length=300, blank=True)
    lost_reason = models.CharField(_("reason won or lost"), max_length=300, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, db_index=True)
    stage_changed_at = models.DateTimeField(_("in this stage since"), null=True, blank=True)
    position = models.IntegerField(_("position on the board"), default=0)
    campaign = models.ForeignKey("sales.Campaign", verbose_name=_("campaign"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="opportunities")
    lead = models.ForeignKey("sales.Lead", verbose_name=_("lead"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")
    notes = models.TextField(_("notes"), blank=True, max_length=5000)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = OpportunityQuerySet.as_manager()

    class Meta:
        verbose_name = _("opportunity")
        verbose_name_plural = _("opportunities")
        ordering = ["position", "-id"]
        indexes = [models.Index(fields=["pipeline", "stage", "deleted_at"]), models.Index(fields=["customer", "-id"])]

    def __str__(self) -> str:
        return self.name


class OpportunityLine(models.Model):
    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="lines")
    product = models.ForeignKey("customers.Product", verbose_name=_("product"), on_delete=models.PROTECT,
                                related_name="+")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=3, default=Decimal("1"),
                                   validators=[MinValueValidator(Decimal("0"))])
    unit_price = models.DecimalField(_("unit price"), max_digits=14, decimal_places=2, default=Decimal("0"),
                                     validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        verbose_name = _("opportunity product")
        verbose_name_plural = _("opportunity products")

    def __str__(self) -> str:
        return str(self.product)


class StageChange(models.Model):
    """Every move of an opportunity between stages, so conversion rates and time in stage can be computed."""

    opportunity = models.ForeignKey(Opportunity, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.ForeignKey(Stage, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    to_stage = models.ForeignKey(Stage, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField(_("time"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+")
    reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("stage change")
        verbose_name_plural = _("stage changes")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_stage} → {self.to_stage}"


class Target(models.Model):
    """业绩目标: a number to reach in a month or quarter, for the company, a department or a person."""

    class Period(models.TextChoices):
        MONTH = "month", _("Month")
        QUARTER = "quarter", _("Quarter")

    class Metric(models.TextChoices):
        REVENUE = "revenue", _("Revenue")
        NEW_CUSTOMERS = "new_customers", _("New customers won")
        GROSS_PROFIT = "gross_profit", _("Gross profit")
        FOLLOW_UPS = "follow_ups", _("Follow-ups")

    period = models.CharField(_("period"), max_length=8, choices=Period.choices, default=Period.MONTH)
    period_start = models.DateField(_("period starts"))
    metric = models.CharField(_("metric"), max_length=14, choices=Metric.choices)
    department = models.ForeignKey("governance.Department", verbose_name=_("department"), null=True, blank=True,
                                   on_delete=models.CASCADE, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("employee"), null=True, blank=True,
                             on_delete=models.CASCADE, related_name="+")
    value = models.DecimalField(_("target"), max_digits=16, decimal_places=2,
                                validators=[MinValueValidator(Decimal("0"))])

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["-period_start", "metric"]
        constraints = [
            models.UniqueConstraint(fields=["period", "period_start", "metric", "department", "user"],
                                    name="target_unique_per_scope", nulls_distinct=False),
        ]

    def __str__(self) -> str:
        return f"{self.get_metric_display()} {self.period_start:%Y-%m}"
