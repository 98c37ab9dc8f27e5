"""The service-desk demo's records around the tickets (demo.py planned those): complaint steps and compensation,
returns, CSAT and NPS surveys with their answers, callback rules and callbacks, knowledge-base articles."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F
from django.utils import timezone

from guanxi.customers.models import Order, Task

from . import demo_text
from .demo_articles import ARTICLES
from .demo_writer import DemoRows, taken_numbers
from .knowledge_search import build_search_text
from .models import (
    Article,
    ArticleVersion,
    Callback,
    CallbackRule,
    Compensation,
    ComplaintStep,
    ReturnLine,
    ReturnRequest,
    Survey,
    SurveyInvitation,
    SurveyResponse,
    Ticket,
    TicketMessage,
)

WRITE_ORDER = [Ticket, TicketMessage, Compensation, Task, ComplaintStep, ReturnRequest, ReturnLine, SurveyInvitation,
               SurveyResponse, Callback, Article, ArticleVersion]
RETURN_REASONS = [("quality", 30), ("wrong_item", 15), ("not_described", 15), ("damaged", 15), ("late", 10),
                  ("changed_mind", 15)]
MAX_RETURNS = 15
CSAT_SCORES = [(5, 45), (4, 28), (3, 12), (2, 9), (1, 6)]
NPS_SCORES = [(10, 20), (9, 21), (8, 17), (7, 13), (6, 9), (5, 7), (4, 4), (3, 3), (2, 2), (1, 2), (0, 2)]


@dataclass
class Context:
    rng: random.Random
    now: datetime
    rows: DemoRows
    tickets: list[dict[str, Any]]
    customers: list[dict[str, Any]]
    teams: dict[str, Any]
    products: dict[int, str]
    extra_counts: dict[str, int] = field(default_factory=dict)

    @property
    def manager_id(self) -> int | None:
        return self.teams["manager"].pk if self.teams["manager"] is not None else None

    def pick(self, weighted: list[tuple[Any, int]]) -> Any:
        return self.rng.choices([k for k, _w in weighted], weights=[w for _k, w in weighted])[0]


def _touch(t: dict[str, Any]) -> None:
    t["updated_at"] = max(v for k, v in t.items() if k.endswith("_at") and isinstance(v, datetime))


def add_all(ctx: Context) -> None:
    complaints(ctx)
    returns(ctx)
    surveys(ctx)
    callbacks(ctx)
    articles(ctx)


def complaints(ctx: Context) -> None:
    """Six steps per complaint, done up to where the ticket is; a compensation for most; the follow-up task
    after resolution. A closed complaint has its follow-up step done before it was closed."""
    rng, now, rows = ctx.rng, ctx.now, ctx.rows
    for t in (t for t in ctx.tickets if t["type"] == "complaint"):
        first, done, task_id = t["first_responded_at"], {}, None
        if first is not None:
            for k, step in enumerate(("apologise", "restate", "empathise"), start=1):
                if k < 3 or t["resolved_at"] or rng.random() < 0.6:
                    done[step] = first + timedelta(minutes=4 * k)
            if rng.random() < (0.85 if t["resolved_at"] else 0.35):
                kind, text, amount, cost = rng.choice(demo_text.COMPENSATIONS)
                at = min(first + timedelta(hours=rng.uniform(0.5, 6)), t["resolved_at"] or now)
                rows.add(Compensation, {"ticket_id": t["id"], "kind": kind, "description": text, "amount": Decimal(amount),
                                        "cost": Decimal(cost), "created_by_id": t["assignee_id"], "created_at": at})
                done["compensate"] = at
        if t["resolved_at"] is not None:
            follow = t["resolved_at"] + timedelta(days=rng.uniform(1, 6.5))
            if t["status"] == "closed" and follow >= now:
                t.update(status="resolved", closed_at=None)
            followed = follow < now and (t["status"] == "closed" or rng.random() < 0.3)
            if followed:
                done["follow_up"] = follow
                if t["status"] == "closed":
                    t["closed_at"] = min(max(t["closed_at"], follow + timedelta(hours=1)), now)
                    if rng.random() < 0.4:
                        done["exceed"] = follow + timedelta(minutes=10)
            task_id = rows.add(Task, {
                "title": f"投诉回访：{t['number']} {t['subject']}"[:200], "notes": "一周内回访客户，确认对处理结果满意（投诉第 5 步）。",
                "assignee_id": t["assignee_id"], "due_at": t["resolved_at"] + timedelta(days=7),
                "customer_id": t["customer_id"], "created_by_id": t["assignee_id"], "related_type": "ticket",
                "related_id": t["id"], "done_at": follow if followed else None, "created_at": t["resolved_at"],
                "updated_at": follow if followed else t["resolved_at"]})
            _touch(t)
        for position, step in enumerate(ComplaintStep.Step.values, start=1):
            at = done.get(step)
            rows.add(ComplaintStep, {"ticket_id": t["id"], "step": step, "position": position, "done_at": at,
                                     "done_by_id": t["assignee_id"] if at else None,
                                     "note": demo_text.STEP_NOTES[step] if at else "",
                                     "task_id": task_id if step == "follow_up" else None})


def returns(ctx: Context) -> None:
    """A request for return tickets with an order line (one per order); completed refunds reach the order."""
    rng, now, rows = ctx.rng, ctx.now, ctx.rows
    used: set[int] = set()
    numbers = taken_numbers(ReturnRequest, "R", since=min((t["created_at"] for t in ctx.tickets), default=now))
    for t in ctx.tickets:
        line = t["_line"]
        if t["type"] != "return" or line is None or line["order_id"] in used or t["assignee_id"] is None:
            continue
        if len(used) >= MAX_RETURNS:
            break
        used.add(line["order_id"])
        kind = ctx.pick([("return", 50), ("exchange", 25), ("refund", 25)])
        finished = t["resolved_at"] is not None
        status = ctx.pick([("completed", 65), ("rejected", 10), ("approved", 25)] if finished
                          else [("requested", 60), ("approved", 40)])
        left = Decimal(line["order__total_amount"]) - Decimal(line["order__refunded_amount"] or 0)
        refund = Decimal("0") if kind == "exchange" else min(Decimal(line["amount"]), left)
        created = (t["first_responded_at"] or t["created_at"]) + timedelta(minutes=rng.randint(5, 120))
        decided = created + timedelta(hours=rng.uniform(1, 20)) if status != "requested" else None
        completed = (t["resolved_at"] if status == "completed" else None)
        decided = min(decided, completed or now) if decided else None
        prefix = "R" + timezone.localtime(created).strftime("%Y%m%d")
        numbers[prefix] = numbers.get(prefix, 0) + 1
        request_id = rows.add(ReturnRequest, {
            "number": f"{prefix}{numbers[prefix]:04d}", "customer_id": t["customer_id"], "order_id": line["order_id"],
            "ticket_id": t["id"], "kind": kind, "reason": (reason := ctx.pick(RETURN_REASONS)),
            "reason_note": demo_text.RETURN_NOTES[reason], "status": status, "refund_amount": refund,
            "requested_by_id": t["assignee_id"], "decided_by_id": ctx.manager_id if decided else None,
            "decided_at": decided, "decision_note": "超过退货期限且已使用" if status == "rejected" else "",
            "completed_at": completed, "created_at": created, "updated_at": completed or decided or created})
        rows.add(ReturnLine, {"request_id": request_id, "order_line_id": line["pk"], "amount": refund,
                              "quantity": min(Decimal(line["quantity"] or 1), Decimal("1"))})
        if status == "completed" and refund > 0:
            total = Decimal(line["order__total_amount"])
            refunded = Decimal(line["order__refunded_amount"] or 0) + refund
            Order.objects.filter(pk=line["order_id"]).update(
                refunded_amount=refunded, status=Order.Status.REFUNDED if refunded >= total else Order.Status.PARTLY_REFUNDED)


def _answer_task(ctx: Context, customer: dict[str, Any], kind: str, score: int, high: int, agent_id: int | None,
                 at: datetime, related: tuple[str, int]) -> int | None:
    assignee = agent_id or ctx.manager_id
    if assignee is None:
        return None
    due = timezone.localtime(at).replace(hour=10, minute=0, second=0, microsecond=0) + timedelta(days=1)
    done = due + timedelta(hours=ctx.rng.uniform(0, 30)) if due + timedelta(days=2) < ctx.now else None
    return ctx.rows.add(Task, {
        "title": f"客户不满意：{kind.upper()} {score}/{high}，{customer['name']}"[:200], "notes": "",
        "assignee_id": assignee, "due_at": due, "customer_id": customer["id"], "created_by_id": None,
        "related_type": related[0], "related_id": related[1], "done_at": done, "created_at": at,
        "updated_at": done or at})


def _invite(ctx: Context, survey: Survey, customer: dict[str, Any], sent: datetime, *, ticket: dict | None,
            agent_id: int | None, answer_rate: float) -> int:
    rng, rows = ctx.rng, ctx.rows
    channel, recipient = ("email", customer["email"]) if customer["email"] else ("sms", customer["mobile"])
    answered: datetime | None = sent + timedelta(hours=rng.uniform(0.2, 72))
    if answered is not None and (answered > ctx.now or rng.random() > answer_rate):
        answered = None
    product_id = ticket["product_id"] if ticket else None
    invitation_id = rows.add(SurveyInvitation, {
        "survey_id": survey.pk, "token": secrets.token_urlsafe(32), "customer_id": customer["id"],
        "contact_id": customer["contact"], "ticket_id": ticket["id"] if ticket else None, "agent_id": agent_id,
        "product_id": product_id, "channel": channel if recipient else "link", "recipient": recipient or "",
        "created_at": sent, "sent_at": sent, "expires_at": sent + timedelta(days=survey.valid_days),
        "responded_at": answered})
    if answered is None:
        return 0
    csat = survey.kind == "csat"
    score = ctx.pick(CSAT_SCORES if csat else NPS_SCORES)
    unhappy = score <= 2 if csat else score <= 6
    group = "promoter" if score >= 9 else "passive" if score >= 7 else "detractor"
    comment = rng.choice(demo_text.CSAT_COMMENTS[score] if csat else demo_text.NPS_COMMENTS[group])
    response_id = rows.peek(SurveyResponse)
    task_id = _answer_task(ctx, customer, survey.kind, score, 5 if csat else 10, agent_id, answered,
                           ("ticket", ticket["id"]) if ticket else ("surveyresponse", response_id)) if unhappy else None
    rows.add(SurveyResponse, {
        "invitation_id": invitation_id, "survey_id": survey.pk, "kind": survey.kind, "customer_id": customer["id"],
        "ticket_id": ticket["id"] if ticket else None, "agent_id": agent_id, "product_id": product_id, "score": score,
        "answers": {}, "comment": comment, "is_detractor": unhappy, "follow_up_task_id": task_id,
        "created_at": answered})
    return 1


def surveys(ctx: Context) -> None:
    """CSAT after each closed ticket (about 60 % answer), NPS to 70 customers over the last quarter."""
    rng = ctx.rng
    csat = Survey.objects.create(name="服务满意度调查（CSAT）", kind="csat", send_after_close=True, valid_days=14,
                                 intro="感谢您联系我们！请为本次服务打分（1–5 分），只需 10 秒。")
    nps = Survey.objects.create(name="客户推荐度调查（NPS）", kind="nps", every_days=90, valid_days=14,
                                intro="您有多大可能把我们推荐给朋友或同事？（0–10 分）")
    ctx.extra_counts["survey"] = 2
    for t in ctx.tickets:
        if t["status"] == "closed":
            _invite(ctx, csat, t["_customer"], t["closed_at"], ticket=t, agent_id=t["assignee_id"], answer_rate=0.62)
    last_agent = {t["customer_id"]: t["assignee_id"] for t in sorted(ctx.tickets, key=lambda t: t["created_at"])}
    for customer in rng.sample(ctx.customers, min(70, len(ctx.customers))):
        sent = ctx.now - timedelta(days=rng.uniform(1, 90))
        _invite(ctx, nps, customer, sent, ticket=None, agent_id=last_agent.get(customer["id"]), answer_rate=0.8)


def callbacks(ctx: Context) -> None:
    """Three rules; callbacks after closed tickets (and complaints) and delivered orders, done when past due."""
    rng, now, rows = ctx.rng, ctx.now, ctx.rows
    rules = {r.name: r for r in CallbackRule.objects.bulk_create([
        CallbackRule(name=n, trigger=tr, days=d, ticket_type=tt, script=s) for n, tr, d, tt, s in demo_text.CALLBACK_RULES])}
    ctx.extra_counts["callback_rule"] = len(rules)
    after_close, after_complaint, after_delivery = (rules[r[0]] for r in demo_text.CALLBACK_RULES)
    today = timezone.localdate(now)
    closed = [t for t in ctx.tickets if t["status"] == "closed" and t["assignee_id"]]
    plans: list[tuple[CallbackRule, dict[str, Any] | None, int | None, int, int, datetime]] = []
    for t in rng.sample(closed, min(12, len(closed))):
        plans.append((after_close, t, None, t["customer_id"], t["assignee_id"], t["closed_at"]))
    for t in [t for t in closed if t["type"] == "complaint"][:10]:
        plans.append((after_complaint, t, None, t["customer_id"], t["assignee_id"], t["closed_at"]))
    agents = ctx.teams["members"].get(ctx.teams["main"].pk) or []
    lines = {line["order_id"]: (c["id"], line) for c in ctx.customers for line in c["lines"]
             if now - timedelta(days=40) < line["order__ordered_at"] < now - timedelta(days=3)}
    for n, order_id in enumerate(sorted(lines)[:8]):
        if not agents:
            break
        delivered = lines[order_id][1]["order__ordered_at"] + timedelta(days=2)
        plans.append((after_delivery, None, order_id, lines[order_id][0], agents[n % len(agents)].pk, delivered))
    Order.objects.filter(pk__in=sorted(lines)[:8], delivered_at__isnull=True).update(
        delivered_at=F("ordered_at") + timedelta(days=2))
    for rule, ticket, order_id, customer_id, assignee, start in plans:
        due = timezone.localtime(start).date() + timedelta(days=rule.days)
        status = "pending" if due >= today else ctx.pick([("done", 75), ("unreachable", 15), ("cancelled", 10)])
        done_at = timezone.make_aware(datetime.combine(due, time(rng.randint(9, 17), rng.randint(0, 59)))) \
            if status in ("done", "unreachable") else None
        rows.add(Callback, {
            "rule_id": rule.pk, "customer_id": customer_id, "order_id": order_id, "ticket_id": ticket["id"] if ticket else None,
            "assignee_id": assignee, "due_date": due, "status": status,
            "outcome": rng.choice(demo_text.CALLBACK_OUTCOMES) if status == "done" else
            ("电话无人接听，已发短信。" if status == "unreachable" else ""),
            "satisfaction": ctx.pick([(5, 50), (4, 35), (3, 10), (2, 5)]) if status == "done" else None,
            "done_at": done_at, "done_by_id": assignee if done_at else None, "created_at": start,
            "updated_at": done_at or start})


def articles(ctx: Context) -> None:
    """The agreed answers, approved by the service manager, each with its approved version 1."""
    rng, rows = ctx.rng, ctx.rows
    by_name = {name: pk for pk, name in ctx.products.items()}
    author = ctx.manager_id
    for title, answer, category, tags, product in ARTICLES:
        written = ctx.now - timedelta(days=rng.uniform(60, 240))
        approved = written + timedelta(hours=rng.uniform(2, 48))
        article_id = rows.add(Article, {
            "title": title, "answer": answer, "category": category, "product_id": by_name.get(product), "tags": tags,
            "status": "approved", "current_version": 1, "approved_by_id": author, "approved_at": approved,
            "created_by_id": author, "use_count": rng.randint(0, 80), "created_at": written, "updated_at": approved,
            "search_text": build_search_text(title=title, answer=answer, category=category, tags=tags, product=product)})
        rows.add(ArticleVersion, {
            "article_id": article_id, "number": 1, "title": title, "answer": answer, "category": category,
            "tags": tags, "change_note": "初版", "status": "approved", "edited_by_id": author, "created_at": written,
            "reviewed_by_id": author, "reviewed_at": approved})
