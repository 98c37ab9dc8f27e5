"""The nightly public-pool job: recycle customers whose clock ran out, warn owners before it does.

Set-based: for every active pool the job runs one INSERT … SELECT over the customer table that
writes the OwnerChange ledger rows (every rule and level-specific day count at once; the first rule
that matches is the reason written) and one UPDATE of the customers those rows name — never a
Python loop over customers. Warnings fetch only the customers inside the warning window (ids,
owners, names and the clock fields), one query per pool, and bulk-create their tasks.

"N days" are calendar days in the company's time zone (Asia/Shanghai): a clock started on local
day D runs out at 00:00 on day D+N (see selectors/pool.py). Run on day D+N-1 the customer is kept;
run on day D+N or later it is recycled — whatever the hour of the claim or the run.
"""

from __future__ import annotations

import datetime
import logging
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    CharField,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from guanxi.core.text import person_name
from guanxi.customers.models import Customer, Task
from guanxi.governance.models import AuditLog

from ..models import Opportunity, OwnerChange, Pool
from ..selectors.pool import (
    RULE_FIELDS,
    WON_LIFECYCLES,
    PoolIndex,
    clock_cutoff,
    local_day,
    local_midnight,
    pool_index,
    rule_days,
    runs_out_on,
)

logger = logging.getLogger(__name__)

WARNING_TYPE = "pool_warning"
RULE_NAMES = {"no_follow_up_days": "no_follow_up", "no_opportunity_days": "no_opportunity",
              "not_won_days": "not_won"}


def _won_q() -> Q:
    won_opportunity = Opportunity.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True, stage__kind="won")
    return Q(lifecycle__in=WON_LIFECYCLES) | Q(Exists(won_opportunity))


def _claim_start() -> Coalesce:
    """When the owner got the customer; customers owned before the pool existed count from creation."""
    return Coalesce(OuterRef("claimed_at"), OuterRef("created_at"), output_field=DateTimeField())


def _claimed_before(cutoff: datetime.datetime) -> Q:
    return Q(claimed_at__lt=cutoff) | Q(claimed_at__isnull=True, created_at__lt=cutoff)


def rule_q(name: str, cutoff: datetime.datetime) -> Q:
    """Customers whose clock for rule `name` started before `cutoff`."""
    if name == "no_follow_up_days":
        # The later of the last follow-up and the claim is before the cutoff: both are.
        return _claimed_before(cutoff) & (Q(last_interaction_at__isnull=True) | Q(last_interaction_at__lt=cutoff))
    if name == "no_opportunity_days":
        since_claim = Opportunity.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True,
                                                 created_at__gte=_claim_start())
        return _claimed_before(cutoff) & Q(~Exists(since_claim))
    if name == "not_won_days":
        return _claimed_before(cutoff) & ~_won_q()
    raise ValueError(name)


def pool_base(pool: Pool, index: PoolIndex) -> QuerySet[Customer]:
    """Owned, unlocked, live customers of the pool's departments, minus the pool's exemptions."""
    department_ids, with_none = index.departments_of(pool)
    where = Q(department_id__in=department_ids)
    if with_none:
        where |= Q(department__isnull=True)
    qs = Customer.objects.filter(where, owner__isnull=False, locked_at__isnull=True, deleted_at__isnull=True)
    if pool.exempt_won:
        qs = qs.exclude(_won_q())
    if pool.exempt_open_opportunity:
        qs = qs.exclude(Exists(Opportunity.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True,
                                                          stage__kind="open")))
    return qs.order_by()


def rule_groups(pool: Pool, index: PoolIndex, name: str) -> Iterator[tuple[Q, int, str]]:
    """(customer filter, days, level label) for one rule: each level with its own count, then the rest."""
    levels = index.levels.get(pool.pk, {})
    own = {level: getattr(rule, name) for level, rule in levels.items() if getattr(rule, name) is not None}
    for level, days in sorted(own.items()):
        yield Q(level=level), days, level
    default = getattr(pool, name)
    if default is not None:
        yield ~Q(level__in=list(own)), default, ""


def _reason(pool: Pool, name: str, days: int, level: str) -> str:
    texts = {
        "no_follow_up_days": _("no follow-up for %(days)s days"),
        "no_opportunity_days": _("no opportunity within %(days)s days of claiming"),
        "not_won_days": _("not won within %(days)s days of claiming"),
    }
    text = f"{pool.name}: " + texts[name] % {"days": days}
    if level:
        text += " " + _("(level %(level)s)") % {"level": level}
    return text[:200]


def _insert_ledger(qs: QuerySet[Customer], *, reason: Any, now: datetime.datetime) -> int:
    """INSERT INTO ownerchange … SELECT … FROM customer WHERE …: one statement, rows locked on PostgreSQL."""
    rows = qs.annotate(
        gx_entity=Value("customer"), gx_kind=Value(OwnerChange.Kind.RECYCLE.value), gx_reason=reason,
        gx_at=Value(now, output_field=DateTimeField()),
    ).values_list("id", "owner_id", "gx_entity", "gx_kind", "gx_reason", "gx_at")
    if connection.features.has_select_for_update:
        rows = rows.select_for_update(of=("self",))
    select_sql, params = rows.query.get_compiler(using=rows.db).as_sql()
    table = connection.ops.quote_name(OwnerChange._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in
                        ("object_id", "from_user_id", "entity", "kind", "reason", "at"))
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {table} ({columns}) {select_sql}", params)
        return max(cursor.rowcount, 0)


def _recycle_pool(pool: Pool, index: PoolIndex, *, now: datetime.datetime) -> dict[str, int]:
    """One pass over the pool's customers: every rule and level at once (the first rule that matches is
    the reason written), then one UPDATE of the customers named by the ledger rows just written."""
    rules = [(level_q & rule_q(name, clock_cutoff(now, days)), _reason(pool, name, days, level))
             for name in RULE_FIELDS for level_q, days, level in rule_groups(pool, index, name)]
    if not rules:
        return {}
    where = Q(pk__in=[])
    for condition, _text in rules:
        where |= condition
    reason = Case(*[When(condition, then=Value(text)) for condition, text in rules], output_field=CharField())
    with transaction.atomic():
        if not _insert_ledger(pool_base(pool, index).filter(where), reason=reason, now=now):
            return {}
        logged = OwnerChange.objects.filter(entity="customer", kind=OwnerChange.Kind.RECYCLE, at=now,
                                            reason__in=[text for _condition, text in rules])
        Customer.objects.filter(pk__in=logged.values("object_id"), owner__isnull=False).update(
            owner=None, claimed_at=None, locked_at=None, version=F("version") + 1, updated_at=now)
        return dict(logged.order_by().values("reason").annotate(n=Count("id")).values_list("reason", "n"))


def _warn(index: PoolIndex, *, now: datetime.datetime, chunk: int) -> int:
    """Owners of customers that will be recycled within the pool's warning period get one open task each.

    One scan per pool: the customers inside any rule's warning window, with whether they have an
    opportunity since the claim and whether they have been won; the date each rule would recycle
    them on is then worked out for those few rows."""
    today = local_day(now)
    earliest: dict[int, tuple[datetime.date, int, str, str]] = {}
    # Open warnings are always the current owner's: the job closes the others first (see pool_recycle).
    # Their customers (a few thousand ids at most) are skipped in Python: a correlated NOT EXISTS on the
    # task table made SQLite scan it once per candidate customer.
    warned = set(Task.objects.filter(related_type=WARNING_TYPE, done_at__isnull=True, deleted_at__isnull=True,
                                     customer__isnull=False).values_list("customer_id", flat=True))
    for pool in index.pools:
        warn = pool.warn_days_before
        if not pool.is_active or not warn:
            continue
        window = Q(pk__in=[])
        for name in RULE_FIELDS:
            for level_q, days, _level in rule_groups(pool, index, name):
                if days > warn:
                    window |= level_q & rule_q(name, clock_cutoff(now, days - warn))
        since_claim = Opportunity.objects.filter(customer=OuterRef("pk"), deleted_at__isnull=True,
                                                 created_at__gte=_claim_start())
        rows = pool_base(pool, index).filter(window).annotate(
            gx_opportunity=Exists(since_claim), gx_won=ExpressionWrapper(_won_q(), output_field=BooleanField()),
        ).values_list("id", "owner_id", "name", "level", "claimed_at", "created_at", "last_interaction_at",
                      "gx_opportunity", "gx_won")
        for pk, owner_id, cname, level, claimed, created, last, has_opportunity, won in rows.iterator(
                chunk_size=chunk):
            if pk in warned:
                continue
            claim = claimed or created
            for name in RULE_FIELDS:
                rule = rule_days(pool, level, name, index)
                if not rule or rule <= warn:
                    continue
                if name == "no_follow_up_days":
                    start = max(claim, last) if last is not None else claim
                elif (name == "no_opportunity_days" and not has_opportunity) or (name == "not_won_days" and not won):
                    start = claim
                else:
                    continue
                on = runs_out_on(start, rule)
                if on <= today + datetime.timedelta(days=warn) and (pk not in earliest or on < earliest[pk][0]):
                    own = index.levels.get(pool.pk, {}).get(level)
                    label = level if own is not None and getattr(own, name) is not None else ""
                    earliest[pk] = (on, owner_id, cname, _reason(pool, name, rule, label))
    tasks = [
        Task(title=(_("“%(name)s” will return to the public pool on %(date)s")
                    % {"name": cname, "date": date_format(on, "Y-m-d")})[:200],
             notes=_("Rule: %(rule)s. Log a follow-up, create an opportunity or lock the customer to keep it.")
             % {"rule": reason},
             assignee_id=owner_id, customer_id=pk, due_at=local_midnight(on), related_type=WARNING_TYPE,
             related_id=pk)
        for pk, (on, owner_id, cname, reason) in earliest.items()
    ]
    Task.objects.bulk_create(tasks, batch_size=chunk)
    _notify_owners(tasks)
    return len(tasks)


def _notify_owners(tasks: list[Task]) -> int:
    """One e-mail per owner listing the customers about to return to the pool (besides the tasks).

    Mail trouble must not undo the night's work: failures are logged, not raised."""
    by_owner: dict[int, list[Task]] = {}
    for t in tasks:
        by_owner.setdefault(t.assignee_id, []).append(t)
    owners = get_user_model().objects.filter(pk__in=by_owner, is_active=True).exclude(email="")
    messages = []
    for owner in owners:
        lines = [_("Hello %(name)s,") % {"name": person_name(owner)}, ""]
        lines += [f"  • {t.title}" for t in by_owner[owner.pk][:100]]
        lines += ["", _("Log a follow-up, create an opportunity or lock the customer to keep it.")]
        subject = _("%(count)d of your customers will return to the public pool") % {"count": len(by_owner[owner.pk])}
        messages.append((subject, "\n".join(lines), settings.DEFAULT_FROM_EMAIL, [owner.email]))
    try:
        return send_mass_mail(messages, fail_silently=False)
    except Exception:  # a broken mail server must not stop the pool job
        logger.exception("Could not e-mail pool warnings")
        return 0


def pool_recycle(*, now: datetime.datetime | None = None, chunk: int = 2000) -> dict[str, Any]:
    """Recycle and warn for every active pool. Idempotent: a second run on the same day finds nothing to do."""
    now = now or timezone.now()
    index = pool_index()
    by_rule: dict[str, int] = {}
    recycled = 0
    for pool in index.pools:
        if not pool.is_active:
            continue
        for text, count in _recycle_pool(pool, index, now=now).items():
            by_rule[text] = count
            recycled += count
    with transaction.atomic():
        # Warnings about customers their owner no longer has are settled.
        closed = Task.objects.filter(related_type=WARNING_TYPE, done_at__isnull=True, deleted_at__isnull=True).exclude(
            customer__owner_id=F("assignee_id")).update(done_at=now, updated_at=now)
        warned = _warn(index, now=now, chunk=chunk)
        AuditLog.objects.create(
            actor=None, action=AuditLog.Action.ASSIGN, entity="pool", object_id="recycle",
            object_repr=_("Public pool: nightly recycling"),
            changes={"recycled": [None, recycled], "warned": [None, warned], "warnings_closed": [None, closed],
                     "rules": [None, by_rule], "now": [None, now.isoformat()]},
        )
    return {"recycled": recycled, "warned": warned, "warnings_closed": closed, "rules": by_rule}
