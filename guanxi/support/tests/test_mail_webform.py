"""The public support form: known contacts open a ticket, strangers are told how to reach support, robots and
floods are stopped, bad input is named field by field — and nothing is filed in those cases."""

from __future__ import annotations

import logging

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from guanxi.support.models import InboundEmail, Ticket, TicketMessage

from .mail_helpers import customer_contact

pytestmark = pytest.mark.django_db
URL = "/support/contact/"


@pytest.fixture(autouse=True)
def _fresh_rate_limit():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def contact(org, customers):
    return customer_contact(org, customers.own)


def _form(**overrides):
    data = {"name": "李四", "email": "li.si@example.com", "mobile": "", "subject": "安装预约",
            "message": "请问什么时候可以上门安装？", "website": ""}
    data.update(overrides)
    return data


def test_page_needs_no_login_and_uses_the_url_of_the_spec():
    assert reverse("support:contact_form") == URL
    response = Client().get(URL)
    assert response.status_code == 200 and 'data-testid="support-form"' in response.content.decode()


def test_known_contact_by_email_opens_a_web_ticket(customers, contact):
    response = Client().post(URL, _form(email="LI.SI@example.com"))
    body = response.content.decode()
    ticket = Ticket.objects.get()
    assert response.status_code == 200 and 'data-testid="support-thanks"' in body and ticket.number in body
    assert (ticket.channel, ticket.customer, ticket.contact, ticket.subject) == (
        Ticket.Channel.WEB, customers.own, contact, "安装预约")
    assert ticket.requester_email == "li.si@example.com" and ticket.created_by is None
    message = ticket.messages.get()
    assert message.kind == TicketMessage.Kind.CUSTOMER and "上门安装" in message.body and "李四" in message.body


def test_known_contact_by_mobile(customers, contact):
    response = Client().post(URL, _form(email="", mobile="138 0013 8000"))
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.contact == contact and ticket.requester_email == "li.si@example.com"


def test_unknown_sender_gets_the_support_address_and_no_ticket(contact, settings, caplog):
    settings.GUANXI_SUPPORT_EMAIL = "help@guanxi.test"
    with caplog.at_level(logging.INFO, logger="guanxi.support.services.webform"):
        response = Client().post(URL, _form(email="nobody@example.net"))
    body = response.content.decode()
    assert response.status_code == 200 and 'data-testid="support-unmatched"' in body
    assert "mailto:help@guanxi.test" in body
    assert not Ticket.objects.exists() and not InboundEmail.objects.exists()
    assert "nobody@example.net" in caplog.text


def test_honeypot_gets_thanks_and_files_nothing(contact):
    response = Client().post(URL, _form(website="http://spam.example"))
    assert response.status_code == 200 and 'data-testid="support-thanks"' in response.content.decode()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"email": "", "mobile": ""}, "email", "Give the e-mail address or the mobile number"),
    ({"email": "not-an-email"}, "email", "Enter a valid email address."),
    ({"email": "", "mobile": "12345"}, "mobile", "Enter a valid phone number"),
    ({"subject": ""}, "subject", "This field is required."),
    ({"message": "x" * 5001}, "message", "at most 5000 characters"),
])
def test_bad_input_is_named_by_field(contact, overrides, field, message):
    response = Client().post(URL, _form(**overrides))
    body = response.content.decode()
    assert response.status_code == 422
    section = body.split(f'data-field="{field}"', 1)[1].split('data-field="', 1)[0]
    assert message in section
    assert not Ticket.objects.exists()


def test_rate_limit_per_ip(contact, settings):
    settings.GUANXI_SUPPORT_FORM_RATE, settings.GUANXI_SUPPORT_FORM_WINDOW = 2, 60
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert [client.post(URL, _form(subject=f"s{i}")).status_code for i in range(3)] == [200, 200, 429]
    assert Ticket.objects.count() == 2
    assert 'data-testid="support-too-many"' in client.post(URL, _form()).content.decode()
    assert Client(REMOTE_ADDR="203.0.113.10").post(URL, _form(subject="other ip")).status_code == 200


def test_page_in_chinese(contact):
    response = Client().get(URL, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 200 and 'lang="zh-hans"' in response.content.decode()
