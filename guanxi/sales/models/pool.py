"""The public pool (公海): rules as data, locks, and handover batches."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

POSITIVE = [MinValueValidator(0)]


class Pool(models.Model):
    """A public pool and its rules. A customer with no owner is in the pool of its department
    (the nearest department up the tree that has one), or in the company pool (no department)."""

    name = models.CharField(_("name"), max_length=100)
    department = models.OneToOneField("governance.Department", verbose_name=_("department"), null=True, blank=True,
                                      on_delete=models.CASCADE, related_name="pool",
                                      help_text=_("Empty: the company-wide pool."))
    is_active = models.BooleanField(_("recycling on"), default=True)
    # Recycling: a value of None switches that rule off.
    no_follow_up_days = models.PositiveIntegerField(
        _("recycle after days without follow-up"), null=True, blank=True, validators=POSITIVE,
        help_text=_("Counted from the later of the last follow-up and the claim."))
    no_opportunity_days = models.PositiveIntegerField(
        _("recycle when no opportunity within days of claiming"), null=True, blank=True, validators=POSITIVE)
    not_won_days = models.PositiveIntegerField(
        _("recycle when not won within days of claiming"), null=True, blank=True, validators=POSITIVE)
    warn_days_before = models.PositiveIntegerField(_("warn the owner days before"), default=3, validators=POSITIVE)
    exempt_won = models.BooleanField(_("never recycle customers who have bought"), default=True)
    exempt_open_opportunity = models.BooleanField(_("never recycle customers with an open opportunity"),
                                                  default=True)
    # Claiming.
    daily_claim_limit = models.PositiveIntegerField(_("claims per rep per day"), null=True, blank=True,
                                                    validators=POSITIVE)
    holding_limit = models.PositiveIntegerField(_("customers a rep may hold"), null=True, blank=True,
                                                validators=POSITIVE)
    holding_counts_won = models.BooleanField(_("customers who have bought count toward the holding limit"),
                                             default=False)
    reclaim_block_days = models.PositiveIntegerField(_("days before a former owner may claim again"), default=0,
                                                     validators=POSITIVE)
    lock_limit = models.PositiveIntegerField(_("key customers a rep may lock"), default=5, validators=POSITIVE)

    class Meta:
        verbose_name = _("public pool")
        verbose_name_plural = _("public pools")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PoolLevelRule(models.Model):
    """Different day counts for customers of one level (e.g. A-level customers are kept longer)."""

    pool = models.ForeignKey(Pool, on_delete=models.CASCADE, related_name="level_rules")
    level = models.CharField(_("customer level"), max_length=1)
    no_follow_up_days = models.PositiveIntegerField(_("days without follow-up"), null=True, blank=True,
                                                    validators=POSITIVE)
    no_opportunity_days = models.PositiveIntegerField(_("days without opportunity"), null=True, blank=True,
                                                      validators=POSITIVE)
    not_won_days = models.PositiveIntegerField(_("days without winning"), null=True, blank=True,
                                               validators=POSITIVE)

    class Meta:
        verbose_name = _("pool rule for a customer level")
        verbose_name_plural = _("pool rules for customer levels")
        constraints = [models.UniqueConstraint(fields=["pool", "level"], name="pool_level_rule_unique")]

    def __str__(self) -> str:
        return f"{self.pool}: {self.level}"


class Handover(models.Model):
    """离职交接: one audited batch moving everything a person owns to others or to the pool."""

    from_user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("from"), on_delete=models.PROTECT,
                                  related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True, on_delete=models.SET_NULL,
                              related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    deactivate = models.BooleanField(_("the person has left"), default=True)
    keep_read_access_until = models.DateField(_("keep read access until"), null=True, blank=True)
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("handover")
        verbose_name_plural = _("handovers")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.from_user} {self.created_at:%Y-%m-%d}"
