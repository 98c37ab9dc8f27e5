"""The customer's one timeline: follow-ups, orders, tasks and changes, newest first — and the sources other apps
register in settings.GUANXI_TIMELINE_SOURCES (the service desk's tickets), resolved by dotted path at run time so
this app imports none of them."""

from __future__ import annotations

import heapq
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from guanxi.governance.masking import MASKED_FIELDS, mask_value
from guanxi.governance.models import AuditLog

from ..models import Customer, Interaction, Order, Task


@dataclass(frozen=True)
class TimelineItem:
    kind: str  # "interaction" | "order" | "task" | "change" | a kind of GUANXI_TIMELINE_SOURCES ("ticket")
    at: datetime
    obj: Any


@dataclass(frozen=True)
class TimelinePage:
    items: list[TimelineItem]
    page: int
    has_next: bool


def _extra_sources() -> dict[str, dict[str, str]]:
    return dict(getattr(settings, "GUANXI_TIMELINE_SOURCES", {}) or {})


TIMELINE_KINDS = ("interaction", "order", "task", "change", *_extra_sources())


def describe_extra(kind: str, obj: Any) -> tuple[str, dict[str, Any]]:
    """(title, data) of another app's timeline item, for the API."""
    return import_string(_extra_sources()[kind]["describe"])(obj)  # type: ignore[no-any-return]


def customer_timeline(*, user: Any, customer: Customer, page: int = 1, per_page: int = 20,
                      kinds: tuple[str, ...] = TIMELINE_KINDS) -> TimelinePage:
    """One page of the merged timeline.

    Each source is read already sorted and cut at page*per_page+1 rows, so page N costs
    one indexed query per source whatever the customer's history size; the merge is done in Python.
    The customer was fetched through `customer_get`, so the user may see all of it.
    """
    page = max(1, page)
    need = page * per_page + 1
    sources = []
    if "interaction" in kinds:
        rows = Interaction.objects.filter(customer=customer, deleted_at__isnull=True).select_related(
            "staff", "contact").order_by("-occurred_at", "-id")[:need]
        sources.append(TimelineItem("interaction", r.occurred_at, r) for r in rows)
    if "order" in kinds:
        orders = Order.objects.filter(customer=customer, deleted_at__isnull=True).order_by("-ordered_at", "-id")[:need]
        sources.append(TimelineItem("order", r.ordered_at, r) for r in orders)
    if "task" in kinds:
        tasks = Task.objects.filter(customer=customer, deleted_at__isnull=True).select_related(
            "assignee").order_by("-due_at", "-id")[:need]
        sources.append(TimelineItem("task", r.due_at, r) for r in tasks)
    if "change" in kinds:
        # A follow-up, order, task or ticket is on the timeline itself; its "created" audit row would repeat it.
        changes = AuditLog.objects.filter(customer_id=customer.pk).exclude(
            action=AuditLog.Action.CREATE, entity__in=("interaction", "order", "task", *_extra_sources())
        ).select_related("actor").order_by("-created_at", "-id")[:need]
        sources.append(TimelineItem("change", r.created_at, r) for r in changes)
    for kind, spec in _extra_sources().items():
        if kind in kinds:
            rows = import_string(spec["items"])(user=user, customer=customer, need=need)
            sources.append(TimelineItem(kind, at, obj) for at, obj in rows)
    merged = list(heapq.merge(*sources, key=lambda item: item.at, reverse=True))
    start = (page - 1) * per_page
    return TimelinePage(items=merged[start:start + per_page], page=page, has_next=len(merged) > start + per_page)


def has_masked_fields(entry: Any) -> bool:
    """True when an audit entry's changes carry a contact number (mobile, phone, email)."""
    changes = entry.changes if isinstance(getattr(entry, "changes", None), dict) else {}
    return any(name in changes for name in MASKED_FIELDS)


def masked_changes(changes: Any) -> Any:
    """An audit entry's `changes` ({field: [before, after]}) with the contact numbers masked on both sides
    (号码脱敏, `governance.masking`): what a user who must see the customer's contacts masked is shown."""
    if not isinstance(changes, dict):
        return changes
    shown = dict(changes)
    for name in MASKED_FIELDS:
        pair = shown.get(name)
        if isinstance(pair, list):
            shown[name] = [mask_value(name, v) if isinstance(v, str) else v for v in pair]
    return shown
