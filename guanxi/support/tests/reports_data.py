"""A small hand-made data set for the service report tests, with numbers known in advance.

Period: 2026-03-02 (Monday) to 2026-03-15 (Sunday), two weeks, Asia/Shanghai.
- agent (team Service): 10 tickets opened 2026-03-02 09:00, first response after 1..10 h (median 5.5, p90 9.1);
  tickets 1–8 resolved after 10..80 h (median 45, p90 73); all with an SLA policy, 9 and 10 first response late
  (80 % met), 8 resolution late (90 % met); 1 reopened and resolved again, 9 reopened and open again
  (2 reopened / 9 ever resolved = 22.2 %). Types: 1–4 complaints about product P1, 5–10 inquiries about P2.
  CSAT answers 5, 5, 4, 3, 1 (average 3.6, 60 % 4–5); NPS 9, 10, 9, 10, 9, 7, 8, 7, 0, 6 (NPS 30), the NPS ones
  without a ticket.
- agent_c (team Service): 2 tickets opened 2026-03-09 10:00, first response after 2 and 4 h, no SLA policy.
- agent_b (team Service B): 3 tickets, first response after 100 h, one CSAT answer of 1; a return for P1.
- nobody: 1 ticket without team or assignee, never answered. Outside the period: 1 ticket of agent.
- returns: two for P1 (quality; wrong item) on Service tickets, one without a ticket (late delivery, P2).
"""

from __future__ import annotations

import datetime
import itertools
from decimal import Decimal
from types import SimpleNamespace
from typing import Any
from zoneinfo import ZoneInfo

from guanxi.customers.models import Order, OrderLine, Product
from guanxi.governance.models import Department, Role
from guanxi.governance.services import employee_create
from guanxi.support.models import (
    ReturnLine,
    ReturnRequest,
    SlaPolicy,
    Survey,
    SurveyInvitation,
    SurveyResponse,
    Ticket,
)

TZ = ZoneInfo("Asia/Shanghai")
START = datetime.date(2026, 3, 2)
END = datetime.date(2026, 3, 15)
_seq = itertools.count(1)


def at(day: int, hour: int = 9) -> datetime.datetime:
    return datetime.datetime(2026, 3, day, hour, tzinfo=TZ)


def ticket(customer: Any, *, created: datetime.datetime, frt: float | None = None, res: float | None = None,
           **fields: Any) -> Ticket:
    n = next(_seq)
    t = Ticket.objects.create(customer=customer, number=f"TR{n:06d}", subject=f"ticket {n}", **fields)
    Ticket.objects.filter(pk=t.pk).update(
        created_at=created,
        first_responded_at=created + datetime.timedelta(hours=frt) if frt is not None else None,
        resolved_at=created + datetime.timedelta(hours=res) if res is not None else None)
    t.refresh_from_db()
    return t


def answer(survey: Survey, customer: Any, score: int, *, when: datetime.datetime, ticket: Ticket | None = None,
           agent: Any = None, product: Product | None = None) -> SurveyResponse:
    n = next(_seq)
    invitation = SurveyInvitation.objects.create(
        survey=survey, token=f"tok{n}", customer=customer, ticket=ticket, agent=agent, product=product,
        channel="link", expires_at=when + datetime.timedelta(days=14), responded_at=when)
    response = SurveyResponse.objects.create(invitation=invitation, survey=survey, kind=survey.kind,
                                             customer=customer, ticket=ticket, agent=agent, product=product,
                                             score=score)
    SurveyResponse.objects.filter(pk=response.pk).update(created_at=when)
    return response


def return_request(customer: Any, product: Product, reason: str, *, when: datetime.datetime,
                   ticket: Ticket | None = None) -> ReturnRequest:
    n = next(_seq)
    order = Order.objects.create(customer=customer, ordered_at=when - datetime.timedelta(days=5),
                                 total_amount=Decimal("100"))
    line = OrderLine.objects.create(order=order, product=product, quantity=Decimal("1"), unit_price=Decimal("100"),
                                    amount=Decimal("100"))
    request = ReturnRequest.objects.create(number=f"R{n:06d}", customer=customer, order=order, ticket=ticket,
                                           kind="return", reason=reason)
    ReturnLine.objects.create(request=request, order_line=line, quantity=Decimal("1"), amount=Decimal("100"))
    ReturnRequest.objects.filter(pk=request.pk).update(created_at=when)
    return request


def build(org: Any, customers: Any) -> SimpleNamespace:
    d = SimpleNamespace()
    d.team_b = Department.objects.create(name="Service B")
    d.agent_c = employee_create(actor=None, username="agent_c", password="pw-Guanxi-2024",
                                role=Role.SERVICE_AGENT, department=org.service, first_name="Cathy").user
    d.agent_b = employee_create(actor=None, username="agent_b", password="pw-Guanxi-2024",
                                role=Role.SERVICE_AGENT, department=d.team_b, first_name="Bob").user
    d.p1 = Product.objects.create(sku="P1", name="Printer")
    d.p2 = Product.objects.create(sku="P2", name="Paper")
    policy = SlaPolicy.objects.create(name="Normal", priority="normal", first_response_minutes=240,
                                      resolution_minutes=2400)
    c = customers.own
    d.agent_tickets = []
    for i in range(1, 11):
        d.agent_tickets.append(ticket(
            c, created=at(2), frt=i, res=10 * i if i <= 8 else None, assignee=org.agent, team=org.service,
            sla_policy=policy, first_response_breached=i >= 9, resolution_breached=i == 8,
            reopen_count=1 if i in (1, 9) else 0, status="reopened" if i == 9 else ("resolved" if i <= 8 else "open"),
            type="complaint" if i <= 4 else "inquiry", product=d.p1 if i <= 4 else d.p2))
    d.c_tickets = [ticket(c, created=at(9, 10), frt=h, assignee=d.agent_c, team=org.service) for h in (2, 4)]
    d.b_tickets = [ticket(customers.other_dept, created=at(3), frt=100, assignee=d.agent_b, team=d.team_b,
                          type="complaint", product=d.p2) for _ in range(3)]
    d.loose = ticket(customers.pool, created=at(14, 20))
    d.before = ticket(c, created=datetime.datetime(2026, 2, 20, 9, tzinfo=TZ), frt=1, assignee=org.agent,
                      team=org.service)
    csat = Survey.objects.create(name="CSAT", kind="csat")
    nps = Survey.objects.create(name="NPS", kind="nps")
    for t, score in zip(d.agent_tickets, (5, 5, 4, 3, 1), strict=False):
        answer(csat, c, score, when=at(10), ticket=t, agent=org.agent)
    for score in (9, 10, 9, 10, 9, 7, 8, 7, 0, 6):
        answer(nps, c, score, when=at(12), agent=org.agent)
    answer(csat, customers.other_dept, 1, when=at(10), ticket=d.b_tickets[0], agent=d.agent_b)
    answer(nps, c, 10, when=datetime.datetime(2026, 2, 25, tzinfo=TZ), agent=org.agent)  # before the period
    return_request(c, d.p1, "quality", when=at(4), ticket=d.agent_tickets[0])
    return_request(c, d.p1, "wrong_item", when=at(5), ticket=d.agent_tickets[1])
    return_request(customers.other_dept, d.p1, "quality", when=at(5), ticket=d.b_tickets[0])
    return_request(c, d.p2, "late", when=at(11))
    return d


PERIOD = {"from": START.isoformat(), "to": END.isoformat()}
