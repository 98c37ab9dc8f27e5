"""The pipeline pages: render, permissions, the board's move endpoint, pinned query counts."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from guanxi.sales.models import Opportunity, Stage
from guanxi.sales.selectors.opportunities import default_pipeline, stages_of
from guanxi.sales.services.opportunities import opportunity_create


def client_for(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def st(kind: str, index: int = 0) -> Stage:
    return [s for s in stages_of(default_pipeline()) if s.kind == kind][index]


@pytest.fixture
def opp(org, customers):
    return opportunity_create(actor=org.rep, customer=customers.own,
                              data={"name": "办公设备采购", "amount": "8000", "expected_close_date": date(2025, 6, 30)})


def test_board_renders_500_cards_in_constant_queries(org, customers, django_assert_max_num_queries):
    pipeline = default_pipeline()
    open_stages = [s for s in stages_of(pipeline) if s.kind == "open"]
    Opportunity.objects.bulk_create([
        Opportunity(customer=customers.own, pipeline=pipeline, stage=open_stages[i % len(open_stages)],
                    name=f"商机 {i}", amount=Decimal(1000 + i), owner=org.rep) for i in range(500)
    ])
    c = client_for(org.rep)
    with django_assert_max_num_queries(12):
        r = c.get(reverse("sales:board"))
    assert r.status_code == 200
    assert r.content.decode().count('class="board-card"') == 500


def test_board_owner_filter_and_htmx_fragment(org, customers, opp):
    c = client_for(org.manager)
    r = c.get(reverse("sales:board"), {"owner": str(org.rep_west.pk)}, headers={"HX-Request": "true"})
    assert r.status_code == 200 and "办公设备采购" not in r.content.decode()
    assert "<html" not in r.content.decode()
    r = c.get(reverse("sales:board"), {"owner": str(org.rep.pk)})
    assert "办公设备采购" in r.content.decode()


def test_board_move_json(org, customers, opp):
    url = reverse("sales:opportunity_move", args=[opp.pk])
    c = client_for(org.rep)
    json_headers = {"Accept": "application/json", "HX-Request": "true"}
    r = c.post(url, {"stage": st("open", 1).pk, "version": 1}, headers=json_headers)
    assert r.status_code == 200 and r.json()["version"] == 2
    r = c.post(url, {"stage": st("open", 2).pk, "version": 1}, headers=json_headers)
    assert r.status_code == 409 and r.json()["detail"]
    r = c.post(url, {"stage": st("lost").pk, "version": 2}, headers=json_headers)
    assert r.status_code == 422 and "reason" in r.json()["errors"]
    r = client_for(org.analyst).post(url, {"stage": st("open").pk, "version": 2}, headers=json_headers)
    assert r.status_code == 403
    r = client_for(org.rep_west).post(url, {"stage": st("open").pk, "version": 2}, headers=json_headers)
    assert r.status_code == 404
    r = c.post(url, {"stage": st("won").pk, "version": 2, "reason": "签了"}, headers=json_headers)
    assert r.status_code == 200 and r.json()["kind"] == "won"
    r = c.post(url, {"stage": st("open").pk, "version": 3}, headers=json_headers)
    assert r.status_code == 422 and "stage" in r.json()["errors"]


def test_detail_page_move_form(org, customers, opp, django_assert_max_num_queries):
    c = client_for(org.rep)
    with django_assert_max_num_queries(16):
        r = c.get(reverse("sales:opportunity_detail", args=[opp.pk]))
    assert r.status_code == 200 and 'data-testid="move-form"' in r.content.decode()
    r = c.post(reverse("sales:opportunity_move", args=[opp.pk]), {"stage": st("lost").pk, "version": 1},
               headers={"HX-Request": "true"})
    assert r.status_code == 422 and 'data-testid="move-errors"' in r.content.decode()
    r = c.post(reverse("sales:opportunity_move", args=[opp.pk]), {"stage": st("lost").pk, "version": 1,
                                                                   "reason": "预算取消"})
    assert r.status_code == 302
    r = c.get(reverse("sales:opportunity_detail", args=[opp.pk]))
    assert "预算取消" in r.content.decode()
    assert client_for(org.rep_west).get(reverse("sales:opportunity_detail", args=[opp.pk])).status_code == 404


def test_list_filters_and_queries(org, customers, opp, django_assert_max_num_queries):
    for i in range(30):
        opportunity_create(actor=org.rep, customer=customers.own, data={"name": f"n{i}", "amount": str(i)})
    c = client_for(org.rep)
    with django_assert_max_num_queries(12):
        r = c.get(reverse("sales:opportunity_list"))
    assert r.status_code == 200
    r = c.get(reverse("sales:opportunity_list"), {"q": "办公", "status": "open"})
    assert "办公设备采购" in r.content.decode() and "n29" not in r.content.decode()
    r = c.get(reverse("sales:opportunity_list"), {"amount_min": "10", "amount_max": "5"})
    assert 'data-testid="filter-errors"' in r.content.decode()


def test_create_edit_from_customer_page(org, customers):
    c = client_for(org.rep)
    r = c.get(reverse("sales:opportunity_create"), {"customer": customers.own.pk})
    assert r.status_code == 200 and customers.own.name in r.content.decode()
    r = c.post(reverse("sales:opportunity_create"), {
        "customer": customers.own.pk, "name": "新商机", "amount": "100", "lines-TOTAL_FORMS": "0",
        "lines-INITIAL_FORMS": "0"})
    assert r.status_code == 302, r.content.decode()[:2000]
    o = Opportunity.objects.get(name="新商机")
    r = c.post(reverse("sales:opportunity_edit", args=[o.pk]), {
        "name": "改名", "amount": "200", "version": "1", "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"})
    assert r.status_code == 302
    o.refresh_from_db()
    assert o.name == "改名" and o.version == 2
    r = c.post(reverse("sales:opportunity_create"), {
        "customer": customers.other_dept.pk, "name": "x", "lines-TOTAL_FORMS": "0", "lines-INITIAL_FORMS": "0"})
    assert r.status_code == 422
    r = c.get(reverse("sales:opportunity_customer_options"), {"q": "张三"})
    assert customers.own.name in r.content.decode() and customers.other_dept.name not in r.content.decode()


def test_customer_card(org, customers, opp, django_assert_max_num_queries):
    c = client_for(org.rep)
    r = c.get(reverse("customers:detail", args=[customers.own.pk]))
    assert reverse("sales:customer_opportunities", args=[customers.own.pk]) in r.content.decode()
    with django_assert_max_num_queries(10):
        r = c.get(reverse("sales:customer_opportunities", args=[customers.own.pk]), headers={"HX-Request": "true"})
    assert "办公设备采购" in r.content.decode() and 'data-testid="new-opportunity"' in r.content.decode()
    r = client_for(org.analyst).get(reverse("sales:customer_opportunities", args=[customers.own.pk]))
    assert 'data-testid="new-opportunity"' not in r.content.decode()


def test_forecast_and_performance_pages(org, customers, opp):
    c = client_for(org.manager)
    r = c.get(reverse("sales:forecast"), {"period": "2025-Q2"})
    assert r.status_code == 200 and 'id="funnel-options"' in r.content.decode()
    r = c.get(reverse("sales:forecast"), {"period": "bad"})
    assert r.status_code == 200 and "alert-danger" in r.content.decode()
    r = c.get(reverse("sales:performance"), {"period": "2025-05"})
    assert r.status_code == 200 and 'data-testid="ranking"' in r.content.decode()


def test_settings_pages_for_admins_only(org, customers, opp):
    pipeline = default_pipeline()
    assert client_for(org.manager).get(reverse("sales:pipelines")).status_code == 403
    c = client_for(org.admin)
    assert c.get(reverse("sales:pipelines")).status_code == 200
    assert c.get(reverse("sales:pipeline_settings", args=[pipeline.pk])).status_code == 200
    used = opp.stage
    r = c.post(reverse("sales:pipeline_settings", args=[pipeline.pk]), {"action": "delete_stage", "stage": used.pk})
    assert r.status_code == 302 and Stage.objects.filter(pk=used.pk).exists()
    ids = [s.pk for s in stages_of(pipeline)]
    r = c.post(reverse("sales:stage_reorder", args=[pipeline.pk]), {"stage": list(reversed(ids))})
    assert r.status_code == 200 and [s.pk for s in stages_of(pipeline)] == list(reversed(ids))
    r = c.post(reverse("sales:pipeline_settings", args=[pipeline.pk]), {
        "action": "add_stage", "new-name": "复核", "new-probability": "200", "new-kind": "open"})
    assert r.status_code == 422


def test_targets_pages(org):
    assert client_for(org.rep).get(reverse("sales:targets")).status_code == 403
    c = client_for(org.manager)
    assert c.get(reverse("sales:targets")).status_code == 200
    r = c.post(reverse("sales:target_create"), {"metric": "revenue", "period": "month", "period_start": "2025-05-09",
                                                "user": org.rep.pk, "value": "-3"})
    assert r.status_code == 422
    r = c.post(reverse("sales:target_create"), {"metric": "revenue", "period": "month", "period_start": "2025-05-09",
                                                "user": org.rep.pk, "value": "3000"})
    assert r.status_code == 302
