"""Shared data for the knowledge-base tests: a few approved articles in Chinese and English."""

from __future__ import annotations

from typing import Any

from guanxi.customers.models import Product
from guanxi.support.models import Article
from guanxi.support.services import knowledge as svc


def approved(org: Any, **data: Any) -> Article:
    """An article written by the agent and approved by the service manager."""
    article = svc.article_create(actor=org.agent, data=data, submit=True)
    svc.version_approve(actor=org.service_manager, version=article.versions.get())
    article.refresh_from_db()
    return article


class KB:
    refund: Article
    shipping: Article
    password: Article
    kettle_refund: Article
    kettle: Product


def build(org: Any) -> KB:
    k = KB()
    k.kettle = Product.objects.create(sku="KB-K1", name="电水壶")
    k.refund = approved(org, title="如何申请退款？", answer="在订单页面点击“申请退款”，\n审核通过后 3 个工作日内原路退回。",
                        category="售后", tags="退款, refund")
    k.shipping = approved(org, title="Who pays the shipping fee for a return?",
                          answer="We pay the shipping fee when the item is faulty; otherwise the customer pays. "
                                 "Refunds follow within 3 days.", category="Delivery", tags="return, shipping")
    k.password = approved(org, title="忘记密码怎么办", answer="在登录页点击“忘记密码”，按短信验证码重设。", category="账号")
    k.kettle_refund = approved(org, title="电水壶漏水可以退货吗", answer="漏水属于质量问题，可以七天无理由退货并退款。",
                               category="售后", tags="退货", product=k.kettle)
    return k
