"""Relationship-ownership metrics, computed with aggregate queries."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from guanxi.core.errors import PermissionDeniedError
from guanxi.customers.models import Interaction
from guanxi.customers.services.customers import customer_create
from guanxi.sales.selectors.relationships import customer_relationship, rep_report


def follow_up(customer, staff, days_ago: int) -> None:
    Interaction.objects.create(customer=customer, staff=staff, summary="call",
                               occurred_at=timezone.now() - datetime.timedelta(days=days_ago))


def test_customer_metrics(org, customers):
    c = customers.own
    for _ in range(3):
        follow_up(c, org.rep, 5)
    follow_up(c, org.manager, 10)
    follow_up(c, org.rep_sh, 400)  # outside the 180-day window
    m = customer_relationship(customer=c)
    assert m.follow_ups == 5 and m.top_person == org.rep and m.top_share == pytest.approx(0.6)
    assert m.people_recently == 2 and not m.key_person_risk
    empty = customer_relationship(customer=customers.pool)
    assert empty.follow_ups == 0 and empty.top_share is None


def test_rep_report_counts_key_person_risk(org, customers, django_assert_max_num_queries):
    second = customer_create(actor=org.rep, data={"name": "第二家"})
    customer_create(actor=org.rep, data={"name": "第三家"})
    follow_up(customers.own, org.rep, 3)
    follow_up(customers.own, org.manager, 3)  # someone else knows this one
    follow_up(second, org.rep, 3)
    follow_up(second, org.rep_sh, 200)  # too long ago
    with django_assert_max_num_queries(8):
        rows = rep_report(user=org.admin)
    by_user = {r.user.username: r for r in rows}
    assert (by_user["rep"].customers, by_user["rep"].at_risk) == (3, 2)
    assert by_user["rep"].share == pytest.approx(2 / 3)
    assert rows[0].user == org.rep  # most at risk first
    # The East manager sees East and Shanghai only.
    assert {r.user.username for r in rep_report(user=org.manager)} == {"rep", "rep_sh"}
    assert [r.user.username for r in rep_report(user=org.admin, sort="customers")][-1] == "rep"


@pytest.mark.parametrize("who", ["rep", "agent", "marketing"])
def test_report_is_for_managers(org, customers, who):
    with pytest.raises(PermissionDeniedError):
        rep_report(user=getattr(org, who))
