"""The six-step complaint flow (issue 4 §5, seed 001): apologise, restate, empathise, compensate, follow up within
one week, do more than competitors.

A complaint gets its six steps once (`open_steps`, called by services/tickets.py on create and on every edit, so a
ticket that becomes a complaint gets them too). Each step is ticked with who and when (`step_mark`, undo allowed
until the ticket is closed); a compensation is recorded with its cost (`compensation_add`) and ticks the
compensate step. On resolution the follow-up step becomes a customers Task due seven days later
(`on_resolved`). The follow-up step counts as done when it is ticked OR its task is done: completing the task on
"My tasks" (the customers app, which cannot call back into support) is enough, and ticking the step completes
the task. `close_fields` refuses closing a complaint whose follow-up is open unless a manager with
OVERRIDE_CLOSE gives a reason.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.services.activity import task_complete, task_create, task_update
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.selectors import assignable_owner_ids
from guanxi.governance.services import audit_record, diff, snapshot

from ..models import Compensation, ComplaintStep, Ticket

Step = ComplaintStep.Step
FOLLOW_UP_DAYS = 7
OVERRIDE_REASON_MAX = 500


def _is_complaint(ticket: Ticket) -> bool:
    return ticket.type == Ticket.Type.COMPLAINT


def _check_ticket(actor: Any, ticket: Ticket) -> None:
    if not permissions.can(actor, permissions.CHANGE) or not Ticket.objects.editable_by(actor).filter(
            pk=ticket.pk).exists():
        raise PermissionDeniedError()


def _audit(actor: Any, action: str, instance: Any, before: dict[str, Any], ticket: Ticket) -> None:
    audit_record(actor=actor, action=action, instance=instance, changes=diff(before, snapshot(instance)),
                 customer_id=ticket.customer_id)


def open_steps(ticket: Ticket) -> None:
    """A complaint gets its six steps (once; a ticket that stops being a complaint keeps them as history)."""
    if not _is_complaint(ticket):
        return
    existing = set(ComplaintStep.objects.filter(ticket=ticket).values_list("step", flat=True))
    missing = [ComplaintStep(ticket=ticket, step=value, position=position)
               for position, value in enumerate(Step.values, start=1) if value not in existing]
    if missing:
        ComplaintStep.objects.bulk_create(missing, ignore_conflicts=True)


def follow_up_done(step: ComplaintStep | None) -> bool:
    """The follow-up step is done when ticked, or when its task was completed."""
    if step is None:
        return False
    return step.done_at is not None or (step.task is not None and step.task.done_at is not None)


def _locked_step(ticket: Ticket, step: str) -> ComplaintStep:
    open_steps(ticket)
    return ComplaintStep.objects.select_for_update(of=("self",)).select_related("task").get(ticket=ticket, step=step)


def _mark(actor: Any, ticket: Ticket, row: ComplaintStep, done: bool, note: str | None) -> ComplaintStep:
    before = snapshot(row)
    if done and row.done_at is None:
        row.done_at = timezone.now()
        row.done_by = actor if getattr(actor, "pk", None) else None
    elif not done:
        row.done_at, row.done_by = None, None
    if note is not None:
        row.note = note.strip()
    try:
        row.full_clean(exclude=["ticket", "task"])
    except ValidationError as exc:
        raise ValidationError({"note" if "note" in exc.message_dict else "step": exc.messages}) from None
    row.save()
    if snapshot(row) != before:
        _audit(actor, AuditLog.Action.UPDATE, row, before, ticket)
    # Ticking (or unticking) the follow-up step completes (or reopens) its task, so both say the same.
    if row.step == Step.FOLLOW_UP and row.task is not None and row.task.deleted_at is None \
            and (row.task.done_at is not None) != done:
        task_complete(actor=actor, task=row.task, done=done)
    return row


@transaction.atomic
def step_mark(*, actor: Any, ticket: Ticket, step: str, done: bool, note: str | None = None) -> ComplaintStep:
    """Tick (done=True) or untick a step of a complaint, recording who and when; `note` (when given) replaces the
    step's note. Refused once the ticket is closed."""
    _check_ticket(actor, ticket)
    ticket = Ticket.objects.get(pk=ticket.pk)
    if not _is_complaint(ticket):
        raise ValidationError({"step": [_("This ticket is not a complaint.")]})
    if step not in Step.values:
        raise ValidationError({"step": [_("Choose one of the six complaint steps.")]})
    if ticket.status == Ticket.Status.CLOSED:
        raise ValidationError({"step": [_("The ticket is closed; its steps can no longer change.")]})
    return _mark(actor, ticket, _locked_step(ticket, step), bool(done), note)


def _amount(value: Any, field: str, errors: dict[str, list[str]]) -> Decimal:
    try:
        amount = Decimal(str(value if value not in (None, "") else "0")).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError, TypeError):
        errors[field] = [_("Enter a number.")]
        return Decimal("0")
    if not amount.is_finite() or amount < 0:
        errors[field] = [_("Enter an amount of zero or more.")]
    return amount


@transaction.atomic
def compensation_add(*, actor: Any, ticket: Ticket, kind: str, amount: Any, cost: Any,
                     description: str = "") -> Compensation:
    """Record what was given to make up for the problem (refund, coupon, points, gift…) and what it cost us.
    On a complaint it ticks the compensate step."""
    _check_ticket(actor, ticket)
    ticket = Ticket.objects.get(pk=ticket.pk)
    errors: dict[str, list[str]] = {}
    if kind not in Compensation.Kind.values:
        errors["kind"] = [_("Choose a valid kind of compensation.")]
    face_value = _amount(amount, "amount", errors)
    our_cost = _amount(cost, "cost", errors)
    if kind == Compensation.Kind.REFUND and "amount" not in errors and face_value <= 0:
        errors["amount"] = [_("Enter the amount refunded.")]
    if ticket.status == Ticket.Status.CLOSED:
        errors["kind"] = [_("The ticket is closed; record compensation before closing it.")]
    if errors:
        raise ValidationError(errors)
    comp = Compensation(ticket=ticket, kind=kind, amount=face_value, cost=our_cost,
                        description=(description or "").strip(),
                        created_by=actor if getattr(actor, "pk", None) else None)
    comp.full_clean()
    comp.save()
    _audit(actor, AuditLog.Action.CREATE, comp, {}, ticket)
    if _is_complaint(ticket):
        row = _locked_step(ticket, Step.COMPENSATE)
        if row.done_at is None:
            _mark(actor, ticket, row, True, None)
    return comp


def _task_creator(actor: Any, assignee: Any) -> Any:
    """Who creates the follow-up task: the actor when they may give tasks to the assignee, otherwise the
    system (None) — resolving someone else's complaint must not fail on the task-assignment rule."""
    if not getattr(actor, "pk", None):
        return None
    allowed = assignable_owner_ids(actor)
    return actor if allowed is None or assignee.pk == actor.pk or assignee.pk in allowed else None


@transaction.atomic
def on_resolved(*, actor: Any, ticket: Ticket) -> None:
    """The follow-up step becomes a task due seven days after resolution (one task per complaint; resolving
    again after a reopening moves the open task's due date)."""
    if not _is_complaint(ticket) or ticket.resolved_at is None:
        return
    row = _locked_step(ticket, Step.FOLLOW_UP)
    due = ticket.resolved_at + timedelta(days=FOLLOW_UP_DAYS)
    task = row.task if row.task is not None and row.task.deleted_at is None else None
    if task is not None:
        if task.done_at is None and task.due_at != due:
            task_update(actor=actor, task=task, data={"due_at": due}, version=None)
        return
    assignee = ticket.assignee or (actor if getattr(actor, "pk", None) else ticket.created_by)
    if assignee is None:
        return
    task = task_create(actor=_task_creator(actor, assignee), data={
        "title": _("Follow up on complaint %(number)s: %(subject)s") % {
            "number": ticket.number, "subject": ticket.subject},
        "notes": _("Call or write to the customer to check they are still satisfied (complaint step 5)."),
        "due_at": due, "assignee": assignee, "customer": ticket.customer,
        "related_type": "ticket", "related_id": ticket.pk,
    })
    before = snapshot(row)
    row.task = task
    row.save(update_fields=["task"])
    _audit(actor, AuditLog.Action.UPDATE, row, before, ticket)


def close_fields(*, actor: Any, ticket: Ticket, override_reason: str) -> dict[str, Any]:
    """Refuse closing a complaint whose follow-up step is open, unless a manager (OVERRIDE_CLOSE) gives a reason;
    the reason and the manager are recorded on the ticket. Closing normally clears an earlier override."""
    if not _is_complaint(ticket):
        return {}
    step = ComplaintStep.objects.select_related("task").filter(ticket=ticket, step=Step.FOLLOW_UP).first()
    if follow_up_done(step):
        return {"close_override_reason": "", "close_override_by": None}
    reason = (override_reason or "").strip()
    if not reason:
        raise ValidationError({"status": [_(
            "The follow-up step of this complaint is still open. Follow up with the customer first, "
            "or a manager can close it anyway with a reason.")]})
    if not permissions.can(actor, permissions.OVERRIDE_CLOSE):
        raise ValidationError({"override_reason": [_(
            "Only a manager with the right to override closing can close a complaint whose follow-up is open.")]})
    if len(reason) > OVERRIDE_REASON_MAX:
        raise ValidationError({"override_reason": [
            _("Ensure this value has at most %(n)s characters.") % {"n": OVERRIDE_REASON_MAX}]})
    return {"close_override_reason": reason, "close_override_by": actor}

