"""Pool pages: the list, the customer card and its buttons, rule pages, handover, relationship report."""

from __future__ import annotations

import datetime
import re

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from guanxi.customers.models import Contact, Customer, CustomerTeamMember
from guanxi.customers.services.customers import customer_create
from guanxi.sales.models import Handover, OwnerChange, Pool, PoolLevelRule

HTMX = {"HX-Request": "true"}


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def company_pool(db):
    pool = Pool.objects.get(department__isnull=True)
    Pool.objects.filter(pk=pool.pk).update(daily_claim_limit=None, holding_limit=None)
    return pool


def test_pool_page_lists_masks_and_filters(org, customers, company_pool, django_assert_max_num_queries):
    for i in range(5):
        c = customer_create(actor=org.admin, data={"name": f"池{i}", "province": "浙江"}, owner=None)
        Contact.objects.create(customer=c, name="联系人", mobile=f"+86138001380{i:02d}", is_primary=True)
    client = client_for(org.rep)
    with django_assert_max_num_queries(12):
        r = client.get(reverse("sales:pool"))
    assert r.status_code == 200
    body = r.content.decode()
    assert "池0" in body and "138****8000" in body and "+8613800138000" not in body
    assert "张三贸易" not in body  # owned customers are not in the pool
    r = client.get(reverse("sales:pool"), {"province": "浙江"}, headers=HTMX)
    assert r.status_code == 200 and "公海客户" not in r.content.decode() and 'id="pool-filters"' not in r.content.decode()
    r = client.get(reverse("sales:pool"), {"min_days": "5", "max_days": "1"})
    assert "upper bound" in r.content.decode()


def test_claim_from_the_list(org, customers, company_pool):
    client = client_for(org.rep)
    r = client.post(reverse("sales:pool_claim", args=[customers.pool.pk]), {"from": "list"}, headers=HTMX)
    assert r.status_code == 200 and r["HX-Trigger"] == "pool-changed"
    assert Customer.objects.get(pk=customers.pool.pk).owner_id == org.rep.pk
    r = client_for(org.rep_west).post(reverse("sales:pool_claim", args=[customers.pool.pk]), {"from": "list"},
                                      headers=HTMX)
    assert r.status_code == 404  # no longer in the pool, and not theirs to see


def test_customer_card_and_its_buttons(org, customers, company_pool, django_assert_max_num_queries):
    client = client_for(org.rep)
    url = reverse("sales:pool_card", args=[customers.own.pk])
    with django_assert_max_num_queries(20):
        r = client.get(url, headers=HTMX)
    body = r.content.decode()
    assert r.status_code == 200 and 'id="pool-card"' in body
    assert "Release to pool" in body and "Lock as key customer" in body and "Claim" not in body
    r = client.post(reverse("sales:pool_lock", args=[customers.own.pk]), headers=HTMX)
    assert r.status_code == 200 and "Unlock" in r.content.decode()
    r = client.post(reverse("sales:pool_release", args=[customers.own.pk]), {"reason": ""}, headers=HTMX)
    assert r.status_code == 422 and "Say why" in r.content.decode()
    r = client.post(reverse("sales:pool_release", args=[customers.own.pk]), {"reason": "预算取消"}, headers=HTMX)
    assert r.status_code == 200 and "In the public pool" in r.content.decode()
    assert Customer.objects.get(pk=customers.own.pk).owner_id is None
    # Now in the pool: the card offers Claim.
    r = client_for(org.rep_sh).get(url, headers=HTMX)
    assert "Claim" in r.content.decode()
    # The 360° page loads the card lazily.
    r = client.get(reverse("customers:detail", args=[customers.pool.pk]))
    assert reverse("sales:pool_card", args=[customers.pool.pk]) in r.content.decode()


def test_card_forecast_when_the_clock_has_run_out(org, customers, company_pool):
    """Overdue but the nightly job has not run yet: no "in 0 days" next to a past date."""
    Pool.objects.filter(pk=company_pool.pk).update(is_active=True, no_follow_up_days=30)
    long_ago = timezone.now() - datetime.timedelta(days=40)
    Customer.objects.filter(pk=customers.own.pk).update(claimed_at=long_ago, last_interaction_at=None)
    url = reverse("sales:pool_card", args=[customers.own.pk])
    body = client_for(org.rep).get(url, headers=HTMX).content.decode()
    assert "at the next nightly run" in body and "in 0 days" not in body
    Customer.objects.filter(pk=customers.own.pk).update(claimed_at=timezone.now() - datetime.timedelta(days=20))
    body = client_for(org.rep).get(url, headers=HTMX).content.decode()
    assert "at the next nightly run" not in body and re.search(r"in (9|10|11) days", body)


def test_card_errors_come_back_as_alerts(org, customers, company_pool):
    Pool.objects.filter(pk=company_pool.pk).update(lock_limit=0)
    r = client_for(org.rep).post(reverse("sales:pool_lock", args=[customers.own.pk]), headers=HTMX)
    assert r.status_code == 422 and r["HX-Retarget"] == "#page-alerts"
    assert client_for(org.agent).post(reverse("sales:pool_lock", args=[customers.own.pk]), headers=HTMX
                                      ).status_code == 403


def test_team_on_the_card(org, customers):
    client = client_for(org.rep)
    r = client.post(reverse("sales:team_add", args=[customers.own.pk]),
                    {"user": org.rep_west.pk, "access": "read"}, headers=HTMX)
    assert r.status_code == 200 and "rep_west" in r.content.decode()
    r = client.post(reverse("sales:team_add", args=[customers.own.pk]), {"user": org.rep.pk, "access": "read"},
                    headers=HTMX)
    assert r.status_code == 422
    assert client_for(org.rep_west).post(reverse("sales:team_add", args=[customers.own.pk]),
                                         {"user": org.rep_sh.pk, "access": "read"}, headers=HTMX).status_code == 403
    r = client.post(reverse("sales:team_remove", args=[customers.own.pk, org.rep_west.pk]), headers=HTMX)
    assert r.status_code == 200 and not CustomerTeamMember.objects.exists()


def test_pool_settings_pages(org, company_pool):
    client = client_for(org.admin)
    assert client.get(reverse("sales:pool_settings")).status_code == 200
    url = reverse("sales:pool_settings_edit", args=[company_pool.pk])
    assert client.get(url).status_code == 200
    data = {"name": "公司公海", "is_active": "on", "no_follow_up_days": "-1", "warn_days_before": "3",
            "reclaim_block_days": "0", "lock_limit": "5", "level_A_not_won_days": "-2"}
    r = client.post(url, data)
    assert r.status_code == 422
    body = r.content.decode()
    assert body.count("is-invalid") >= 2 and "at least 1 day" in body
    data.update({"no_follow_up_days": "40", "level_A_not_won_days": "120"})
    r = client.post(url, data)
    assert r.status_code == 302
    assert Pool.objects.get(pk=company_pool.pk).no_follow_up_days == 40
    assert PoolLevelRule.objects.get().not_won_days == 120
    r = client.post(reverse("sales:pool_settings_create"), {"name": "East", "department": org.east.pk,
                                                           "warn_days_before": "3", "reclaim_block_days": "0",
                                                           "lock_limit": "5"})
    assert r.status_code == 302 and Pool.objects.filter(department=org.east).exists()
    for who in ("manager", "rep"):
        assert client_for(getattr(org, who)).get(reverse("sales:pool_settings")).status_code == 403


def test_handover_pages(org, customers):
    client = client_for(org.admin)
    assert client.get(reverse("sales:handover")).status_code == 200
    r = client.get(reverse("sales:handover"), {"from_user": org.rep.pk}, headers=HTMX)
    assert r.status_code == 200 and "张三贸易有限公司" in r.content.decode()
    r = client.post(reverse("sales:handover"), {"from_user": org.rep.pk, "mode": "one", "receivers": [org.rep.pk]})
    assert r.status_code == 422 and "themselves" in r.content.decode()
    r = client.post(reverse("sales:handover"), {"from_user": org.rep.pk, "mode": "list",
                                                "receivers": [org.rep_sh.pk, org.manager.pk],
                                                f"assign_{customers.own.pk}": org.manager.pk})
    assert r.status_code == 302
    handover = Handover.objects.get()
    assert Customer.objects.get(pk=customers.own.pk).owner_id == org.manager.pk
    assert OwnerChange.objects.filter(batch=handover).count() == 1
    assert client.get(reverse("sales:handover_history")).status_code == 200
    assert client.get(reverse("sales:handover_detail", args=[handover.pk])).status_code == 200
    assert client_for(org.manager).get(reverse("sales:handover")).status_code == 403


def test_relationship_report_page(org, customers, django_assert_max_num_queries):
    client = client_for(org.manager)
    with django_assert_max_num_queries(12):
        r = client.get(reverse("sales:relationships"), {"sort": "-share"})
    assert r.status_code == 200 and "rep_sh" in r.content.decode()
    assert client_for(org.rep).get(reverse("sales:relationships")).status_code == 403
