"""Re-tiering: every customer's rolling spend against the tier thresholds, set-based and in bulk.

As of a day D: net spend = total − refunded of the customer's orders with ordered_at from the local
midnight starting D − window_months up to (not including) the local midnight starting D; cancelled
and soft-deleted orders never count. Points are read from CustomerTier.points as they are (a loyalty
programme fills them). The qualifying tier is the highest active tier whose min_spend ≤ spend or whose
min_points (when set) ≤ points.

One aggregate query over the orders grouped by customer (ordered by customer id) is streamed in chunks
and merged with the customers, read in chunks of CHUNK ids (keyset on the id), and their stored tiers;
the decisions are made in Python and written in bulk (services/tier_writes.py: new rows inserted,
changed rows updated, one TierChange per move). The whole run is one transaction holding the
TierPolicy row lock, so two runs never interleave and a failed run leaves nothing half-written. A
second run for the same day finds nothing to change.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.db.models import DecimalField, F, Sum
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from guanxi.analytics import tier_reasons
from guanxi.analytics.models import CustomerTier, Tier, TierChange, TierPolicy
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Customer, Order
from guanxi.governance import permissions
from guanxi.governance.models import AuditLog
from guanxi.governance.services import audit_record

from . import tier_writes
from .tier_periods import protection_end, window_start

CHUNK = 50_000
CENT = Decimal("0.01")
ZERO = Decimal("0.00")
Direction = TierChange.Direction


@dataclass(frozen=True)
class TierRule:
    id: int
    name: str
    position: int
    min_spend: Decimal
    min_points: int | None
    is_active: bool


@dataclass
class Decision:
    """What one customer's run does: the row's new values and, for a move, the change to record."""

    tier_id: int | None
    since: date
    protected_until: date | None
    direction: str | None = None
    from_tier_id: int | None = None
    reason: str = ""


def _midnight(d: date) -> datetime:
    return timezone.make_aware(datetime.combine(d, time.min))


class Retier:
    def __init__(self, *, as_of: date, policy: TierPolicy, tiers: list[Tier]):
        self.as_of = as_of
        self.months = policy.window_months
        self.protect = policy.downgrade_protection
        self.period = policy.period
        self.rules = {t.pk: TierRule(t.pk, t.name, t.position, t.min_spend, t.min_points, t.is_active)
                      for t in tiers}
        self.active = sorted((r for r in self.rules.values() if r.is_active), key=lambda r: -r.position)
        self.counts = dict.fromkeys(Direction.values, 0)
        # created_at of the TierChange rows, already in the database's format (raw inserts below).
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())
        self.customers = 0

    # ------------------------------------------------------------ decisions

    def qualifying(self, spend: Decimal, points: int) -> tuple[TierRule | None, str]:
        """The highest active tier reached, and by what ("spend" or "points")."""
        spend = max(spend, ZERO)
        for rule in self.active:
            if rule.min_spend <= spend:
                return rule, "spend"
            if rule.min_points is not None and rule.min_points <= points:
                return rule, "points"
        return None, ""

    def _reached(self, rule: TierRule, by: str, spend: Decimal, points: int) -> str:
        if by == "spend":
            return tier_reasons.encode("spend", m=self.months, s=spend, t=rule.min_spend)
        return tier_reasons.encode("points", p=points, tp=rule.min_points)

    def _below(self, rule: TierRule, spend: Decimal, points: int, until: date | None = None) -> str:
        return tier_reasons.encode("below", m=self.months, s=spend, t=rule.min_spend,
                                   p=points if rule.min_points is not None else None, tp=rule.min_points, u=until)

    def decide(self, current: tuple[Any, ...] | None, spend: Decimal, points: int) -> Decision:
        target, by = self.qualifying(spend, points)
        target_id = target.id if target else None
        as_of = self.as_of
        if current is None or current[0] is None:
            if target is None:
                return Decision(None, current[1] if current else as_of, None)
            return Decision(target_id, as_of, None, Direction.FIRST, None, self._reached(target, by, spend, points))
        tier_id, since, protected = current[0], current[1], current[4]
        rule = self.rules[tier_id]
        target_position = target.position if target else -1
        if not rule.is_active:
            if target_id == tier_id:  # pragma: no cover - inactive tiers never qualify
                return Decision(tier_id, since, None)
            direction = Direction.UP if target_position > rule.position else Direction.DOWN
            return Decision(target_id, as_of, None, direction, tier_id, tier_reasons.encode("inactive"))
        if target is not None and target_position > rule.position:
            return Decision(target_id, as_of, None, Direction.UP, tier_id, self._reached(target, by, spend, points))
        if target_position == rule.position:
            return Decision(tier_id, since, None)  # qualifies again: any protection is no longer needed
        # Would drop.
        if protected is None and self.protect:
            until = protection_end(as_of, self.period)
            return Decision(tier_id, since, until, Direction.KEPT, tier_id, self._below(rule, spend, points, until))
        if protected is not None and as_of <= protected:
            return Decision(tier_id, since, protected)
        return Decision(target_id, as_of, None, Direction.DOWN, tier_id, self._below(rule, spend, points, protected))

    # ------------------------------------------------------------ one chunk

    def run_chunk(self, ids: list[int], spend: dict[int, Decimal]) -> None:
        """Decide and write one chunk of customers (ids ascending; `spend` holds those with orders)."""
        stored = {row[0]: row[1:] for row in CustomerTier.objects.filter(customer_id__gte=ids[0],
                                                                          customer_id__lte=ids[-1])
                  .values_list("customer_id", "tier_id", "since", "rolling_spend", "points", "protected_until")}
        new_rows: list[tuple[Any, ...]] = []
        changed: list[tuple[Any, ...]] = []
        changes: list[tuple[Any, ...]] = []
        for cid in ids:
            amount = spend.get(cid, ZERO)
            current = stored.get(cid)
            d = self.decide(current, amount, current[3] if current else 0)
            if current is None:
                new_rows.append((cid, d.tier_id, d.since, amount, 0, d.protected_until))
            elif (current[0], current[1], current[2], current[4]) != (d.tier_id, d.since, amount, d.protected_until):
                changed.append((d.tier_id, d.since, amount, d.protected_until, cid))
            if d.direction:
                self.counts[d.direction] += 1
                changes.append((cid, d.from_tier_id, d.tier_id, d.direction, d.reason, self.as_of, self.now))
        tier_writes.insert_tiers(new_rows)
        tier_writes.update_tiers(changed)
        tier_writes.insert_changes(changes)
        self.customers += len(ids)


def _spend_stream(as_of: date, months: int) -> Iterator[tuple[int, Decimal]]:
    """(customer id, net spend in the window) for every customer with orders in it, by id: one aggregate
    query over the orders, read in chunks."""
    net = Sum(F("total_amount") - F("refunded_amount"), output_field=DecimalField(max_digits=16, decimal_places=2))
    qs = (Order.objects.filter(deleted_at__isnull=True, ordered_at__gte=_midnight(window_start(as_of, months)),
                               ordered_at__lt=_midnight(as_of))
          .exclude(status=Order.Status.CANCELLED).values("customer_id").annotate(net=net)
          .order_by("customer_id").values_list("customer_id", "net"))
    if connection.vendor == "postgresql":
        # A server-side cursor is planned for its first rows (an index walk in customer order, ~10x slower
        # here); all rows are read, so plan for all of them (this transaction only).
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
    for cid, amount in qs.iterator(chunk_size=CHUNK):
        yield cid, Decimal(amount or 0).quantize(CENT)


def _check(as_of: date, policy: TierPolicy, tiers: list[Tier]) -> None:
    if as_of > timezone.localdate():
        raise ValidationError({"as_of": [_("The as-of date cannot be in the future.")]})
    if policy.last_run_on and as_of < policy.last_run_on:
        raise ValidationError({"as_of": [
            _("Tiers were last recomputed as of %(date)s; choose that day or a later one.")
            % {"date": date_format(policy.last_run_on, "Y-m-d")}]})
    if not any(t.is_active for t in tiers):
        raise ValidationError({"tiers": [_("Add at least one active tier first.")]})


@transaction.atomic
def retier(*, as_of: date, actor: Any = None, progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Recompute every customer's tier as of `as_of`; returns counts {"customers", "up", "down", "kept",
    "first", "unchanged", "as_of"} (the five counts add up to "customers"). `actor` None is the system (the
    schedule); a person needs CONFIGURE."""
    if actor is not None and not permissions.can(actor, permissions.CONFIGURE):
        raise PermissionDeniedError()
    policy = TierPolicy.objects.select_for_update().get(pk=TierPolicy.current().pk)
    tiers = list(Tier.objects.all())
    _check(as_of, policy, tiers)
    job = Retier(as_of=as_of, policy=policy, tiers=tiers)
    live = Customer.objects.filter(deleted_at__isnull=True)
    total = live.count() if progress else 0
    spend_rows = _spend_stream(as_of, policy.window_months)
    pending = next(spend_rows, None)
    last = 0
    while True:
        ids = list(live.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:CHUNK])
        if not ids:
            break
        spend: dict[int, Decimal] = {}
        while pending is not None and pending[0] <= ids[-1]:
            spend[pending[0]] = pending[1]
            pending = next(spend_rows, None)
        job.run_chunk(ids, spend)
        last = ids[-1]
        if progress:
            progress(job.customers, total)
    summary = {"as_of": as_of.isoformat(), "customers": job.customers, **job.counts,
               "unchanged": job.customers - sum(job.counts.values())}
    previous = policy.last_run_on
    policy.last_run_on = max(as_of, previous or as_of)
    policy.save(update_fields=["last_run_on"])
    audit_record(actor=actor, action=AuditLog.Action.UPDATE, instance=policy,
                 changes={"last_run_on": [previous.isoformat() if previous else None, as_of.isoformat()],
                          "retier": [None, summary]})
    return summary
