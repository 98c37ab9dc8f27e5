"""Writes on the routing rules (capability MANAGE_SERVICE): create, change, move up or down, delete."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from guanxi.customers.models import Customer
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record, diff, snapshot

from ..models import RoutingRule
from .sla_config import require_manage_service

RULE_FIELDS = {"position", "name", "ticket_type", "product", "province", "customer_level", "team", "round_robin",
               "is_active"}


@transaction.atomic
def routing_rule_save(*, actor: Any, rule: RoutingRule | None, data: dict[str, Any]) -> RoutingRule:
    """Create (rule=None; without a position it goes last) or change a rule."""
    require_manage_service(actor)
    unknown = sorted(set(data) - RULE_FIELDS)
    if unknown:
        raise ValidationError({name: [_("This field cannot be set here.")] for name in unknown})
    data = {k: v for k, v in data.items() if not (k == "position" and v is None)}  # no position: keep / last
    instance = RoutingRule() if rule is None else RoutingRule.objects.select_for_update().get(pk=rule.pk)
    before = {} if rule is None else snapshot(instance)
    for name, value in data.items():
        setattr(instance, name, value.strip() if isinstance(value, str) else value)
    if rule is None and "position" not in data:
        instance.position = (RoutingRule.objects.aggregate(m=Max("position"))["m"] or 0) + 1
    errors: dict[str, list[str]] = {}
    if instance.customer_level:
        instance.customer_level = instance.customer_level.upper()
        if instance.customer_level not in Customer.Level.values:
            errors["customer_level"] = [_("Choose one of the customer levels %(levels)s, or leave it empty for "
                                          "any level.") % {"levels": ", ".join(Customer.Level.values)}]
    if instance.team_id is None:
        errors["team"] = [_("Choose the team that gets the tickets.")]
    try:
        instance.full_clean(exclude=list(errors))
    except ValidationError as exc:
        for name, messages in exc.message_dict.items():
            errors.setdefault(name, []).extend(messages)
    if errors:
        raise ValidationError(errors)
    instance.save()
    audit_record(actor=actor, action=AuditLog.Action.CREATE if rule is None else AuditLog.Action.UPDATE,
                 instance=instance, changes=diff(before, snapshot(instance)))
    return instance


@transaction.atomic
def routing_rule_delete(*, actor: Any, rule: RoutingRule) -> None:
    require_manage_service(actor)
    audit_record(actor=actor, action=AuditLog.Action.DELETE, instance=rule, changes=snapshot(rule))
    rule.delete()


@transaction.atomic
def routing_rule_move(*, actor: Any, rule: RoutingRule, direction: str) -> RoutingRule:
    """Swap the rule with the one before ("up") or after ("down") it; positions become 1, 2, 3 …"""
    require_manage_service(actor)
    if direction not in ("up", "down"):
        raise ValidationError({"direction": [_("Choose up or down.")]})
    rules = list(RoutingRule.objects.select_for_update().order_by("position", "id"))
    index = next(i for i, r in enumerate(rules) if r.pk == rule.pk)
    other = index - 1 if direction == "up" else index + 1
    if 0 <= other < len(rules):
        rules[index], rules[other] = rules[other], rules[index]
    for position, r in enumerate(rules, start=1):
        if r.position != position:
            old = r.position
            r.position = position
            r.save(update_fields=["position"])
            audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=r, changes={"position": [old, position]})
    return next(r for r in rules if r.pk == rule.pk)
