"""Writes on member tiers (会员等级): the tier definitions, the tier settings, and starting a re-tier run.

Tiers and their settings need CONFIGURE. Thresholds must rise with the rank among the active tiers (a
higher tier cannot need less spend, or fewer points, than a lower one); every problem is reported under
the field it concerns. The re-tier run itself is `retier` (services/tiers_retier.py); `retier_start`
queues it as a background task (the settings page's "Re-tier now"), `retier_due` is the daily job that
runs it once a new month / quarter / year has begun.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from guanxi.analytics.models import CustomerTier, Tier, TierChange, TierPolicy
from guanxi.analytics.tier_reasons import money
from guanxi.core.errors import PermissionDeniedError
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from .tier_periods import period_start
from .tiers_retier import retier

__all__ = ["retier", "retier_due", "retier_start", "tier_delete", "tier_policy_update", "tier_save"]

logger = logging.getLogger(__name__)
TIER_FIELDS = {"name", "position", "min_spend", "min_points", "benefits", "is_active"}
POLICY_FIELDS = {"period", "window_months", "downgrade_protection"}
MAX_WINDOW_MONTHS = 120


def require_configure(actor: Any) -> None:
    if not permissions.can(actor, permissions.CONFIGURE):
        raise PermissionDeniedError()


def _unknown(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})


def _add(errors: dict[str, list[str]], field: str, message: str) -> None:
    errors.setdefault(field, []).append(message)


def _check_order(tier: Tier, errors: dict[str, list[str]]) -> None:
    """Thresholds rise with the rank among active tiers: compare with the nearest active tier below and above."""
    if not tier.is_active or "position" in errors:
        return
    others = Tier.objects.filter(is_active=True).exclude(pk=tier.pk)
    below = others.filter(position__lt=tier.position).order_by("-position").first()
    above = others.filter(position__gt=tier.position).order_by("position").first()
    if "min_spend" not in errors and tier.min_spend is not None:
        if below is not None and tier.min_spend <= below.min_spend:
            _add(errors, "min_spend", _("A higher tier must need more spend than a lower one: “%(name)s” (rank "
                                        "%(rank)s) already needs %(amount)s.")
                 % {"name": below.name, "rank": below.position, "amount": money(below.min_spend)})
        elif above is not None and tier.min_spend >= above.min_spend:
            _add(errors, "min_spend", _("A lower tier must need less spend than a higher one: “%(name)s” (rank "
                                        "%(rank)s) needs %(amount)s.")
                 % {"name": above.name, "rank": above.position, "amount": money(above.min_spend)})
    if "min_points" not in errors and tier.min_points is not None:
        if below is not None and below.min_points is not None and tier.min_points <= below.min_points:
            _add(errors, "min_points", _("A higher tier must need more points than a lower one: “%(name)s” (rank "
                                         "%(rank)s) already needs %(points)s.")
                 % {"name": below.name, "rank": below.position, "points": below.min_points})
        elif above is not None and above.min_points is not None and tier.min_points >= above.min_points:
            _add(errors, "min_points", _("A lower tier must need fewer points than a higher one: “%(name)s” (rank "
                                         "%(rank)s) needs %(points)s.")
                 % {"name": above.name, "rank": above.position, "points": above.min_points})


def _validate(tier: Tier) -> None:
    errors: dict[str, list[str]] = {}
    tier.name = (tier.name or "").strip()
    try:
        tier.full_clean(validate_constraints=False)
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if "position" not in errors and tier.position is not None:
        clash = Tier.objects.exclude(pk=tier.pk).filter(position=tier.position).first()
        if clash is not None:
            _add(errors, "position", _("Rank %(rank)s is already used by the tier “%(name)s”.")
                 % {"rank": tier.position, "name": clash.name})
    if "name" not in errors and Tier.objects.exclude(pk=tier.pk).filter(name=tier.name).exists():
        _add(errors, "name", _("Another tier already has this name."))
    _check_order(tier, errors)
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def tier_save(*, actor: Any, tier: Tier | None, data: dict[str, Any]) -> Tier:
    """Create (tier=None) or change a tier; `is_active=False` deactivates it (its members move at the next
    re-tier run, to the tier they qualify for)."""
    require_configure(actor)
    _unknown(data, TIER_FIELDS)
    if tier is None:
        instance, before = Tier(), {}
    else:
        instance = Tier.objects.select_for_update().get(pk=tier.pk)
        before = snapshot(instance)
    for name, value in data.items():
        setattr(instance, name, value)
    _validate(instance)
    instance.save()
    changes = diff(before, snapshot(instance))
    if tier is None or changes:
        audit_record(actor=actor, action=AuditLog.Action.CREATE if tier is None else AuditLog.Action.UPDATE,
                     instance=instance, changes=changes)
    return instance


@transaction.atomic
def tier_delete(*, actor: Any, tier: Tier) -> None:
    """Remove a tier nobody has ever held; one with members or history can only be deactivated."""
    require_configure(actor)
    if CustomerTier.objects.filter(tier=tier).exists() or TierChange.objects.filter(from_tier=tier).exists() \
            or TierChange.objects.filter(to_tier=tier).exists():
        raise ValidationError({"is_active": [_("This tier has members or history; deactivate it instead.")]})
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=tier,
                 changes={k: [v, None] for k, v in snapshot(tier).items()})
    tier.delete()


@transaction.atomic
def tier_policy_update(*, actor: Any, data: dict[str, Any]) -> TierPolicy:
    """Change how often tiers are recomputed, the rolling window and the downgrade protection."""
    require_configure(actor)
    _unknown(data, POLICY_FIELDS)
    policy = TierPolicy.objects.select_for_update().get(pk=TierPolicy.current().pk)
    before = snapshot(policy)
    for name, value in data.items():
        setattr(policy, name, value)
    errors: dict[str, list[str]] = {}
    try:
        policy.full_clean()
    except ValidationError as exc:
        errors = dict(exc.message_dict)
    window = policy.window_months
    if "window_months" not in errors and isinstance(window, int) and window > MAX_WINDOW_MONTHS:
        _add(errors, "window_months", _("Enter at most %(n)s months.") % {"n": MAX_WINDOW_MONTHS})
    if errors:
        raise ValidationError(errors)
    policy.save()
    changes = diff(before, snapshot(policy))
    if changes:
        audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=policy, changes=changes)
    return policy


def retier_start(*, actor: Any) -> Any:
    """Queue a re-tier run as of today for the background worker; returns the task result (id, status, and
    with an immediate backend already the summary). Refused without an active tier."""
    require_configure(actor)
    if not Tier.objects.filter(is_active=True).exists():
        raise ValidationError({"tiers": [_("Add at least one active tier first.")]})
    from guanxi.analytics.tasks_tiers import retier_task  # the task calls back into this module

    return retier_task.enqueue(timezone.localdate().isoformat(), actor.pk)


def retier_due(*, today: date | None = None) -> dict[str, Any] | None:
    """The daily job: re-tier as of the first day of the current period when that period has not been
    re-tiered yet (a new month, quarter or year has begun since the last run). None: nothing to do."""
    today = today or timezone.localdate()
    policy = TierPolicy.current()
    start = period_start(today, policy.period)
    if policy.last_run_on is not None and policy.last_run_on >= start:
        return None
    if not Tier.objects.filter(is_active=True).exists():
        logger.info("re-tiering skipped: no active tier")
        return None
    return retier(as_of=start)
