"""Tickets (工单), their one thread of replies and internal notes, and SLA policies and holidays as data.

Who sees which ticket is decided here (`ticket_read_q`): whoever may see the customer, narrowed for service
staff to their queue — an agent sees the tickets assigned to them and the unassigned ones of their team, a
service manager those of their teams (department subtree) and the unrouted ones.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from guanxi.core.models import RestrictedQuerySet, SoftDeleteModel, TimeStampedModel, VersionedModel
from guanxi.customers.models.visibility import customer_read_q, customer_write_q
from guanxi.governance import permissions
from guanxi.governance.models import Role
from guanxi.governance.selectors import user_department_ids


def queue_q(user: Any, prefix: str = "") -> Q:
    """The service staff's queue narrowing (everyone else: no narrowing)."""
    role = permissions.role_of(user)
    p = prefix
    if role == Role.SERVICE_AGENT:
        return Q(**{f"{p}assignee_id": user.pk}) | (
            Q(**{f"{p}assignee__isnull": True})
            & (Q(**{f"{p}team__isnull": True}) | Q(**{f"{p}team_id__in": user_department_ids(user)})))
    if role == Role.SERVICE_MANAGER and getattr(user, "employee", None) and user.employee.department_id:
        return (Q(**{f"{p}team__isnull": True}) | Q(**{f"{p}team_id__in": user_department_ids(user)})
                | Q(**{f"{p}assignee_id": user.pk}))
    return Q()


def ticket_read_q(user: Any, prefix: str = "") -> Q:
    return Q(**{f"{prefix}deleted_at__isnull": True}) & customer_read_q(user, f"{prefix}customer__") & queue_q(
        user, prefix)


def ticket_write_q(user: Any, prefix: str = "") -> Q:
    return Q(**{f"{prefix}deleted_at__isnull": True}) & customer_write_q(user, f"{prefix}customer__") & queue_q(
        user, prefix)


class TicketQuerySet(RestrictedQuerySet):
    def visible_to(self, user: Any) -> TicketQuerySet:
        return self.filter(ticket_read_q(user))

    def editable_by(self, user: Any) -> TicketQuerySet:
        return self.filter(ticket_write_q(user))


class SlaState(models.TextChoices):
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("About to breach")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")
    MET = "met", _("Met")


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
    # E-mail: where replies go (the sender of the e-mail that opened the ticket, or the contact's address).
    requester_email = models.EmailField(_("requester e-mail"), blank=True)
    # The SLA clock (services/sla.py): due times in business hours, paused while waiting on the customer.
    sla_policy = models.ForeignKey("SlaPolicy", verbose_name=_("SLA policy"), null=True, blank=True,
                                   on_delete=models.SET_NULL, related_name="tickets")
    first_response_due = models.DateTimeField(_("first response due"), null=True, blank=True)
    resolution_due = models.DateTimeField(_("resolution due"), null=True, blank=True)
    sla_paused_at = models.DateTimeField(_("SLA paused at"), null=True, blank=True)
    sla_state = models.CharField(_("SLA"), max_length=10, choices=SlaState.choices, blank=True, db_index=True)
    first_response_breached = models.BooleanField(_("first response late"), default=False)
    resolution_breached = models.BooleanField(_("resolution late"), default=False)
    escalated_at = models.DateTimeField(_("escalated at"), null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(_("times reopened"), default=0)
    # A complaint closed with its follow-up step open: the manager's reason (services/complaints.py).
    close_override_reason = models.CharField(_("reason for closing early"), max_length=500, blank=True)
    close_override_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("closed early by"), null=True,
                                          blank=True, on_delete=models.SET_NULL, related_name="+")

    objects = TicketQuerySet.as_manager()

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["-id"]
        indexes = [
            models.Index(fields=["customer", "-id"]), models.Index(fields=["assignee", "status"]),
            models.Index(fields=["team", "status"]),
            models.Index(fields=["sla_state", "assignee"]),  # an agent's "about to breach" list
            # The SLA check job reads only the running clocks.
            models.Index(fields=["first_response_due"], name="ticket_frt_due_open",
                         condition=Q(first_responded_at__isnull=True, sla_paused_at__isnull=True,
                                     status__in=["new", "open", "reopened"])),
            models.Index(fields=["resolution_due"], name="ticket_res_due_open",
                         condition=Q(sla_paused_at__isnull=True, status__in=["new", "open", "reopened"])),
            models.Index(fields=["resolved_at"], name="ticket_resolved_at"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.subject}"


class TicketMessage(models.Model):
    class Kind(models.TextChoices):
        REPLY = "reply", _("Public reply")
        NOTE = "note", _("Internal note")
        CUSTOMER = "customer", _("From the customer")

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="messages")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("author"), null=True, blank=True,
                               on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices, default=Kind.REPLY)
    body = models.TextField(_("message"), max_length=20000)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # E-mail threading: the Message-ID sent or received for this message, and the sender of a received one.
    message_id = models.CharField(_("message id"), max_length=255, blank=True, db_index=True)
    email_from = models.EmailField(_("from"), blank=True)

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
    warning_minutes = models.PositiveIntegerField(_("warn before breach (minutes)"), default=60)
    is_active = models.BooleanField(_("active"), default=True)

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
