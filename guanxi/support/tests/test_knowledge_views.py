"""Knowledge-base pages: search list, article with history and diff, form, approval queue, ticket suggestions."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils import translation

from guanxi.support.models import Article, ArticleVersion, TicketMessage
from guanxi.support.services import knowledge as svc
from guanxi.support.services.tickets import ticket_create

from .knowledge_fixtures import approved, build

pytestmark = pytest.mark.django_db


@pytest.fixture
def kb(org):
    return build(org)


def client(user):
    c = Client()
    c.force_login(user)
    return c


def test_search_page_and_filters(org, kb):
    draft = svc.article_create(actor=org.agent, data={"title": "草稿：退款例外", "answer": "x"})
    c = client(org.analyst)
    body = c.get("/support/knowledge/", {"q": "退款"}).content.decode()
    assert f'data-article="{kb.refund.pk}"' in body and "<mark>退款</mark>" in body and "草稿" not in body
    assert 'data-testid="kb-status-filter"' not in body and 'data-testid="kb-new"' not in body
    assert 'data-testid="nav-knowledge"' in body and 'data-testid="nav-knowledge-queue"' not in body
    assert "草稿" not in c.get("/support/knowledge/", {"q": "退款", "status": "all"}).content.decode()
    r = c.get("/support/knowledge/", {"category": "账号"}, HTTP_HX_REQUEST="true")
    fragment = r.content.decode()
    assert kb.password.title in fragment and kb.refund.title not in fragment and "<html" not in fragment
    agent_page = client(org.agent).get("/support/knowledge/", {"q": "退款", "status": "all"}).content.decode()
    assert f'data-article="{draft.pk}"' in agent_page and 'data-testid="kb-status-filter"' in agent_page
    assert client(org.agent).get("/support/knowledge/", {"product": "999999"}).status_code == 200  # filter error shown
    assert "alert-danger" in client(org.agent).get("/support/knowledge/", {"product": "999999"}).content.decode()


def test_create_form_errors_and_draft_then_submit(org):
    c = client(org.agent)
    page = c.get("/support/knowledge/new/").content.decode()
    assert 'list="kb-categories"' in page and 'name="action" value="draft"' in page
    r = c.post("/support/knowledge/new/", {"title": "", "answer": "", "action": "draft"})
    assert r.status_code == 422
    html = r.content.decode()
    assert html.count("invalid-feedback") >= 2 and 'data-field="title"' in html
    assert not Article.objects.exists()
    r = c.post("/support/knowledge/new/", {"title": "积分怎么用", "answer": "下单时抵扣。\n100 积分 = 1 元", "category": "会员",
                                           "tags": "积分", "action": "draft"})
    article = Article.objects.get()
    assert r.status_code == 302 and article.status == "draft"
    assert c.post(f"/support/knowledge/{article.pk}/submit/").status_code == 302
    assert Article.objects.get().status == "pending"
    # Readers may not write.
    assert client(org.analyst).get("/support/knowledge/new/").status_code == 403
    assert client(org.marketing).post(f"/support/knowledge/{article.pk}/edit/", {"title": "x", "answer": "y"}).status_code in (403, 404)


def test_article_page_plain_text_and_history(org):
    article = approved(org, title="Opening <hours>", answer="Line one\n<script>alert(1)</script>")
    c = client(org.agent)
    r = c.post(f"/support/knowledge/{article.pk}/edit/", {"title": "Opening <hours>", "answer": "Line one\nLine two",
                                                          "change_note": "clearer", "version": article.version,
                                                          "action": "submit"})
    assert r.status_code == 302
    body = c.get(f"/support/knowledge/{article.pk}/").content.decode()
    assert "<script>alert(1)</script>" not in body and "&lt;script&gt;alert(1)&lt;/script&gt;" in body
    assert 'data-testid="kb-pending"' in body and "clearer" in body and 'data-version="2"' in body
    assert 'data-testid="kb-approve"' not in body  # an agent cannot approve
    manager_page = client(org.service_manager).get(f"/support/knowledge/{article.pk}/").content.decode()
    assert 'data-testid="kb-approve"' in manager_page and "<ins" in manager_page
    # The version page shows the diff, escaped.
    v2 = article.versions.get(number=2)
    diff_page = c.get(f"/support/knowledge/versions/{v2.pk}/").content.decode()
    assert 'data-testid="kb-diff"' in diff_page and "<del" in diff_page and "<ins" in diff_page
    assert "<script>" not in diff_page and "&lt;" in diff_page
    assert c.get(f"/support/knowledge/versions/{v2.pk}/", {"against": "1"}).status_code == 200
    # A stale edit is a conflict, not an overwrite.
    r = c.post(f"/support/knowledge/{article.pk}/edit/", {"title": "T", "answer": "A", "version": 1, "action": "submit"})
    assert r.status_code == 409 and article.versions.count() == 2
    # Readers do not see pending versions.
    reader = client(org.analyst)
    assert reader.get(f"/support/knowledge/versions/{v2.pk}/").status_code == 404
    assert 'data-testid="kb-pending"' not in reader.get(f"/support/knowledge/{article.pk}/").content.decode()


def test_approve_reject_by_role(org):
    article = svc.article_create(actor=org.agent, data={"title": "Q", "answer": "A"}, submit=True)
    version = article.versions.get()
    assert client(org.agent).post(f"/support/knowledge/versions/{version.pk}/approve/").status_code == 403
    assert client(org.agent).get("/support/knowledge/queue/").status_code == 403
    manager = client(org.service_manager)
    queue = manager.get("/support/knowledge/queue/").content.decode()
    assert 'data-testid="kb-queue-row"' in queue
    r = manager.post(f"/support/knowledge/versions/{version.pk}/reject/", {"note": "", "next": "queue"}, follow=True)
    assert "Say why" in r.content.decode() and ArticleVersion.objects.get().status == "pending"
    r = manager.post(f"/support/knowledge/versions/{version.pk}/approve/", {"note": "fine", "next": "queue"})
    assert r.status_code == 302 and r.url.endswith("/support/knowledge/queue/")
    assert Article.objects.get().status == "approved"
    r = manager.post(f"/support/knowledge/versions/{version.pk}/approve/", follow=True)  # not pending any more
    assert "Only a version waiting for approval" in r.content.decode()
    assert manager.post(f"/support/knowledge/{article.pk}/archive/").status_code == 302
    assert Article.objects.get().status == "archived"
    assert client(org.agent).post(f"/support/knowledge/{article.pk}/restore/").status_code == 403
    assert Article.objects.get().status == "archived"


def test_pages_in_chinese(org, kb):
    c = client(org.service_manager)
    with translation.override("zh-hans"):
        r = c.get("/support/knowledge/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert r.status_code == 200 and kb.refund.title in r.content.decode() and 'lang="zh-hans"' in r.content.decode()


def test_ticket_suggestions_and_insert(org, customers, kb):
    ticket = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "我要退款"})
    c = client(org.rep)
    page = c.get(f"/support/{ticket.pk}/").content.decode()
    assert f"/support/knowledge/ticket/{ticket.pk}/suggest/" in page and 'hx-trigger="load"' in page
    card = c.get(f"/support/knowledge/ticket/{ticket.pk}/suggest/").content.decode()
    assert 'data-testid="kb-suggest"' in card and f'data-article="{kb.refund.pk}"' in card and "<html" not in card
    assert f'data-answer="{kb.refund.answer}"' in card  # the text the Insert button puts into the reply
    assert "id_body" in card  # the insert targets the reply box
    searched = c.get(f"/support/knowledge/ticket/{ticket.pk}/suggest/", {"q": "密码"}).content.decode()
    assert f'data-article="{kb.password.pk}"' in searched and 'id="kb-suggest-results"' in searched
    assert f'data-article="{kb.refund.pk}"' not in searched
    r = c.post(f"/support/knowledge/{kb.refund.pk}/use/")
    assert r.status_code == 204 and Article.objects.get(pk=kb.refund.pk).use_count == 1
    # Someone who may not change the ticket gets no card.
    assert 'data-testid="kb-suggest-loading"' not in client(org.analyst).get(f"/support/{ticket.pk}/").content.decode()
    assert client(org.analyst).get(f"/support/knowledge/ticket/{ticket.pk}/suggest/").status_code == 403
    assert client(org.analyst).post(f"/support/knowledge/{kb.refund.pk}/use/").status_code == 403
    assert client(org.rep_west).get(f"/support/knowledge/ticket/{ticket.pk}/suggest/").status_code == 404
    draft = svc.article_create(actor=org.agent, data={"title": "D", "answer": "d"})
    assert client(org.agent).post(f"/support/knowledge/{draft.pk}/use/").status_code == 422


def test_suggestions_use_customer_message_and_prefer_product(org, customers, kb):
    ticket = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "Help"})
    TicketMessage.objects.create(ticket=ticket, kind=TicketMessage.Kind.CUSTOMER, body="我忘记密码了，登录不了")
    from guanxi.support.selectors.knowledge import article_suggest

    assert [a.pk for a in article_suggest(user=org.rep, ticket=ticket)][:1] == [kb.password.pk]
    general = approved(org, title="保修期多久", answer="一年。")
    svc.article_used(general)
    kettle = approved(org, title="保修期多久（电水壶）", answer="两年。", product=kb.kettle)
    plain = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "保修期"})
    assert [a.pk for a in article_suggest(user=org.rep, ticket=plain)][:2] == [general.pk, kettle.pk]
    with_product = ticket_create(actor=org.rep, customer=customers.own, data={"subject": "保修期", "product": kb.kettle})
    assert [a.pk for a in article_suggest(user=org.rep, ticket=with_product)][:2] == [kettle.pk, general.pk]
