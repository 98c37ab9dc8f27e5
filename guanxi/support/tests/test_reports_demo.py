"""The service-desk demo extension (guanxi/support/demo.py) on a small base demo: counts and consistency."""

from __future__ import annotations

import datetime

import pytest
from django.contrib.auth import authenticate
from django.db.models import Count, F, Q, Sum
from django.utils import timezone

from guanxi.customers.demo import DEMO_PASSWORD, load_demo
from guanxi.customers.models import Order, Task
from guanxi.support.filters_reports import ReportFilter
from guanxi.support.models import (
    Article,
    ArticleVersion,
    Callback,
    CallbackRule,
    Compensation,
    ComplaintStep,
    Holiday,
    ReturnLine,
    ReturnRequest,
    RoutingRule,
    SlaPolicy,
    SurveyInvitation,
    SurveyResponse,
    Ticket,
    TicketMessage,
)
from guanxi.support.selectors.reports import service_report


@pytest.fixture
def demo(db):
    result = load_demo(customers=120, seed=11)
    assert not result.skipped
    return result


def test_counts(demo):
    assert Ticket.objects.count() == 300 and demo.counts["ticket"] == 300
    assert TicketMessage.objects.count() > 300
    assert set(Ticket.objects.values_list("type", flat=True)) == {"inquiry", "complaint", "return", "repair",
                                                                  "suggestion"}
    assert {"new", "open", "resolved", "closed"} <= set(Ticket.objects.values_list("status", flat=True))
    assert SlaPolicy.objects.filter(priority__in=["urgent", "high", "normal"]).count() >= 3
    assert Holiday.objects.get(date=datetime.date(2026, 10, 1)).is_workday is False
    assert Holiday.objects.get(date=datetime.date(2026, 10, 10)).is_workday is True  # 调休
    assert RoutingRule.objects.count() == 2 and CallbackRule.objects.count() == 3
    assert 100 <= SurveyResponse.objects.count() <= 220
    assert SurveyResponse.objects.filter(kind="nps").count() >= 30
    assert SurveyResponse.objects.filter(is_detractor=True).exists()
    assert 0 < ReturnRequest.objects.count() <= 15 and Callback.objects.exists()
    assert Article.objects.filter(status="approved").count() >= 30 == ArticleVersion.objects.count()
    assert Article.objects.filter(title__regex=r"^[A-Za-z]").exists()  # some English ones
    assert not Article.objects.filter(search_text="").exists()
    assert Ticket.objects.filter(Q(first_response_breached=True) | Q(resolution_breached=True)).exists()
    assert Ticket.objects.filter(reopen_count__gt=0).exists()


def test_extra_agents_and_teams_can_log_in(demo):
    for username in ("agent2", "agent3", "agent_repair"):
        assert authenticate(username=username, password=DEMO_PASSWORD) is not None
    repair = Ticket.objects.filter(type="repair").values_list("team__name", flat=True).distinct()
    assert set(repair) == {"售后维修组"}


def test_ticket_times_and_states_are_consistent(demo):
    now = timezone.now()
    t = Ticket.objects
    assert not t.filter(first_responded_at__lt=F("created_at")).exists()
    assert not t.filter(resolved_at__lt=F("first_responded_at")).exists()
    assert not t.filter(closed_at__lt=F("resolved_at")).exists()
    assert not t.filter(Q(created_at__gt=now) | Q(first_responded_at__gt=now) | Q(closed_at__gt=now)).exists()
    assert not t.filter(created_at__lt=now - datetime.timedelta(days=121)).exists()
    assert not t.filter(status="closed", closed_at__isnull=True).exists()
    assert not t.filter(status="resolved").filter(Q(resolved_at__isnull=True) | Q(closed_at__isnull=False)).exists()
    assert not t.filter(status__in=["open", "waiting", "reopened"], resolved_at__isnull=False).exists()
    assert not t.filter(status="new", first_responded_at__isnull=False).exists()
    assert not t.filter(status="reopened", reopen_count=0).exists()
    assert not t.filter(first_response_breached=True, first_responded_at__lte=F("first_response_due")).exists()
    assert not t.filter(sla_policy__isnull=False, first_responded_at__gt=F("first_response_due"),
                        first_response_breached=False).exists()
    assert not TicketMessage.objects.filter(created_at__lt=F("ticket__created_at")).exists()
    for ticket in t.order_by("?")[:25]:
        ticket.full_clean()
        assert ticket.number == "T" + timezone.localtime(ticket.created_at).strftime("%Y%m%d") + ticket.number[-4:]


def test_complaints_returns_and_refunds_are_consistent(demo):
    counts = dict(ComplaintStep.objects.values_list("ticket").annotate(n=Count("id")))
    complaints = set(Ticket.objects.filter(type="complaint").values_list("pk", flat=True))
    assert set(counts) == complaints and set(counts.values()) == {6}
    assert ComplaintStep.objects.filter(done_at__isnull=False).exists()
    assert ComplaintStep.objects.filter(done_at__isnull=True).exists()  # partly done
    assert not Compensation.objects.exclude(ticket__type="complaint").exists()
    for ticket in Ticket.objects.filter(type="complaint", status="closed"):
        follow = ComplaintStep.objects.get(ticket=ticket, step="follow_up")
        assert follow.done_at is not None and follow.done_at <= ticket.closed_at
    tasks = ComplaintStep.objects.filter(task__isnull=False)
    assert tasks.exists() and not tasks.exclude(task__customer_id=F("ticket__customer_id")).exists()
    for request in ReturnRequest.objects.select_related("order"):
        assert request.refund_amount <= request.order.total_amount
        assert request.ticket.type == "return" and request.customer_id == request.order.customer_id
        assert ReturnLine.objects.filter(request=request, order_line__order=request.order).count() == 1
    refunded = ReturnRequest.objects.filter(status="completed", refund_amount__gt=0)
    for request in refunded:
        assert request.order.status in (Order.Status.REFUNDED, Order.Status.PARTLY_REFUNDED)
        assert request.order.refunded_amount >= request.refund_amount


def test_surveys_answer_their_own_invitation(demo):
    for response in SurveyResponse.objects.select_related("invitation", "survey"):
        inv = response.invitation
        assert (inv.survey_id, inv.customer_id, inv.ticket_id, inv.agent_id) == (
            response.survey_id, response.customer_id, response.ticket_id, response.agent_id)
        assert inv.responded_at == response.created_at and inv.sent_at <= response.created_at <= inv.expires_at
        low, high = (1, 5) if response.kind == "csat" else (0, 10)
        assert low <= response.score <= high and response.kind == response.survey.kind
        assert response.is_detractor == (response.score <= (2 if response.kind == "csat" else 6))
        assert (response.follow_up_task_id is not None) == response.is_detractor
    assert SurveyInvitation.objects.filter(responded_at__isnull=True).exists()  # not everyone answers
    assert not SurveyResponse.objects.filter(kind="csat", ticket__isnull=True).exists()
    assert Task.objects.filter(related_type__in=["ticket", "surveyresponse"]).exists()


def test_callbacks_follow_their_rule(demo):
    today = timezone.localdate()
    for callback in Callback.objects.select_related("rule", "ticket"):
        if callback.ticket_id:
            assert callback.due_date == timezone.localtime(callback.ticket.closed_at).date() + datetime.timedelta(
                days=callback.rule.days)
        assert (callback.status == "pending") == (callback.due_date >= today)
        assert (callback.done_at is not None) == (callback.status in ("done", "unreachable"))


def test_report_on_the_demo(demo):
    manager = demo_user("svc_manager")
    form = ReportFilter({"period": "90"})
    assert form.is_valid()
    report = service_report(user=manager, filters=form)
    assert report.total.tickets > 100 and len(report.agents) >= 4 and len(report.teams) >= 2
    assert report.total.frt_median is not None and report.total.csat_avg is not None
    assert report.total.nps is not None and report.complaints_by_product
    assert sum(report.trends["opened"]) == report.total.tickets
    assert Ticket.objects.aggregate(n=Sum("reopen_count"))["n"] > 0


def demo_user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_demo_numbers_continue_after_existing_ones(customers):
    from guanxi.support.demo_writer import taken_numbers

    for number in ("T202611230007", "T202611230012", "T202611240001", "T202601010099"):
        Ticket.objects.create(customer=customers.own, number=number, subject="x")
    since = timezone.make_aware(datetime.datetime(2026, 11, 1))
    assert taken_numbers(Ticket, "T", since=since) == {"T20261123": 12, "T20261124": 1}
