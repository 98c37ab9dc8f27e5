"""Callbacks (回访, issue 4 §7): rules schedule a call N days after an order is delivered or a ticket is
closed; the agent records the outcome and the customer's satisfaction.

Scheduling is idempotent: the unique constraints (one callback per rule and order, per rule and ticket) and
`bulk_create(ignore_conflicts=True)` mean re-running the daily job or closing a ticket twice adds nothing.
Completing a call is validated, version-checked and audited (customers/services/records.py) and also logs a
follow-up (跟进记录) on the customer, so the call shows on the customer's timeline.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Case, Exists, F, OuterRef, Q, When
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Customer, Interaction, Order
from guanxi.customers.services.activity import interaction_create
from guanxi.customers.services.records import record_create, record_update
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from ..models import Callback, CallbackRule, Ticket

log = logging.getLogger(__name__)
Status = Callback.Status
FINISHED = {Status.DONE, Status.CANCELLED}
RULE_FIELDS = ("name", "trigger", "days", "ticket_type", "script", "is_active")
CHUNK = 1000


def _active_user_id(user: Any) -> int | None:
    return user.pk if user is not None and user.is_active else None


# ---- scheduling ---------------------------------------------------------------------------------


def on_ticket_closed(ticket: Ticket) -> None:
    """Schedule the callbacks of the active ticket-closed rules (matching the ticket's type, if the rule
    names one), due N days after the close, for the ticket's assignee (else the customer's owner)."""
    rules = list(CallbackRule.objects.filter(is_active=True, trigger=CallbackRule.Trigger.TICKET_CLOSED)
                 .filter(Q(ticket_type="") | Q(ticket_type=ticket.type)))
    if not rules:
        return
    customer = Customer._base_manager.select_related("owner").get(pk=ticket.customer_id)
    assignee_id = _active_user_id(ticket.assignee) or _active_user_id(customer.owner)
    if assignee_id is None:
        log.warning("Ticket %s closed: no assignee and no customer owner; %d callback(s) not scheduled.",
                    ticket.number, len(rules))
        return
    closed_on = timezone.localdate(ticket.closed_at or timezone.now())
    Callback.objects.bulk_create([
        Callback(rule=rule, customer_id=ticket.customer_id, ticket=ticket, order_id=None, assignee_id=assignee_id,
                 due_date=closed_on + datetime.timedelta(days=rule.days))
        for rule in rules
    ], ignore_conflicts=True)


def catch_up_days() -> int:
    """How far back the daily job looks past a rule's N days (it catches up missed runs, but a new rule does
    not turn every order ever delivered into a call)."""
    return int(getattr(settings, "GUANXI_CALLBACK_CATCH_UP_DAYS", 30))


def _day_start(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def schedule_order_callbacks(today: datetime.date | None = None) -> dict[str, int]:
    """Daily: for each active order-delivered rule, a callback for every order delivered N or more days ago
    (at most the catch-up window earlier) that has none for the rule yet. The assignee is the order's
    salesperson, else the customer's owner; orders of customers in the public pool with no salesperson
    are skipped (counted and logged). Cancelled and fully refunded orders get no call."""
    today = today or timezone.localdate()
    created = skipped = 0
    for rule in CallbackRule.objects.filter(is_active=True, trigger=CallbackRule.Trigger.ORDER_DELIVERED):
        last_day = today - datetime.timedelta(days=rule.days)
        orders = (
            Order.objects.filter(deleted_at__isnull=True, customer__deleted_at__isnull=True,
                                 delivered_at__lt=_day_start(last_day + datetime.timedelta(days=1)),
                                 delivered_at__gte=_day_start(last_day - datetime.timedelta(days=catch_up_days())))
            .exclude(status__in=[Order.Status.CANCELLED, Order.Status.REFUNDED])
            .exclude(Exists(Callback.objects.filter(rule=rule, order=OuterRef("pk"))))
            .annotate(assignee=Case(When(salesperson__is_active=True, then=F("salesperson_id")),
                                    When(customer__owner__is_active=True, then=F("customer__owner_id")),
                                    default=None))
            .order_by("pk").values_list("pk", "customer_id", "delivered_at", "assignee")
        )
        batch: list[Callback] = []
        for order_id, customer_id, delivered_at, assignee_id in orders.iterator(chunk_size=CHUNK):
            if assignee_id is None:
                skipped += 1
                continue
            batch.append(Callback(rule=rule, customer_id=customer_id, order_id=order_id, assignee_id=assignee_id,
                                  due_date=timezone.localdate(delivered_at) + datetime.timedelta(days=rule.days)))
            if len(batch) >= CHUNK:
                created += len(Callback.objects.bulk_create(batch, ignore_conflicts=True))
                batch = []
        if batch:
            created += len(Callback.objects.bulk_create(batch, ignore_conflicts=True))
    if skipped:
        log.warning("Order callbacks: %d order(s) skipped, their customer is in the public pool with nobody "
                    "to call.", skipped)
    return {"created": created, "skipped": skipped}


# ---- completing a call --------------------------------------------------------------------------


def may_complete(user: Any, callback: Callback) -> bool:
    """The assignee, or someone who may change the customer."""
    if not permissions.can(user, permissions.CHANGE):
        return False
    return callback.assignee_id == user.pk or Customer.objects.editable_by(user).filter(
        pk=callback.customer_id).exists()


def _clean_satisfaction(value: Any) -> int | None:
    if value in (None, ""):
        return None
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = 0
    if isinstance(value, bool) or str(number) != str(value).strip() or not 1 <= number <= 5:
        raise ValidationError({"satisfaction": [_("Choose a satisfaction score from 1 to 5.")]})
    return number


@transaction.atomic
def callback_complete(*, actor: Any, callback: Callback, status: str, outcome: str = "",
                      satisfaction: Any = None, version: int | None = None) -> Callback:
    """Record the call: done (outcome required, satisfaction 1-5 optional), could not reach, or cancelled.
    A done or unreachable call is also logged as a follow-up on the customer."""
    if not may_complete(actor, callback):
        raise PermissionDeniedError()
    outcome = (outcome or "").strip()
    errors: dict[str, list[str]] = {}
    if status not in (Status.DONE, Status.UNREACHABLE, Status.CANCELLED):
        errors["status"] = [_("Choose done, could not reach or cancelled.")]
    elif Callback._base_manager.select_for_update().filter(pk=callback.pk, status__in=FINISHED).exists():
        errors["status"] = [_("This callback is already finished.")]
    if status == Status.DONE and not outcome:
        errors["outcome"] = [_("Write down what the customer said.")]
    try:
        score = _clean_satisfaction(satisfaction)
    except ValidationError as exc:
        errors.update(exc.message_dict)
        score = None
    if score is not None and status != Status.DONE and "status" not in errors:
        errors["satisfaction"] = [_("Only a call that reached the customer has a satisfaction score.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    updated = record_update(actor=actor, instance=callback, version=version, data={
        "status": status, "outcome": outcome, "satisfaction": score, "done_at": now,
        "done_by": actor if getattr(actor, "pk", None) else None,
    })
    if status in (Status.DONE, Status.UNREACHABLE):
        _log_follow_up(actor, updated, now)
    return updated


def _log_follow_up(actor: Any, callback: Callback, now: datetime.datetime) -> None:
    if callback.status == Status.UNREACHABLE:
        summary = _("Callback: could not reach the customer")
    elif callback.satisfaction is not None:
        summary = _("Callback done, satisfaction %(score)d/5") % {"score": callback.satisfaction}
    else:
        summary = _("Callback done")
    reason = callback.rule.name if callback.rule_id and callback.rule else ""
    content = "\n\n".join(part for part in (reason, callback.outcome) if part)
    interaction_create(actor=actor, customer=callback.customer, data={
        "channel": Interaction.Channel.PHONE, "direction": Interaction.Direction.OUTBOUND,
        "summary": summary[:200], "content": content, "occurred_at": now,
    })


# ---- rules (settings) ---------------------------------------------------------------------------


def _check_manage(actor: Any) -> None:
    if not permissions.can(actor, permissions.MANAGE_SERVICE):
        raise PermissionDeniedError()


def _check_rule(rule: CallbackRule) -> None:
    if rule.ticket_type and rule.ticket_type not in Ticket.Type.values:
        raise ValidationError({"ticket_type": [_("Choose a valid ticket type.")]})
    if rule.ticket_type and rule.trigger != CallbackRule.Trigger.TICKET_CLOSED:
        raise ValidationError({"ticket_type": [_("Only rules on closed tickets can be limited to a ticket type.")]})


@transaction.atomic
def callback_rule_save(*, actor: Any, rule: CallbackRule | None, data: dict[str, Any]) -> CallbackRule:
    """Create (rule=None) or change a rule. `data`: name, trigger, days, ticket_type, script, is_active."""
    _check_manage(actor)
    unknown = sorted(set(data) - set(RULE_FIELDS))
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
    if rule is None:
        rule = CallbackRule(**data)
        _check_rule(rule)
        return record_create(actor=actor, instance=rule)
    locked = CallbackRule.objects.select_for_update().get(pk=rule.pk)
    before = snapshot(locked)
    for name, value in data.items():
        setattr(locked, name, value)
    locked.full_clean()
    _check_rule(locked)
    changes = diff(before, snapshot(locked))
    if changes:
        locked.save()
        audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes)
    return locked


@transaction.atomic
def callback_rule_delete(*, actor: Any, rule: CallbackRule) -> None:
    """Remove a rule; the callbacks it scheduled stay (without their rule)."""
    _check_manage(actor)
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=rule)
    rule.delete()
