"""Writes on tickets: create, edit, reply or note, status changes, assignment.

Every write is validated, version-checked where the caller read a version, saved and audited with the
customer's id (so it shows on the customer's timeline) in one transaction, through customers/services/records.py.
The other service-desk rules hook in here, each in its own module: routing and the SLA clock when a ticket is
opened or changes, the complaint steps, the reply e-mail, and the survey and callback after closing.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.customers.services.records import record_create, record_update
from guanxi.governance import permissions

from ..models import Ticket, TicketMessage
from . import callbacks, complaints, mail, numbering, routing, sla, surveys

EDITABLE_FIELDS = {"type", "priority", "channel", "contact", "order", "product", "subject", "team"}
CREATE_FIELDS = EDITABLE_FIELDS | {"assignee"}
Status = Ticket.Status
# Where each target status may be reached from.
ALLOWED_FROM = {
    Status.OPEN: {Status.NEW, Status.WAITING, Status.REOPENED},
    Status.WAITING: {Status.NEW, Status.OPEN, Status.REOPENED},
    Status.RESOLVED: {Status.NEW, Status.OPEN, Status.WAITING, Status.REOPENED},
    Status.CLOSED: {Status.RESOLVED},
    Status.REOPENED: {Status.RESOLVED, Status.CLOSED},
}


def _check_customer(actor: Any, customer: Customer) -> None:
    if not permissions.can(actor, permissions.CHANGE) or not Customer.objects.editable_by(actor).filter(
            pk=customer.pk).exists():
        raise PermissionDeniedError()


def _check_ticket(actor: Any, ticket: Ticket) -> None:
    if not permissions.can(actor, permissions.CHANGE) or not Ticket.objects.editable_by(actor).filter(
            pk=ticket.pk).exists():
        raise PermissionDeniedError()


def _check_fields(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})


def _check_links(customer: Customer, data: dict[str, Any]) -> None:
    errors = {}
    for name in ("contact", "order"):
        obj = data.get(name)
        if obj is not None and obj.customer_id != customer.pk:
            errors[name] = [_("This belongs to another customer.")]
    if errors:
        raise ValidationError(errors)


def next_number(today: Any = None) -> str:
    """T + the date + a four-digit sequence of the day: T202611230001 (services/numbering.py)."""
    return numbering.next_number(Ticket, "T", today)


@transaction.atomic
def ticket_create(*, actor: Any, customer: Customer, data: dict[str, Any]) -> Ticket:
    """Open a ticket for a customer the actor may change. `data`: subject, type, priority, channel, contact,
    order, product, team, assignee."""
    _check_customer(actor, customer)
    data = dict(data)
    _check_fields(data, CREATE_FIELDS)
    _check_links(customer, data)
    ticket = Ticket(customer=customer, status=Status.NEW, created_by=actor if getattr(actor, "pk", None) else None,
                    **data)
    rule = routing.route(ticket) if ticket.assignee_id is None and ticket.team_id is None else None
    for name, value in sla.initial_fields(ticket, timezone.now()).items():
        setattr(ticket, name, value)
    for attempt in range(5):
        ticket.number = next_number()
        try:
            with transaction.atomic():  # a savepoint: two tickets created at once may draw the same number
                record_create(actor=actor, instance=ticket, exclude=["number"])
                break
        except IntegrityError:
            ticket.pk = None
            if attempt == 4:
                raise
    routing.log_routing(actor=actor, ticket=ticket, rule=rule)
    complaints.open_steps(ticket)
    return ticket


@transaction.atomic
def ticket_update(*, actor: Any, ticket: Ticket, data: dict[str, Any], version: int | None) -> Ticket:
    """Change the ticket's fields; ConflictError if it changed since the caller read `version`."""
    _check_ticket(actor, ticket)
    _check_fields(data, EDITABLE_FIELDS)
    _check_links(ticket.customer, data)
    data = {**data, **sla.fields_for_update(ticket, data, timezone.now())}
    updated = record_update(actor=actor, instance=ticket, data=data, version=version)
    complaints.open_steps(updated)
    return updated


@transaction.atomic
def ticket_reply(*, actor: Any, ticket: Ticket, body: str, internal: bool = False) -> TicketMessage:
    """Add a public reply or an internal note to the ticket's thread. The first public reply by staff
    sets `first_responded_at` and opens a new ticket."""
    _check_ticket(actor, ticket)
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": [_("Write a message.")]})
    message = TicketMessage(ticket=ticket, author=actor if getattr(actor, "pk", None) else None,
                            kind=TicketMessage.Kind.NOTE if internal else TicketMessage.Kind.REPLY, body=body)
    message.full_clean()
    message.save()
    if not internal:
        changes: dict[str, Any] = {}
        if ticket.first_responded_at is None:
            now = timezone.now()
            changes["first_responded_at"] = now
            changes.update(sla.fields_for_first_response(ticket, now))
        if ticket.status == Status.NEW:
            changes["status"] = Status.OPEN
        if changes:
            updated = record_update(actor=actor, instance=ticket, data=changes, version=None)
            for name in (*changes, "version"):
                setattr(ticket, name, getattr(updated, name))
        mail.send_reply_later(message)
    return message


@transaction.atomic
def ticket_set_status(*, actor: Any, ticket: Ticket, status: str, version: int | None = None,
                      override_reason: str = "") -> Ticket:
    """Move the ticket to open, waiting, resolved, closed or reopened. Closing needs it resolved first (and a
    complaint its follow-up step done, or a manager's `override_reason`); reopening clears the resolved and
    closed times and counts the reopening."""
    _check_ticket(actor, ticket)
    if status not in ALLOWED_FROM:
        raise ValidationError({"status": [_("Choose a valid status.")]})
    current = Ticket.objects.get(pk=ticket.pk).status
    if current not in ALLOWED_FROM[status]:  # type: ignore[index]
        if status == Status.CLOSED:
            raise ValidationError({"status": [_("Resolve the ticket before closing it.")]})
        raise ValidationError({"status": [_("A ticket cannot move from this status to that one.")]})
    now = timezone.now()
    data: dict[str, Any] = {"status": status}
    if status == Status.RESOLVED:
        data["resolved_at"] = now
    elif status == Status.CLOSED:
        data["closed_at"] = now
        data.update(complaints.close_fields(actor=actor, ticket=ticket, override_reason=override_reason))
    elif status == Status.REOPENED:
        data.update(resolved_at=None, closed_at=None, reopen_count=ticket.reopen_count + 1)
    data.update(sla.fields_for_status(ticket, current, status, now))
    updated = record_update(actor=actor, instance=ticket, data=data, version=version)
    if status == Status.RESOLVED:
        complaints.on_resolved(actor=actor, ticket=updated)
    elif status == Status.CLOSED:
        surveys.on_ticket_closed(updated)
        callbacks.on_ticket_closed(updated)
    return updated


@transaction.atomic
def ticket_assign(*, actor: Any, ticket: Ticket, assignee: Any, version: int | None = None,
                  team: Any = routing.KEEP) -> Ticket:
    """Give the ticket to someone (None: nobody) and, when `team` is given, to that team (None: no team).
    Logged as an assignment (services/routing.py)."""
    _check_ticket(actor, ticket)
    if assignee is not None and not assignee.is_active:
        raise ValidationError({"assignee": [_("There is no active user with this id.")]})
    return routing.reassign(actor=actor, ticket=ticket, assignee=assignee, team=team, version=version)
