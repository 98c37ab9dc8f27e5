"""The SLA clock in business hours (issue 4 §4): the hooks services/tickets.py calls, and the check job.

Rules (times are business time of the ticket's policy, see business_hours.py):

* **Policy**: the active policy for the ticket's priority and its customer's level; a policy for that level beats
  one with an empty level. No policy: no clock (nothing is set, nothing is checked).
* **Due times** are counted from opening: first response due = opened + first_response_minutes, resolution
  due = opened + resolution_minutes.
* **On time** means at or before the due moment: a first response or resolution exactly at the due second is
  met; one second later is late ("breached" = now > due).
* **Pause**: while the ticket waits on the customer the clock stands still (`sla_paused_at`); leaving that
  status pushes the resolution due (and the first-response due, if no response yet) forward by the business
  time spent paused.
* **Priority change**: the new priority's policy, due times counted again from opening, plus the business time
  the clock has already stood still (read off the current due times: business time from opening to the due
  minus the old target). A ticket with no policy for its new priority loses its clock. Resolved and closed
  tickets keep theirs. A breach that happened is never undone.
* **Resolution** stops the clock: late if after the resolution due; the state becomes `met`, or `breached`
  when the first response or the resolution was late.
* **Reopening** resumes the clock from the reopening with the business time that was left at resolution
  (none if it was resolved late or exactly at the due moment: then it is due at once).
* **State**: `paused` while waiting; `breached` once a target was missed or a running due passed; `at_risk`
  is set by the check job (every five minutes), which also tells the assignee — the hooks here keep it while
  the ticket is still inside its warning window and otherwise say `on_track`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from ..models import SlaPolicy, SlaState, Ticket
from .business_hours import (
    HolidayBook,
    add_business_minutes,
    add_business_time,
    business_minutes_between,
    business_time_between,
)

Status = Ticket.Status
RUNNING = (Status.NEW, Status.OPEN, Status.REOPENED)
STOPPED = (Status.RESOLVED, Status.CLOSED)


def pick_policy(priority: str, level: str) -> SlaPolicy | None:
    """The active policy for a priority and customer level (level-specific first, then the level-free one)."""
    levels = [level, ""] if level else [""]
    candidates = SlaPolicy.objects.filter(is_active=True, priority=priority, customer_level__in=levels)
    return min(candidates, key=lambda p: (p.customer_level == "", p.pk), default=None)


def calendar_of(policy: SlaPolicy | None) -> SlaPolicy:
    """The policy, or the default calendar (Monday-Friday 09:00-18:00) for a ticket whose policy was deleted."""
    return policy if policy is not None else SlaPolicy()


def _fresh(ticket: Ticket) -> Ticket:
    """The clock as stored (the caller's instance may be stale)."""
    if ticket.pk is None:
        return ticket
    return Ticket._base_manager.select_related("sla_policy", "customer").get(pk=ticket.pk)


def _has_clock(ticket: Ticket) -> bool:
    return ticket.sla_policy_id is not None or ticket.resolution_due is not None


def pending_dues(ticket: Ticket) -> list[datetime]:
    """The due times still running: the first response (if none yet) and the resolution."""
    dues = []
    if ticket.first_responded_at is None and ticket.first_response_due is not None:
        dues.append(ticket.first_response_due)
    if ticket.resolution_due is not None:
        dues.append(ticket.resolution_due)
    return dues


def running_state(ticket: Ticket, now: datetime, book: HolidayBook | None = None) -> str:
    """State of a running (not paused, not resolved) clock; see the module's rules for `at_risk`."""
    if ticket.first_response_breached or ticket.resolution_breached:
        return SlaState.BREACHED
    dues = pending_dues(ticket)
    if any(now > due for due in dues):
        return SlaState.BREACHED
    policy = ticket.sla_policy
    if ticket.sla_state == SlaState.AT_RISK and policy is not None and policy.warning_minutes:
        edge = add_business_minutes(now, policy.warning_minutes, policy, book)
        if any(due <= edge for due in dues):
            return SlaState.AT_RISK
    return SlaState.ON_TRACK


def _level(ticket: Ticket) -> str:
    customer = getattr(ticket, "customer", None)
    return (getattr(customer, "level", "") or "").strip()


def initial_fields(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """Policy, due times and state for a ticket being opened."""
    policy = pick_policy(ticket.priority, _level(ticket))
    if policy is None:
        return {}
    book = HolidayBook()
    return {
        "sla_policy": policy,
        "first_response_due": add_business_minutes(now, policy.first_response_minutes, policy, book),
        "resolution_due": add_business_minutes(now, policy.resolution_minutes, policy, book),
        "sla_state": SlaState.ON_TRACK,
    }


def _stood_still(start: datetime, due: datetime | None, target: int, policy: SlaPolicy,
                 book: HolidayBook) -> float:
    """Business minutes a due was pushed by (pauses, time between resolution and reopening)."""
    if due is None:
        return 0.0
    return max(0.0, business_minutes_between(start, due, policy, book) - target)


def fields_for_update(ticket: Ticket, data: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Due times again when the priority changes (see the module's rules)."""
    if "priority" not in data:
        return {}
    t = _fresh(ticket)
    if data["priority"] == t.priority or t.status in STOPPED:
        return {}
    new = pick_policy(data["priority"], _level(t))
    old = t.sla_policy
    if new is None:
        if not _has_clock(t):
            return {}
        return {"sla_policy": None, "first_response_due": None, "resolution_due": None, "sla_paused_at": None,
                "sla_state": ""}
    book = HolidayBook()
    start = t.created_at
    old_calendar = calendar_of(old)
    res_still = _stood_still(start, t.resolution_due, old.resolution_minutes, old_calendar, book) if old else 0.0
    fields: dict[str, Any] = {
        "sla_policy": new,
        "resolution_due": add_business_minutes(start, new.resolution_minutes + res_still, new, book),
    }
    if t.first_responded_at is None:
        frt_still = (_stood_still(start, t.first_response_due, old.first_response_minutes, old_calendar, book)
                     if old else 0.0)
        fields["first_response_due"] = add_business_minutes(start, new.first_response_minutes + frt_still, new,
                                                            book)
    if t.status == Status.WAITING:
        fields["sla_paused_at"] = t.sla_paused_at or now
        fields["sla_state"] = SlaState.PAUSED
    else:
        for name, value in fields.items():
            setattr(t, name, value)
        fields["sla_state"] = running_state(t, now, book)
    return fields


def fields_for_first_response(ticket: Ticket, now: datetime) -> dict[str, Any]:
    """The first public reply: late when after the first-response due (while paused: if the pause began late)."""
    t = _fresh(ticket)
    if t.first_response_due is None or t.first_responded_at is not None:
        return {}
    moment = t.sla_paused_at or now
    fields: dict[str, Any] = {"first_response_breached": t.first_response_breached or moment > t.first_response_due}
    if t.sla_paused_at is None and t.status not in STOPPED:
        t.first_responded_at = now
        t.first_response_breached = fields["first_response_breached"]
        fields["sla_state"] = running_state(t, now)
    return fields


def fields_for_status(ticket: Ticket, old: str, new: str, now: datetime) -> dict[str, Any]:
    """Pause while waiting on the customer, resume, stop at resolution, restart on reopening."""
    t = _fresh(ticket)
    if not _has_clock(t) or old == new:
        return {}
    calendar = calendar_of(t.sla_policy)
    book = HolidayBook()
    fields: dict[str, Any] = {}
    frt_pending = t.first_responded_at is None and t.first_response_due is not None
    if t.sla_paused_at is not None and new != Status.WAITING:
        stood = business_time_between(t.sla_paused_at, now, calendar, book)
        if t.resolution_due is not None:
            fields["resolution_due"] = add_business_time(t.resolution_due, stood, calendar, book)
        if frt_pending:
            fields["first_response_due"] = add_business_time(t.first_response_due, stood, calendar, book)  # type: ignore[arg-type]
        fields["sla_paused_at"] = None
    if new == Status.REOPENED and old in STOPPED and t.resolved_at is not None:
        # Resume with the business time that was left at resolution.
        for name, pending in (("resolution_due", True), ("first_response_due", frt_pending)):
            due = getattr(t, name)
            if pending and due is not None:
                left = max(0.0, business_minutes_between(t.resolved_at, due, calendar, book))
                fields[name] = add_business_minutes(now, left, calendar, book)
    for name, value in fields.items():
        setattr(t, name, value)
    if new == Status.WAITING:
        fields["sla_paused_at"] = t.sla_paused_at or now
        fields["sla_state"] = SlaState.PAUSED
    elif new == Status.RESOLVED:
        late_response = frt_pending and now > t.first_response_due  # type: ignore[operator]
        fields["first_response_breached"] = t.first_response_breached or bool(late_response)
        fields["resolution_breached"] = t.resolution_breached or (
            t.resolution_due is not None and now > t.resolution_due)
        breached = fields["first_response_breached"] or fields["resolution_breached"]
        fields["sla_state"] = SlaState.BREACHED if breached else SlaState.MET
    elif new in RUNNING:
        t.sla_paused_at = None
        fields["sla_state"] = running_state(t, now, book)
    return fields


def check_sla(now: datetime | None = None) -> dict[str, int]:
    """The periodic check (every five minutes): warn before a breach, flag and escalate breaches.
    See services/sla_check.py."""
    from .sla_check import sla_check

    return sla_check(now=now)
