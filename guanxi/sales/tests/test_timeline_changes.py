"""Opportunity changes on the customer's timeline read with field labels and names, not raw keys and ids
(the customers app finds the sales models through the app registry)."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from guanxi.governance.models import AuditLog
from guanxi.sales.models import Stage
from guanxi.sales.selectors.opportunities import default_pipeline
from guanxi.sales.services.opportunities import opportunity_create, opportunity_move, opportunity_update

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def opp(org, customers):
    return opportunity_create(actor=org.rep, customer=customers.own, data={"name": "采购办公设备", "amount": "50000"})


def timeline(client, user, customer) -> str:
    client.force_login(user)
    response = client.get(reverse("customers:timeline", args=[customer.pk]), **HX)
    assert response.status_code == 200
    return response.content.decode()


def test_stage_move_shows_labels_and_local_time(client, org, customers, opp):
    lost = Stage.objects.get(pipeline=default_pipeline(), kind=Stage.Kind.LOST)
    moved = opportunity_move(actor=org.rep, opportunity=opp, stage=lost, reason="价格太高", version=opp.version)
    body = timeline(client, org.rep, customers.own)
    assert "reason won or lost:" in body and "lost_reason" not in body
    assert "stage:" in body and "Lost" in body
    assert "closed at:" in body and "closed_at" not in body
    assert date_format(timezone.localtime(moved.closed_at), "Y-m-d H:i") in body
    assert "opportunity" in body  # the entity's label


def test_owner_change_shows_the_persons_name(client, org, customers, opp):
    org.rep_sh.first_name, org.rep_sh.last_name = "伟", "张"
    org.rep_sh.save()
    opportunity_update(actor=org.admin, opportunity=opp, data={"owner": org.rep_sh}, version=opp.version)
    entry = AuditLog.objects.get(entity="opportunity", action="update")
    assert entry.changes["owner_id"] == [org.rep.pk, org.rep_sh.pk]
    body = timeline(client, org.admin, customers.own)
    assert "owner:" in body and "张伟" in body
