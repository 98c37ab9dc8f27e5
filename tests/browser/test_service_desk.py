"""The service desk in a real browser: a customer e-mails a complaint, an agent answers it with a knowledge-base
article, resolves and closes it, the customer answers the CSAT survey by its link, the score shows in the
service report; and the ticket page on a phone."""

from __future__ import annotations

import json
import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from guanxi.customers.services.customers import contact_create
from guanxi.support.demo_defaults import default_sla_policies
from guanxi.support.models import InboundEmail, RoutingRule, SlaPolicy, Survey, SurveyResponse, Ticket
from guanxi.support.services.knowledge import article_create, version_approve
from guanxi.support.services.mail_inbound import receive
from guanxi.support.tests.mail_helpers import raw_mail

from .test_main_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CUSTOMER_EMAIL = "li.si@example.com"
SUBJECT = "投诉：空气净化器质量问题"
COMPLAINT = "我上周买的空气净化器用了三天就不转了，客服电话一直打不通，要求退货并赔偿！"
ANSWER = "非常抱歉给您带来不便。我们将在 24 小时内上门更换新机，并赠送一张 50 元优惠券作为补偿。"
TIMEOUT = 30_000  # a long flow on a shared machine: each step may wait behind other processes


def set_up_desk(org, customers):
    """What a service manager has configured: SLA policies, a routing rule to the service team (round-robin:
    the agent), a CSAT survey sent on close, and an approved knowledge-base answer; the customer's contact."""
    SlaPolicy.objects.bulk_create(default_sla_policies())
    RoutingRule.objects.create(position=10, name="All tickets", team=org.service)
    Survey.objects.create(name="服务满意度调查", kind=Survey.Kind.CSAT, send_after_close=True)
    contact_create(actor=org.admin, customer=customers.own, data={"name": "李四", "email": CUSTOMER_EMAIL})
    other = article_create(actor=org.admin, data={"title": "发票怎么开", "answer": "订单完成后在线申请电子发票。"},
                           submit=True)
    version_approve(actor=org.admin, version=other.versions.get())
    article = article_create(actor=org.admin, submit=True, data={
        "title": "空气净化器质量问题投诉怎么处理", "answer": ANSWER, "category": "投诉", "tags": "质量, 投诉"})
    version_approve(actor=org.admin, version=article.versions.get())
    return article


def test_emailed_complaint_answered_closed_and_rated(browser, page, live_server, org, customers):
    article = set_up_desk(org, customers)
    page.set_default_timeout(TIMEOUT)

    # 1. The customer's e-mail arrives at the support address: a new ticket, routed to the agent.
    filed = receive(raw_mail(f"李四 <{CUSTOMER_EMAIL}>", SUBJECT, COMPLAINT))
    assert filed.outcome == InboundEmail.Outcome.NEW_TICKET, filed.reason
    ticket = filed.ticket
    assert ticket.channel == Ticket.Channel.EMAIL and ticket.assignee == org.agent and ticket.sla_policy is not None

    # 2. The agent finds it in their queue and opens it.
    log_in(page, live_server, "agent")
    page.goto(f"{live_server.url}/support/")
    results = page.get_by_test_id("ticket-results")
    expect(results).to_contain_text(ticket.number)
    expect(results.get_by_test_id("sla-cell").first).to_contain_text("On track")
    results.get_by_role("link", name=SUBJECT).click()
    expect(page).to_have_url(f"{live_server.url}/support/{ticket.pk}/")
    expect(page.get_by_test_id("ticket-thread")).to_contain_text(COMPLAINT)

    # The ticket page has no form for the type (see the report): the agent files it as a complaint through the
    # API with their browser session, then reloads the page, which now shows the complaint card.
    csrf = next(c["value"] for c in page.context.cookies() if c["name"] == "csrftoken")
    response = page.request.patch(f"{live_server.url}/api/tickets/{ticket.pk}", data=json.dumps({"type": "complaint"}),
                                  headers={"X-CSRFToken": csrf, "Content-Type": "application/json",
                                           "Referer": page.url})
    assert response.status == 200, response.text()
    page.reload()
    expect(page.get_by_test_id("complaint-card")).to_be_visible()

    # 3. The suggestions card offers the agreed answer; inserting it fills the reply, which is sent by e-mail.
    suggestion = page.get_by_test_id("kb-suggestion").filter(has_text="空气净化器质量问题投诉怎么处理")
    expect(page.get_by_test_id("kb-suggestion").first).to_have_attribute("data-article", str(article.pk))
    suggestion.get_by_test_id("kb-insert").click()
    expect(page.locator("#id_body")).to_have_value(ANSWER)
    expect(suggestion.get_by_test_id("kb-insert")).to_contain_text("Inserted")
    page.locator("#ticket-thread button[type=submit]").click()
    expect(page.get_by_test_id("ticket-thread").locator(".card-body", has_text=ANSWER)).to_be_visible()
    replies = [m for m in mail.outbox if ANSWER in m.body]
    assert len(replies) == 1 and replies[0].to == [CUSTOMER_EMAIL] and ticket.number in replies[0].subject
    article.refresh_from_db()
    assert article.use_count == 1

    # 4. Resolve; the complaint's follow-up step is ticked in its card; then close.
    page.get_by_test_id("status-buttons").get_by_role("button", name="Resolve").click()
    expect(page.get_by_test_id("ticket-status")).to_have_text("Resolved")
    card = page.get_by_test_id("complaint-card")
    expect(card.get_by_test_id("follow-up-task")).to_contain_text("Follow-up task due")
    card.locator("#step-follow_up").check()
    expect(page.get_by_test_id("step-done-follow_up")).to_be_visible()
    page.get_by_test_id("status-buttons").get_by_role("button", name="Close").click()
    expect(page.get_by_test_id("ticket-status")).to_have_text("Closed")
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED and not ticket.close_override_reason

    # 5. The survey invitation went out by e-mail; the customer opens its link without logging in and gives 5.
    invitations = [m for m in mail.outbox if "/support/s/" in m.body]
    assert len(invitations) == 1 and invitations[0].to == [CUSTOMER_EMAIL]
    path = re.search(r"/support/s/[\w-]+/", invitations[0].body).group(0)
    customer_context = browser.new_context(locale="zh-CN", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        survey_page = customer_context.new_page()
        survey_page.set_default_timeout(TIMEOUT)
        survey_page.goto(f"{live_server.url}{path}")
        form = survey_page.get_by_test_id("survey-form")
        expect(form).to_be_visible()
        form.locator("label[for=score-5]").click()
        form.locator("button[type=submit]").click()
        expect(survey_page.get_by_test_id("survey-thanks")).to_be_visible()
        # The link works once.
        survey_page.goto(f"{live_server.url}{path}")
        expect(survey_page.get_by_test_id("survey-answered")).to_be_visible()
    finally:
        customer_context.close()
    answer = SurveyResponse.objects.get()
    assert answer.score == 5 and answer.ticket_id == ticket.pk and answer.agent == org.agent

    # 6. The service manager's report shows the agent's CSAT.
    page.context.clear_cookies()
    log_in(page, live_server, "svc_manager")
    page.goto(f"{live_server.url}/support/reports/service/")
    row = page.get_by_test_id("report-agents").locator("tbody tr", has_text="agent")
    expect(row).to_have_count(1)
    expect(row.locator("td[data-label=CSAT]")).to_contain_text(re.compile(r"^5(\.0+)?\b.*n=1"))


def test_ticket_page_fits_a_phone(browser, live_server, org, customers):
    set_up_desk(org, customers)
    ticket = receive(raw_mail(f"李四 <{CUSTOMER_EMAIL}>", SUBJECT, COMPLAINT)).ticket
    Ticket.objects.filter(pk=ticket.pk).update(type=Ticket.Type.COMPLAINT)
    from guanxi.support.services.complaints import open_steps

    open_steps(ticket)
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True)
    try:
        page = context.new_page()
        page.set_default_timeout(TIMEOUT)
        log_in(page, live_server, "agent")
        for url in (f"/support/{ticket.pk}/", "/support/"):
            page.goto(f"{live_server.url}{url}")
            page.wait_for_load_state("networkidle")
            if url != "/support/":
                expect(page.get_by_test_id("complaint-card")).to_be_visible()
                expect(page.get_by_test_id("kb-suggest")).to_be_visible()
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 1, f"{url} is {overflow}px wider than the phone"
    finally:
        context.close()
