"""Simplified Chinese and English: pages follow the browser's language, and the catalogue is complete."""

from __future__ import annotations

import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.test import TestCase
from django.urls import reverse
from django.utils import translation

from guanxi.cli import _compile_messages
from guanxi.customers.services.imports import import_job_create, import_job_start

PO_PATH = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"
ZH = {"HTTP_ACCEPT_LANGUAGE": "zh-CN,zh;q=0.9,en;q=0.8"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en-US,en;q=0.9"}
BAD_CREDIT_CODE = "91310000MA1FL8XQ3X"  # 18 characters, wrong check digit


@pytest.fixture(scope="session", autouse=True)
def compiled_messages() -> None:
    """Compile the .po to .mo if it is missing or stale (as scripts/bootstrap does), then drop cached catalogues."""
    mo_path = PO_PATH.with_suffix(".mo")
    before = mo_path.stat().st_mtime if mo_path.exists() else None
    _compile_messages()
    if before != mo_path.stat().st_mtime:
        from django.utils.translation import trans_real

        trans_real._translations = {}
        trans_real._default = None


def _body(response) -> str:
    return response.content.decode()


def test_login_page_in_chinese_and_english(client, db):
    zh = _body(client.get(reverse("login"), **ZH))
    assert '<html lang="zh-hans">' in zh
    assert "登录" in zh and "用户名" in zh and "密码" in zh and "关系 CRM" in zh
    assert "Log in" not in zh and "Username" not in zh

    en = _body(client.get(reverse("login"), **EN))
    assert '<html lang="en">' in en
    assert "Log in" in en and "Username" in en and "Password" in en
    assert "登录" not in en


def test_wrong_password_message_in_chinese(client, org):
    zh = _body(client.post(reverse("login"), {"username": "rep", "password": "nope"}, **ZH))
    assert "请输入一个正确的用户名和密码" in zh


def test_customer_list_in_chinese_and_english(client, org, customers):
    client.force_login(org.rep)
    zh = _body(client.get(reverse("customers:list"), **ZH))
    for text in ("客户", "订单", "我的待办", "退出登录", "筛选", "潜在客户"):
        assert text in zh, text
    for text in (">Customers<", "Log out", "My tasks", "Prospect"):
        assert text not in zh, text

    en = _body(client.get(reverse("customers:list"), **EN))
    for text in ("Customers", "Orders", "My tasks", "Log out", "Prospect"):
        assert text in en, text
    assert "退出登录" not in en and "我的待办" not in en


def test_validation_errors_in_chinese_and_english(client, org):
    client.force_login(org.rep)
    data = {"name": "测试贸易有限公司", "kind": "company", "credit_code": BAD_CREDIT_CODE, "lifecycle": "prospect"}

    zh = client.post(reverse("customers:create"), data, **ZH)
    assert zh.status_code == 422
    body = _body(zh)
    assert "统一社会信用代码" in body and "校验位不匹配" in body
    assert "新建客户" in body and "创建客户" in body
    assert "check digit" not in body

    en = client.post(reverse("customers:create"), data, **EN)
    assert en.status_code == 422
    body = _body(en)
    assert "the check digit does not match" in body and "Create customer" in body
    assert "校验位不匹配" not in body


def test_api_errors_follow_the_language(client, org):
    client.force_login(org.rep)
    zh = client.post("/api/customers", {"name": ""}, content_type="application/json", **ZH)
    assert zh.status_code == 422 and zh.json()["detail"] == "部分字段填写有误。"
    en = client.post("/api/customers", {"name": ""}, content_type="application/json", **EN)
    assert en.status_code == 422 and en.json()["detail"] == "Some fields are not valid."


def test_import_errors_are_written_in_the_uploaders_language(org):
    """The worker runs with the default language (English); the row errors follow the person who uploaded."""
    content = f"客户名称,统一社会信用代码\n测试贸易有限公司,{BAD_CREDIT_CODE}\n".encode()
    with translation.override("zh-hans"):
        job = import_job_create(actor=org.admin, entity="customer", filename="客户.csv", content=content)
        with TestCase.captureOnCommitCallbacks() as queued:
            import_job_start(actor=org.admin, job=job, mode="dry_run")
    assert not translation.get_language().startswith("zh")
    for callback in queued:
        callback()
    job.refresh_from_db()
    assert job.error_count == 1
    assert "校验位不匹配" in job.errors[0]["message"]


def test_catalogue_is_complete():
    """Every entry is translated, none is fuzzy, and each keeps the placeholders and HTML tags of its msgid."""
    po = polib.pofile(str(PO_PATH))
    assert po.metadata["Language"] == "zh_Hans"
    assert po.metadata["Plural-Forms"].startswith("nplurals=1;")
    assert not po.untranslated_entries(), [e.msgid for e in po.untranslated_entries()]
    assert not po.fuzzy_entries(), [e.msgid for e in po.fuzzy_entries()]
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|<[^>]+>")
    for entry in po:
        source = entry.msgid_plural or entry.msgid
        translations = entry.msgstr_plural.values() if entry.msgid_plural else [entry.msgstr]
        for msgstr in translations:
            assert sorted(placeholder.findall(msgstr)) == sorted(placeholder.findall(source)), entry.msgid
