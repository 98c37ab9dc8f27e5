"""Writes on the public pool (公海): the rules (admins), claim, release, assign from the pool, lock.

Each function is one transaction, logs the change of owner in the OwnerChange ledger and writes an
audit row with the customer's id, so it shows on the customer's timeline. Day counts are calendar
days in the company's time zone (see selectors/pool.py).
"""

from __future__ import annotations

import datetime
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from guanxi.core.errors import NotFoundError, PermissionDeniedError
from guanxi.core.text import person_name
from guanxi.customers.models import Customer
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog, Employee
from guanxi.governance.selectors import assignable_owner_ids
from guanxi.governance.services import audit_record, diff, snapshot

from ..models import OwnerChange, Pool, PoolLevelRule
from ..selectors.pool import (
    RULE_FIELDS,
    claims_today,
    held_count,
    local_day,
    locked_count,
    pool_index,
    pool_of,
)

POOL_FIELDS = ("name", "department", "is_active", "no_follow_up_days", "no_opportunity_days", "not_won_days",
               "warn_days_before", "exempt_won", "exempt_open_opportunity", "daily_claim_limit", "holding_limit",
               "holding_counts_won", "reclaim_block_days", "lock_limit")
LEVELS = tuple(Customer.Level.values)


# ---------------------------------------------------------------- rules (admins)


def _require_configure(actor: Any) -> None:
    if not permissions.can(actor, permissions.CONFIGURE):
        raise PermissionDeniedError()


def _check_days(errors: dict[str, list[str]], prefix: str, values: dict[str, Any]) -> None:
    for name in RULE_FIELDS:
        value = values.get(name)
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool):
            errors.setdefault(prefix + name, []).append(_("Enter a whole number of days."))
        elif value < 1:
            errors.setdefault(prefix + name, []).append(
                _("Enter at least 1 day, or leave it empty to switch this rule off."))


def _clean_level_rules(rules: list[dict[str, Any]], errors: dict[str, list[str]]) -> list[dict[str, Any]]:
    seen: set[str] = set()
    clean = []
    for n, rule in enumerate(rules):
        prefix = f"level_rules.{n}."
        level = str(rule.get("level") or "").strip().upper()
        if level not in LEVELS:
            errors.setdefault(prefix + "level", []).append(_("Choose a customer level (A, B, C or D)."))
        elif level in seen:
            errors.setdefault(prefix + "level", []).append(_("This level already has a rule."))
        seen.add(level)
        unknown = set(rule) - {"level", *RULE_FIELDS}
        for name in sorted(unknown):
            errors.setdefault(prefix + name, []).append(_("Unknown field."))
        _check_days(errors, prefix, rule)
        if all(rule.get(name) is None for name in RULE_FIELDS):
            continue  # an empty row: the level uses the pool's values
        clean.append({"level": level, **{name: rule.get(name) for name in RULE_FIELDS}})
    return clean


def _shortest_period(pool: Pool, rules: list[dict[str, Any]]) -> int | None:
    values = [getattr(pool, n) for n in RULE_FIELDS] + [r[n] for r in rules for n in RULE_FIELDS]
    values = [v for v in values if isinstance(v, int) and v > 0]
    return min(values) if values else None


@transaction.atomic
def pool_save(*, actor: Any, pool: Pool | None, data: dict[str, Any],
              level_rules: list[dict[str, Any]] | None = None) -> Pool:
    """Create (pool=None) or change a pool and, when `level_rules` is given, replace its level rules.

    Refuses negative or zero day counts, a warning period not shorter than the shortest recycling
    period, a second company pool and a second pool for one department — each error named by field.
    """
    _require_configure(actor)
    unknown = set(data) - set(POOL_FIELDS)
    if unknown:
        raise ValidationError({name: [_("Unknown field.")] for name in sorted(unknown)})
    if pool is None:
        instance = Pool()
        before: dict[str, Any] = {}
        old_rules: list[dict[str, Any]] = []
    else:
        instance = Pool.objects.select_for_update().get(pk=pool.pk)
        before = snapshot(instance)
        old_rules = _rules_snapshot(instance)
    for name, value in data.items():
        setattr(instance, name, value)
    errors: dict[str, list[str]] = {}
    _check_days(errors, "", {n: getattr(instance, n) for n in RULE_FIELDS})
    rules = _clean_level_rules(level_rules, errors) if level_rules is not None else old_rules
    try:
        instance.full_clean()
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))
    if pool is not None and pool.department_id is None and instance.department_id is not None:
        errors.setdefault("department", []).append(
            _("The company pool covers the whole company; add a separate pool for a department."))
    if instance.department_id is None:
        others = Pool.objects.filter(department__isnull=True).exclude(pk=instance.pk)
        if others.exists():
            errors.setdefault("department", []).append(
                _("There is already a company pool; choose a department for this one."))
    shortest = _shortest_period(instance, rules) if not errors else None
    warn = instance.warn_days_before
    if shortest is not None and isinstance(warn, int) and warn >= shortest:
        errors.setdefault("warn_days_before", []).append(
            _("Warn fewer days before than the shortest recycling period (%(days)s days).") % {"days": shortest})
    if errors:
        raise ValidationError(errors)
    instance.save()
    if level_rules is not None:
        PoolLevelRule.objects.filter(pool=instance).delete()
        PoolLevelRule.objects.bulk_create([PoolLevelRule(pool=instance, **rule) for rule in rules])
    changes = diff(before, snapshot(instance))
    new_rules = _rules_snapshot(instance)
    if new_rules != old_rules:
        changes["level_rules"] = [old_rules, new_rules]
    if changes:
        audit_record(actor=actor, action=AuditLog.Action.CREATE if pool is None else AuditLog.Action.UPDATE,
                     instance=instance, changes=changes)
    return instance


def _rules_snapshot(pool: Pool) -> list[dict[str, Any]]:
    return [{"level": r.level, **{n: getattr(r, n) for n in RULE_FIELDS}}
            for r in PoolLevelRule.objects.filter(pool=pool).order_by("level")]


@transaction.atomic
def pool_delete(*, actor: Any, pool: Pool) -> None:
    """Remove a department's pool (its customers fall back to the pool above). The company pool stays."""
    _require_configure(actor)
    locked = Pool.objects.select_for_update().get(pk=pool.pk)
    if locked.department_id is None:
        raise ValidationError({"department": [_("The company pool cannot be removed; switch recycling off instead.")]})
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=locked, changes=snapshot(locked))
    locked.delete()


# ---------------------------------------------------------------- claim, release, assign, lock


def _lock_customer(customer: Customer) -> Customer:
    try:
        return Customer.objects.select_for_update().get(pk=customer.pk, deleted_at__isnull=True)
    except Customer.DoesNotExist:
        raise NotFoundError() from None


def _visible(actor: Any, customer: Customer) -> None:
    if not Customer.objects.visible_to(actor).filter(pk=customer.pk).exists():
        raise NotFoundError()


def _department_id_of(user: Any) -> int | None:
    return Employee.objects.filter(user_id=user.pk).values_list("department_id", flat=True).first()


def _log(*, actor: Any, customer: Customer, kind: str, from_user_id: int | None, to_user_id: int | None,
         reason: str, now: datetime.datetime, before: dict[str, Any]) -> OwnerChange:
    change = OwnerChange.objects.create(entity="customer", object_id=customer.pk, kind=kind,
                                        from_user_id=from_user_id, to_user_id=to_user_id, reason=reason[:200],
                                        actor=actor if getattr(actor, "pk", None) else None, at=now)
    changes = diff(before, snapshot(customer, ["owner_id", "department_id", "claimed_at", "locked_at"]))
    changes["pool"] = [None, kind]
    if reason:
        changes["reason"] = [None, reason]
    audit_record(actor=actor, action=AuditLog.Action.ASSIGN, instance=customer, changes=changes,
                 customer_id=customer.pk)
    return change


def _owner_fields(customer: Customer) -> dict[str, Any]:
    return snapshot(customer, ["owner_id", "department_id", "claimed_at", "locked_at"])


def _save_owner(customer: Customer) -> None:
    customer.version += 1  # the row is locked (select_for_update): no lost update
    customer.save(update_fields=["owner", "department", "claimed_at", "locked_at", "version", "updated_at"])


def _check_holding(pool: Pool | None, user: Any, field: str) -> None:
    if pool is None or pool.holding_limit is None:
        return
    held = held_count(user.pk, counts_won=pool.holding_counts_won)
    if held >= pool.holding_limit:
        raise ValidationError({field: [
            _("%(name)s already holds %(held)s customers; the limit is %(limit)s.")
            % {"name": person_name(user), "held": held, "limit": pool.holding_limit}]})


@transaction.atomic
def pool_claim(*, actor: Any, customer: Customer, now: datetime.datetime | None = None) -> Customer:
    """Take a customer from the pool: daily claim limit, holding limit and the former owner's block apply."""
    now = now or timezone.now()
    if not permissions.can(actor, permissions.CLAIM):
        raise PermissionDeniedError()
    _visible(actor, customer)
    # One claim at a time per person (the daily count), and per customer (two reps at once: one wins).
    get_user_model().objects.select_for_update().filter(pk=actor.pk).first()
    locked = _lock_customer(customer)
    if locked.owner_id == actor.pk:
        raise ValidationError({"customer": [_("You already own this customer.")]})
    if locked.owner_id is not None:
        raise ValidationError({"customer": [
            _("This customer belongs to %(name)s and is not in the public pool.") % {"name": person_name(locked.owner)}]})
    pool = pool_of(locked, pool_index())
    if pool is not None:
        if pool.daily_claim_limit is not None and claims_today(actor.pk, now=now) >= pool.daily_claim_limit:
            raise ValidationError({"customer": [
                _("You have reached today's claim limit (%(limit)s customers); try again tomorrow.")
                % {"limit": pool.daily_claim_limit}]})
        _check_holding(pool, actor, "customer")
        if pool.reclaim_block_days:
            last = (OwnerChange.objects.filter(entity="customer", object_id=locked.pk, from_user_id=actor.pk,
                                               kind__in=[OwnerChange.Kind.RELEASE, OwnerChange.Kind.RECYCLE])
                    .order_by("-at").values_list("at", flat=True).first())
            if last is not None:
                allowed_on = local_day(last) + datetime.timedelta(days=pool.reclaim_block_days)
                if local_day(now) < allowed_on:
                    raise ValidationError({"customer": [
                        _("You gave this customer back to the pool; you may claim it again from %(date)s.")
                        % {"date": date_format(allowed_on, "Y-m-d")}]})
    before = _owner_fields(locked)
    locked.owner = actor
    locked.department_id = _department_id_of(actor) or locked.department_id
    locked.claimed_at = now
    locked.locked_at = None
    _save_owner(locked)
    _log(actor=actor, customer=locked, kind=OwnerChange.Kind.CLAIM, from_user_id=None, to_user_id=actor.pk,
         reason="", now=now, before=before)
    return locked


def _may_act_for_owner(actor: Any, customer: Customer) -> bool:
    if customer.owner_id == actor.pk and permissions.can(actor, permissions.CHANGE):
        return True
    return (permissions.can(actor, permissions.MANAGE_POOL)
            and Customer.objects.editable_by(actor).filter(pk=customer.pk).exists())


@transaction.atomic
def pool_release(*, actor: Any, customer: Customer, reason: str, now: datetime.datetime | None = None) -> Customer:
    """Give a customer back to the pool (the owner, or a manager of the customer). A reason is required."""
    now = now or timezone.now()
    reason = (reason or "").strip()
    _visible(actor, customer)
    locked = _lock_customer(customer)
    if not _may_act_for_owner(actor, locked):
        raise PermissionDeniedError()
    if locked.owner_id is None:
        raise ValidationError({"customer": [_("This customer is already in the public pool.")]})
    if not reason:
        raise ValidationError({"reason": [_("Say why the customer goes back to the pool.")]})
    before = _owner_fields(locked)
    previous = locked.owner_id
    locked.owner = None
    locked.claimed_at = None
    locked.locked_at = None
    _save_owner(locked)
    _log(actor=actor, customer=locked, kind=OwnerChange.Kind.RELEASE, from_user_id=previous, to_user_id=None,
         reason=reason, now=now, before=before)
    return locked


def active_user_or_error(user_id_or_user: Any, field: str) -> Any:
    user_model = get_user_model()
    pk = getattr(user_id_or_user, "pk", user_id_or_user)
    user = user_model.objects.filter(pk=pk).select_related("employee").first() if pk is not None else None
    employee = getattr(user, "employee", None) if user is not None else None
    if user is None:
        raise ValidationError({field: [_("There is no such user.")]})
    if not user.is_active or employee is None or employee.status != Employee.Status.ACTIVE:
        raise ValidationError({field: [
            _("%(name)s has left or cannot log in; choose someone else.") % {"name": person_name(user)}]})
    return user


@transaction.atomic
def pool_assign(*, actor: Any, customer: Customer, to_user: Any, reason: str = "", override: bool = False,
                now: datetime.datetime | None = None) -> Customer:
    """A manager or admin gives a pool customer to a rep; the rep's holding limit applies unless an
    admin overrides it."""
    now = now or timezone.now()
    if not permissions.can(actor, permissions.MANAGE_POOL):
        raise PermissionDeniedError()
    _visible(actor, customer)
    if not Customer.objects.editable_by(actor).filter(pk=customer.pk).exists():
        raise PermissionDeniedError()
    target = active_user_or_error(to_user, "to_user")
    allowed = assignable_owner_ids(actor)
    if allowed is not None and target.pk not in allowed:
        raise ValidationError({"to_user": [_("You cannot make this person the owner.")]})
    if override and not permissions.can(actor, permissions.OVERRIDE_LIMITS):
        raise ValidationError({"override": [_("Only an administrator may go over the holding limit.")]})
    locked = _lock_customer(customer)
    if locked.owner_id is not None:
        raise ValidationError({"customer": [
            _("This customer belongs to %(name)s and is not in the public pool.") % {"name": person_name(locked.owner)}]})
    if not override:
        _check_holding(pool_of(locked, pool_index()), target, "to_user")
    before = _owner_fields(locked)
    locked.owner = target
    locked.department_id = _department_id_of(target) or locked.department_id
    locked.claimed_at = now
    locked.locked_at = None
    _save_owner(locked)
    reason = (reason or "").strip()
    if override:
        reason = (reason + " " if reason else "") + _("(holding limit overridden)")
    _log(actor=actor, customer=locked, kind=OwnerChange.Kind.ASSIGN, from_user_id=None, to_user_id=target.pk,
         reason=reason, now=now, before=before)
    return locked


@transaction.atomic
def customer_lock(*, actor: Any, customer: Customer, now: datetime.datetime | None = None) -> Customer:
    """Lock a key customer: it is never recycled. Each rep may lock up to the pool's lock limit."""
    now = now or timezone.now()
    _visible(actor, customer)
    locked = _lock_customer(customer)
    if not _may_act_for_owner(actor, locked):
        raise PermissionDeniedError()
    if locked.owner_id is None:
        raise ValidationError({"customer": [_("Only a customer with an owner can be locked.")]})
    if locked.locked_at is not None:
        return locked
    get_user_model().objects.select_for_update().filter(pk=locked.owner_id).first()
    pool = pool_of(locked, pool_index())
    limit = pool.lock_limit if pool is not None else None
    if limit is not None and locked_count(locked.owner_id) >= limit:
        raise ValidationError({"customer": [
            _("%(name)s has already locked %(limit)s key customers, the most allowed; unlock one first.")
            % {"name": person_name(locked.owner), "limit": limit}]})
    before = _owner_fields(locked)
    locked.locked_at = now
    _save_owner(locked)
    audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked,
                 changes=diff(before, _owner_fields(locked)), customer_id=locked.pk)
    return locked


@transaction.atomic
def customer_unlock(*, actor: Any, customer: Customer) -> Customer:
    _visible(actor, customer)
    locked = _lock_customer(customer)
    if not _may_act_for_owner(actor, locked):
        raise PermissionDeniedError()
    if locked.locked_at is None:
        return locked
    before = _owner_fields(locked)
    locked.locked_at = None
    _save_owner(locked)
    audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=locked,
                 changes=diff(before, _owner_fields(locked)), customer_id=locked.pk)
    return locked
