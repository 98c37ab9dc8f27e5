"""Who gets a lead: assignment rules (round-robin in a team, by region or industry), manual assign and
reassign. Every change of owner lands in the OwnerChange ledger and the audit trail."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.core.errors import ConflictError
from guanxi.governance.models import AuditLog, Employee, Role
from guanxi.governance.selectors import assignable_owner_ids, department_subtree_ids
from guanxi.governance.services import audit_record

from ..models import AssignmentRule, Lead, OwnerChange
from ..selectors.leads import holding_limit_for, owned_customer_counts


def _region(value: str) -> str:
    """'浙江省' / '浙江' / ' 上海市 ' -> '浙江' / '上海' (provinces are typed both ways)."""
    text = (value or "").strip()
    for suffix in ("维吾尔自治区", "壮族自治区", "回族自治区", "特别行政区", "自治区", "省", "市"):
        if text.endswith(suffix) and len(text) > len(suffix):
            return text[: -len(suffix)]
    return text.lower()


def match_values(rule: AssignmentRule) -> set[str]:
    parts = rule.match_values.replace("，", ",").replace("、", ",").split(",")
    if rule.method == AssignmentRule.Method.REGION:
        return {_region(p) for p in parts if p.strip()}
    return {p.strip().lower() for p in parts if p.strip()}


def rule_matches(rule: AssignmentRule, lead: Lead) -> bool:
    if rule.method == AssignmentRule.Method.REGION:
        return bool(lead.province) and _region(lead.province) in match_values(rule)
    if rule.method == AssignmentRule.Method.INDUSTRY:
        return bool(lead.industry) and lead.industry.strip().lower() in match_values(rule)
    return True


def rule_candidates(rule: AssignmentRule) -> list[Any]:
    """The rule's members, or every active sales rep of its team (and sub-teams); by id for a stable order."""
    users = get_user_model().objects.filter(is_active=True, employee__status=Employee.Status.ACTIVE)
    member_ids = list(rule.members.values_list("pk", flat=True))
    if member_ids:
        users = users.filter(pk__in=member_ids)
    else:
        users = users.filter(employee__role=Role.SALES_REP,
                             employee__department_id__in=department_subtree_ids(rule.department_id))
    return list(users.select_related("employee").order_by("pk"))


def _under_limit(candidates: list[Any]) -> list[Any]:
    counts = owned_customer_counts([u.pk for u in candidates])
    result = []
    for user in candidates:
        limit, counts_won = holding_limit_for(user)
        if limit is None or counts.get(user.pk, (0, 0))[0 if counts_won else 1] < limit:
            result.append(user)
    return result


def pick_owner(lead: Lead) -> tuple[Any, AssignmentRule | None]:
    """The next owner by the first matching active rule that has someone free; (None, None) if none."""
    for rule in AssignmentRule.objects.filter(is_active=True).order_by("position", "id"):
        if not rule_matches(rule, lead):
            continue
        candidates = _under_limit(rule_candidates(rule))
        if not candidates:
            continue
        # Lock the rule so two leads arriving at once do not go to the same person.
        locked = AssignmentRule.objects.select_for_update().get(pk=rule.pk)
        after = [u for u in candidates if locked.last_assigned_id is not None and u.pk > locked.last_assigned_id]
        chosen = after[0] if after else candidates[0]
        AssignmentRule.objects.filter(pk=rule.pk).update(last_assigned=chosen)
        return chosen, rule
    return None, None


def _department_of(user: Any) -> Any:
    employee = getattr(user, "employee", None) if user is not None else None
    return employee.department if employee else None


def log_owner_change(*, actor: Any, entity: str, object_id: int, kind: str, from_user: Any, to_user: Any,
                     reason: str = "") -> OwnerChange:
    return OwnerChange.objects.create(
        entity=entity, object_id=object_id, kind=kind, from_user=from_user, to_user=to_user, reason=reason[:200],
        actor=actor if getattr(actor, "pk", None) else None, at=timezone.now(),
    )


def check_assignable(actor: Any, owner: Any, field: str = "owner") -> None:
    if owner is None or actor is None:
        return
    allowed = assignable_owner_ids(actor)
    if allowed is not None and owner.pk not in allowed:
        raise ValidationError({field: [_("You cannot make this person the owner.")]})
    employee = getattr(owner, "employee", None)
    if not owner.is_active or (employee is not None and employee.status != Employee.Status.ACTIVE):
        raise ValidationError({field: [_("This person has left the company; choose someone else.")]})


@transaction.atomic
def lead_assign(*, actor: Any, lead: Lead, owner: Any, reason: str = "", version: int | None = None) -> Lead:
    """Give a lead to `owner` (None: unassign). A lead that has an owner is reassigned, which needs a reason."""
    locked = Lead.objects.select_for_update().get(pk=lead.pk)
    if version is not None and locked.version != version:
        raise ConflictError()
    if locked.status == Lead.Status.CONVERTED:
        raise ValidationError(_("This lead has been converted; change the customer's owner instead."))
    reason = (reason or "").strip()
    if owner is not None and locked.owner_id == owner.pk:
        raise ValidationError({"owner": [_("This person already owns the lead.")]})
    if owner is None and locked.owner_id is None:
        raise ValidationError({"owner": [_("The lead is not assigned to anyone.")]})
    kind = OwnerChange.Kind.ASSIGN if locked.owner_id is None else OwnerChange.Kind.REASSIGN
    if kind == OwnerChange.Kind.REASSIGN and not reason:
        raise ValidationError({"reason": [_("Say why the lead moves to someone else.")]})
    check_assignable(actor, owner)
    previous = locked.owner
    locked.owner = owner
    if owner is not None:
        locked.department = _department_of(owner) or locked.department
    locked.version += 1
    locked.save(update_fields=["owner", "department", "version", "updated_at"])
    log_owner_change(actor=actor, entity="lead", object_id=locked.pk, kind=kind, from_user=previous, to_user=owner,
                     reason=reason)
    audit_record(actor=actor, action=AuditLog.Action.ASSIGN, instance=locked,
                 changes={"owner": [previous.pk if previous else None, owner.pk if owner else None],
                          "reason": [None, reason]})
    return locked


@transaction.atomic
def lead_bulk_assign(*, actor: Any, leads: list[Lead], owner: Any, reason: str = "") -> int:
    """Assign many leads in one go; all or nothing. Leads the owner already has are skipped."""
    if not leads:
        raise ValidationError({"leads": [_("Select at least one lead.")]})
    check_assignable(actor, owner)
    done = 0
    for lead in leads:
        if owner is not None and lead.owner_id == owner.pk:
            continue
        if owner is None and lead.owner_id is None:
            continue
        try:
            lead_assign(actor=actor, lead=lead, owner=owner, reason=reason)
        except ValidationError as exc:
            messages = exc.messages
            raise ValidationError(_("Lead “%(lead)s”: %(error)s") % {"lead": lead, "error": " ".join(messages)}) \
                from None
        done += 1
    return done


def auto_assign(*, actor: Any, lead: Lead) -> Lead:
    """Run the assignment rules on an unassigned lead (inside the caller's transaction)."""
    owner, rule = pick_owner(lead)
    if owner is None:
        return lead
    lead.owner = owner
    lead.department = _department_of(owner) or lead.department
    Lead.objects.filter(pk=lead.pk).update(owner=owner, department=lead.department)
    log_owner_change(actor=actor, entity="lead", object_id=lead.pk, kind=OwnerChange.Kind.ASSIGN, from_user=None,
                     to_user=owner, reason=_("Assignment rule “%(rule)s”") % {"rule": rule})
    audit_record(actor=actor, action=AuditLog.Action.ASSIGN, instance=lead,
                 changes={"owner": [None, owner.pk], "rule": [None, rule.pk if rule else None]})
    return lead
