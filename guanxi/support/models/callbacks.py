"""Callbacks (回访): rules that schedule them, and the callbacks themselves with their outcome."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import RestrictedQuerySet, TimeStampedModel, VersionedModel
from guanxi.customers.models.visibility import customer_read_q, customer_write_q


class CallbackRule(models.Model):
    class Trigger(models.TextChoices):
        ORDER_DELIVERED = "order_delivered", _("Order delivered")
        TICKET_CLOSED = "ticket_closed", _("Ticket closed")

    name = models.CharField(_("name"), max_length=100)
    trigger = models.CharField(_("after"), max_length=16, choices=Trigger.choices)
    days = models.PositiveSmallIntegerField(_("days after"), validators=[MaxValueValidator(365)])
    ticket_type = models.CharField(_("only tickets of type"), max_length=12, blank=True)
    script = models.TextField(_("script"), max_length=5000, blank=True,
                              help_text=_("What the agent says and asks on the call."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("callback rule")
        verbose_name_plural = _("callback rules")
        ordering = ["trigger", "days", "id"]

    def __str__(self) -> str:
        return self.name


class CallbackQuerySet(RestrictedQuerySet):
    """Whoever sees the customer sees its callbacks; agents also always see the ones assigned to them."""

    def visible_to(self, user: Any) -> CallbackQuerySet:
        return self.filter(customer_read_q(user, "customer__"))

    def editable_by(self, user: Any) -> CallbackQuerySet:
        return self.filter(customer_write_q(user, "customer__"))


class Callback(TimeStampedModel, VersionedModel):
    class Status(models.TextChoices):
        PENDING = "pending", _("To call")
        DONE = "done", _("Done")
        UNREACHABLE = "unreachable", _("Could not reach")
        CANCELLED = "cancelled", _("Cancelled")

    rule = models.ForeignKey(CallbackRule, verbose_name=_("rule"), null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="callbacks")
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="callbacks")
    order = models.ForeignKey("customers.Order", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="callbacks")
    ticket = models.ForeignKey("Ticket", verbose_name=_("ticket"), null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="callbacks")
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), on_delete=models.PROTECT,
                                 related_name="callbacks")
    due_date = models.DateField(_("due"), db_index=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PENDING)
    outcome = models.TextField(_("outcome"), max_length=5000, blank=True)
    satisfaction = models.PositiveSmallIntegerField(_("satisfaction (1-5)"), null=True, blank=True,
                                                    validators=[MinValueValidator(1), MaxValueValidator(5)])
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("done by"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="+")

    objects = CallbackQuerySet.as_manager()

    class Meta:
        verbose_name = _("callback")
        verbose_name_plural = _("callbacks")
        ordering = ["due_date", "id"]
        indexes = [models.Index(fields=["assignee", "status", "due_date"])]
        constraints = [
            # A rule schedules one callback per order and per ticket, however often the job runs.
            models.UniqueConstraint(fields=["rule", "order"], condition=Q(order__isnull=False),
                                    name="callback_once_per_order"),
            models.UniqueConstraint(fields=["rule", "ticket"], condition=Q(ticket__isnull=False),
                                    name="callback_once_per_ticket"),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.due_date}"
