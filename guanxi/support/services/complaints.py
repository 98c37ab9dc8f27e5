"""The six-step complaint flow (issue 4 §5). STUB: being built."""

from __future__ import annotations

from typing import Any

from ..models import Ticket


def open_steps(ticket: Ticket) -> None:
    """A complaint gets its six steps (once)."""


def close_fields(*, actor: Any, ticket: Ticket, override_reason: str) -> dict[str, Any]:
    """Refuse closing a complaint whose follow-up step is open, unless a manager gives a reason."""
    return {}


def on_resolved(*, actor: Any, ticket: Ticket) -> None:
    """The follow-up step becomes a task due seven days after resolution."""
