"""Editing the per-role data-protection policies (号码脱敏 and export limits): admins only, audited."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError

from . import permissions
from .masking import forget_policy
from .models import AuditLog, Role, RolePolicy
from .services import audit_record, diff, snapshot

POLICY_FIELDS = ["mask_unowned", "export_daily_rows"]


def role_policy_list(*, user: Any) -> list[RolePolicy]:
    """One policy per role, in the order of the roles (a missing one as an unsaved default)."""
    if not permissions.can(user, permissions.CONFIGURE):
        raise PermissionDeniedError()
    stored: dict[str, RolePolicy] = {p.role: p for p in RolePolicy.objects.all()}
    return [stored.get(role) or RolePolicy(role=role) for role in Role.values]


def _policies() -> QuerySet[RolePolicy]:
    return RolePolicy.objects.select_for_update()


@transaction.atomic
def role_policies_update(*, actor: Any, data: dict[str, dict[str, Any]]) -> list[RolePolicy]:
    """Set `mask_unowned` / `export_daily_rows` per role: {"sales_rep": {"mask_unowned": True,
    "export_daily_rows": 0}, …}. Errors are keyed "<role>.<field>"; nothing is saved if any is wrong."""
    if not permissions.can(actor, permissions.CONFIGURE):
        raise PermissionDeniedError()
    errors: dict[str, list[str]] = {}
    for role, values in data.items():
        if role not in Role.values:
            errors[f"{role}"] = [_("There is no such role.")]
            continue
        for name, value in values.items():
            if name not in POLICY_FIELDS:
                errors[f"{role}.{name}"] = [_("Unknown field.")]
            elif name == "export_daily_rows" and value is not None and (not isinstance(value, int) or value < 0):
                errors[f"{role}.{name}"] = [_("Enter 0 or more rows, or leave it empty for no limit.")]
            elif name == "mask_unowned" and not isinstance(value, bool):
                errors[f"{role}.{name}"] = [_("Enter yes or no.")]
    if errors:
        raise ValidationError(errors)
    stored = {p.role: p for p in _policies().filter(role__in=list(data))}
    saved = []
    for role, values in data.items():
        policy = stored.get(role) or RolePolicy(role=role)
        before = snapshot(policy, POLICY_FIELDS) if policy.pk else {}
        for name, value in values.items():
            setattr(policy, name, value)
        after = snapshot(policy, POLICY_FIELDS)
        changes = diff(before, after)
        if policy.pk and not changes:
            saved.append(policy)
            continue
        created = policy.pk is None
        policy.save()
        audit_record(actor=actor, action=AuditLog.Action.CREATE if created else AuditLog.Action.UPDATE,
                     instance=policy, changes=changes)
        saved.append(policy)
    forget_policy(actor)
    return saved
