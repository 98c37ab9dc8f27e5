"""Returns, exchanges and refunds (退换货) against an order and its lines."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import RestrictedQuerySet, TimeStampedModel, VersionedModel
from guanxi.customers.models.visibility import customer_read_q, customer_write_q


class ReturnQuerySet(RestrictedQuerySet):
    def visible_to(self, user: Any) -> ReturnQuerySet:
        return self.filter(customer_read_q(user, "customer__"))

    def editable_by(self, user: Any) -> ReturnQuerySet:
        return self.filter(customer_write_q(user, "customer__"))


class ReturnRequest(TimeStampedModel, VersionedModel):
    class Kind(models.TextChoices):
        RETURN = "return", _("Return and refund")
        EXCHANGE = "exchange", _("Exchange")
        REFUND = "refund", _("Refund only")

    class Reason(models.TextChoices):
        QUALITY = "quality", _("Quality problem")
        WRONG_ITEM = "wrong_item", _("Wrong item sent")
        NOT_AS_DESCRIBED = "not_described", _("Not as described")
        DAMAGED = "damaged", _("Damaged in transit")
        LATE = "late", _("Late delivery")
        CHANGED_MIND = "changed_mind", _("Changed mind")
        OTHER = "other", _("Other")

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Waiting for approval")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        COMPLETED = "completed", _("Completed")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="return_requests")
    order = models.ForeignKey("customers.Order", verbose_name=_("order"), on_delete=models.CASCADE,
                              related_name="return_requests")
    ticket = models.ForeignKey("Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="return_requests")
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    reason = models.CharField(_("reason"), max_length=14, choices=Reason.choices)
    reason_note = models.CharField(_("details"), max_length=1000, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.REQUESTED,
                              db_index=True)
    refund_amount = models.DecimalField(_("refund amount"), max_digits=14, decimal_places=2, default=Decimal("0"),
                                        validators=[MinValueValidator(Decimal("0"))])
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("requested by"), null=True,
                                     blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("decided by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=1000, blank=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    objects = ReturnQuerySet.as_manager()

    class Meta:
        verbose_name = _("return or refund")
        verbose_name_plural = _("returns and refunds")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.number


class ReturnLine(models.Model):
    request = models.ForeignKey(ReturnRequest, on_delete=models.CASCADE, related_name="lines")
    order_line = models.ForeignKey("customers.OrderLine", verbose_name=_("order line"), on_delete=models.CASCADE,
                                   related_name="return_lines")
    quantity = models.DecimalField(_("quantity"), max_digits=12, decimal_places=2,
                                   validators=[MinValueValidator(Decimal("0.01"))])
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, default=Decimal("0"))

    class Meta:
        verbose_name = _("returned line")
        verbose_name_plural = _("returned lines")
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.order_line_id} × {self.quantity}"
