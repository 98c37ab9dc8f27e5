"""Reply e-mails (headers, threading, failures), the inbound endpoint's secret, and the IMAP poller."""

from __future__ import annotations

import logging
import socket

import pytest
from django.core import mail as django_mail
from django.core.management import call_command
from django.test import Client

from guanxi.support.models import InboundEmail, Ticket, TicketMessage
from guanxi.support.services import mail_imap
from guanxi.support.services.mail import receive_email
from guanxi.support.services.tickets import ticket_create, ticket_reply

from .mail_helpers import customer_contact, raw_mail

pytestmark = pytest.mark.django_db
SENDER = "Li Si <li.si@example.com>"


@pytest.fixture
def contact(org, customers):
    return customer_contact(org, customers.own)


def test_reply_email_carries_tag_message_id_and_threading(org, contact, settings, django_capture_on_commit_callbacks):
    settings.GUANXI_SUPPORT_EMAIL = "Guanxi Support <help@guanxi.test>"
    ticket = receive_email(raw_mail(SENDER, "Fridge is warm", message_id="<q1@customer.example.com>")).ticket
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        message = ticket_reply(actor=org.rep, ticket=ticket, body="We will send a technician.")
    assert django_mail.outbox == [] and len(callbacks) == 1  # nothing is sent inside the request's transaction
    callbacks[0]()
    [email] = django_mail.outbox
    message.refresh_from_db()
    assert email.subject == f"[{ticket.number}] Fridge is warm" and email.to == ["li.si@example.com"]
    assert email.from_email == "Guanxi Support <help@guanxi.test>" and email.reply_to == [
        "Guanxi Support <help@guanxi.test>"]
    sent = email.message()
    assert sent["Message-ID"] == message.message_id and message.message_id.endswith("@guanxi.test>")
    assert sent["In-Reply-To"] == "<q1@customer.example.com>" and sent["References"] == "<q1@customer.example.com>"
    assert "We will send a technician." in email.body and f"[{ticket.number}]" in email.body


def test_notes_and_tickets_without_an_address_send_nothing(org, customers, django_capture_on_commit_callbacks):
    ticket = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Phone call"})
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(actor=org.rep, ticket=ticket, body="internal", internal=True)
        ticket_reply(actor=org.rep, ticket=ticket, body="public, but nobody to mail")
    assert django_mail.outbox == []
    assert list(TicketMessage.objects.values_list("message_id", flat=True)) == ["", ""]


def test_contact_address_is_used_without_a_requester(org, customers, contact, django_capture_on_commit_callbacks):
    ticket = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Call back", "contact": contact})
    with django_capture_on_commit_callbacks(execute=True):
        ticket_reply(actor=org.rep, ticket=ticket, body="Done")
    assert [e.to for e in django_mail.outbox] == [["li.si@example.com"]]
    assert "In-Reply-To" not in django_mail.outbox[0].extra_headers


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_smtp_failure_is_logged_not_raised(org, contact, settings, caplog, django_capture_on_commit_callbacks):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _closed_port(), 2
    ticket = receive_email(raw_mail(SENDER, "Noise")).ticket
    with caplog.at_level(logging.ERROR, logger="guanxi.support.services.mail"), \
            django_capture_on_commit_callbacks(execute=True):
        message = ticket_reply(actor=org.rep, ticket=ticket, body="Hello")
    assert message.pk and "Could not e-mail the reply" in caplog.text and ticket.number in caplog.text


# ---------------------------------------------------------------- the inbound endpoint

URL = "/api/support/inbound-email"


def _post(raw: bytes, token: str | None = None, client: Client | None = None):
    headers = {"HTTP_X_GUANXI_INBOUND_TOKEN": token} if token is not None else {}
    return (client or Client()).post(URL, raw, content_type="message/rfc822", **headers)


def test_endpoint_is_off_without_a_token_setting(contact, settings):
    settings.GUANXI_INBOUND_EMAIL_TOKEN = ""
    assert _post(raw_mail(SENDER, "Hi"), token="anything").status_code == 404
    assert not InboundEmail.objects.exists()


def test_endpoint_needs_the_secret_not_a_login(org, contact, settings):
    settings.GUANXI_INBOUND_EMAIL_TOKEN = "s3cret-token"
    assert _post(raw_mail(SENDER, "Hi"), token="wrong").status_code == 401
    assert _post(raw_mail(SENDER, "Hi")).status_code == 401
    logged_in = Client()
    logged_in.force_login(org.admin)
    assert _post(raw_mail(SENDER, "Hi"), client=logged_in).status_code == 401
    assert not InboundEmail.objects.exists() and not Ticket.objects.exists()
    response = _post(raw_mail(SENDER, "Kettle leaks"), token="s3cret-token")
    assert response.status_code == 200 and response.json()["outcome"] == "new_ticket"
    assert Ticket.objects.get().subject == "Kettle leaks"
    response = _post(b"garbage", token="s3cret-token")
    assert response.status_code == 200 and response.json()["outcome"] == "rejected"


def test_endpoint_logs_an_oversized_mail(contact, settings):
    settings.GUANXI_INBOUND_EMAIL_TOKEN = "t"
    settings.GUANXI_INBOUND_MAX_BYTES = 1000
    response = _post(raw_mail(SENDER, "Huge", "x" * 50_000), token="t")
    assert response.status_code == 200 and response.json()["outcome"] == "rejected"
    assert "larger than" in InboundEmail.objects.get().reason and not Ticket.objects.exists()


# ---------------------------------------------------------------- the IMAP poller


class FakeImap:
    """Just enough of imaplib.IMAP4 for the poller: UID SEARCH UNSEEN, FETCH (BODY.PEEK[]), STORE +FLAGS."""

    instances: list[FakeImap] = []
    mailbox: dict[bytes, bytes] = {}

    def __init__(self, host: str, port: int, timeout: float | None = None):
        self.address, self.seen, self.logged_in = (host, port), set(), None
        FakeImap.instances.append(self)

    def login(self, user: str, password: str):
        self.logged_in = (user, password)
        return "OK", [b"logged in"]

    def select(self, folder: str):
        self.folder = folder
        return "OK", [str(len(self.mailbox)).encode()]

    def uid(self, command: str, *args):
        if command == "SEARCH":
            return "OK", [b" ".join(sorted(self.mailbox))]
        if command == "FETCH":
            return "OK", [(b"1 (UID " + args[0] + b" BODY[] {n}", self.mailbox[args[0]]), b")"]
        if command == "STORE":
            self.seen.add(args[0])
            return "OK", [b""]
        raise AssertionError(command)

    def logout(self):
        return "BYE", [b""]


def test_poller_files_unread_mail_and_marks_it_read(contact, settings, monkeypatch):
    settings.GUANXI_IMAP_HOST, settings.GUANXI_IMAP_SSL, settings.GUANXI_IMAP_PORT = "imap.test", False, 1143
    settings.GUANXI_IMAP_USER, settings.GUANXI_IMAP_PASSWORD = "support", "pw"
    FakeImap.instances, FakeImap.mailbox = [], {b"7": raw_mail(SENDER, "From IMAP"), b"8": b"garbage"}
    monkeypatch.setattr(mail_imap.imaplib, "IMAP4", FakeImap)
    call_command("mailpoll")
    [imap] = FakeImap.instances
    assert imap.address == ("imap.test", 1143) and imap.logged_in == ("support", "pw") and imap.folder == "INBOX"
    assert imap.seen == {b"7", b"8"}
    assert Ticket.objects.get().subject == "From IMAP"
    assert sorted(InboundEmail.objects.values_list("outcome", flat=True)) == ["new_ticket", "rejected"]


def test_poller_is_off_without_a_host(settings):
    settings.GUANXI_IMAP_HOST = ""
    assert mail_imap.poll_mailbox()["fetched"] == 0


def test_poller_is_scheduled_every_five_minutes_only_with_a_host(settings):
    import importlib
    from datetime import timedelta

    from guanxi.customers import schedule

    assert "mail_poll" not in [j.name for j in schedule.schedule()]  # the test settings have no IMAP host
    settings.GUANXI_IMAP_HOST = "imap.test"
    try:
        importlib.reload(schedule)  # the schedule is fixed when the process starts
        [job] = [j for j in schedule.schedule() if j.name == "mail_poll"]
        assert job.every == timedelta(minutes=5) and job.task == "guanxi.support.tasks_mail.poll_support_mailbox"
    finally:
        settings.GUANXI_IMAP_HOST = ""
        importlib.reload(schedule)
