"""The six-step complaint flow (seed 001) and what was given to make up for it."""

from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class ComplaintStep(models.Model):
    class Step(models.TextChoices):
        # In the order seed 001 gives them.
        APOLOGISE = "apologise", _("Apologise")
        RESTATE = "restate", _("Restate the problem")
        EMPATHISE = "empathise", _("Show understanding")
        COMPENSATE = "compensate", _("Compensate")
        FOLLOW_UP = "follow_up", _("Follow up within one week")
        EXCEED = "exceed", _("Do more than competitors")

    ticket = models.ForeignKey("Ticket", on_delete=models.CASCADE, related_name="complaint_steps")
    step = models.CharField(_("step"), max_length=12, choices=Step.choices)
    position = models.PositiveSmallIntegerField(_("position"))
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")
    note = models.CharField(_("note"), max_length=1000, blank=True)
    # The follow-up step's task, due seven days after the complaint was resolved.
    task = models.ForeignKey("customers.Task", verbose_name=_("task"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("complaint step")
        verbose_name_plural = _("complaint steps")
        ordering = ["ticket", "position"]
        constraints = [models.UniqueConstraint(fields=["ticket", "step"], name="complaint_step_once")]

    def __str__(self) -> str:
        return self.get_step_display()


class Compensation(models.Model):
    class Kind(models.TextChoices):
        REFUND = "refund", _("Refund")
        COUPON = "coupon", _("Coupon")
        POINTS = "points", _("Points")
        GIFT = "gift", _("Gift")
        OTHER = "other", _("Other")

    ticket = models.ForeignKey("Ticket", on_delete=models.CASCADE, related_name="compensations")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)
    amount = models.DecimalField(_("face value"), max_digits=14, decimal_places=2, default=Decimal("0"),
                                 validators=[MinValueValidator(Decimal("0"))])
    cost = models.DecimalField(_("cost to us"), max_digits=14, decimal_places=2, default=Decimal("0"),
                               validators=[MinValueValidator(Decimal("0"))])
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("compensation")
        verbose_name_plural = _("compensations")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount}"
