"""Demo data for the service desk, called by the customers demo loader through GUANXI_DEMO_EXTENSIONS after the
customers and orders exist: service teams and agents, SLA policies and the 2026 holidays, routing rules, ~300
tickets over the last 120 days with their thread and SLA clock, then (demo_records.py) complaint steps and
compensation, returns, surveys, callbacks and knowledge-base articles.

Rows are written in bulk with explicit ids and timestamps (demo_writer.py), consistent with what the services
would have written: first response after opening, resolution after first response, closing after resolution
(and, for a complaint, after its follow-up step), breaches where a due time passed, one answer per invitation.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from guanxi.customers.models import Contact, Customer, OrderLine, Product
from guanxi.governance.models import Department, Employee, Role
from guanxi.governance.selectors import department_subtree_ids
from guanxi.governance.services import employee_create

from . import demo_records, demo_text
from .demo_defaults import china_holidays_2026, default_sla_policies
from .demo_writer import DemoRows, taken_numbers
from .models import Holiday, RoutingRule, SlaPolicy, SlaState, Ticket, TicketMessage
from .services.business_hours import HolidayBook, add_business_minutes

DAYS = 120
TYPES = [("inquiry", 34), ("complaint", 16), ("return", 20), ("repair", 20), ("suggestion", 10)]
PRIORITIES = {"complaint": [5, 30, 55, 10], "repair": [8, 27, 55, 10]}  # urgent, high, normal, low
CHANNELS = [("phone", 30), ("wechat", 25), ("email", 20), ("web", 12), ("chat", 10), ("in_person", 3)]
# Median wall-clock hours to the first response, by priority.
RESPONSE_HOURS = {"urgent": 0.4, "high": 0.9, "normal": 2.0, "low": 4.0}
EXTRA_AGENTS = [("agent2", "孙", "悦", "main"), ("agent3", "马", "超", "main"), ("agent_repair", "何", "平", "repair")]


def _pick(rng: random.Random, weighted: list[tuple[str, int]]) -> str:
    return rng.choices([k for k, _w in weighted], weights=[w for _k, w in weighted])[0]


def _teams(users: Mapping[str, Any]) -> dict[str, Any]:
    """The service department of the base demo (or a new 客服部), a repair team under it, and its agents."""
    known = [u for u in (users.get("svc_manager"), users.get("agent")) if u is not None]
    employee = Employee.objects.filter(user__in=known, department__isnull=False).select_related("department").first()
    main = employee.department if employee and employee.department else Department.objects.create(name="客服部")
    repair = Department.objects.filter(name="售后维修组", parent=main).first() or Department.objects.create(
        name="售后维修组", parent=main)
    # The base demo sets its users' password hash in the database after creating them: copy it from there.
    password = Employee.objects.filter(user__in=known).values_list("user__password", flat=True).first()
    taken = set(Employee.objects.filter(user__username__in=[a[0] for a in EXTRA_AGENTS])
                .values_list("user__username", flat=True))
    for username, family, given, team in EXTRA_AGENTS:
        if username in taken:
            continue
        created = employee_create(actor=None, username=username, password=None,  # type: ignore[arg-type]
                                  role=Role.SERVICE_AGENT, department=main if team == "main" else repair,
                                  first_name=given, last_name=family, email=f"{username}@demo.guanxi.local")
        if password:
            created.user.password = password
            created.user.save(update_fields=["password"])
    members: dict[int, list[Any]] = {}
    for e in Employee.objects.filter(role=Role.SERVICE_AGENT, department_id__in=department_subtree_ids(main.pk),
                                     status=Employee.Status.ACTIVE).select_related("user").order_by("user_id"):
        team_id = repair.pk if e.department_id == repair.pk else main.pk
        members.setdefault(team_id, []).append(e.user)
    manager = users.get("svc_manager") or next(iter(members.get(main.pk, [])), None)
    return {"main": main, "repair": repair, "members": members, "manager": manager}


def _calendar() -> tuple[dict[tuple[str, str], SlaPolicy], dict[date, bool], int]:
    """The default SLA policies and the 2026 holidays (demo_defaults.py), unless some exist already."""
    if not SlaPolicy.objects.exists():
        SlaPolicy.objects.bulk_create(default_sla_policies())
    existing = set(Holiday.objects.values_list("date", flat=True))
    Holiday.objects.bulk_create([h for h in china_holidays_2026() if h.date not in existing])
    policies = {(p.priority, p.customer_level): p for p in SlaPolicy.objects.filter(is_active=True).order_by("-pk")}
    return policies, dict(Holiday.objects.values_list("date", "is_workday")), len(policies)


def _routing(teams: dict[str, Any]) -> int:
    rules = [RoutingRule(position=10, name="维修工单 → 售后维修组", ticket_type="repair", team=teams["repair"]),
             RoutingRule(position=20, name="其他工单 → 客服部（轮流分配）", team=teams["main"])]
    RoutingRule.objects.bulk_create(rules)
    return len(rules)


def _customers(ids: Iterable[int], rng: random.Random) -> list[dict[str, Any]]:
    """Up to 400 demo customers with their primary contact and order lines (for products and returns)."""
    chosen = list(ids)
    rng.shuffle(chosen)
    rows: dict[int, dict[str, Any]] = {pk: {"id": pk, "name": name, "level": level or "", "lines": [], "contact": None, "email": "", "mobile": ""}
            for pk, name, level in Customer.objects.filter(pk__in=chosen[:400], deleted_at__isnull=True)
            .values_list("pk", "name", "level")}
    for pk, cid, email, mobile in (Contact.objects.filter(customer_id__in=rows, deleted_at__isnull=True)
                                   .order_by("customer_id", "-is_primary", "id")
                                   .values_list("pk", "customer_id", "email", "mobile")):
        if rows[cid]["contact"] is None:
            rows[cid].update(contact=pk, email=email, mobile=mobile)
    for line in (OrderLine.objects.filter(order__customer_id__in=rows, order__deleted_at__isnull=True,
                                          order__status="paid", product__isnull=False)
                 .values("pk", "order_id", "order__customer_id", "product_id", "amount", "quantity",
                         "order__total_amount", "order__refunded_amount", "order__ordered_at")):
        rows[line["order__customer_id"]]["lines"].append(line)
    return list(rows.values())


def _status(rng: random.Random, age: timedelta) -> str:
    if age < timedelta(days=1):
        return rng.choice(["new", "new", "open", "open", "waiting"])
    if age < timedelta(days=7):
        return _pick(rng, [("open", 25), ("waiting", 15), ("resolved", 35), ("closed", 20), ("reopened", 5)])
    return _pick(rng, [("closed", 70), ("resolved", 22), ("reopened", 3), ("open", 3), ("waiting", 2)])


def _hours(rng: random.Random, median: float, sigma: float = 1.0) -> timedelta:
    return timedelta(hours=rng.lognormvariate(math.log(median), sigma))


class TicketPlanner:
    """Plans tickets one by one (fields + thread); `rows` collects them for the bulk write."""

    def __init__(self, *, rng: random.Random, now: datetime, teams: dict[str, Any], policies: dict[tuple[str, str], SlaPolicy],
                 holidays: dict[date, bool], products: dict[int, str], rows: DemoRows) -> None:
        self.rng, self.now, self.teams, self.policies, self.rows = rng, now, teams, policies, rows
        self.book = HolidayBook(holidays)
        self.products = products
        self.turn: dict[int, int] = {}
        self.numbers = taken_numbers(Ticket, "T", since=now - timedelta(days=DAYS + 1))

    def _assignee(self, team_id: int) -> Any:
        people = self.teams["members"].get(team_id) or self.teams["members"].get(self.teams["main"].pk) or []
        if not people:
            return None
        self.turn[team_id] = self.turn.get(team_id, -1) + 1
        return people[self.turn[team_id] % len(people)]

    def _number(self, created: datetime) -> str:
        prefix = "T" + timezone.localtime(created).strftime("%Y%m%d")
        self.numbers[prefix] = self.numbers.get(prefix, 0) + 1
        return f"{prefix}{self.numbers[prefix]:04d}"

    def plan(self, customer: dict[str, Any]) -> dict[str, Any]:
        rng, now = self.rng, self.now
        kind = _pick(rng, TYPES)
        created = now - timedelta(days=rng.uniform(0, DAYS))
        local = timezone.localtime(created)
        created = local.replace(hour=rng.choice([8, 9, 9, 10, 10, 11, 13, 14, 14, 15, 16, 17, 19, 21]))
        created = min(created, now - timedelta(minutes=rng.randint(5, 90)))
        line = rng.choice(customer["lines"]) if customer["lines"] and kind != "suggestion" else None
        product_id = line["product_id"] if line else (rng.choice(list(self.products)) if rng.random() < 0.5 else None)
        priority = rng.choices(["urgent", "high", "normal", "low"], weights=PRIORITIES.get(kind, [3, 15, 67, 15]))[0]
        team = self.teams["repair"] if kind == "repair" else self.teams["main"]
        status = _status(rng, now - created)
        assignee = None if status == "new" and rng.random() < 0.5 else self._assignee(team.pk)
        subject = rng.choice(demo_text.SUBJECTS[kind]).format(p=self.products.get(product_id or 0, "产品"))
        t: dict[str, Any] = {
            "number": self._number(created), "type": kind, "priority": priority, "channel": _pick(rng, CHANNELS),
            "customer_id": customer["id"], "contact_id": customer["contact"], "product_id": product_id,
            "order_id": line["order_id"] if line and kind in ("return", "repair", "complaint") else None,
            "subject": subject[:200], "status": status, "assignee_id": assignee.pk if assignee else None,
            "team_id": team.pk, "created_at": created, "requester_email": customer["email"] or "",
            "created_by_id": assignee.pk if assignee else None, "reopen_count": 0,
            "_line": line, "_customer": customer,  # not columns: for the records that follow (demo_records.py)
        }
        self._times(t, assignee)
        self._sla(t)
        t["updated_at"] = max(v for k, v in t.items() if k.endswith("_at") and isinstance(v, datetime))
        self.rows.add(Ticket, t)
        self._thread(t, assignee)
        return t

    def _times(self, t: dict[str, Any], assignee: Any) -> None:
        rng, now, status = self.rng, self.now, t["status"]
        t["first_responded_at"] = t["resolved_at"] = t["closed_at"] = t["sla_paused_at"] = None
        if status == "new" or assignee is None:
            t["status"] = "new"
            return
        t["first_responded_at"] = min(t["created_at"] + _hours(rng, RESPONSE_HOURS[t["priority"]]),
                                      now - timedelta(minutes=2))
        if status == "waiting":
            t["sla_paused_at"] = t["first_responded_at"] + timedelta(minutes=rng.randint(5, 90))
        if status in ("resolved", "closed", "reopened") or (status == "open" and rng.random() < 0.05):
            t["reopen_count"] = 1 if status == "reopened" or rng.random() < 0.07 else 0
        if status in ("resolved", "closed"):
            resolved = t["first_responded_at"] + _hours(rng, 20 if t["type"] != "inquiry" else 4, 0.9)
            if resolved >= now:
                resolved, status = now - timedelta(minutes=rng.randint(1, 30)), "resolved"
            t["resolved_at"] = max(resolved, t["first_responded_at"])
            closed = t["resolved_at"] + timedelta(days=rng.uniform(1, 4))
            t["status"] = "closed" if status == "closed" and closed < now else "resolved"
            t["closed_at"] = closed if t["status"] == "closed" else None

    def _sla(self, t: dict[str, Any]) -> None:
        level = t["_customer"]["level"]  # a policy for the customer's level beats the one for any level
        policy = self.policies.get((t["priority"], level)) or self.policies.get((t["priority"], ""))
        if policy is None:
            t["sla_state"] = ""
            return
        due_first = add_business_minutes(t["created_at"], policy.first_response_minutes, policy, self.book)
        due_end = add_business_minutes(t["created_at"], policy.resolution_minutes, policy, self.book)
        first_late = (t["first_responded_at"] or self.now) > due_first
        end_late = (t["resolved_at"] or self.now) > due_end and t["status"] != "waiting"
        t.update(sla_policy_id=policy.pk, first_response_due=due_first, resolution_due=due_end,
                 first_response_breached=first_late, resolution_breached=end_late,
                 escalated_at=min(d for d, late in ((due_first, first_late), (due_end, end_late)) if late)
                 if first_late or end_late else None)
        if t["status"] in ("resolved", "closed"):
            t["sla_state"] = SlaState.BREACHED if first_late or end_late else SlaState.MET
        elif t["status"] == "waiting":
            t["sla_state"] = SlaState.PAUSED
        elif first_late or end_late:
            t["sla_state"] = SlaState.BREACHED
        else:
            soon = self.now + timedelta(minutes=policy.warning_minutes)
            pending = [due_end] + ([due_first] if t["first_responded_at"] is None else [])
            t["sla_state"] = SlaState.AT_RISK if any(d <= soon for d in pending) else SlaState.ON_TRACK

    def _thread(self, t: dict[str, Any], assignee: Any) -> None:
        rng, text = self.rng, demo_text
        p = self.products.get(t["product_id"], "产品")
        email = t["requester_email"] if t["channel"] == "email" else ""

        def say(kind: str, body: str, at: datetime, author: Any = None) -> None:
            self.rows.add(TicketMessage, {"ticket_id": t["id"], "kind": kind, "body": body,
                                          "created_at": min(at, self.now), "author_id": author.pk if author else None,
                                          "email_from": email if kind == "customer" else ""})

        say("customer", rng.choice(text.OPENINGS[t["type"]]).format(s=t["subject"], p=p), t["created_at"])
        if t["first_responded_at"] is None:
            return
        agent = f"{assignee.last_name}{assignee.first_name}" if assignee else ""
        say("reply", rng.choice(text.FIRST_REPLIES).format(agent=agent, n=t["number"]), t["first_responded_at"], assignee)
        end = t["resolved_at"] or self.now
        if rng.random() < 0.45:
            middle = t["first_responded_at"] + (end - t["first_responded_at"]) / 3
            say("customer", rng.choice(text.CUSTOMER_FOLLOW_UPS), middle)
            if rng.random() < 0.5:
                say("note", rng.choice(text.NOTES), middle + timedelta(minutes=20), assignee)
        if t["reopen_count"]:
            back = t["first_responded_at"] + (end - t["first_responded_at"]) / 2
            say("customer", "问题又出现了，麻烦再看一下。", back)
            say("reply", "抱歉！工单已重新打开，我们马上处理。", back + timedelta(minutes=30), assignee)
        if t["resolved_at"] is not None:
            say("reply", rng.choice(text.RESOLUTIONS[t["type"]]), t["resolved_at"], assignee)
            if rng.random() < 0.5:
                say("customer", rng.choice(text.THANKS), t["resolved_at"] + timedelta(hours=rng.uniform(0.2, 6)))


@transaction.atomic
def load_support_demo(*, users: Mapping[str, Any], customers: Iterable[int], seed: int = 20240101,
                      count: int = 300) -> dict[str, int]:
    """Create the service-desk demo rows; returns counts by kind for the demo summary."""
    rng = random.Random(seed + 4)
    pool = _customers(customers, rng)
    if not pool:
        return {}
    teams = _teams(users)
    policies, holidays, policy_count = _calendar()
    products = dict(Product.objects.filter(is_active=True).values_list("pk", "name"))
    rows = DemoRows()
    rows.reserve(*demo_records.WRITE_ORDER)
    planner = TicketPlanner(rng=rng, now=timezone.now(), teams=teams, policies=policies, holidays=holidays,
                            products=products, rows=rows)
    tickets = [planner.plan(rng.choice(pool)) for _ in range(count)]
    context = demo_records.Context(rng=rng, now=planner.now, rows=rows, tickets=tickets, customers=pool,
                                   teams=teams, products=products)
    demo_records.add_all(context)
    counts = rows.write()
    counts.update(sla_policy=policy_count, routing_rule=_routing(teams), **context.extra_counts)
    return counts
