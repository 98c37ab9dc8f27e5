"""Realistic Chinese-SME data as plain rows: shared by `load_demo` and `bench/datagen.py`.

Nothing here touches the database. The generator yields batches of row dicts keyed by
model attribute names; a writer (see `writer.py`) turns them into INSERTs or COPY.
Every value is valid for its model (credit codes carry a correct check digit, mobiles are
E.164 CN numbers, search keys are what the services would compute), so `full_clean()`
passes on any row.

Customers follow a repeat-purchase process (in the spirit of BG/NBD): each has its own
purchase rate (gamma-distributed across customers), an acquisition date and, for some,
a drop-out date after which they buy no more; order amounts are lognormal around a
customer-specific mean.
"""

from __future__ import annotations

import math
import random
import string
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from faker import Faker
from stdnum.cn import uscc

from guanxi.core.text import company_key, pinyin_keys

# (province, city, administrative division code, landline area code, region)
CITIES: list[tuple[str, str, str, str, str]] = [
    ("上海市", "上海市", "310000", "021", "east"),
    ("江苏省", "南京市", "320100", "025", "east"),
    ("江苏省", "苏州市", "320500", "0512", "east"),
    ("江苏省", "无锡市", "320200", "0510", "east"),
    ("浙江省", "杭州市", "330100", "0571", "east"),
    ("浙江省", "宁波市", "330200", "0574", "east"),
    ("山东省", "青岛市", "370200", "0532", "east"),
    ("山东省", "济南市", "370100", "0531", "east"),
    ("安徽省", "合肥市", "340100", "0551", "east"),
    ("广东省", "广州市", "440100", "020", "south"),
    ("广东省", "深圳市", "440300", "0755", "south"),
    ("广东省", "东莞市", "441900", "0769", "south"),
    ("广东省", "佛山市", "440600", "0757", "south"),
    ("福建省", "厦门市", "350200", "0592", "south"),
    ("福建省", "福州市", "350100", "0591", "south"),
    ("广西壮族自治区", "南宁市", "450100", "0771", "south"),
    ("北京市", "北京市", "110000", "010", "other"),
    ("天津市", "天津市", "120000", "022", "other"),
    ("四川省", "成都市", "510100", "028", "other"),
    ("重庆市", "重庆市", "500000", "023", "other"),
    ("湖北省", "武汉市", "420100", "027", "other"),
    ("湖南省", "长沙市", "430100", "0731", "other"),
    ("河南省", "郑州市", "410100", "0371", "other"),
    ("陕西省", "西安市", "610100", "029", "other"),
]
CITY_WEIGHTS = [9, 4, 5, 3, 6, 3, 3, 2, 2, 6, 8, 3, 3, 2, 2, 1, 7, 2, 4, 3, 3, 2, 2, 2]

INDUSTRIES: list[tuple[str, list[str]]] = [
    ("制造业", ["机械", "精密制造", "电子", "模具", "五金"]),
    ("批发零售", ["商贸", "贸易", "百货", "供应链"]),
    ("餐饮", ["餐饮管理", "食品", "餐饮"]),
    ("信息技术", ["科技", "信息技术", "网络科技", "软件"]),
    ("教育培训", ["教育科技", "培训", "文化传播"]),
    ("医疗健康", ["医疗器械", "生物科技", "健康管理"]),
    ("建筑工程", ["建设工程", "装饰工程", "建材"]),
    ("物流运输", ["物流", "货运代理", "供应链管理"]),
    ("电子商务", ["电子商务", "网络科技"]),
    ("农业", ["农业科技", "生态农业"]),
]
SOURCES = ["展会", "老客户介绍", "官网咨询", "电话营销", "搜索推广", "微信公众号", "抖音", "地推", "渠道伙伴"]
SOURCE_WEIGHTS = [10, 18, 14, 12, 10, 12, 8, 6, 10]
CHURN_REASONS = ["价格原因转向竞争对手", "业务收缩", "对售后服务不满意", "需求变化", "联系人离职", "公司注销"]
TITLES = ["总经理", "采购经理", "采购专员", "财务主管", "行政主管", "技术总监", "运营经理", "店长", "老板"]
CN_MOBILE_PREFIXES = [
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "153", "155",
    "156", "157", "158", "159", "166", "177", "180", "181", "182", "183", "185", "186", "187", "188",
    "189", "191", "198", "199",
]
EMAIL_DOMAINS = ["qq.com", "163.com", "126.com", "sina.com", "foxmail.com"]

INTERACTION_CHANNELS = ["phone", "visit", "email", "sms", "wechat", "chat", "meeting", "event", "note"]
INTERACTION_WEIGHTS = [30, 10, 8, 4, 28, 6, 5, 3, 6]
SUMMARIES: dict[str, list[str]] = {
    "phone": ["电话沟通采购需求", "电话回访使用情况", "电话确认报价", "电话催款", "来电咨询产品价格"],
    "visit": ["上门拜访，介绍新品", "拜访客户，了解年度计划", "现场演示产品", "陪同技术上门调试"],
    "email": ["发送报价单", "邮件发送合同草稿", "邮件确认发货时间", "发送产品资料"],
    "sms": ["短信提醒续费", "短信通知活动优惠", "短信确认到货"],
    "wechat": ["微信沟通需求细节", "微信发送报价单", "微信群答疑", "微信确认订单", "朋友圈互动"],
    "chat": ["在线客服咨询退换货", "在线咨询发票问题", "在线咨询物流进度"],
    "meeting": ["年度合作洽谈会", "季度业务复盘", "商务谈判"],
    "event": ["参加新品发布会", "参加行业展会", "参加客户答谢会"],
    "note": ["备注：客户预算有限", "备注：关键决策人是总经理", "备注：明年初有扩产计划"],
}
CONTENT_SNIPPETS = [
    "客户对价格比较敏感，希望有批量折扣。",
    "对方表示下季度会有新的采购计划。",
    "需要提供增值税专用发票。",
    "客户反馈上次发货有延迟，已致歉并说明原因。",
    "约好下周再次沟通具体数量。",
    "客户对售后服务满意，愿意介绍同行。",
    "",
]
ORDER_CHANNELS = ["store", "online", "phone", "sales", "distributor", "wechat"]
ORDER_CHANNEL_WEIGHTS = [15, 25, 8, 30, 10, 12]

ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
ORG_ALPHABET = string.digits + string.ascii_uppercase


def organization_code(rng: random.Random) -> str:
    """A 9-character organisation code (GB 11714) with its own check character."""
    body = "".join(rng.choice(string.digits) for _ in range(8))
    total = sum(ORG_ALPHABET.index(c) * w for c, w in zip(body, ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return body + ("X" if check == 10 else "0" if check == 11 else str(check))


def credit_code(rng: random.Random, division: str) -> str:
    """A unified social credit code (统一社会信用代码) with a correct check digit."""
    body = "91" + division + organization_code(rng)
    return body + uscc.calc_check_digit(body)


def cn_mobile(rng: random.Random) -> str:
    """A valid mainland mobile number in E.164."""
    return f"+86{rng.choice(CN_MOBILE_PREFIXES)}{rng.randrange(10**8):08d}"


def spaced_mobile(e164: str) -> str:
    """+8613800138000 -> '138 0013 8000' (how people type it)."""
    d = e164[3:]
    return f"{d[:3]} {d[3:7]} {d[7:]}"


def poisson(rng: random.Random, lam: float) -> int:
    if lam <= 0:
        return 0
    if lam > 30:
        return max(0, round(rng.gauss(lam, math.sqrt(lam))))
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


@dataclass
class StaffMember:
    user_id: int
    department_id: int | None
    region: str  # east / south / other / service
    role: str


@dataclass
class ProductRow:
    id: int
    name: str
    price: Decimal
    cost: Decimal


@dataclass
class Batch:
    """Rows for one batch of customers, by table key."""

    rows: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, table: str, row: dict[str, Any]) -> None:
        self.rows.setdefault(table, []).append(row)

    def count(self, table: str) -> int:
        return len(self.rows.get(table, []))


@dataclass
class Counters:
    customer: int = 1
    contact: int = 1
    order: int = 1
    interaction: int = 1


class Generator:
    """Makes customers and everything hanging off them, in batches."""

    def __init__(self, *, seed: int, now: datetime, staff: list[StaffMember], products: list[ProductRow],
                 tag_ids: list[int] | None = None, order_lines: bool = True, duplicate_rate: float = 0.02,
                 pool_rate: float = 0.03) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.staff = staff
        self.products = products
        self.tag_ids = tag_ids or []
        self.order_lines = order_lines
        self.duplicate_rate = duplicate_rate
        self.pool_rate = pool_rate
        self.reps_by_region: dict[str, list[StaffMember]] = {}
        for s in staff:
            if s.role in {"sales_rep", "sales_manager"}:
                self.reps_by_region.setdefault(s.region, []).append(s)
        self.all_reps = [s for s in staff if s.role in {"sales_rep", "sales_manager"}] or staff
        self.agents = [s for s in staff if s.role in {"service_agent", "service_manager"}] or self.all_reps
        faker = Faker("zh_CN")
        faker.seed_instance(seed)
        self.surnames = [faker.last_name() for _ in range(300)]
        self.given = [faker.first_name_male() for _ in range(300)] + [faker.first_name_female() for _ in range(300)]
        self.prefixes = sorted({faker.company_prefix() for _ in range(600)})
        self.streets = [faker.street_name() for _ in range(200)]
        self._keys: dict[str, tuple[str, str]] = {}
        self.order_seq = 0

    # -- small helpers --------------------------------------------------------------------------
    def keys(self, text: str) -> tuple[str, str]:
        found = self._keys.get(text)
        if found is None:
            if len(self._keys) > 200_000:
                self._keys.clear()
            found = self._keys[text] = pinyin_keys(text)
        return found

    def search_keys(self, name: str, short_name: str) -> tuple[str, str]:
        """The same keys customer services compute (`_apply_search_keys`)."""
        full, initials = self.keys(name)
        if short_name:
            short_full, short_initials = self.keys(short_name)
            if short_full and not full.startswith(short_full):
                return f"{full}|{short_full}"[:255], f"{initials}|{short_initials}"[:100]
        return full, initials

    def person_name(self) -> str:
        return self.rng.choice(self.surnames) + self.rng.choice(self.given)

    def when(self, start: datetime, end: datetime) -> datetime:
        span = max(1.0, (end - start).total_seconds())
        moment = start + timedelta(seconds=self.rng.random() * span)
        # Office hours in China (01:00-10:59 UTC is 09:00-18:59 in Asia/Shanghai).
        moment = moment.replace(hour=self.rng.randint(1, 10), minute=self.rng.randrange(60), second=0,
                                microsecond=0)
        return min(max(moment, start), end)

    def birthday(self, lo: int = 22, hi: int = 65) -> date:
        today = self.now.date()
        return today - timedelta(days=self.rng.randint(lo * 365, hi * 365))

    def owner_for(self, region: str) -> StaffMember | None:
        if self.rng.random() < self.pool_rate:
            return None
        reps = self.reps_by_region.get(region) if self.rng.random() < 0.85 else None
        return self.rng.choice(reps or self.all_reps)

    # -- customers --------------------------------------------------------------------------------
    def company(self) -> dict[str, Any]:
        province, city, division, area, region = self.rng.choices(CITIES, CITY_WEIGHTS)[0]
        industry, words = self.rng.choice(INDUSTRIES)
        prefix = self.rng.choice(self.prefixes)
        city_short = city.rstrip("市")
        name = f"{city_short}{prefix}{self.rng.choice(words)}有限公司"
        return {
            "kind": "company", "name": name, "short_name": prefix, "credit_code": credit_code(self.rng, division),
            "industry": industry, "province": province, "city": city,
            "address": f"{city}{self.rng.choice(self.streets)}{self.rng.randint(1, 999)}号",
            "birthday": None, "_region": region, "_area": area,
        }

    def individual(self) -> dict[str, Any]:
        province, city, _division, area, region = self.rng.choices(CITIES, CITY_WEIGHTS)[0]
        return {
            "kind": "individual", "name": self.person_name(), "short_name": "", "credit_code": "",
            "industry": "", "province": province, "city": city,
            "address": f"{city}{self.rng.choice(self.streets)}{self.rng.randint(1, 999)}号",
            "birthday": self.birthday(), "_region": region, "_area": area,
        }

    def contact(self, customer: dict[str, Any], ids: Counters, *, name: str | None = None,
                primary: bool = False, mobile: str | None = None, phone: str = "") -> dict[str, Any]:
        name = name or self.person_name()
        mobile = mobile or cn_mobile(self.rng)
        full, _ = self.keys(name)
        email = ""
        if self.rng.random() < 0.6:
            email = f"{full or 'user'}{self.rng.randint(1, 9999)}@{self.rng.choice(EMAIL_DOMAINS)}"
        wechat = f"{(full or 'wx')[:12]}_{self.rng.randint(100, 99999)}" if self.rng.random() < 0.7 else ""
        if not phone and customer["kind"] == "company" and self.rng.random() < 0.4:
            phone = f"{customer['_area']}-{self.rng.randint(2, 8)}{self.rng.randrange(10**6, 10**7)}"
        row = {
            "id": ids.contact, "customer_id": customer["id"], "name": name,
            "title": self.rng.choice(TITLES) if customer["kind"] == "company" else "",
            "mobile": mobile, "mobile_last4": mobile[-4:], "phone": phone[:30], "email": email,
            "wechat": wechat, "birthday": self.birthday() if self.rng.random() < 0.3 else None,
            "is_primary": primary, "created_at": customer["created_at"], "updated_at": customer["created_at"],
        }
        ids.contact += 1
        return row

    def customers(self, *, count: int, ids: Counters, batch_size: int = 1000,
                  orders_total: int | None = None, interactions_total: int | None = None,
                  interaction_years: float = 2.0) -> Iterator[Batch]:
        """Yield batches for `count` customers.

        Without totals, each customer's order and follow-up counts come from its own rates
        (about 5 orders and 4 follow-ups on average). With totals, the rates are scaled as
        generation goes so the totals are met (bench mode).
        """
        made = orders_made = interactions_made = 0
        while made < count:
            batch = Batch()
            in_batch = 0
            while in_batch < batch_size and made < count:
                in_batch += 1
                remaining = count - made
                order_mean = (orders_total - orders_made) / remaining if orders_total is not None else None
                inter_mean = (
                    (interactions_total - interactions_made) / remaining if interactions_total is not None else None
                )
                last = remaining == 1
                o, i = self.one_customer(batch, ids, order_mean=order_mean, interaction_mean=inter_mean,
                                         exact_orders=(orders_total - orders_made) if last and orders_total else None,
                                         exact_interactions=(interactions_total - interactions_made)
                                         if last and interactions_total else None,
                                         interaction_years=interaction_years)
                orders_made += o
                interactions_made += i
                made += 1
                if self.rng.random() < self.duplicate_rate and made < count and batch.rows.get("customer"):
                    self.near_duplicate(batch, ids)
                    made += 1
                    in_batch += 1
            yield batch

    def one_customer(self, batch: Batch, ids: Counters, *, order_mean: float | None = None,
                     interaction_mean: float | None = None, exact_orders: int | None = None,
                     exact_interactions: int | None = None, interaction_years: float = 2.0) -> tuple[int, int]:
        rng = self.rng
        row = self.company() if rng.random() < 0.7 else self.individual()
        row["id"] = ids.customer
        ids.customer += 1
        owner = self.owner_for(row["_region"])
        acquired = self.now - timedelta(days=rng.uniform(1, 3 * 365))
        row["created_at"] = acquired
        # Repeat purchase: rate per year (gamma across customers), possible drop-out.
        rate = rng.gammavariate(1.5, 2.0)
        dropped = rng.random() < 0.25
        end = acquired + timedelta(days=rng.expovariate(1 / 400)) if dropped else self.now
        end = min(end, self.now)
        years = max(0.0, (end - acquired).days / 365)
        if exact_orders is not None:
            n_orders = max(0, exact_orders)
        elif order_mean is not None:
            n_orders = poisson(rng, order_mean * rng.gammavariate(0.9, 1 / 0.9))
        else:
            n_orders = 0 if rng.random() < 0.06 else poisson(rng, rate * years)
        spend = rng.lognormvariate(math.log(1800 if row["kind"] == "company" else 400), 0.8)
        order_times = sorted(self.when(acquired, end) for _ in range(n_orders))
        for at in order_times:
            self.order(batch, ids, row, owner, at, spend)
        # Lifecycle from behaviour.
        last_order = order_times[-1] if order_times else None
        if last_order is None:
            lifecycle = "prospect"
        elif dropped and (self.now - last_order).days > 365:
            lifecycle = "churned"
        elif (self.now - last_order).days > 180:
            lifecycle = "dormant"
        else:
            lifecycle = "won_back" if rng.random() < 0.04 else "active"
        full, initials = self.search_keys(row["name"], row["short_name"])
        region, area = row.pop("_region"), row.pop("_area")
        row.update({
            "source": rng.choices(SOURCES, SOURCE_WEIGHTS)[0], "lifecycle": lifecycle,
            "churn_reason": rng.choice(CHURN_REASONS) if lifecycle == "churned" else "",
            "owner_id": owner.user_id if owner else None,
            "department_id": owner.department_id if owner else None,
            "created_by_id": owner.user_id if owner else None,
            "search_pinyin": full, "search_initials": initials, "name_key": company_key(row["name"]), "notes": "",
        })
        # Contacts.
        if row["kind"] == "individual":
            contacts = [self.contact(row | {"_area": area}, ids, name=row["name"], primary=True)]
        else:
            k = rng.choices([1, 2, 3], [50, 35, 15])[0]
            contacts = [self.contact(row | {"_area": area}, ids, primary=(j == 0)) for j in range(k)]
        for c in contacts:
            batch.add("contact", c)
        # Follow-ups over the past `interaction_years` (after the customer appeared).
        since = max(acquired, self.now - timedelta(days=365 * interaction_years))
        if exact_interactions is not None:
            n_inter = max(0, exact_interactions)
        elif interaction_mean is not None:
            n_inter = poisson(rng, interaction_mean * rng.gammavariate(0.9, 1 / 0.9))
        else:
            n_inter = poisson(rng, 1.0 + min(rate, 8) * 0.8)
        last_at = None
        for _ in range(n_inter):
            at = self.when(since, self.now)
            self.interaction(batch, ids, row, owner, rng.choice(contacts)["id"], at)
            last_at = at if last_at is None or at > last_at else last_at
        row["last_interaction_at"] = last_at
        row["updated_at"] = max(acquired, last_at or acquired, last_order or acquired)
        row["_region"] = region
        batch.add("customer", row)
        if self.tag_ids and rng.random() < 0.3:
            for tag_id in rng.sample(self.tag_ids, k=rng.randint(1, min(2, len(self.tag_ids)))):
                batch.add("customer_tag", {"customer_id": row["id"], "tag_id": tag_id})
        return n_orders, n_inter

    def near_duplicate(self, batch: Batch, ids: Counters) -> None:
        """The same company entered twice: 有限公司 vs 有限责任公司, the mobile typed with spaces."""
        originals = [r for r in batch.rows["customer"] if r["kind"] == "company"]
        if not originals:
            return
        orig = self.rng.choice(originals)
        dup = dict(orig)
        dup["id"] = ids.customer
        ids.customer += 1
        if dup["name"].endswith("有限公司"):
            dup["name"] = dup["name"][: -len("有限公司")] + "有限责任公司"
        else:
            dup["name"] = dup["name"] + "（分公司）"
        if self.rng.random() < 0.5:
            dup["credit_code"] = ""  # entered without the code
        owner = self.owner_for(orig["_region"])
        dup.update({
            "owner_id": owner.user_id if owner else None, "department_id": owner.department_id if owner else None,
            "created_by_id": owner.user_id if owner else None, "lifecycle": "prospect", "churn_reason": "",
            "last_interaction_at": None, "created_at": self.now - timedelta(days=self.rng.uniform(1, 200)),
        })
        dup["updated_at"] = dup["created_at"]
        dup["search_pinyin"], dup["search_initials"] = self.search_keys(dup["name"], dup["short_name"])
        dup["name_key"] = company_key(dup["name"])
        batch.add("customer", dup)
        orig_contact = next((c for c in batch.rows.get("contact", []) if c["customer_id"] == orig["id"]), None)
        if orig_contact:
            batch.add("contact", self.contact(dup | {"_area": "021"}, ids, name=orig_contact["name"], primary=True,
                                              mobile=orig_contact["mobile"],
                                              phone=spaced_mobile(orig_contact["mobile"])))

    # -- orders and follow-ups ----------------------------------------------------------------------
    def order(self, batch: Batch, ids: Counters, customer: dict[str, Any], owner: StaffMember | None,
              at: datetime, spend: float) -> None:
        rng = self.rng
        target = max(20.0, rng.lognormvariate(math.log(spend), 0.5))
        status = rng.choices(["paid", "refunded", "cancelled"], [90, 6, 4])[0]
        self.order_seq += 1
        order_id = ids.order
        ids.order += 1
        total = Decimal("0")
        cost = Decimal("0")
        n_lines = rng.choices([1, 2, 3], [60, 30, 10])[0] if self.products else 0
        for _ in range(n_lines):
            p = rng.choice(self.products)
            qty = max(1, round(target / n_lines / float(p.price))) if p.price else 1
            amount = (p.price * qty).quantize(Decimal("0.01"))
            total += amount
            cost += (p.cost * qty).quantize(Decimal("0.01"))
            if self.order_lines:
                batch.add("order_line", {
                    "order_id": order_id, "product_id": p.id, "description": p.name,
                    "quantity": Decimal(qty), "unit_price": p.price, "amount": amount,
                })
        if not n_lines:
            total = Decimal(f"{target:.2f}")
            cost = (total * Decimal("0.6")).quantize(Decimal("0.01"))
        batch.add("order", {
            "id": order_id, "customer_id": customer["id"],
            "number": f"SO{at:%Y%m%d}{order_id:07d}", "external_source": "", "external_id": None,
            "status": status, "channel": rng.choices(ORDER_CHANNELS, ORDER_CHANNEL_WEIGHTS)[0],
            "ordered_at": at, "total_amount": total, "cost_amount": cost,
            "salesperson_id": owner.user_id if owner else None, "created_at": at, "updated_at": at,
        })

    def interaction(self, batch: Batch, ids: Counters, customer: dict[str, Any], owner: StaffMember | None,
                    contact_id: int, at: datetime) -> None:
        rng = self.rng
        channel = rng.choices(INTERACTION_CHANNELS, INTERACTION_WEIGHTS)[0]
        service = channel in {"chat", "phone"} and rng.random() < 0.3
        staff = rng.choice(self.agents) if service or owner is None else owner
        batch.add("interaction", {
            "id": ids.interaction, "customer_id": customer["id"], "contact_id": contact_id, "channel": channel,
            "direction": "inbound" if service or rng.random() < 0.25 else "outbound",
            "summary": rng.choice(SUMMARIES[channel]), "content": rng.choice(CONTENT_SNIPPETS),
            "occurred_at": at, "staff_id": staff.user_id, "next_follow_up_at": None,
            "created_at": at, "updated_at": at,
        })
        ids.interaction += 1
