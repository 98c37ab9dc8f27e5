"""Writes on the analysis settings (AnalyticsPolicy): the thresholds the metrics job uses. Needs CONFIGURE."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.analytics.models import AnalyticsPolicy
from guanxi.core.errors import PermissionDeniedError
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

POLICY_FIELDS = {"monetary_window_months", "value_basis", "high_value_percentile", "high_loyalty_score",
                 "at_risk_p_alive", "at_risk_interval_factor", "churned_after_days", "clv_horizon_months",
                 "monthly_discount_rate", "task_lead_days"}


@transaction.atomic
def analysis_policy_update(*, actor: Any, data: dict[str, Any]) -> AnalyticsPolicy:
    """Change some of the analysis thresholds; the next analysis run uses them. Each error names its field."""
    if not permissions.can(actor, permissions.CONFIGURE):
        raise PermissionDeniedError()
    unknown = sorted(set(data) - POLICY_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
    policy = AnalyticsPolicy.objects.select_for_update().get(pk=AnalyticsPolicy.current().pk)
    before = snapshot(policy)
    for name, value in data.items():
        setattr(policy, name, value)
    policy.full_clean()
    policy.save()
    changes = diff(before, snapshot(policy))
    if changes:
        audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=policy, changes=changes)
    return policy
