"""Writes on the SLA settings: policies and the holiday calendar (capability MANAGE_SERVICE).

Each call validates everything first and reports every problem by field (`lines.<n>` for the lines of a
pasted holiday list), then saves and audits in one transaction — a bad line saves nothing.
"""

from __future__ import annotations

import re
from datetime import date, time, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from ..models import Holiday, SlaPolicy

POLICY_FIELDS = {"name", "priority", "customer_level", "first_response_minutes", "resolution_minutes",
                 "business_start", "business_end", "weekdays", "warning_minutes", "is_active"}
HOLIDAY_FIELDS = {"date", "is_workday", "name"}
WORKDAY_WORDS = {"workday", "work", "working", "补班", "上班", "调休上班", "班"}
MAX_RANGE_DAYS = 31
LINE_RE = re.compile(r"^(\d{4}[-/]\d{1,2}[-/]\d{1,2})(?:\s*(?:\.\.|~|～|至)\s*(\d{4}[-/]\d{1,2}[-/]\d{1,2}))?(?:\s+(.*))?$")


def _snapshot(instance: Any) -> dict[str, Any]:
    """The audit snapshot, with times of day as "09:00" (the audit trail stores JSON)."""
    return {k: v.strftime("%H:%M") if isinstance(v, time) else v for k, v in snapshot(instance).items()}


def require_manage_service(actor: Any) -> None:
    if not permissions.can(actor, permissions.MANAGE_SERVICE):
        raise PermissionDeniedError()


def _unknown(data: dict[str, Any], allowed: set[str]) -> None:
    unknown = sorted(set(data) - allowed)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})


def _add(errors: dict[str, list[str]], exc: ValidationError) -> None:
    for name, messages in exc.message_dict.items():
        errors.setdefault(name, []).extend(m for m in messages if m not in errors.get(name, []))


def normalize_weekdays(value: Any) -> str:
    """[1, 2, 3] or "1,2,3" -> "1,2,3"; ValidationError unless ISO weekday numbers 1-7, at least one."""
    parts = [str(p).strip() for p in value] if isinstance(value, (list, tuple)) else str(value or "").split(",")
    parts = [p for p in (p.strip() for p in parts) if p]
    if not parts or any(not p.isdigit() or not 1 <= int(p) <= 7 for p in parts):
        raise ValidationError({"weekdays": [_("Give weekday numbers from 1 (Monday) to 7 (Sunday), separated "
                                              "by commas, e.g. 1,2,3,4,5.")]})
    return ",".join(str(d) for d in sorted({int(p) for p in parts}))


def _check_policy(policy: SlaPolicy, errors: dict[str, list[str]]) -> None:
    for name in ("first_response_minutes", "resolution_minutes"):
        value = getattr(policy, name)
        if value is not None and (not isinstance(value, int) or value <= 0):
            errors.setdefault(name, []).append(_("Enter a number of minutes greater than zero."))
    if (isinstance(policy.first_response_minutes, int) and isinstance(policy.resolution_minutes, int)
            and 0 < policy.resolution_minutes < policy.first_response_minutes):
        errors.setdefault("resolution_minutes", []).append(
            _("The resolution target cannot be shorter than the first-response target."))
    if policy.warning_minutes is not None and (not isinstance(policy.warning_minutes, int)
                                               or policy.warning_minutes < 0):
        errors.setdefault("warning_minutes", []).append(_("Enter zero or a positive number of minutes."))
    if policy.customer_level and policy.customer_level not in Customer.Level.values:
        errors.setdefault("customer_level", []).append(
            _("Choose one of the customer levels %(levels)s, or leave it empty for any level.")
            % {"levels": ", ".join(Customer.Level.values)})
    try:
        policy.weekdays = normalize_weekdays(policy.weekdays)
    except ValidationError as exc:
        _add(errors, exc)
    try:
        policy.full_clean()
    except ValidationError as exc:
        _add(errors, exc)
    start, end = policy.business_start, policy.business_end
    if "business_start" not in errors and "business_end" not in errors and start is not None and end is not None \
            and start >= end:
        errors.setdefault("business_end", []).append(_("Business hours must end after they start."))
    if policy.is_active and not errors and SlaPolicy.objects.filter(
            is_active=True, priority=policy.priority, customer_level=policy.customer_level).exclude(
            pk=policy.pk).exists():
        errors.setdefault("customer_level", []).append(
            _("Another active policy covers this priority and customer level; change or deactivate it first."))


@transaction.atomic
def sla_policy_save(*, actor: Any, policy: SlaPolicy | None, data: dict[str, Any]) -> SlaPolicy:
    """Create (policy=None) or change a policy. Deactivate with data={"is_active": False}."""
    require_manage_service(actor)
    _unknown(data, POLICY_FIELDS)
    instance = SlaPolicy() if policy is None else SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    before = {} if policy is None else _snapshot(instance)
    for name, value in data.items():
        setattr(instance, name, value.strip() if isinstance(value, str) and name != "weekdays" else value)
    errors: dict[str, list[str]] = {}
    _check_policy(instance, errors)
    if errors:
        raise ValidationError(errors)
    instance.save()
    instance.refresh_from_db()
    changes = diff(before, _snapshot(instance))
    if changes:
        audit_record(actor=actor, action=AuditLog.Action.CREATE if policy is None else AuditLog.Action.UPDATE,
                     instance=instance, changes=changes)
    return instance


@transaction.atomic
def sla_policy_delete(*, actor: Any, policy: SlaPolicy) -> None:
    """Remove a policy no ticket uses (one in use can only be deactivated)."""
    require_manage_service(actor)
    locked = SlaPolicy.objects.select_for_update().get(pk=policy.pk)
    if locked.tickets.exists():
        raise ValidationError({"is_active": [_("Tickets use this policy; deactivate it instead.")]})
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=locked, changes=_snapshot(locked))
    locked.delete()


# ---------------------------------------------------------------- holidays


@transaction.atomic
def holiday_save(*, actor: Any, holiday: Holiday | None, data: dict[str, Any]) -> Holiday:
    """Add (holiday=None) or change one day: a holiday, or with is_workday a make-up working day (调休)."""
    require_manage_service(actor)
    _unknown(data, HOLIDAY_FIELDS)
    instance = Holiday() if holiday is None else Holiday.objects.select_for_update().get(pk=holiday.pk)
    before = {} if holiday is None else snapshot(instance)
    for name, value in data.items():
        setattr(instance, name, value.strip() if isinstance(value, str) and name == "name" else value)
    if isinstance(instance.date, date) and Holiday.objects.filter(date=instance.date).exclude(pk=instance.pk).exists():
        raise ValidationError({"date": [_("This date is already in the calendar.")]})
    instance.full_clean()
    instance.save()
    audit_record(actor=actor, action=AuditLog.Action.CREATE if holiday is None else AuditLog.Action.UPDATE,
                 instance=instance, changes=diff(before, snapshot(instance)))
    return instance


@transaction.atomic
def holiday_delete(*, actor: Any, holiday: Holiday) -> None:
    require_manage_service(actor)
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=holiday, changes=snapshot(holiday))
    holiday.delete()


def _parse_day(text: str) -> date:
    year, month, day = (int(p) for p in re.split(r"[-/]", text))
    return date(year, month, day)


def parse_holiday_lines(text: str) -> list[tuple[int, date, bool, str]]:
    """Lines like "2026-10-01..2026-10-07 国庆节" or "2026-09-27 workday 国庆节调休" -> (line, day, is_workday,
    name) per day. Empty lines and lines starting with # are skipped. ValidationError keyed `lines.<n>`."""
    errors: dict[str, list[str]] = {}
    days: list[tuple[int, date, bool, str]] = []
    seen: dict[date, int] = {}
    for number, raw in enumerate((text or "").splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key = f"lines.{number}"
        match = LINE_RE.match(line)
        if not match:
            errors[key] = [_("Start the line with a date (2026-10-01) or a range (2026-10-01..2026-10-07).")]
            continue
        try:
            first = _parse_day(match.group(1))
            last = _parse_day(match.group(2)) if match.group(2) else first
        except ValueError:
            errors[key] = [_("This is not a date in the calendar.")]
            continue
        if last < first:
            errors[key] = [_("The range ends before it starts.")]
            continue
        if (last - first).days >= MAX_RANGE_DAYS:
            errors[key] = [_("A range may span at most %(days)d days.") % {"days": MAX_RANGE_DAYS}]
            continue
        words = (match.group(3) or "").split(None, 1)
        workday = bool(words) and words[0].lower() in WORKDAY_WORDS
        name = (words[1] if len(words) > 1 else "") if workday else (match.group(3) or "").strip()
        if len(name) > 100:
            errors[key] = [_("The name is too long (at most 100 characters).")]
            continue
        day = first
        while day <= last:
            if day in seen:
                errors.setdefault(key, []).append(
                    _("%(date)s is already on line %(line)d.") % {"date": day.isoformat(), "line": seen[day]})
            seen[day] = number
            days.append((number, day, workday, name.strip()))
            day += timedelta(days=1)
    if not days and not errors:
        errors["text"] = [_("Paste at least one line.")]
    if errors:
        raise ValidationError(errors)
    return days


@transaction.atomic
def holidays_import(*, actor: Any, text: str) -> dict[str, int]:
    """Add or update the days of a pasted list (a day already entered takes the new name and kind).
    All or nothing: any bad line and nothing is saved."""
    require_manage_service(actor)
    days = parse_holiday_lines(text)
    existing = {h.date: h for h in Holiday.objects.select_for_update().filter(date__in=[d for _n, d, _w, _s in days])}
    created = updated = 0
    for _number, day, workday, name in days:
        holiday = existing.get(day)
        if holiday is None:
            holiday = Holiday(date=day, is_workday=workday, name=name)
            holiday.save()
            audit_record(actor=actor, action=AuditLog.Action.CREATE, instance=holiday,
                         changes=diff({}, snapshot(holiday)))
            created += 1
        elif (holiday.is_workday, holiday.name) != (workday, name):
            before = snapshot(holiday)
            holiday.is_workday, holiday.name = workday, name
            holiday.save()
            audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=holiday,
                         changes=diff(before, snapshot(holiday)))
            updated += 1
    return {"created": created, "updated": updated, "unchanged": len(days) - created - updated}
