"""The SLA check job (every five minutes): breaches are flagged and escalated, near breaches warned.

Set-based: the running clocks are read through the two partial indexes (`ticket_frt_due_open`,
`ticket_res_due_open`: tickets new/open/reopened and not paused) as due-time ranges, so a run where nothing
is due costs four index range scans whatever the table's size. Changes are bulk UPDATEs plus bulk-created
audit rows; only the few tickets escalated in this run get a task each through the customers' task service.

* **Breach**: a running due is in the past (now > due) and not flagged yet -> the flag
  (`first_response_breached` / `resolution_breached`) is set, the state becomes `breached` and, once per
  ticket (`escalated_at`), the ticket is escalated: priority one level up (never above urgent; the due times
  stay), the team lead gets a task due now and an e-mail. The team lead is every active service manager of the
  ticket's team, or else the assignee's manager.
* **Warning**: a ticket still `on_track` whose due is within the policy's `warning_minutes` *business*
  minutes (exact: the edge is now + warning in the policy's calendar, one value per policy) becomes
  `at_risk` and its assignee gets an e-mail — once, since only `on_track` tickets are picked. Tickets whose
  policy was deleted use 60 wall-clock minutes.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from guanxi.core.text import person_name
from guanxi.customers.services.activity import task_create
from guanxi.governance.models import AuditLog, Employee, Role

from ..models import SlaPolicy, SlaState, Ticket
from .business_hours import HolidayBook, add_business_minutes
from .sla import RUNNING

logger = logging.getLogger(__name__)

CHUNK = 500
ROW_FIELDS = ("id", "number", "subject", "customer_id", "assignee_id", "team_id", "priority", "sla_state",
              "escalated_at", "first_response_breached", "resolution_breached", "first_response_due",
              "resolution_due")
NEXT_PRIORITY: dict[str, str] = {"low": "normal", "normal": "high", "high": "urgent", "urgent": "urgent"}
DEFAULT_WARNING = timedelta(minutes=60)
TASK_TYPE = "ticket"


# The partial indexes' conditions, written out as literal SQL: SQLite uses a partial index only when the query
# repeats its WHERE terms, and a bound parameter (status IN (?, ?, ?)) does not count as a repeat.
RUNNING_SQL = ["status IN ({})".format(", ".join(f"'{s}'" for s in RUNNING)), "sla_paused_at IS NULL"]


def _running() -> QuerySet[Ticket]:
    """Clocks that run (the condition of `ticket_res_due_open`)."""
    return Ticket.objects.extra(where=RUNNING_SQL).filter(deleted_at__isnull=True)  # noqa: S610 - constants


def _first_response_running() -> QuerySet[Ticket]:
    """First-response clocks that run (the condition of `ticket_frt_due_open`)."""
    return Ticket.objects.extra(where=[*RUNNING_SQL, "first_responded_at IS NULL"]).filter(  # noqa: S610
        deleted_at__isnull=True)


def _locked_rows(qs: QuerySet[Ticket]) -> list[dict[str, Any]]:
    if connection.features.has_select_for_update:
        qs = qs.select_for_update(of=("self",))
    return list(qs.order_by().values(*ROW_FIELDS))


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i:i + CHUNK]


def _update(ids: Iterable[int], **values: Any) -> None:
    for part in _chunks(sorted(ids)):
        Ticket.objects.filter(pk__in=part).update(**values)


def _audit(rows: Iterable[dict[str, Any]], changes_of: Any) -> None:
    AuditLog.objects.bulk_create([
        AuditLog(actor=None, action=AuditLog.Action.UPDATE, entity="ticket", object_id=str(r["id"]),
                 object_repr=f"{r['number']} {r['subject']}"[:200], customer_id=r["customer_id"],
                 changes=changes_of(r))
        for r in rows
    ], batch_size=CHUNK)


def sla_check(*, now: datetime | None = None) -> dict[str, int]:
    now = now or timezone.now()
    breached, escalated, leads_mail = _breaches(now)
    warned, assignee_mail = _warnings(now)
    _send(leads_mail + assignee_mail)
    return {"breached": breached, "escalated": escalated, "at_risk": warned}


# ---------------------------------------------------------------- breaches and escalation


@transaction.atomic
def _breaches(now: datetime) -> tuple[int, int, list[tuple[Any, ...]]]:
    frt = _locked_rows(_first_response_running().filter(first_response_due__lt=now, first_response_breached=False))
    res = _locked_rows(_running().filter(resolution_due__lt=now, resolution_breached=False))
    if not frt and not res:
        return 0, 0, []
    rows = {r["id"]: r for r in frt + res}
    frt_ids, res_ids = {r["id"] for r in frt}, {r["id"] for r in res}
    _update(frt_ids, first_response_breached=True)
    _update(res_ids, resolution_breached=True)
    _update(rows, sla_state=SlaState.BREACHED)
    to_escalate = [r for r in rows.values() if r["escalated_at"] is None]
    by_priority: dict[str, list[int]] = defaultdict(list)
    for r in to_escalate:
        by_priority[r["priority"]].append(r["id"])
    for priority, ids in by_priority.items():
        _update(ids, priority=NEXT_PRIORITY.get(priority, priority), escalated_at=now, version=F("version") + 1,
                updated_at=now)

    def changes(r: dict[str, Any]) -> dict[str, Any]:
        c: dict[str, Any] = {}
        if r["sla_state"] != SlaState.BREACHED:
            c["sla_state"] = [r["sla_state"], SlaState.BREACHED.value]
        if r["id"] in frt_ids:
            c["first_response_breached"] = [False, True]
        if r["id"] in res_ids:
            c["resolution_breached"] = [False, True]
        if r["escalated_at"] is None:
            raised = NEXT_PRIORITY.get(r["priority"], r["priority"])
            if raised != r["priority"]:
                c["priority"] = [r["priority"], raised]
            c["escalated_at"] = [None, now.isoformat()]
        return c

    _audit(rows.values(), changes)
    mails = _notify_leads(to_escalate, frt_ids, now)
    return len(rows), len(to_escalate), mails


def team_leads(rows: list[dict[str, Any]]) -> dict[int, list[Any]]:
    """Ticket id -> the users to escalate to: the team's active service managers, else the assignee's manager."""
    team_ids = {r["team_id"] for r in rows if r["team_id"]}
    managers: dict[int, list[Any]] = defaultdict(list)
    for e in Employee.objects.filter(department_id__in=team_ids, role=Role.SERVICE_MANAGER,
                                     status=Employee.Status.ACTIVE, user__is_active=True
                                     ).select_related("user").order_by("user_id"):
        managers[e.department_id].append(e.user)  # type: ignore[index]
    bosses = {e.user_id: e.manager.user for e in Employee.objects.filter(  # type: ignore[union-attr]
        user_id__in={r["assignee_id"] for r in rows if r["assignee_id"]}, manager__status=Employee.Status.ACTIVE,
        manager__user__is_active=True).select_related("manager__user")}
    result = {}
    for r in rows:
        leads = managers.get(r["team_id"]) or ([bosses[r["assignee_id"]]] if r["assignee_id"] in bosses else [])
        result[r["id"]] = leads
    return result


def _notify_leads(rows: list[dict[str, Any]], frt_ids: set[int], now: datetime) -> list[tuple[Any, ...]]:
    """A task due now for each lead of each escalated ticket (through the task service), and one e-mail per
    lead listing them."""
    if not rows:
        return []
    leads = team_leads(rows)
    per_lead: dict[Any, list[str]] = defaultdict(list)
    for r in rows:
        what = _("first response") if r["id"] in frt_ids else _("resolution")
        title = (_("Escalated ticket %(number)s: %(subject)s") % {"number": r["number"], "subject": r["subject"]})
        notes = _("The %(target)s target was missed; the priority was raised. Ticket: /support/%(id)s/") % {
            "target": what, "id": r["id"]}
        for lead in leads[r["id"]]:
            task_create(actor=None, data={"title": title[:200], "notes": notes, "due_at": now, "assignee": lead,
                                          "customer_id": r["customer_id"], "related_type": TASK_TYPE,
                                          "related_id": r["id"]})
            per_lead[lead].append(f"  • {r['number']} {r['subject']} ({what}) /support/{r['id']}/")
        if not leads[r["id"]]:
            logger.warning("SLA breach of ticket %s: nobody to escalate to (no team lead, no manager)", r["number"])
    return [_mail(lead, ngettext("%(count)d ticket missed its SLA and was escalated",
                                 "%(count)d tickets missed their SLA and were escalated", len(lines))
                  % {"count": len(lines)},
                  lines, _("You are the team lead of these tickets; they are in your tasks, due now."))
            for lead, lines in per_lead.items() if lead.email]


# ---------------------------------------------------------------- warnings


def _warning_edges(now: datetime) -> tuple[Q, Q, datetime | None]:
    """Per policy, the latest due that is inside its warning window now (exact, in business minutes)."""
    book = HolidayBook()
    frt_q, res_q = Q(pk__in=[]), Q(pk__in=[])
    latest = now + DEFAULT_WARNING
    for policy in SlaPolicy.objects.filter(warning_minutes__gt=0):
        try:
            edge = add_business_minutes(now, policy.warning_minutes, policy, book)
        except ValueError:  # a calendar without working time: nothing is ever due
            continue
        latest = max(latest, edge)
        frt_q |= Q(sla_policy_id=policy.pk, first_response_due__lte=edge)
        res_q |= Q(sla_policy_id=policy.pk, resolution_due__lte=edge)
    frt_q |= Q(sla_policy__isnull=True, first_response_due__lte=now + DEFAULT_WARNING)
    res_q |= Q(sla_policy__isnull=True, resolution_due__lte=now + DEFAULT_WARNING)
    return frt_q, res_q, latest


@transaction.atomic
def _warnings(now: datetime) -> tuple[int, list[tuple[Any, ...]]]:
    frt_q, res_q, latest = _warning_edges(now)
    frt = _locked_rows(_first_response_running().filter(
        first_response_due__gte=now, first_response_due__lte=latest, sla_state=SlaState.ON_TRACK).filter(frt_q))
    res = _locked_rows(_running().filter(
        resolution_due__gte=now, resolution_due__lte=latest, sla_state=SlaState.ON_TRACK).filter(res_q))
    rows = {r["id"]: r for r in frt + res}
    if not rows:
        return 0, []
    _update(rows, sla_state=SlaState.AT_RISK)
    _audit(rows.values(), lambda r: {"sla_state": [SlaState.ON_TRACK.value, SlaState.AT_RISK.value]})
    per_assignee: dict[int, list[str]] = defaultdict(list)
    for r in rows.values():
        if r["assignee_id"]:
            due = min(d for d in (r["first_response_due"], r["resolution_due"]) if d is not None)
            per_assignee[r["assignee_id"]].append(
                f"  • {r['number']} {r['subject']} — {_('due')} {timezone.localtime(due):%Y-%m-%d %H:%M} "
                f"/support/{r['id']}/")
    users = get_user_model().objects.filter(pk__in=per_assignee, is_active=True).exclude(email="")
    mails = [_mail(u, ngettext("%(count)d of your tickets is about to miss its SLA",
                               "%(count)d of your tickets are about to miss their SLA", len(per_assignee[u.pk]))
                   % {"count": len(per_assignee[u.pk])}, per_assignee[u.pk],
                   _("Reply or resolve them before they are due.")) for u in users]
    return len(rows), mails


# ---------------------------------------------------------------- mail


def _mail(user: Any, subject: str, lines: list[str], closing: str) -> tuple[Any, ...]:
    body = "\n".join([_("Hello %(name)s,") % {"name": person_name(user)}, "", *lines[:100], "", closing])
    return subject, body, settings.DEFAULT_FROM_EMAIL, [user.email]


def _send(messages: list[tuple[Any, ...]]) -> None:
    """After the changes are saved; a broken mail server must not undo them."""
    if not messages:
        return
    try:
        send_mass_mail(messages, fail_silently=False)
    except Exception:
        logger.exception("Could not e-mail SLA warnings and escalations")
