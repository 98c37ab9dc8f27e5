"""Take the screenshots used by docs/user-guide.md and save them in docs/img/.

Re-runnable against a scratch demo instance (it creates a few records: a follow-up, a deleted
customer, an import job, so use a throw-away database, never a real one):

    export GUANXI_VAR_DIR=/tmp/guanxi-shots DJANGO_SETTINGS_MODULE=config.settings.local
    .venv/bin/guanxi assets && .venv/bin/guanxi compilemessages
    .venv/bin/guanxi demo --no-serve --customers 1500
    .venv/bin/python manage.py runserver 127.0.0.1:8021 --noreload &   # the web app
    .venv/bin/guanxi worker &                                          # runs the import dry run
    .venv/bin/python docs/screenshots.py                                # BASE_URL=… to use another server
    .venv/bin/python docs/screenshots.py --only sales                   # only the sales pages (no worker needed)
    .venv/bin/python docs/screenshots.py --only service                 # only the service desk (no worker needed)

The sales shots switch recycling on for the company pool, create a campaign once and import a dozen
leads with fixed external ids (importing them again updates them, so re-runs add nothing).

Chinese text needs CJK fonts on the machine (Debian/Ubuntu: apt-get install fonts-noto-cjk).
"""

from __future__ import annotations

import argparse
import datetime
import os
import re
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import Browser, BrowserContext, Page, expect, sync_playwright

BASE_URL = os.environ.get("BASE_URL", "http://127.0.0.1:8021").rstrip("/")
PASSWORD = os.environ.get("DEMO_PASSWORD", "guanxi-demo-2024")
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
OUT = Path(__file__).resolve().parent / "img"
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}


def new_context(browser: Browser, *, lang: str = "zh-CN", phone: bool = False) -> BrowserContext:
    options: dict = {"locale": lang, "viewport": PHONE if phone else DESKTOP, "timezone_id": "Asia/Shanghai"}
    if phone:
        options.update(device_scale_factor=2, is_mobile=True, has_touch=True)
    context = browser.new_context(**options)
    context.set_default_timeout(15_000)
    return context


def login(context: BrowserContext, username: str, lang: str = "zh-hans") -> Page:
    page = context.new_page()
    page.goto(f"{BASE_URL}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit].btn-primary")
    page.wait_for_url(f"{BASE_URL}/")
    # The language follows the browser's Accept-Language unless the user picked one; pick it explicitly
    # so the screenshots do not depend on a language cookie left from an earlier run.
    page.context.add_cookies([{"name": "django_language", "value": lang, "url": BASE_URL}])
    page.reload()
    return page


def shot(page: Page, name: str) -> None:
    page.wait_for_load_state("networkidle")
    page.evaluate("document.activeElement && document.activeElement.blur()")
    path = OUT / f"{name}.png"
    page.screenshot(path=str(path), full_page=False)
    print(f"{path.relative_to(OUT.parent.parent)}  {path.stat().st_size // 1024} KB")


def gbk_csv() -> Path:
    """A small customer file as a Chinese spreadsheet program saves it: GBK, with two bad rows."""
    rows = [
        "客户编号,客户名称,类型,统一社会信用代码,行业,省份,城市,客户状态,流失原因,标签,微信群",
        "DOC-001,宁波海曙鼎盛五金有限公司,企业,91330203MA2H7XQ41C,五金,浙江,宁波,潜在客户,,展会,五金群",
        "DOC-002,苏州工业园区明德软件有限公司,企业,12345,软件,江苏,苏州,潜在客户,,,",
        "DOC-003,刘晓东,个人,,零售,上海,上海,已流失,,老客户,",
        "DOC-004,合肥蓝湾食品有限公司,企业,,食品,安徽,合肥,活跃客户,,\"渠道,重点\",食品群",
    ]
    path = Path(tempfile.mkdtemp()) / "客户导入-GBK.csv"
    path.write_bytes("\r\n".join(rows).encode("gbk"))
    return path


def customer_shots(browser: Browser) -> None:
    """The customer, import and settings pages (the screenshots of the first guide)."""
    tomorrow = (datetime.date.today() + datetime.timedelta(days=1)).isoformat()
    if True:  # keeps the indentation of the steps below
        # 1. Login page, Chinese (the language menu is at the bottom of the card).
        ctx = new_context(browser)
        page = ctx.new_page()
        page.goto(f"{BASE_URL}/login/")
        page.locator("#lang-select").select_option("zh-hans")
        page.wait_for_load_state("networkidle")
        shot(page, "login")
        ctx.close()

        # 2-7. A sales rep's day (销售代表 张伟): home, search, 360° page, follow-up, tasks, validation.
        ctx = new_context(browser)
        page = login(ctx, "rep")
        shot(page, "home")

        page.goto(f"{BASE_URL}/customers/?q=zs")
        expect(page.get_by_test_id("result-count")).to_be_visible()
        shot(page, "customer-search")

        page.goto(f"{BASE_URL}/customers/?owner=me&sort=-last_follow_up")
        page.locator("#customer-results tbody tr a").first.click()
        page.wait_for_url(re.compile(r"/customers/\d+/$"))
        customer_url = page.url
        page.select_option("#id_channel", index=1)
        page.fill("#id_summary", "电话确认下季度采购计划，对方要求报价")
        page.fill("#id_content", "采购部王经理：预计 6 月下单 200 套，需要含税报价和交期。")
        page.fill("#id_next_follow_up_at", f"{tomorrow}T10:00")
        page.click("#followup-form button[type=submit]")
        expect(page.locator("#followup-form .alert-success")).to_be_visible()
        page.wait_for_load_state("networkidle")
        page.set_viewport_size({"width": 1280, "height": 1000})  # tall enough to show the timeline too
        shot(page, "customer-360")
        page.set_viewport_size(DESKTOP)

        page.goto(f"{BASE_URL}/customers/tasks/?tab=upcoming")
        shot(page, "my-tasks")

        page.goto(f"{BASE_URL}/customers/new/")
        page.fill("#id_name", "深圳前海示例科技有限公司")
        page.fill("#id_credit_code", "91440300123456789X")
        page.select_option("#id_lifecycle", "churned")
        page.locator("#id_lifecycle").evaluate("e => e.form.requestSubmit()")
        page.wait_for_load_state("networkidle")
        page.locator(".is-invalid").first.scroll_into_view_if_needed()
        shot(page, "customer-form-errors")

        # The "someone else changed this record" message: two tabs edit the same customer.
        edit_url = customer_url + "edit/"
        first = page
        first.goto(edit_url)
        second = ctx.new_page()
        second.goto(edit_url)
        industry = "机械制造" if second.input_value("#id_industry") != "机械制造" else "工业自动化"
        second.fill("#id_industry", industry)  # must differ, or the save is a no-op and bumps no version
        second.locator("#id_industry").evaluate("e => e.form.requestSubmit()")
        second.wait_for_url(customer_url)
        second.close()
        first.fill("#id_city", "无锡")
        first.locator("#id_city").evaluate("e => e.form.requestSubmit()")
        first.wait_for_load_state("networkidle")
        expect(first.get_by_test_id("form-errors")).to_be_visible()
        first.evaluate("window.scrollTo(0, 0)")
        shot(first, "customer-conflict")
        ctx.close()

        # 8. The order list (manager).
        ctx = new_context(browser)
        page = login(ctx, "manager")
        page.goto(f"{BASE_URL}/customers/orders/")
        shot(page, "orders")

        # 9-10. Import a GBK CSV as the sales manager: mapping, then the dry run with its errors.
        page.goto(f"{BASE_URL}/data/import/")
        page.set_input_files("input[name=file]", str(gbk_csv()))
        page.click("form button[type=submit].btn-primary")
        page.wait_for_url(re.compile(r"/data/import/\d+/mapping/$"))
        shot(page, "import-mapping")
        page.click("button[name=action][value=dry_run]")
        page.wait_for_url(re.compile(r"/data/import/\d+/$"))
        deadline = time.time() + 60
        while page.locator("#import-progress[hx-get]").count() and time.time() < deadline:
            page.wait_for_timeout(500)
        if page.locator("#import-progress[hx-get]").count():
            print("The import did not finish: is `guanxi worker` running?", file=sys.stderr)
        shot(page, "import-dry-run")

        # 11. Delete a customer, then the recycle bin.
        page.goto(f"{BASE_URL}/customers/?owner=me")
        page.locator("#customer-results tbody tr a").nth(3).click()
        page.wait_for_url(re.compile(r"/customers/\d+/$"))
        page.click("button[data-bs-target='#delete-modal']")
        page.locator("#delete-modal button[type=submit]").click()
        page.wait_for_url(f"{BASE_URL}/customers/")
        page.goto(f"{BASE_URL}/settings/recycle-bin/customer/")
        shot(page, "recycle-bin")
        ctx.close()

        # 12. People and departments (administrator), Chinese.
        ctx = new_context(browser)
        page = login(ctx, "admin")
        page.goto(f"{BASE_URL}/settings/people/")
        shot(page, "people")
        ctx.close()

        # 13-14. English: the audit trail and personal API tokens.
        ctx = new_context(browser, lang="en-US")
        page = login(ctx, "admin", lang="en")
        page.goto(f"{BASE_URL}/settings/audit/")
        shot(page, "audit-trail-en")
        page.goto(f"{BASE_URL}/settings/tokens/")
        page.fill("#id_name", "ERP sync")
        page.locator("#id_name").evaluate("e => e.form.requestSubmit()")
        expect(page.get_by_test_id("new-token")).to_be_visible()
        shot(page, "api-tokens-en")
        ctx.close()

        # 15-16. Phone size: the home page and a pinyin search.
        ctx = new_context(browser, phone=True)
        page = login(ctx, "rep")
        shot(page, "phone-home")
        page.goto(f"{BASE_URL}/customers/?q=zhangs")
        shot(page, "phone-search")
        ctx.close()


SALES_MARK = "DOCSHOT"  # external ids of the leads this script imports; importing them again updates them
CAMPAIGN = "2025 春季华东办公用品展"


def leads_csv(campaign: str) -> Path:
    """A dozen leads from a trade show and the website, as UTF-8 CSV with external ids (re-runnable)."""
    rows = [
        ("王志刚", "杭州西湖明远贸易有限公司", "采购经理", "13958012345", "wangjg@mingyuan.cn", "浙江", "杭州", "批发零售", "展会", 80, "rep"),
        ("李秀英", "苏州吴中恒达精密机械有限公司", "行政主管", "13912870021", "", "江苏", "苏州", "机械制造", "展会", 65, "rep"),
        ("钱晓静", "上海浦东云帆信息科技有限公司", "办公室主任", "13601775566", "chenjing@yunfan.com", "上海", "上海", "软件", "网页表单", 90, ""),
        ("赵磊", "南京鼓楼博雅教育咨询有限公司", "总经理", "13770561234", "", "江苏", "南京", "教育", "展会", 40, "rep"),
        ("刘洋", "宁波北仑港通物流有限公司", "采购专员", "13586623380", "liuyang@gangtong.cn", "浙江", "宁波", "物流", "电话咨询", 55, "rep_east2"),
        ("孙丽", "合肥高新瑞康医疗器械有限公司", "行政经理", "18955102468", "", "安徽", "合肥", "医疗", "展会", 70, ""),
        ("周涛", "无锡新吴华晟电子有限公司", "采购主管", "13961875309", "zhoutao@huasheng.cn", "江苏", "无锡", "电子", "展会", 35, "rep_east3"),
        ("吴美芳", "温州鹿城金瓯鞋业有限公司", "财务经理", "13736782211", "", "浙江", "温州", "制造", "转介绍", 60, "rep"),
        ("郑凯", "常州武进天宁建材有限公司", "总经理助理", "13915078866", "", "江苏", "常州", "建材", "展会", 25, ""),
        ("冯雪", "嘉兴南湖禾丰食品有限公司", "行政专员", "13867354420", "fengxue@hefeng.cn", "浙江", "嘉兴", "食品", "网页表单", 50, "rep_east2"),
        ("何伟", "上海闵行启航广告有限公司", "创意总监", "13816620937", "", "上海", "上海", "广告", "展会", 75, "rep"),
        ("许婷", "绍兴柯桥锦绣纺织有限公司", "采购经理", "13757531109", "xuting@jinxiu.cn", "浙江", "绍兴", "纺织", "展会", 45, ""),
    ]
    lines = ["外部编号,姓名,公司,职位,手机,邮箱,省份,城市,行业,来源,评分,负责人,活动"]
    for i, (name, company, title, mobile, email, province, city, industry, _source, score, owner) in enumerate(rows, 1):
        lines.append(f"{SALES_MARK}-{i:02d},{name},{company},{title},{mobile},{email},{province},{city},{industry},"
                     f",{score},{owner},{campaign}")
    path = Path(tempfile.mkdtemp()) / "展会线索.csv"
    path.write_text("\r\n".join(lines), encoding="utf-8-sig")
    return path


def sales_shots(browser: Browser) -> None:
    """The sales pages: leads, public form, board, forecast, targets, public pool, handover."""
    # Administrator: switch recycling on for the company pool (so the pool card shows the days left),
    # make sure the show campaign exists, import its leads, then the pool settings and handover pages.
    ctx = new_context(browser)
    page = login(ctx, "admin")
    page.goto(f"{BASE_URL}/sales/settings/pools/")
    page.locator("table a[href*='/sales/settings/pools/']").first.click()
    page.wait_for_url(re.compile(r"/sales/settings/pools/\d+/$"))
    if not page.locator("#id_department").input_value():  # the company-wide pool
        page.fill("#id_name", "公司公海")
    page.check("#id_is_active")
    page.fill("#id_no_follow_up_days", "30")
    page.uncheck("#id_exempt_open_opportunity")  # so a customer with an open deal shows its days left too
    page.locator("#id_name").evaluate("e => e.form.requestSubmit()")
    page.wait_for_url(f"{BASE_URL}/sales/settings/pools/")
    shot(page, "settings-pools")

    page.goto(f"{BASE_URL}/sales/campaigns/")
    if not page.get_by_role("link", name=CAMPAIGN).count():
        page.goto(f"{BASE_URL}/sales/campaigns/new/")
        page.fill("#id_name", CAMPAIGN)
        page.select_option("#id_kind", index=1)
        today = datetime.date.today()
        page.fill("#id_starts_on", (today - datetime.timedelta(days=20)).isoformat())
        page.fill("#id_ends_on", (today + datetime.timedelta(days=60)).isoformat())
        page.locator("#id_name").evaluate("e => e.form.requestSubmit()")
        page.wait_for_url(re.compile(r"/sales/campaigns/\d+/$"))
    else:
        page.get_by_role("link", name=CAMPAIGN).first.click()
        page.wait_for_url(re.compile(r"/sales/campaigns/\d+/$"))
    campaign_id = re.search(r"/campaigns/(\d+)/$", page.url).group(1)

    page.goto(f"{BASE_URL}/sales/leads/import/")
    page.set_input_files("input[name=file]", str(leads_csv(CAMPAIGN)))
    page.click("form button[type=submit].btn-primary")
    page.wait_for_url(re.compile(r"/sales/leads/import/[^/]+/$"))
    page.check("input[name=confirm_duplicates]")
    page.click("button[name=action][value=import]")
    page.wait_for_load_state("networkidle")

    page.goto(f"{BASE_URL}/sales/handover/")
    leaving = page.locator("[data-testid=from-user] option", has_text="陈静").first.get_attribute("value")
    page.select_option("[data-testid=from-user]", leaving)  # rep_south (陈静) is leaving
    expect(page.get_by_test_id("handover-preview")).not_to_be_empty()
    page.wait_for_load_state("networkidle")
    shot(page, "handover")
    ctx.close()

    # The public web form of the campaign, as a visitor sees it (no login).
    ctx = new_context(browser)
    page = ctx.new_page()
    page.goto(f"{BASE_URL}/sales/forms/lead/?campaign={campaign_id}")
    shot(page, "public-lead-form")
    ctx.close()

    # Sales manager: leads, the duplicate check, the board, the forecast, performance.
    ctx = new_context(browser)
    page = login(ctx, "manager")
    page.goto(f"{BASE_URL}/sales/leads/")
    shot(page, "leads")

    page.goto(f"{BASE_URL}/sales/leads/new/")
    page.fill("#id_name", "王先生")
    page.fill("#id_company", "杭州西湖明远贸易有限公司")
    page.fill("#id_mobile", "139 5801 2345")
    page.locator("#id_mobile").dispatch_event("change")
    expect(page.get_by_test_id("dup-matches")).to_be_visible()
    shot(page, "lead-duplicate-check")

    page.goto(f"{BASE_URL}/sales/pipeline/board/")
    shot(page, "pipeline-board")

    page.goto(f"{BASE_URL}/sales/forecast/")
    shot(page, "forecast")

    page.goto(f"{BASE_URL}/sales/performance/")
    shot(page, "performance")
    ctx.close()

    # Sales rep: the public pool, and a customer's pool / account-team and opportunities cards.
    ctx = new_context(browser)
    page = login(ctx, "rep")
    page.goto(f"{BASE_URL}/sales/pool/")
    shot(page, "pool")
    # A customer of an open deal whose pool card counts down (customers who have bought are exempt).
    page.goto(f"{BASE_URL}/sales/opportunities/?owner=me&status=open")
    customers = page.locator("table a[href^='/customers/']").evaluate_all("links => links.map(a => a.href)")
    today = datetime.date.today().isoformat()
    for url in list(dict.fromkeys(customers))[:40]:
        page.goto(url)
        expect(page.get_by_test_id("pool-card")).to_be_visible()
        expect(page.get_by_test_id("customer-opportunities")).to_be_visible()
        due = re.search(r"\((\d{4}-\d{2}-\d{2})\)", page.get_by_test_id("recycle-forecast").inner_text())
        if due and due.group(1) > today:  # recycled on a day still to come
            break
    page.wait_for_load_state("networkidle")
    top = page.get_by_test_id("customer-opportunities").evaluate("e => e.getBoundingClientRect().top + scrollY")
    page.evaluate(f"window.scrollTo(0, {top} - 70)")
    shot(page, "customer-sales-cards")
    ctx.close()

    # Phone size: the board (scrolls sideways inside its own box) and the public pool.
    ctx = new_context(browser, phone=True)
    page = login(ctx, "rep")
    page.goto(f"{BASE_URL}/sales/pipeline/board/")
    shot(page, "phone-board")
    page.goto(f"{BASE_URL}/sales/pool/")
    shot(page, "phone-pool")
    ctx.close()


def service_shots(browser: Browser) -> None:
    """The service desk: ticket list with the SLA column, a complaint with its card and the knowledge-base
    suggestions, the knowledge base, the service report, and the survey page on a phone. Sending the survey
    link creates one invitation per run (by link: nothing is e-mailed)."""
    # Agent: their queue, a complaint, the knowledge base.
    ctx = new_context(browser)
    page = login(ctx, "agent")
    page.goto(f"{BASE_URL}/support/?status=open")
    expect(page.get_by_test_id("sla-cell").first).to_be_visible()
    shot(page, "service-tickets")

    page.goto(f"{BASE_URL}/support/?type=complaint&status=open")
    if not page.locator("#ticket-results tbody tr").count():
        page.goto(f"{BASE_URL}/support/?type=complaint")
    page.locator("#ticket-results tbody tr a[href^='/support/']").first.click()
    page.wait_for_url(re.compile(r"/support/\d+/$"))
    expect(page.get_by_test_id("complaint-card")).to_be_visible()
    expect(page.get_by_test_id("kb-suggest")).to_be_visible()
    page.set_viewport_size({"width": 1280, "height": 1480})  # the thread, the suggestions and the complaint card
    shot(page, "service-ticket-complaint")
    page.set_viewport_size(DESKTOP)

    page.goto(f"{BASE_URL}/support/knowledge/?q=退款")
    expect(page.locator("#kb-results")).to_be_visible()
    shot(page, "service-knowledge")
    ctx.close()

    # Service manager: the report, and a survey link to open on a phone.
    ctx = new_context(browser)
    page = login(ctx, "svc_manager")
    page.goto(f"{BASE_URL}/support/reports/service/?period=90")
    page.wait_for_load_state("networkidle")
    page.wait_for_timeout(800)  # the ECharts animations
    page.set_viewport_size({"width": 1280, "height": 1000})
    shot(page, "service-report")
    page.set_viewport_size(DESKTOP)

    page.goto(f"{BASE_URL}/support/surveys/")
    page.locator("tr", has_text="CSAT").locator("a[href$='/send/']").first.click()
    page.wait_for_url(re.compile(r"/support/surveys/\d+/send/$"))
    page.fill("[data-testid=survey-send-form] input[name=q]", "公司")  # fills the customer select (htmx)
    expect(page.locator("#id_customer option:not([value=''])").first).to_be_attached()
    page.select_option("#id_customer", index=1 if page.locator("#id_customer option[value='']").count() else 0)
    page.select_option("#id_channel", "link")
    page.locator("[data-testid=survey-send-form] button[type=submit]").click()
    link = page.get_by_test_id("survey-link").input_value()
    ctx.close()

    ctx = new_context(browser, phone=True)
    page = ctx.new_page()
    page.goto(BASE_URL + re.sub(r"^https?://[^/]+", "", link))
    expect(page.get_by_test_id("survey-form")).to_be_visible()
    page.locator("label[for=score-5]").click()
    shot(page, "phone-survey")
    ctx.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=["customers", "sales", "service"],
                        help="take only the customer, the sales or the service-desk screenshots (default: all)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        if args.only in (None, "customers"):
            customer_shots(browser)
        if args.only in (None, "sales"):
            sales_shots(browser)
        if args.only in (None, "service"):
            service_shots(browser)
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
