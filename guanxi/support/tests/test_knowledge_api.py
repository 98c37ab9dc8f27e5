"""The knowledge-base API: the same operations as the pages, with field errors and status codes."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from guanxi.support.models import Article, TicketMessage
from guanxi.support.services import knowledge as svc
from guanxi.support.services.tickets import ticket_create

from .knowledge_fixtures import build

pytestmark = pytest.mark.django_db


class Api:
    def __init__(self, user: Any):
        self.client = Client()
        self.client.force_login(user)

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get("/api" + path, params)

    def post(self, path: str, body: Any = None) -> Any:
        return self.client.post("/api" + path, json.dumps(body or {}), content_type="application/json")


@pytest.fixture
def kb(org):
    return build(org)


def test_search_list_and_detail(org, kb):
    api = Api(org.analyst)
    r = api.get("/knowledge/articles", q="退款")
    assert r.status_code == 200, r.content
    items = r.json()["items"]
    assert [i["id"] for i in items] == [kb.refund.id, kb.kettle_refund.id] and r.json()["next_cursor"] is None
    assert "<mark>退款</mark>" in items[0]["snippet_html"] and items[0]["score"] == 5
    assert [i["id"] for i in api.get("/knowledge/articles", q="tuikuan").json()["items"]] == [kb.refund.id]
    assert [i["id"] for i in api.get("/knowledge/articles", q="SHIPPING fee").json()["items"]] == [kb.shipping.id]
    assert [i["id"] for i in api.get("/knowledge/articles", q="退款", product=kb.kettle.id).json()["items"]] == [
        kb.kettle_refund.id]
    # Without q: every approved article, in cursor pages.
    page = api.get("/knowledge/articles", limit=3).json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    rest = api.get("/knowledge/articles", limit=3, cursor=page["next_cursor"]).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert len(api.get("/knowledge/articles", status="approved").json()["items"]) == 4
    assert api.get("/knowledge/articles", status="bogus").status_code == 400
    assert api.get("/knowledge/articles", bogus="1").status_code == 400
    assert api.get("/knowledge/articles", product="999999").status_code == 400
    detail = api.get(f"/knowledge/articles/{kb.refund.id}").json()
    assert detail["answer"] == kb.refund.answer and [v["number"] for v in detail["versions"]] == [1]
    assert api.get("/knowledge/categories").json()[0] == "售后"


def test_drafts_hidden_from_readers(org):
    draft = svc.article_create(actor=org.agent, data={"title": "草稿退款", "answer": "x"})
    for user in (org.analyst, org.marketing):
        api = Api(user)
        assert api.get(f"/knowledge/articles/{draft.id}").status_code == 404
        assert api.get("/knowledge/articles", q="退款", status="all").json()["items"] == []
    assert [i["id"] for i in Api(org.agent).get("/knowledge/articles", q="退款", status="all").json()["items"]] == [draft.id]


def test_create_edit_approve_reject_flow(org):
    agent, manager = Api(org.agent), Api(org.service_manager)
    r = agent.post("/knowledge/articles", {"title": "", "answer": " "})
    assert r.status_code == 422 and set(r.json()["errors"]) == {"title", "answer"}
    r = agent.post("/knowledge/articles", {"title": "Q", "answer": "A", "product": 999999})
    assert r.status_code == 422 and "product" in r.json()["errors"]
    assert agent.post("/knowledge/articles", {"title": "Q", "answer": "A", "status": "approved"}).status_code == 422
    assert not Article.objects.exists()
    r = agent.post("/knowledge/articles", {"title": "积分有效期", "answer": "一年。", "tags": "积分", "submit": True})
    assert r.status_code == 201, r.content
    article = r.json()
    assert article["status"] == "pending" and article["versions"][0]["status"] == "pending"
    v1 = article["versions"][0]["id"]
    assert agent.post(f"/knowledge/versions/{v1}/approve").status_code == 403
    assert Api(org.analyst).post("/knowledge/articles", {"title": "Q", "answer": "A"}).status_code == 403
    assert manager.get("/knowledge/queue").json()["items"][0]["id"] == v1
    assert agent.get("/knowledge/queue").status_code == 403
    r = manager.post(f"/knowledge/versions/{v1}/approve", {"note": "ok"})
    assert r.status_code == 200 and r.json()["status"] == "approved" and r.json()["current_version"] == 1
    r = manager.post(f"/knowledge/versions/{v1}/approve")
    assert r.status_code == 422 and "version" in r.json()["errors"]
    # Edit: a new pending version, the approved answer stays.
    r = agent.post(f"/knowledge/articles/{article['id']}/versions", {"title": "积分有效期", "answer": "两年。", "version": 1})
    assert r.status_code == 409
    version = Article.objects.get().version
    r = agent.post(f"/knowledge/articles/{article['id']}/versions",
                   {"title": "积分有效期", "answer": "两年。", "change_note": "policy", "version": version})
    assert r.status_code == 201 and r.json()["answer"] == "一年。" and r.json()["versions"][0]["status"] == "pending"
    v2 = r.json()["versions"][0]["id"]
    diff = agent.get(f"/knowledge/versions/{v2}").json()
    answer = next(d for d in diff["diff"] if d["name"] == "answer")
    assert diff["compared_with"] == 1 and answer["changed"] and {"op": "insert", "text": "两"} in answer["segments"]
    assert agent.get(f"/knowledge/versions/{v2}", against=7).status_code == 400
    r = manager.post(f"/knowledge/versions/{v2}/reject", {"note": ""})
    assert r.status_code == 422 and "note" in r.json()["errors"]
    r = manager.post(f"/knowledge/versions/{v2}/reject", {"note": "keep one year"})
    assert r.status_code == 200 and r.json()["status"] == "rejected"
    assert Api(org.analyst).get(f"/knowledge/versions/{v2}").status_code == 404  # readers: approved versions only
    # Archive / restore.
    assert agent.post(f"/knowledge/articles/{article['id']}/archive").status_code == 403
    assert manager.post(f"/knowledge/articles/{article['id']}/archive", {"version": 1}).status_code == 409
    r = manager.post(f"/knowledge/articles/{article['id']}/archive")
    assert r.status_code == 200 and r.json()["status"] == "archived"
    assert manager.post(f"/knowledge/articles/{article['id']}/restore").json()["status"] == "approved"


def test_draft_submit_and_use(org, kb):
    agent = Api(org.agent)
    r = agent.post("/knowledge/articles", {"title": "Q", "answer": "A"})
    draft = r.json()
    assert draft["status"] == "draft"
    assert agent.post(f"/knowledge/articles/{draft['id']}/use").status_code == 422
    assert agent.post(f"/knowledge/articles/{draft['id']}/submit").json()["status"] == "pending"
    assert agent.post(f"/knowledge/articles/{draft['id']}/submit").status_code == 422
    assert agent.post(f"/knowledge/articles/{kb.refund.id}/use").json() == {"use_count": 1}
    assert Api(org.analyst).post(f"/knowledge/articles/{kb.refund.id}/use").status_code == 403


def test_ticket_suggested_articles(org, customers, kb):
    ticket = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "申请退款"})
    TicketMessage.objects.create(ticket=ticket, kind=TicketMessage.Kind.CUSTOMER, body="东西坏了想退款")
    r = Api(org.rep).get(f"/tickets/{ticket.id}/suggested-articles")
    assert r.status_code == 200 and r.json()[0]["id"] == kb.refund.id and r.json()[0]["answer"] == kb.refund.answer
    assert len(Api(org.rep).get(f"/tickets/{ticket.id}/suggested-articles", limit=1).json()) == 1
    assert Api(org.rep_west).get(f"/tickets/{ticket.id}/suggested-articles").status_code == 404
