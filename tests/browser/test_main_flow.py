"""The main flow a sales rep does every day, in a real browser."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from guanxi.customers.models import Customer, Interaction

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def log_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "pw-Guanxi-2024")
    page.click("button[type=submit]")
    expect(page).to_have_url(f"{live_server.url}/")


def test_create_customer_log_follow_up_and_switch_language(page, live_server, org):
    log_in(page, live_server, "rep")

    page.goto(f"{live_server.url}/customers/new/")
    page.fill("#customer-form [name=name]", "杭州西湖茶叶有限公司")
    page.click("#customer-form button[type=submit]")
    expect(page.locator("h1")).to_contain_text("杭州西湖茶叶有限公司")
    customer = Customer.objects.get(name="杭州西湖茶叶有限公司")
    assert customer.owner == org.rep
    expect(page).to_have_url(re.compile(rf"/customers/{customer.pk}/$"))

    page.fill("#followup-form [name$=summary]", "电话沟通春茶报价")
    page.click("#followup-form button[type=submit]")
    expect(page.locator("[data-testid=timeline]")).to_contain_text("电话沟通春茶报价")
    assert Interaction.objects.filter(customer=customer, summary="电话沟通春茶报价", staff=org.rep).exists()

    # Bad input is refused inline, naming the field, and nothing is written.
    page.fill("#followup-form [name$=summary]", "")
    page.click("#followup-form button[type=submit]")
    expect(page.locator("#followup-form .invalid-feedback").first).to_be_visible()
    assert Interaction.objects.filter(customer=customer).count() == 1

    # Switch to Chinese: the page comes back in Chinese.
    page.click("[data-testid=user-menu]")
    page.select_option("#lang-select", "zh-hans")
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page.locator("nav.navbar")).to_contain_text("客户")


def test_search_by_pinyin_initials_on_a_phone(browser, live_server, org, customers):
    context = browser.new_context(locale="en-US", viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    try:
        log_in(page, live_server, "rep")
        page.goto(f"{live_server.url}/customers/?q=zsmy")
        expect(page.locator("main")).to_contain_text("张三贸易有限公司")
        expect(page.locator("main")).not_to_contain_text("成都王五餐饮")
        # The page fits the phone: no horizontal scrolling.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 390
    finally:
        context.close()
