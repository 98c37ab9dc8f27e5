"""Routing a new ticket to a team and, round-robin, to an agent of it (issue 4 §3). STUB: being built."""

from __future__ import annotations

from typing import Any

from ..models import RoutingRule, Ticket


def route(ticket: Ticket) -> RoutingRule | None:
    """Set `team` (and `assignee`, round-robin) on the unsaved ticket from the first matching rule."""
    return None


def log_routing(*, actor: Any, ticket: Ticket, rule: RoutingRule | None) -> None:
    """Write the audit row saying which rule routed the ticket to whom."""
