"""Writes on targets (业绩目标). Administrators set any target; a sales manager sets targets for the
departments and people in their own department subtree (see `selectors.performance.target_write_scope`).

A target is for the company (no department, no person), a department, or a person — not both;
per month or quarter (`period_start` is moved to the period's first day); never negative; and
one per scope, period and metric (a duplicate is a field error on `period_start`).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from ..models import Target
from ..selectors.forecast import period_of
from ..selectors.performance import target_write_scope

FIELDS = {"period", "period_start", "metric", "department", "user", "value"}


def _validate(actor: Any, target: Target) -> None:
    scope = target_write_scope(actor)
    if scope is None:
        raise PermissionDeniedError()
    errors: dict[str, list[str]] = {}
    if target.department_id is not None and target.user_id is not None:
        errors["user"] = [_("Set a target for a department or for a person, not both.")]
    if target.period_start and target.period in (Target.Period.MONTH, Target.Period.QUARTER):
        target.period_start = period_of(target.period, target.period_start).start
    try:
        target.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for key, messages in exc.message_dict.items():
            errors.setdefault(key, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    if not scope.allows(target):
        if target.user_id is None and target.department_id is None:
            raise ValidationError({"department": [_("Only an administrator sets company-wide targets.")]})
        raise ValidationError({"user" if target.user_id else "department": [
            _("You can set targets only for your own department and its people.")]})
    same_scope: dict[str, Any] = {"department_id": target.department_id, "user_id": target.user_id}
    duplicate = Target.objects.filter(period=target.period, period_start=target.period_start, metric=target.metric,
                                      **same_scope).exclude(pk=target.pk)
    if duplicate.exists():
        raise ValidationError({"period_start": [
            _("There is already a target for this metric, period and scope; change that one instead.")]})


@transaction.atomic
def target_create(*, actor: Any, data: dict[str, Any]) -> Target:
    unknown = set(data) - FIELDS
    if unknown:
        raise ValidationError({k: [_("This field cannot be set here.")] for k in sorted(unknown)})
    target = Target(**data)
    _validate(actor, target)
    target.save()
    audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=target, changes=diff({}, snapshot(target)))
    return target


@transaction.atomic
def target_update(*, actor: Any, target: Target, data: dict[str, Any]) -> Target:
    unknown = set(data) - FIELDS
    if unknown:
        raise ValidationError({k: [_("This field cannot be set here.")] for k in sorted(unknown)})
    locked = Target.objects.select_for_update().get(pk=target.pk)
    scope = target_write_scope(actor)
    if scope is None or not scope.allows(locked):
        raise PermissionDeniedError()
    before = snapshot(locked)
    for name, value in data.items():
        setattr(locked, name, value)
    _validate(actor, locked)
    changes = diff(before, snapshot(locked))
    if changes:
        locked.save()
        audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked, changes=changes)
    return locked


@transaction.atomic
def target_delete(*, actor: Any, target: Target) -> None:
    scope = target_write_scope(actor)
    if scope is None or not scope.allows(target):
        raise PermissionDeniedError()
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=target)
    target.delete()
