"""Pages: member tiers and analysis settings per role, forms with errors under their fields, Re-tier now,
movements, the customer page's tier card."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django_tasks.backends.immediate import ImmediateBackend

from guanxi.analytics.models import AnalyticsPolicy, CustomerTier, Tier, TierPolicy
from guanxi.analytics.services.tiers import retier
from guanxi.analytics.tasks_tiers import retier_task

from .tiers_helpers import make_tiers, order

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}


def client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


@pytest.fixture
def tiered(customers):
    tiers = make_tiers()
    order(customers.own, date(2025, 3, 1), 4000)
    retier(as_of=date(2025, 4, 1))
    return tiers


def test_settings_menu_links(org):
    page = client(org.admin).get(reverse("governance:people")).content.decode()
    assert 'data-testid="settings-tiers"' in page and 'data-testid="settings-analysis"' in page
    page = client(org.analyst).get(reverse("governance:tokens")).content.decode()
    assert 'data-testid="settings-tiers"' in page and 'data-testid="settings-analysis"' not in page
    page = client(org.rep).get(reverse("governance:tokens")).content.decode()
    assert 'data-testid="settings-tiers"' not in page


def test_tiers_page_per_role(org, tiered):
    url = reverse("analytics:tiers")
    admin = client(org.admin).get(url)
    assert admin.status_code == 200
    body = admin.content.decode()
    assert "钻石" in body and "¥50,000" in body and 'data-testid="retier-now"' in body
    assert 'data-testid="tier-policy-form"' in body and 'data-testid="tier-movements"' in body
    assert "张三贸易有限公司" not in body  # movements default to the last 12 months (today is 2026)
    analyst = client(org.analyst).get(url, {"from": "2025-01-01"}).content.decode()
    assert 'data-testid="tier-movements"' in analyst and "张三贸易有限公司" in analyst
    assert 'data-testid="retier-now"' not in analyst and 'data-testid="tier-policy-form"' not in analyst
    manager = client(org.manager).get(url, {"from": "2025-01-01"}).content.decode()
    assert "张三贸易有限公司" in manager
    assert "成都王五餐饮" not in manager  # West's customer is not in the East manager's movements
    assert client(org.rep).get(url).status_code == 403
    assert client(org.agent).get(reverse("analytics:tier_create")).status_code == 403
    assert client(org.analyst).get(reverse("analytics:tier_create")).status_code == 403


def test_movements_filter_fragment(org, tiered):
    url = reverse("analytics:tiers")
    r = client(org.analyst).get(url, {"from": "2025-04-01", "to": "2025-04-01", "direction": "first"}, **HX)
    body = r.content.decode()
    assert r.status_code == 200 and body.lstrip().startswith('<div id="tier-movements"')
    assert "rolling 12-month spend ¥4,000 ≥ 银牌 threshold ¥3,000" in body
    empty = client(org.analyst).get(url, {"direction": "down", "from": "2025-01-01"}, **HX).content.decode()
    assert "No tier changes in this period." in empty
    bad = client(org.analyst).get(url, {"from": "2025-05-01", "to": "2025-04-01"}, **HX).content.decode()
    assert "The end of the period cannot be before its start." in bad


def test_create_edit_deactivate_tier(org, tiered):
    admin = client(org.admin)
    r = admin.post(reverse("analytics:tier_create"), {"name": "黑金", "position": 4, "min_spend": "2000",
                                                      "benefits": "", "is_active": "on"})
    assert r.status_code == 422
    assert "A higher tier must need more spend than a lower one" in r.content.decode()
    assert not Tier.objects.filter(name="黑金").exists()
    r = admin.post(reverse("analytics:tier_create"), {"name": "黑金", "position": 4, "min_spend": "90000",
                                                      "benefits": "专属", "is_active": "on"})
    assert r.status_code == 302 and Tier.objects.filter(name="黑金", is_active=True).exists()
    gold = Tier.objects.get(name="金牌")
    r = admin.post(reverse("analytics:tier_edit", args=[gold.pk]), {"name": "金牌", "position": "x",
                                                                    "min_spend": "10000"})
    assert r.status_code == 422 and "Enter a whole number." in r.content.decode()
    r = admin.post(reverse("analytics:tier_deactivate", args=[gold.pk]))
    assert r.status_code == 302 and not Tier.objects.get(pk=gold.pk).is_active
    r = admin.post(reverse("analytics:tier_delete", args=[Tier.objects.get(name="注册").pk]), follow=True)
    assert "deactivate it instead" in r.content.decode() and Tier.objects.filter(name="注册").exists()
    assert client(org.manager).post(reverse("analytics:tier_deactivate", args=[gold.pk])).status_code == 403


def test_tier_policy_form(org, tiered):
    admin = client(org.admin)
    r = admin.post(reverse("analytics:tier_policy"), {"period": "month", "window_months": "0"})
    assert r.status_code == 422 and "Ensure this value is greater than or equal to 1." in r.content.decode()
    r = admin.post(reverse("analytics:tier_policy"), {"period": "year", "window_months": "24",
                                                      "downgrade_protection": "on"})
    assert r.status_code == 302
    assert (TierPolicy.current().period, TierPolicy.current().window_months) == ("year", 24)
    assert client(org.analyst).post(reverse("analytics:tier_policy"), {"period": "month"}).status_code == 403


@time_machine.travel(date(2025, 7, 1), tick=False)
def test_retier_now_runs_in_the_background_and_shows_the_summary(org, tiered, customers):
    order(customers.own, date(2025, 5, 1), 7000)
    r = client(org.admin).post(reverse("analytics:retier"), **HX)
    body = r.content.decode()
    assert r.status_code == 200 and 'data-testid="retier-summary"' in body
    assert "1 up" in body and "3 unchanged" in body
    assert CustomerTier.objects.get(customer=customers.own).tier.name == "金牌"
    assert TierPolicy.current().last_run_on == date(2025, 7, 1)
    assert client(org.analyst).post(reverse("analytics:retier"), **HX).status_code == 403


def test_retier_status_polls_a_queued_run(org, monkeypatch):
    state = {"status": "RUNNING", "value": None}

    def fake_result(backend, result_id):  # the test backend keeps no results; the database backend does
        return SimpleNamespace(id=result_id, task=retier_task, status=state["status"],
                               is_finished=state["status"] != "RUNNING", return_value=state["value"])

    monkeypatch.setattr(ImmediateBackend, "get_result", fake_result)
    url = reverse("analytics:retier_status", args=["abc"])
    assert 'hx-trigger="every 2s"' in client(org.admin).get(url, **HX).content.decode()
    state.update(status="SUCCESSFUL", value={"customers": 4, "as_of": "2025-07-01", "up": 2, "down": 0, "kept": 1,
                                             "first": 0, "unchanged": 1})
    assert "2 up, 0 down, 1 kept by protection" in client(org.admin).get(url, **HX).content.decode()
    assert client(org.analyst).get(url, **HX).status_code == 403


def test_retier_without_tiers_explains(org):
    r = client(org.admin).post(reverse("analytics:retier"), **HX)
    assert r.status_code == 422 and "Add at least one active tier first." in r.content.decode()


def test_tier_card_on_the_customer_page(org, tiered, customers):
    page = client(org.rep).get(reverse("customers:detail", args=[customers.own.pk])).content.decode()
    assert reverse("analytics:tier_card", args=[customers.own.pk]) in page
    card = client(org.rep).get(reverse("analytics:tier_card", args=[customers.own.pk]), **HX)
    body = card.content.decode()
    assert card.status_code == 200 and "银牌" in body and "¥4,000" in body and "2025-04-01" in body
    assert "rolling 12-month spend ¥4,000 ≥ 银牌 threshold ¥3,000" in body
    assert client(org.rep).get(reverse("analytics:tier_card", args=[customers.other_dept.pk])).status_code == 404
    untiered = client(org.rep).get(reverse("analytics:tier_card", args=[customers.pool.pk])).content.decode()
    assert "注册" in untiered


def test_protected_until_on_the_card(org, tiered, customers):
    CustomerTier.objects.filter(customer=customers.own).update(protected_until=date(2025, 9, 30))
    body = client(org.rep).get(reverse("analytics:tier_card", args=[customers.own.pk])).content.decode()
    assert 'data-testid="tier-protected"' in body and "2025-09-30" in body


def test_analysis_settings_page(org):
    url = reverse("analytics:analysis_settings")
    page = client(org.admin).get(url).content.decode()
    assert "(80: the top 20%)" in page and "twice as long as usual" in page
    r = client(org.admin).post(url, {"monetary_window_months": "12", "value_basis": "profit",
                                     "high_value_percentile": "100", "high_loyalty_score": "0.5",
                                     "at_risk_p_alive": "0.5", "at_risk_interval_factor": "2",
                                     "churned_after_days": "365", "clv_horizon_months": "12",
                                     "monthly_discount_rate": "0.01", "task_lead_days": "7"})
    assert r.status_code == 422 and "Ensure this value is less than or equal to 99." in r.content.decode()
    assert AnalyticsPolicy.current().value_basis == "spend"
    r = client(org.admin).post(url, {"monetary_window_months": "6", "value_basis": "profit",
                                     "high_value_percentile": "90", "high_loyalty_score": "0.6",
                                     "at_risk_p_alive": "0.4", "at_risk_interval_factor": "2.5",
                                     "churned_after_days": "180", "clv_horizon_months": "24",
                                     "monthly_discount_rate": "0.02", "task_lead_days": "5"})
    assert r.status_code == 302
    policy = AnalyticsPolicy.current()
    assert (policy.value_basis, policy.high_value_percentile, policy.churned_after_days) == ("profit", 90, 180)
    for user in (org.manager, org.analyst, org.rep):
        assert client(user).get(url).status_code == 403
