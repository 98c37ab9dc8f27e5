"""The churn report: who counts, reasons from every source (a customer counted under each of theirs), the
breakdowns by tier, region, product, owner and quarter, the value lost, visibility and the period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from guanxi.analytics.filters_reports import ValueReportFilter
from guanxi.analytics.models import ChurnState, CustomerTier, Tier
from guanxi.analytics.selectors.churn import churn_report
from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Customer
from guanxi.sales.models import Opportunity, Stage
from guanxi.support.models import ReturnRequest, Survey, SurveyInvitation, SurveyResponse, Ticket

from .reports_helpers import at, clock, customer, metrics, order, product  # noqa: F401

pytestmark = pytest.mark.django_db


def lost_deal(c, reason, day):
    stage = Stage.objects.filter(kind=Stage.Kind.LOST).select_related("pipeline").first()
    return Opportunity.objects.create(customer=c, name="deal", pipeline=stage.pipeline, stage=stage,
                                      lost_reason=reason, closed_at=at(day))


def complaint(c, day, n):
    t = Ticket.objects.create(customer=c, number=f"T{n}", subject="bad", type=Ticket.Type.COMPLAINT)
    Ticket.objects.filter(pk=t.pk).update(created_at=at(day))


def unhappy(c, day):
    survey = Survey.objects.get_or_create(name="nps", kind="nps")[0]
    inv = SurveyInvitation.objects.create(survey=survey, token=f"tok{c.pk}", customer=c, channel="link",
                                          expires_at=at(day))
    r = SurveyResponse.objects.create(invitation=inv, survey=survey, kind="nps", customer=c, score=3)
    SurveyResponse.objects.filter(pk=r.pk).update(created_at=at(day))


@pytest.fixture
def churn(org, clock):  # noqa: F811
    rice, oil = product("rice", "大米"), product("oil", "食用油")
    gold = Tier.objects.create(name="金牌", position=2)
    c1 = customer(org.rep, "c1 churned by the run", province="浙江")
    CustomerTier.objects.create(customer=c1, tier=gold, since=date(2024, 1, 1))
    order(c1, date(2023, 6, 1), 200, lines=[(rice, 200)])
    o = order(c1, date(2024, 3, 1), 300, lines=[(rice, 250), (oil, 50)])
    metrics(c1, churn_state=ChurnState.CHURNED, clv=Decimal("0"))
    lost_deal(c1, "价格太高", date(2024, 5, 1))
    complaint(c1, date(2024, 2, 1), 1)
    r = ReturnRequest.objects.create(number="R1", customer=c1, order=o, kind="refund", reason="quality")
    ReturnRequest.objects.filter(pk=r.pk).update(created_at=at(date(2024, 3, 5)))
    c2 = customer(org.rep, "c2 marked churned", province="浙江", lifecycle=Customer.Lifecycle.CHURNED,
                  churn_reason="搬迁")
    order(c2, date(2025, 1, 10), 100)
    Customer.objects.filter(pk=c2.pk).update(updated_at=at(date(2025, 4, 2)))
    lost_deal(c2, " 价格太高 ", date(2025, 2, 1))
    c3 = customer(org.rep_sh, "c3 at risk", province="上海")
    order(c3, date(2025, 1, 1), 1000, lines=[(oil, 700), (rice, 300)])
    metrics(c3, churn_state=ChurnState.AT_RISK, clv=Decimal("800"))
    unhappy(c3, date(2025, 3, 1))
    complaint(c3, date(2023, 1, 1), 2)  # long before: not a reason
    c4 = customer(org.rep_west, "c4 west")
    order(c4, date(2024, 1, 15), 70)
    metrics(c4, churn_state=ChurnState.CHURNED)
    c5 = customer(org.rep, "c5 churned long ago")
    order(c5, date(2022, 1, 1), 10)
    metrics(c5, churn_state=ChurnState.CHURNED)
    order(c1, date(2025, 9, 1), 999)  # future-dated: not a purchase yet
    c6 = customer(org.rep, "c6 active")
    order(c6, date(2025, 6, 1), 10)
    metrics(c6, churn_state=ChurnState.ACTIVE)
    return {"c1": c1, "c2": c2, "c3": c3, "c4": c4}


def report(user, **params):
    form = ValueReportFilter(params, user=user)
    assert form.is_valid(), form.errors
    return churn_report(user=user, filters=form)


def table(r, dim):
    return {g.label: (g.churned, g.at_risk) for g in r.by[dim]}


def test_counts_by_reason_each_reason_counted(org, churn):
    r = report(org.admin)
    assert (r.churned, r.at_risk) == (3, 1)
    assert table(r, "reason") == {"价格太高": (2, 0), "Complaint": (1, 0), "Return: Quality problem": (1, 0),
                                  "搬迁": (1, 0), "Unhappy survey answer": (0, 1), "No reason recorded": (1, 0)}
    sources = {g.label: g.source for g in r.by["reason"]}
    assert sources["价格太高"] == "lost_deal" and sources["搬迁"] == "recorded"
    assert r.by["reason"][0].label == "价格太高"  # most customers first


def test_breakdowns_and_value_lost(org, churn):
    r = report(org.admin)
    assert table(r, "quarter") == {"2025 Q1": (2, 0), "2025 Q2": (1, 0), "At risk now": (0, 1)}
    assert [g.label for g in r.by["quarter"]] == ["2025 Q1", "2025 Q2", "At risk now"]
    assert table(r, "region") == {"浙江": (2, 0), "上海": (0, 1), "Unknown region": (1, 0)}
    assert table(r, "tier") == {"金牌": (1, 0), "No tier": (2, 1)}
    assert table(r, "owner") == {"rep": (2, 0), "rep_sh": (0, 1), "rep_west": (1, 0)}
    assert table(r, "product") == {"大米": (1, 0), "食用油": (0, 1), "No product data": (2, 0)}
    # A year of spend up to the last purchase: c1 200 + 300, c2 100, c4 70; at risk c3 1,000 (CLV 800).
    assert r.year_spend_lost == 670.0 and r.year_spend_at_risk == 1000.0 and r.clv_at_risk == 800.0
    rows = {c["name"]: c for c in r.customers}
    assert rows["c1 churned by the run"]["churn_date"] == date(2025, 3, 1)
    assert rows["c2 marked churned"]["churn_date"] == date(2025, 4, 2)
    assert rows["c1 churned by the run"]["reasons"] == "Complaint; Return: Quality problem; 价格太高"
    assert r.customers[0]["name"] == "c3 at risk"


def test_period_limits_churned_not_at_risk(org, churn):
    r = report(org.admin, **{"from": "2025-04-01", "to": "2025-06-30"})
    assert (r.churned, r.at_risk) == (1, 1)
    assert table(r, "reason") == {"价格太高": (1, 0), "搬迁": (1, 0), "Unhappy survey answer": (0, 1)}


def test_manager_sees_their_department(org, churn):
    r = report(org.manager)
    assert (r.churned, r.at_risk) == (2, 1)
    assert "No reason recorded" not in table(r, "reason") and "rep_west" not in table(r, "owner")
    assert report(org.admin, department=org.west.pk).churned == 1


def test_rep_may_not(org, churn):
    with pytest.raises(PermissionDeniedError):
        report(org.rep)


def test_empty(org, clock):  # noqa: F811
    r = report(org.analyst)
    assert (r.churned, r.at_risk, r.customers) == (0, 0, []) and r.by["reason"] == []
