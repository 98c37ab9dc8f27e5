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


def test_task_and_order_forms_load_on_their_tab_and_save(page, live_server, org, customers):
    """The 360° page renders only the follow-up form; the task and order forms come with htmx on the tab's
    first click, and they save without a page load."""
    from guanxi.customers.models import Order, Task

    log_in(page, live_server, "rep")
    page.goto(f"{live_server.url}/customers/{customers.own.pk}/")
    expect(page.locator("#task-form")).to_have_count(0)
    page.get_by_test_id("tab-task").click()
    page.fill("#task-form [name=title]", "寄送样品")
    page.fill("#task-form [name=due_at]", "2030-01-02T10:00")
    page.click("#task-form button[type=submit]")
    expect(page.locator("#task-form .alert-success")).to_be_visible()
    expect(page.locator("#open-tasks")).to_contain_text("寄送样品")
    assert Task.objects.filter(customer=customers.own, title="寄送样品").count() == 1

    page.get_by_test_id("tab-order").click()
    page.fill("#order-form [name=lines-0-description]", "样品")
    page.fill("#order-form [name=lines-0-quantity]", "2")
    page.fill("#order-form [name=lines-0-unit_price]", "50")
    page.click("#order-form button[type=submit]")
    expect(page.get_by_test_id("orders")).to_contain_text("100.00")
    assert Order.objects.filter(customer=customers.own).count() == 1


def test_sales_menu_fits_one_line(page, live_server, org):
    page.set_viewport_size({"width": 1200, "height": 800})
    log_in(page, live_server, "admin")
    assert page.locator("nav.navbar").bounding_box()["height"] < 70  # one line, not two
    page.get_by_test_id("nav-sales").click()
    page.get_by_test_id("nav-pipeline").click()
    expect(page).to_have_url(re.compile(r"/sales/pipeline/board/"))
