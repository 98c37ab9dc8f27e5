"""A real SMTP round trip through a local aiosmtpd server: the customer's complaint arrives by mail and opens a
ticket; the agent's reply leaves through Django's SMTP backend with the threading headers; the customer's answer
to it comes back onto the same ticket."""

from __future__ import annotations

import smtplib
import socket
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import make_msgid

import pytest
from aiosmtpd.controller import Controller

from guanxi.support.models import InboundEmail, Ticket, TicketMessage
from guanxi.support.services.mail import receive_email
from guanxi.support.services.tickets import ticket_reply

from .mail_helpers import customer_contact

pytestmark = pytest.mark.django_db
SUPPORT = "support@guanxi.test"


class Collector:
    """An SMTP handler that keeps every envelope it is given."""

    def __init__(self) -> None:
        self.envelopes: list = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd's hook name
        self.envelopes.append(envelope)
        return "250 Message accepted for delivery"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def smtp_server():
    handler = Collector()
    controller = Controller(handler, hostname="127.0.0.1", port=_free_port())
    controller.start()
    try:
        yield controller, handler
    finally:
        controller.stop()


def _customer_sends(controller, subject: str, body: str, in_reply_to: str = "") -> str:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = "王芳 <wang.fang@example.com>", SUPPORT, subject
    msg["Message-ID"] = message_id = make_msgid(domain="example.com")
    if in_reply_to:
        msg["In-Reply-To"] = msg["References"] = in_reply_to
    msg.set_content(body)
    with smtplib.SMTP(controller.hostname, controller.port, timeout=10) as smtp:
        smtp.send_message(msg)
    return message_id


def test_complaint_reply_and_answer_round_trip(org, customers, smtp_server, settings,
                                               django_capture_on_commit_callbacks):
    controller, handler = smtp_server
    customer_contact(org, customers.own, email="wang.fang@example.com", mobile="13900139000", name="王芳")
    settings.GUANXI_SUPPORT_EMAIL = SUPPORT

    # (a) The complaint travels through the SMTP server and is filed from the bytes the server received.
    complaint_id = _customer_sends(controller, "投诉：收到的大米发霉", "上周买的大米打开就发霉了，要求退款。")
    [envelope] = handler.envelopes
    assert envelope.rcpt_tos == [SUPPORT]
    row = receive_email(envelope.content)
    assert row.outcome == InboundEmail.Outcome.NEW_TICKET
    ticket = row.ticket
    assert ticket.subject == "投诉：收到的大米发霉" and ticket.customer == customers.own
    assert ticket.messages.get().message_id == complaint_id

    # (b) The agent's reply leaves through Django's real SMTP backend to the same server.
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = controller.hostname, controller.port
    settings.EMAIL_USE_TLS, settings.EMAIL_HOST_USER, settings.EMAIL_HOST_PASSWORD = False, "", ""
    with django_capture_on_commit_callbacks(execute=True):
        reply = ticket_reply(actor=org.rep, ticket=ticket, body="非常抱歉给您带来不便，我们马上为您办理退款。")
    reply.refresh_from_db()
    assert len(handler.envelopes) == 2
    delivered = handler.envelopes[1]
    assert delivered.mail_from == SUPPORT and delivered.rcpt_tos == ["wang.fang@example.com"]
    sent = message_from_bytes(delivered.content, policy=policy.default)
    # (Django folds a long encoded subject onto a continuation line; readers drop the fold's space.)
    assert sent["Subject"].strip() == f"[{ticket.number}] 投诉：收到的大米发霉"
    assert sent["Message-ID"] == reply.message_id and sent["In-Reply-To"] == complaint_id
    assert "马上为您办理退款" in sent.get_body(preferencelist=("plain",)).get_content()

    # The customer answers that e-mail; the answer threads onto the same ticket by its In-Reply-To.
    _customer_sends(controller, "Re: 退款", "好的，谢谢！", in_reply_to=sent["Message-ID"])
    answer = receive_email(handler.envelopes[2].content)
    assert answer.outcome == InboundEmail.Outcome.REPLY and answer.ticket == ticket
    assert Ticket.objects.count() == 1
    assert list(ticket.messages.values_list("kind", flat=True)) == [
        TicketMessage.Kind.CUSTOMER, TicketMessage.Kind.REPLY, TicketMessage.Kind.CUSTOMER]
    assert ticket.messages.order_by("-id").first().body == "好的，谢谢！"
