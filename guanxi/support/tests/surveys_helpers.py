"""Shared set-up of the callback and survey tests: a contact, a closed ticket, surveys, an answered link."""

from __future__ import annotations

import datetime
import json
from typing import Any

from django.test import Client
from django.utils import timezone

from guanxi.customers.services.customers import contact_create
from guanxi.support import sms
from guanxi.support.models import Survey, SurveyInvitation
from guanxi.support.services.surveys import survey_invite
from guanxi.support.services.tickets import ticket_create, ticket_set_status

SMS_LOCMEM = "guanxi.support.sms.LocmemBackend"


def client_for(user: Any) -> Client:
    c = Client()
    c.force_login(user)
    return c


class Api:
    def __init__(self, user: Any = None):
        self.client = Client()
        if user is not None:
            self.client.force_login(user)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get("/api" + path, params)

    def post(self, path: str, body: Any, **extra: Any) -> Any:
        return self.client.post("/api" + path, json.dumps(body), content_type="application/json", **extra)

    def patch(self, path: str, body: Any) -> Any:
        return self.client.patch("/api" + path, json.dumps(body), content_type="application/json")

    def delete(self, path: str) -> Any:
        return self.client.delete("/api" + path)


def contact(org: Any, customer: Any, *, email: str = "", mobile: str = "", name: str = "李四") -> Any:
    return contact_create(actor=org.admin, customer=customer, data={"name": name, "email": email, "mobile": mobile})


def closed_ticket(org: Any, customer: Any, **data: Any) -> Any:
    """A ticket opened by the admin, assigned to the agent, resolved and closed."""
    data = {"subject": "Washing machine", "assignee": org.agent, **data}
    ticket = ticket_create(actor=org.admin, customer=customer, data=data)
    ticket_set_status(actor=org.admin, ticket=ticket, status="resolved")
    return ticket_set_status(actor=org.admin, ticket=ticket, status="closed")


def csat(**extra: Any) -> Survey:
    return Survey.objects.create(**{"name": "After your ticket", "kind": Survey.Kind.CSAT, "send_after_close": True,
                                    **extra})


def nps(**extra: Any) -> Survey:
    return Survey.objects.create(**{"name": "Would you recommend us", "kind": Survey.Kind.NPS, "every_days": 90,
                                    **extra})


def invitation(org: Any, customer: Any, survey: Survey | None = None, **extra: Any) -> SurveyInvitation:
    return survey_invite(survey=survey or csat(), customer=customer, channel="link", **extra)


def expire(inv: SurveyInvitation) -> None:
    SurveyInvitation.objects.filter(pk=inv.pk).update(expires_at=timezone.now() - datetime.timedelta(minutes=1))


def clear_sms() -> None:
    sms.outbox.clear()
