"""Routing a new ticket to a team and, round-robin, to an agent of it (issue 4 §3); manual reassignment.

* The first active rule by position whose non-empty conditions (ticket type, product, the customer's
  province, the customer's level) all match gives the ticket its team. Provinces compare without their
  suffix, so a rule for "广东" matches a customer in "广东省".
* With round-robin, the assignee is the team's next active service agent (role service agent, employee
  active, user active; ordered by user id) after the one who got the team's previous ticket, wrapping
  around. The team's cursor row is locked (SELECT … FOR UPDATE) so two tickets opened at once get
  different agents. An agent of the team who opens the ticket themself keeps it (the cursor does not
  move): they are on the phone with the customer, and would otherwise lose sight of the ticket at once.
* Routing and every manual reassignment write an "assign" audit row with the customer's id (so they show
  on the customer's timeline): the team and assignee before and after, and the rule.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from guanxi.core.errors import ConflictError
from guanxi.governance.models import AuditLog, Employee, Role
from guanxi.governance.services import audit_record

from ..models import RoutingRule, TeamCursor, Ticket

KEEP: Any = object()  # ticket_assign(team=KEEP): leave the team as it is
PROVINCE_SUFFIXES = ("特别行政区", "维吾尔自治区", "壮族自治区", "回族自治区", "自治区", "省", "市")


def province_key(text: str) -> str:
    key = (text or "").strip().lower()
    for suffix in PROVINCE_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix):
            return key[: -len(suffix)]
    return key


def rule_matches(rule: RoutingRule, ticket: Ticket) -> bool:
    customer = ticket.customer
    if rule.ticket_type and rule.ticket_type != ticket.type:
        return False
    if rule.product_id and rule.product_id != ticket.product_id:
        return False
    if rule.province and province_key(rule.province) != province_key(customer.province):
        return False
    return not (rule.customer_level and rule.customer_level.upper() != (customer.level or "").upper())


def team_agents(team_id: int) -> QuerySet:
    """The users who take a team's tickets in turn, in turn order."""
    return get_user_model().objects.filter(
        is_active=True, employee__status=Employee.Status.ACTIVE, employee__role=Role.SERVICE_AGENT,
        employee__department_id=team_id).order_by("pk")


def _locked_cursor(team_id: int) -> TeamCursor:
    try:
        with transaction.atomic():  # a savepoint: another ticket may create the cursor at the same moment
            TeamCursor.objects.get_or_create(team_id=team_id)
    except IntegrityError:
        pass
    return TeamCursor.objects.select_for_update().get(team_id=team_id)


@transaction.atomic
def next_agent(team_id: int, creator: Any = None) -> Any:
    """The team's next agent in turn (None: the team has no active agent); moves the team's cursor."""
    cursor = _locked_cursor(team_id)
    agents = list(team_agents(team_id))
    if not agents:
        return None
    if creator is not None and any(a.pk == creator.pk for a in agents):
        return next(a for a in agents if a.pk == creator.pk)
    last = cursor.last_assignee_id
    chosen = next((a for a in agents if last is not None and a.pk > last), agents[0])
    cursor.last_assignee = chosen
    cursor.save(update_fields=["last_assignee"])
    return chosen


def route(ticket: Ticket) -> RoutingRule | None:
    """Set `team` (and `assignee`, round-robin) on the unsaved ticket from the first matching rule."""
    for rule in RoutingRule.objects.filter(is_active=True).select_related("team").order_by("position", "id"):
        if rule_matches(rule, ticket):
            ticket.team = rule.team
            if rule.round_robin:
                ticket.assignee = next_agent(rule.team_id, creator=ticket.created_by)
            return rule
    return None


def log_routing(*, actor: Any, ticket: Ticket, rule: RoutingRule | None) -> None:
    """Write the audit row saying which rule routed the ticket to whom."""
    if rule is None:
        return
    audit_record(actor=actor, action=AuditLog.Action.ASSIGN, instance=ticket, customer_id=ticket.customer_id,
                 changes={"team": [None, ticket.team_id], "assignee": [None, ticket.assignee_id],
                          "routing_rule": [None, f"#{rule.pk} {rule.name}"]})


@transaction.atomic
def reassign(*, actor: Any, ticket: Ticket, assignee: Any, team: Any = KEEP, version: int | None = None) -> Ticket:
    """Give the ticket to `assignee` (None: nobody) and, unless KEEP, to `team` (None: no team); the caller
    (services/tickets.py ticket_assign) has checked the actor's right. Logged like routing."""
    locked = Ticket._base_manager.select_for_update().get(pk=ticket.pk)
    if version is not None and locked.version != version:
        raise ConflictError()
    before = {"team": locked.team_id, "assignee": locked.assignee_id}
    locked.assignee = assignee
    if team is not KEEP:
        locked.team = team
    after = {"team": locked.team_id, "assignee": locked.assignee_id}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changes:
        return locked
    locked.version += 1
    locked.save(update_fields=["team", "assignee", "version", "updated_at"])
    audit_record(actor=actor, action=AuditLog.Action.ASSIGN, instance=locked, customer_id=locked.customer_id,
                 changes=changes)
    return locked
