"""离职交接: move everything a departing (or moving) employee owns to others, in one audited batch.

Customers (their contacts follow them), leads, open opportunities and open tasks go to one
receiver, are split between several (evenly, or customers by an explicit list), or — customers —
back to the public pool. Optionally the old owner stays a read-only team member until a date, and
"the person has left" marks the employee departed (login off, API tokens revoked) through the
governance service. One transaction, one Handover row with a summary, OwnerChange rows linked to
it by `batch`, an audit row per moved record and one for the batch.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.core.text import person_name
from guanxi.customers.models import Customer, CustomerTeamMember, Task
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog, Employee
from guanxi.governance.services_people import employee_depart

from ..models import Handover, Lead, Opportunity, OwnerChange
from ..selectors.pool import handover_scope
from .pool import active_user_or_error
from .team import expiry_moment

MODES = ("one", "even", "list", "pool")
CHUNK = 500


def _chunks(items: Sequence[Any], size: int = CHUNK) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


def _check(*, actor: Any, from_user: Any, receivers: list[Any], mode: str, assignments: dict[int, int] | None,
           keep_read_until: datetime.date | None, now: datetime.datetime,
           open_tasks: int) -> tuple[list[Any], dict[str, list[str]]]:
    errors: dict[str, list[str]] = {}
    if mode not in MODES:
        errors["mode"] = [_("Choose how to hand over: to one person, split, by list or back to the pool.")]
    people = []
    for n, receiver in enumerate(receivers):
        pk = getattr(receiver, "pk", receiver)
        if pk == from_user.pk:
            errors.setdefault("receivers", []).append(
                _("%(name)s cannot hand over to themselves; choose someone else.") % {"name": person_name(from_user)})
            continue
        try:
            people.append(active_user_or_error(receiver, "receivers"))
        except ValidationError as exc:
            errors.setdefault("receivers", []).extend(exc.message_dict["receivers"])
        if n >= 50:
            break
    if len({p.pk for p in people}) != len(people):
        errors.setdefault("receivers", []).append(_("Each receiver may be chosen only once."))
    if not errors.get("receivers"):
        if mode == "one" and len(people) != 1:
            errors["receivers"] = [_("Choose exactly one receiver.")]
        elif mode in ("even", "list") and not people:
            errors["receivers"] = [_("Choose at least one receiver.")]
        elif mode == "pool" and not people and open_tasks:
            errors["receivers"] = [_("Choose someone to take over the %(n)s open tasks.") % {"n": open_tasks}]
    if mode == "list":
        allowed = {p.pk for p in people}
        bad = sorted({str(cid) for cid, uid in (assignments or {}).items() if uid not in allowed})
        if bad:
            errors["assignments"] = [_("Customers %(ids)s are given to someone who is not a receiver.")
                                     % {"ids": ", ".join(bad)}]
    if keep_read_until is not None and expiry_moment(keep_read_until) <= now:  # type: ignore[operator]
        errors["keep_read_until"] = [_("Choose a day in the future.")]
    return people, errors


def _round_robin(ids: list[int], people: list[Any]) -> dict[int, int | None]:
    if not people:
        return dict.fromkeys(ids)
    return {pk: people[n % len(people)].pk for n, pk in enumerate(ids)}


def _following(items: list[tuple[int, int | None]], customer_to: dict[int, int | None],
               people: list[Any]) -> dict[int, int | None]:
    """Opportunities and tasks go with their customer's receiver; the others are split evenly."""
    result: dict[int, int | None] = {}
    rest: list[int] = []
    for pk, customer_id in items:
        target = customer_to.get(customer_id) if customer_id is not None else None
        if target is not None:
            result[pk] = target
        else:
            rest.append(pk)
    result.update(_round_robin(rest, people))
    return result


def _by_target(plan: dict[int, int | None]) -> dict[int | None, list[int]]:
    groups: dict[int | None, list[int]] = defaultdict(list)
    for pk, target in plan.items():
        groups[target].append(pk)
    return groups


def _counts(plan: dict[int, int | None]) -> dict[str, Any]:
    to: dict[str, int] = defaultdict(int)
    pool = 0
    for target in plan.values():
        if target is None:
            pool += 1
        else:
            to[str(target)] += 1
    return {"total": len(plan), "to": dict(to), "pool": pool}


@transaction.atomic
def handover_execute(*, actor: Any, from_user: Any, receivers: list[Any], mode: str = "one",
                     assignments: dict[int, int] | None = None, reason: str = "",
                     keep_read_until: datetime.date | None = None, departed: bool = False,
                     now: datetime.datetime | None = None) -> Handover:
    """Hand over everything `from_user` owns. `mode`: "one" (one receiver), "even" (split evenly),
    "list" (customers by `assignments` {customer id: receiver id}, the rest evenly) or "pool"
    (customers back to the pool; leads, opportunities and tasks to the receivers, if any)."""
    if not permissions.can(actor, permissions.HANDOVER):
        raise PermissionDeniedError()
    now = now or timezone.now()
    reason = (reason or "").strip()
    scope = handover_scope(from_user)
    contacts = scope["contacts"].count()
    open_tasks_ids = list(scope["tasks"].order_by("id").values_list("id", "customer_id"))
    people, errors = _check(actor=actor, from_user=from_user, receivers=receivers, mode=mode,
                            assignments=assignments, keep_read_until=keep_read_until, now=now,
                            open_tasks=len(open_tasks_ids))
    if len(reason) > 200:
        errors["reason"] = [_("Ensure this value has at most %(n)s characters.") % {"n": 200}]
    if departed and getattr(actor, "pk", None) == from_user.pk:
        errors["departed"] = [_("You cannot mark yourself as departed.")]
    if errors:
        raise ValidationError(errors)
    departments = dict(Employee.objects.filter(user_id__in=[p.pk for p in people])
                       .values_list("user_id", "department_id"))
    handover = Handover.objects.create(from_user=from_user, actor=actor if getattr(actor, "pk", None) else None,
                                       reason=reason, deactivate=departed, keep_read_access_until=keep_read_until)
    actor_id = handover.actor_id

    # Customers: lock them, decide, move.
    customers = list(Customer.objects.select_for_update().filter(owner=from_user, deleted_at__isnull=True)
                     .order_by("id").values_list("id", "name"))
    customer_ids = [pk for pk, _name in customers]
    if mode == "pool":
        customer_plan: dict[int, int | None] = dict.fromkeys(customer_ids)
    elif mode == "list":
        listed = {pk: (assignments or {}).get(pk) for pk in customer_ids}
        customer_plan = {pk: t for pk, t in listed.items() if t is not None}
        customer_plan.update(_round_robin([pk for pk, t in listed.items() if t is None], people))
    else:
        customer_plan = _round_robin(customer_ids, people)
    for target, ids in _by_target(customer_plan).items():
        for chunk in _chunks(ids):
            values: dict[str, Any] = {"owner_id": target, "claimed_at": now if target else None, "locked_at": None,
                                      "version": F("version") + 1, "updated_at": now}
            if target is not None and departments.get(target):
                values["department_id"] = departments[target]
            Customer.objects.filter(pk__in=chunk).update(**values)
    names = dict(customers)
    label = reason or _("Handover")
    OwnerChange.objects.bulk_create([
        OwnerChange(entity="customer", object_id=pk, kind=OwnerChange.Kind.HANDOVER, from_user_id=from_user.pk,
                    to_user_id=target, reason=label[:200], actor_id=actor_id, at=now, batch=handover)
        for pk, target in customer_plan.items()], batch_size=CHUNK)
    audits = [AuditLog(actor_id=actor_id, action=AuditLog.Action.ASSIGN, entity="customer", object_id=str(pk),
                       object_repr=names[pk][:200], customer_id=pk,
                       changes={"owner_id": [from_user.pk, target], "handover": [None, handover.pk]})
              for pk, target in customer_plan.items()]

    # Leads (not yet converted).
    leads = list(scope["leads"].select_for_update().order_by("id").values_list("id", "name"))
    lead_plan = _round_robin([pk for pk, _n in leads], people)
    for target, ids in _by_target(lead_plan).items():
        for chunk in _chunks(ids):
            values = {"owner_id": target, "version": F("version") + 1, "updated_at": now}
            if target is not None and departments.get(target):
                values["department_id"] = departments[target]
            Lead.objects.filter(pk__in=chunk).update(**values)
    OwnerChange.objects.bulk_create([
        OwnerChange(entity="lead", object_id=pk, kind=OwnerChange.Kind.HANDOVER, from_user_id=from_user.pk,
                    to_user_id=target, reason=label[:200], actor_id=actor_id, at=now, batch=handover)
        for pk, target in lead_plan.items()], batch_size=CHUNK)
    lead_names = dict(leads)
    audits += [AuditLog(actor_id=actor_id, action=AuditLog.Action.ASSIGN, entity="lead", object_id=str(pk),
                        object_repr=lead_names[pk][:200],
                        changes={"owner_id": [from_user.pk, target], "handover": [None, handover.pk]})
               for pk, target in lead_plan.items()]

    # Open opportunities and open tasks follow their customer's receiver.
    opportunities = list(scope["opportunities"].select_for_update().order_by("id")
                         .values_list("id", "customer_id", "name"))
    opportunity_plan = _following([(pk, cid) for pk, cid, _n in opportunities], customer_plan, people)
    for target, ids in _by_target(opportunity_plan).items():
        for chunk in _chunks(ids):
            Opportunity.objects.filter(pk__in=chunk).update(owner_id=target, version=F("version") + 1,
                                                            updated_at=now)
    audits += [AuditLog(actor_id=actor_id, action=AuditLog.Action.ASSIGN, entity="opportunity", object_id=str(pk),
                        object_repr=name[:200], customer_id=cid,
                        changes={"owner_id": [from_user.pk, opportunity_plan[pk]], "handover": [None, handover.pk]})
                for pk, cid, name in opportunities]
    task_plan = _following(open_tasks_ids, customer_plan, people)
    for target, ids in _by_target(task_plan).items():
        for chunk in _chunks(ids):
            Task.objects.filter(pk__in=chunk).update(assignee_id=target, version=F("version") + 1, updated_at=now)
    audits += [AuditLog(actor_id=actor_id, action=AuditLog.Action.ASSIGN, entity="task", object_id=str(pk),
                        object_repr=str(pk), customer_id=cid,
                        changes={"assignee_id": [from_user.pk, task_plan[pk]], "handover": [None, handover.pk]})
               for pk, cid in open_tasks_ids]

    # The old owner keeps read access to the customers until the chosen day.
    kept = 0
    if keep_read_until is not None and customer_ids:
        until = expiry_moment(keep_read_until)
        existing = set(CustomerTeamMember.objects.filter(user=from_user, customer_id__in=customer_ids)
                       .values_list("customer_id", flat=True))
        for chunk in _chunks(sorted(existing)):
            CustomerTeamMember.objects.filter(user=from_user, customer_id__in=chunk).update(
                access=CustomerTeamMember.Access.READ, expires_at=until)
        CustomerTeamMember.objects.bulk_create([
            CustomerTeamMember(customer_id=pk, user=from_user, access=CustomerTeamMember.Access.READ,
                               expires_at=until, added_by_id=actor_id)
            for pk in customer_ids if pk not in existing], batch_size=CHUNK)
        kept = len(customer_ids)
    AuditLog.objects.bulk_create(audits, batch_size=CHUNK)

    if departed:
        employee = Employee.objects.filter(user=from_user).first()
        if employee is not None and employee.status == Employee.Status.ACTIVE:
            employee_depart(actor=actor, employee=employee)
    handover.summary = {
        "from_user": {"id": from_user.pk, "name": person_name(from_user)},
        "mode": mode,
        "receivers": [{"id": p.pk, "name": person_name(p)} for p in people],
        "customers": _counts(customer_plan),
        "contacts": contacts,
        "leads": _counts(lead_plan),
        "opportunities": _counts(opportunity_plan),
        "tasks": _counts(task_plan),
        "read_access_kept": kept,
        "departed": departed,
    }
    handover.save(update_fields=["summary"])
    AuditLog.objects.create(actor_id=actor_id, action=AuditLog.Action.CREATE, entity="handover",
                            object_id=str(handover.pk), object_repr=str(handover)[:200],
                            changes={"summary": [None, handover.summary]})
    return handover
