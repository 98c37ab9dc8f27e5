"""The sales flow in a real browser: web-form lead → duplicate check → conversion → board → forecast."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from conftest import seed_migration_defaults
from guanxi.sales.models import DuplicateRule, Lead, Opportunity, Stage

from .test_main_flow import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

MOBILE = "13912345678"


def seed_sales_defaults() -> None:
    """The rows of the sales data migration: a transactional test flushes them after each test, so the
    tests that need them put them back (the migration's own function, which is idempotent)."""
    seed_migration_defaults()
    DuplicateRule.objects.update_or_create(field="mobile", defaults={"action": DuplicateRule.Action.BLOCK})


def drag(page, card, target) -> None:
    """Drag a board card onto a column with real mouse steps (SortableJS listens to the native drag events
    that Chromium raises from them). The card is grabbed below its link: links are not drag handles."""
    card.scroll_into_view_if_needed()
    box = card.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] - 6)
    page.mouse.down()
    # A few small steps first: Sortable starts the drag only after the pointer has moved.
    page.mouse.move(box["x"] + box["width"] / 2 + 5, box["y"] + box["height"] - 2, steps=5)
    to = target.bounding_box()
    page.mouse.move(to["x"] + to["width"] / 2, to["y"] + to["height"] / 2, steps=20)
    page.mouse.up()


def test_web_form_lead_to_won_opportunity(page, live_server, org):
    seed_sales_defaults()

    # 1. A visitor leaves their details on the public web form: no login.
    page.goto(f"{live_server.url}/sales/forms/lead/")
    form = page.get_by_test_id("public-form")
    form.locator("[name=name]").fill("王小明")
    form.locator("[name=company]").fill("苏州明光照明有限公司")
    form.locator("[name=mobile]").fill(MOBILE)
    form.locator("[name=notes]").fill("想了解LED灯具报价")
    form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("public-thanks")).to_be_visible()
    lead = Lead.objects.get(mobile="+86" + MOBILE)
    assert lead.source == Lead.Source.WEB_FORM and lead.owner is None

    # 2. A manager enters the same person again: the live check shows the match, saving is blocked.
    log_in(page, live_server, "manager")
    page.goto(f"{live_server.url}/sales/leads/new/")
    lead_form = page.locator("#lead-form")
    lead_form.locator("[name=name]").fill("王先生")
    lead_form.locator("[name=mobile]").fill(MOBILE)
    lead_form.locator("[name=mobile]").blur()
    expect(page.get_by_test_id("dup-matches")).to_contain_text("王小明")
    lead_form.locator("button[type=submit]").click()
    expect(lead_form.locator(".invalid-feedback").first).to_contain_text("Already entered")
    assert Lead.objects.count() == 1

    # 3. Convert the web-form lead to a customer with an opportunity.
    page.goto(f"{live_server.url}/sales/leads/{lead.pk}/")
    page.get_by_test_id("convert-link").click()
    convert = page.get_by_test_id("convert-form")
    convert.locator("[name=create_opportunity]").check()
    convert.locator("[name=opportunity_name]").fill("LED灯具采购")
    convert.locator("[name=amount]").fill("88000")
    close = timezone.localdate() + datetime.timedelta(days=1)
    convert.locator("[name=expected_close_date]").fill(close.isoformat())
    convert.locator("button[type=submit]").click()
    expect(page.locator("h1")).to_contain_text("苏州明光照明有限公司")
    opportunity = Opportunity.objects.get(name="LED灯具采购")
    assert opportunity.stage.kind == Stage.Kind.OPEN and opportunity.customer.owner == org.manager

    # Nothing won yet this month.
    page.goto(f"{live_server.url}/sales/forecast/")
    expect(page.get_by_test_id("won-amount")).to_have_text("0.00")

    # 4. Drag the card to Won on the board and give a note in the dialog.
    page.goto(f"{live_server.url}/sales/pipeline/board/")
    card = page.locator(f".board-card[data-id='{opportunity.pk}']")
    expect(card).to_be_visible()
    page.wait_for_function("() => window.Sortable && window.htmx && window.bootstrap")
    won = page.locator(".board-drop.kind-won .board-cards")
    drag(page, card, won)
    dialog = page.locator("#reason-modal")
    expect(dialog).to_be_visible()
    dialog.locator("#reason-text").fill("签了年度框架合同")
    dialog.locator("button[type=submit]").click()
    expect(page.locator("#page-alerts .alert-success")).to_contain_text("Won")
    expect(dialog).to_be_hidden()
    expect(page.locator(f".board-card[data-id='{opportunity.pk}']")).to_have_count(0)
    opportunity.refresh_from_db()
    assert opportunity.stage.kind == Stage.Kind.WON
    assert opportunity.lost_reason == "签了年度框架合同" and opportunity.closed_at is not None

    # 5. The forecast shows the won amount for this period.
    page.goto(f"{live_server.url}/sales/forecast/")
    expect(page.get_by_test_id("won-amount")).to_have_text(re.compile(r"^88,?000\.00$"))
