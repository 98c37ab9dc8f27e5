"""Incoming e-mail: new tickets from known contacts, threading by In-Reply-To and by the subject tag, and the
logged rejections (unknown sender, broken MIME, no sender, duplicates, oversized, automatic replies)."""

from __future__ import annotations

import logging

import pytest
from django.core import mail as django_mail

from guanxi.governance.models import AuditLog
from guanxi.support.models import InboundEmail, Ticket, TicketAttachment, TicketMessage
from guanxi.support.services.mail import receive_email
from guanxi.support.services.tickets import ticket_create, ticket_reply, ticket_set_status

from .mail_helpers import EXE, PDF, customer_contact, raw_mail

pytestmark = pytest.mark.django_db
SENDER = "李四 <LI.SI@example.com>"


@pytest.fixture
def contact(org, customers):
    return customer_contact(org, customers.own)


def test_known_contact_opens_a_ticket(org, customers, contact):
    row = receive_email(raw_mail(SENDER, "洗衣机不转了", "洗衣机不转了，请派人维修。", message_id="<a1@customer.example.com>"))
    assert row.outcome == InboundEmail.Outcome.NEW_TICKET and row.reason == "" and row.from_address == "li.si@example.com"
    ticket = row.ticket
    assert (ticket.customer, ticket.contact, ticket.channel, ticket.subject) == (
        customers.own, contact, Ticket.Channel.EMAIL, "洗衣机不转了")
    assert ticket.requester_email == "li.si@example.com" and ticket.created_by is None
    [message] = ticket.messages.all()
    assert message.kind == TicketMessage.Kind.CUSTOMER and "请派人维修" in message.body
    assert (message.message_id, message.email_from, message.author) == ("<a1@customer.example.com>", "li.si@example.com",
                                                                        None)
    assert AuditLog.objects.filter(entity="ticket", object_id=str(ticket.pk), action="create", actor=None).exists()


def test_html_only_mail_is_read_as_text(contact):
    raw = raw_mail(SENDER, "HTML", "placeholder")
    # Replace the plain part by an HTML one.
    from email import message_from_bytes, policy

    msg = message_from_bytes(raw, policy=policy.default)
    msg.set_content("<html><head><style>p{}</style></head><body><p>第一行</p><p>Second &amp; last</p></body></html>",
                    subtype="html")
    body = receive_email(msg.as_bytes()).ticket.messages.get().body
    assert "第一行" in body and "Second & last" in body and "<p>" not in body and "p{}" not in body


def test_attachments_are_checked_and_refused_ones_noted(contact):
    raw = raw_mail(SENDER, "Invoice", attachments=(("invoice.pdf", PDF, "application/pdf"),
                                                   ("invoice.pdf.exe", EXE, "application/octet-stream"),
                                                   ("fake.pdf", EXE, "application/pdf")))
    row = receive_email(raw)
    assert row.outcome == InboundEmail.Outcome.NEW_TICKET
    [stored] = TicketAttachment.objects.all()
    assert stored.name == "invoice.pdf" and stored.message == row.ticket.messages.get()
    assert "invoice.pdf.exe" in row.reason and "fake.pdf" in row.reason and "Programs" in row.reason


def test_reply_threads_by_in_reply_to_and_reopens_waiting(org, customers, contact, django_capture_on_commit_callbacks):
    ticket = receive_email(raw_mail(SENDER, "No power")).ticket
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(actor=org.rep, ticket=ticket, body="Is it plugged in?")
    ticket_set_status(actor=org.rep, ticket=ticket, status=Ticket.Status.WAITING)
    reply_id = TicketMessage.objects.get(kind="reply").message_id
    assert reply_id and django_mail.outbox[0].extra_headers["Message-ID"] == reply_id
    answer = raw_mail(SENDER, "Re: something else", "Yes it is.\n\nOn Mon, support wrote:\n> Is it plugged in?",
                      in_reply_to=reply_id)
    row = receive_email(answer)
    assert row.outcome == InboundEmail.Outcome.REPLY and row.ticket == ticket
    message = ticket.messages.order_by("-id").first()
    assert message.kind == "customer" and message.body == "Yes it is."
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.OPEN and Ticket.objects.count() == 1


def test_reply_threads_by_subject_tag_and_reopens_resolved(org, contact):
    ticket = receive_email(raw_mail(SENDER, "Broken lid")).ticket
    ticket_set_status(actor=org.rep, ticket=ticket, status=Ticket.Status.RESOLVED)
    row = receive_email(raw_mail(SENDER, f"回复: [{ticket.number}] Broken lid", "还是坏的"))
    assert row.outcome == InboundEmail.Outcome.REPLY and row.ticket == ticket
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.REOPENED and ticket.reopen_count == 1


def test_answer_to_a_closed_ticket_opens_a_follow_up(org, contact):
    ticket = receive_email(raw_mail(SENDER, "Old problem")).ticket
    ticket_set_status(actor=org.rep, ticket=ticket, status=Ticket.Status.RESOLVED)
    ticket_set_status(actor=org.rep, ticket=ticket, status=Ticket.Status.CLOSED)
    row = receive_email(raw_mail(SENDER, f"Re: [{ticket.number}] Old problem", "It is back"))
    assert row.outcome == InboundEmail.Outcome.NEW_TICKET and row.ticket != ticket and ticket.number in row.reason
    ticket.refresh_from_db()
    assert ticket.status == Ticket.Status.CLOSED


def test_tag_of_another_customers_ticket_is_not_followed(org, customers, contact):
    other = ticket_create(actor=org.rep_west, customer=customers.other_dept, data={"subject": "Private"})
    row = receive_email(raw_mail(SENDER, f"[{other.number}] let me in", "hello"))
    assert row.outcome == InboundEmail.Outcome.NEW_TICKET and row.ticket.customer == customers.own
    assert not other.messages.exists()


def test_unknown_sender_is_rejected_and_logged(contact, caplog):
    with caplog.at_level(logging.WARNING, logger="guanxi.support.services.mail_inbound"):
        row = receive_email(raw_mail("stranger@spam.example", "Buy now"))
    assert row.outcome == InboundEmail.Outcome.REJECTED and "Unknown sender" in row.reason and row.ticket is None
    assert row.from_address == "stranger@spam.example" and row.subject == "Buy now"
    assert not Ticket.objects.exists() and not TicketMessage.objects.exists()
    assert "stranger@spam.example" in caplog.text and "Unknown sender" in caplog.text


@pytest.mark.parametrize("raw", [
    b"From: li.si@example.com\r\nSubject: broken\r\nContent-Type: multipart/mixed\r\n\r\nno boundary at all\r\n",
    (b'From: li.si@example.com\r\nSubject: cut\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n'
     b"\r\n--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b1\r\nContent-Type: application/pdf\r\n"
     b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0x"),
    b"\x00\x01\x02 not an e-mail at all \xff\xfe",
    b"",
])
def test_broken_mime_is_rejected(contact, raw):
    row = receive_email(raw)
    assert row.outcome == InboundEmail.Outcome.REJECTED and "broken" in row.reason
    assert not Ticket.objects.exists()


def test_no_sender_is_rejected(contact):
    row = receive_email(b"To: support@guanxi.test\r\nSubject: who?\r\n\r\nhello\r\n")
    assert row.outcome == InboundEmail.Outcome.REJECTED and "no valid sender" in row.reason
    assert not Ticket.objects.exists()


def test_duplicate_message_id_is_rejected(contact):
    raw = raw_mail(SENDER, "Twice", message_id="<same@customer.example.com>")
    assert receive_email(raw).outcome == InboundEmail.Outcome.NEW_TICKET
    row = receive_email(raw)
    assert row.outcome == InboundEmail.Outcome.REJECTED and "received before" in row.reason
    assert Ticket.objects.count() == 1 and TicketMessage.objects.count() == 1


def test_oversized_mail_is_rejected_with_its_headers(contact, settings):
    settings.GUANXI_INBOUND_MAX_BYTES = 2000
    row = receive_email(raw_mail(SENDER, "Huge", "x" * 5000))
    assert row.outcome == InboundEmail.Outcome.REJECTED and "larger than" in row.reason
    assert row.from_address == "li.si@example.com" and row.subject == "Huge" and not Ticket.objects.exists()


@pytest.mark.parametrize("headers", [{"Auto-Submitted": "auto-replied"}, {"Precedence": "auto_reply"}])
def test_automatic_replies_are_not_filed(contact, headers):
    row = receive_email(raw_mail(SENDER, "Out of office", headers=headers))
    assert row.outcome == InboundEmail.Outcome.REJECTED and "automatic" in row.reason and not Ticket.objects.exists()


def test_mail_from_the_support_address_is_a_loop(contact, settings):
    settings.GUANXI_SUPPORT_EMAIL = "Support <help@guanxi.test>"
    row = receive_email(raw_mail("help@guanxi.test", "loop"))
    assert row.outcome == InboundEmail.Outcome.REJECTED and "loop" in row.reason


def test_configured_mail_account_files_with_its_rights(org, customers, contact, settings):
    settings.GUANXI_MAIL_ACTOR_USERNAME = "agent"
    assert receive_email(raw_mail(SENDER, "By the agent")).ticket.created_by == org.agent
    settings.GUANXI_MAIL_ACTOR_USERNAME = "rep_west"  # may not change customers.own
    row = receive_email(raw_mail(SENDER, "Not allowed"))
    assert row.outcome == InboundEmail.Outcome.REJECTED and "may not change" in row.reason
    assert Ticket.objects.count() == 1 and not TicketAttachment.objects.exists()
