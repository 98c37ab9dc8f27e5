"""Tickets (工单), their one thread of replies and internal notes, and SLA policies and holidays as data."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import RestrictedQuerySet, SoftDeleteModel, TimeStampedModel, VersionedModel
from guanxi.customers.models.visibility import customer_read_q, customer_write_q


class TicketQuerySet(RestrictedQuerySet):
    """Tickets follow their customer's visibility."""

    def visible_to(self, user: Any) -> TicketQuerySet:
        return self.filter(deleted_at__isnull=True).filter(customer_read_q(user, "customer__"))

    def editable_by(self, user: Any) -> TicketQuerySet:
        return self.filter(deleted_at__isnull=True).filter(customer_write_q(user, "customer__"))


class Ticket(TimeStampedModel, VersionedModel, SoftDeleteModel):
    class Type(models.TextChoices):
        INQUIRY = "inquiry", _("Inquiry")
        COMPLAINT = "complaint", _("Complaint")
        RETURN = "return", _("Return, exchange or refund")
        REPAIR = "repair", _("Repair")
        SUGGESTION = "suggestion", _("Suggestion")

    class Priority(models.TextChoices):
        LOW = "low", _("Low")
        NORMAL = "normal", _("Normal")
        HIGH = "high", _("High")
        URGENT = "urgent", _("Urgent")

    class Channel(models.TextChoices):
        PHONE = "phone", _("Phone")
        EMAIL = "email", _("Email")
        WECHAT = "wechat", _("WeChat")
        WEB = "web", _("Web form")
        CHAT = "chat", _("Chat")
        IN_PERSON = "in_person", _("In person")

    class Status(models.TextChoices):
        NEW = "new", _("New")
        OPEN = "open", _("Open")
        WAITING = "waiting", _("Waiting on customer")
        RESOLVED = "resolved", _("Resolved")
        CLOSED = "closed", _("Closed")
        REOPENED = "reopened", _("Reopened")

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    type = models.CharField(_("type"), max_length=12, choices=Type.choices, default=Type.INQUIRY)
    priority = models.CharField(_("priority"), max_length=8, choices=Priority.choices, default=Priority.NORMAL)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices, default=Channel.PHONE)
    customer = models.ForeignKey("customers.Customer", verbose_name=_("customer"), on_delete=models.CASCADE,
                                 related_name="tickets")
    contact = models.ForeignKey("customers.Contact", verbose_name=_("contact"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="tickets")
    order = models.ForeignKey("customers.Order", verbose_name=_("order"), null=True, blank=True,
                              on_delete=models.SET_NULL, related_name="tickets")
    product = models.ForeignKey("customers.Product", verbose_name=_("product"), null=True, blank=True,
                                on_delete=models.SET_NULL, related_name="tickets")
    subject = models.CharField(_("subject"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW,
                              db_index=True)
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("assignee"), null=True, blank=True,
                                 on_delete=models.SET_NULL, related_name="tickets")
    team = models.ForeignKey("governance.Department", verbose_name=_("team"), null=True, blank=True,
                             on_delete=models.SET_NULL, related_name="tickets")
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="+")

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-id"]
        indexes = [models.Index(fields=["customer", "-id"]), models.Index(fields=["assignee", "status"])]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class TicketMessage(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=6, choices=Kind.choices, default=Kind.REPLY)
    body = models.TextField(_("message"), max_length=20000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("ticket message")
        verbose_name_plural = _("ticket messages")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return self.body[:50]


class SlaPolicy(models.Model):
    """Targets for a priority and (optionally) a customer level, counted in business hours."""

    name = models.CharField(_("name"), max_length=100)
    priority = models.CharField(_("priority"), max_length=8, choices=Ticket.Priority.choices)
    customer_level = models.CharField(_("customer level"), max_length=20, blank=True,
                                      help_text=_("Empty: any level."))
    first_response_minutes = models.PositiveIntegerField(_("first response within (minutes)"))
    resolution_minutes = models.PositiveIntegerField(_("resolution within (minutes)"))
    business_start = models.TimeField(_("business hours start"), default="09:00")
    business_end = models.TimeField(_("business hours end"), default="18:00")
    weekdays = models.CharField(_("working weekdays"), max_length=20, default="1,2,3,4,5",
                                help_text=_("ISO weekday numbers, 1 = Monday, separated by commas."))

    class Meta:
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        ordering = ["priority", "customer_level", "id"]

    def __str__(self) -> str:
        return self.name


class Holiday(models.Model):
    """A public holiday, or (is_workday) a make-up working day on a weekend (调休)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("make-up working day"), default=False)
    name = models.CharField(_("name"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("holiday")
        verbose_name_plural = _("holidays")
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"
