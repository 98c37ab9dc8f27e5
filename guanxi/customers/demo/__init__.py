"""The demo data set: a small Chinese company with one login per role and a few thousand customers.

`load_demo()` is idempotent: it refuses to run twice (the summary audit entry marks a
database that already has the demo) and refuses to mix demo rows into a database that
already holds real customers.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.password_validation import validate_password
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from guanxi.governance.models import AuditLog, Department, Role
from guanxi.governance.services import employee_create

from ..models import Customer, Product, Tag
from ..services.orders import product_save
from .generator import Batch, Counters, Generator, ProductRow, StaffMember
from .writer import BulkWriter, next_ids

DEMO_ENTITY = "demo_dataset"
DEMO_PASSWORD = "guanxi-demo-2024"  # noqa: S105 - printed on purpose: the demo logins

# username, role, department key, region, family name, given name
DEMO_USERS: list[tuple[str, str, str | None, str, str, str]] = [
    ("admin", Role.ADMIN, "hq", "other", "王", "建国"),
    ("manager", Role.SALES_MANAGER, "sales", "other", "李", "娜"),
    ("rep", Role.SALES_REP, "east", "east", "张", "伟"),
    ("rep_south", Role.SALES_REP, "south", "south", "陈", "静"),
    ("svc_manager", Role.SERVICE_MANAGER, "service", "service", "刘", "洋"),
    ("agent", Role.SERVICE_AGENT, "service", "service", "杨", "敏"),
    ("marketing", Role.MARKETING, "marketing", "other", "赵", "丽"),
    ("analyst", Role.ANALYST, None, "other", "黄", "磊"),
    # More reps, so ownership and department visibility look like a real team.
    ("rep_east2", Role.SALES_REP, "east", "east", "周", "强"),
    ("rep_east3", Role.SALES_REP, "east", "east", "吴", "芳"),
    ("rep_south2", Role.SALES_REP, "south", "south", "徐", "军"),
]

PRODUCTS: list[tuple[str, str, str, str]] = [
    # name, category, unit, price
    ("A4复印纸（5包/箱）", "办公耗材", "箱", "129.00"),
    ("激光打印机硒鼓", "办公耗材", "个", "268.00"),
    ("中性笔（12支/盒）", "办公耗材", "盒", "24.00"),
    ("多功能一体机", "办公设备", "台", "3299.00"),
    ("碎纸机", "办公设备", "台", "699.00"),
    ("投影仪", "办公设备", "台", "4599.00"),
    ("人体工学办公椅", "办公家具", "把", "1280.00"),
    ("升降办公桌", "办公家具", "张", "2380.00"),
    ("文件柜", "办公家具", "个", "860.00"),
    ("进销存软件年费", "软件服务", "套/年", "3600.00"),
    ("企业邮箱（10用户/年）", "软件服务", "套/年", "1500.00"),
    ("云存储扩容 1TB/年", "软件服务", "份", "980.00"),
    ("设备上门维保（年度）", "服务", "次", "1800.00"),
    ("员工办公软件培训", "培训服务", "场", "4800.00"),
    ("茶叶礼盒", "食品饮料", "盒", "368.00"),
    ("瓶装饮用水（24瓶/箱）", "食品饮料", "箱", "36.00"),
    ("咖啡豆 1kg", "食品饮料", "袋", "158.00"),
    ("商务礼品定制", "礼品", "件", "88.00"),
]
TAGS = ["VIP", "重点客户", "老客户", "价格敏感", "需回访", "潜力客户"]
TASK_TITLES = ["回访客户使用情况", "发送新版报价单", "确认合同条款", "催收尾款", "预约上门拜访", "邀请参加新品发布会",
               "核对发票信息", "跟进样品反馈"]


@dataclass
class DemoResult:
    skipped: bool = False
    message: str = ""
    logins: list[tuple[str, str, str]] = field(default_factory=list)  # username, password, role label
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0


def demo_present() -> bool:
    return AuditLog.objects.filter(entity=DEMO_ENTITY).exists()


def _departments() -> dict[str, Department]:
    hq = Department.objects.create(name="总经办")
    sales = Department.objects.create(name="销售部")
    return {
        "hq": hq,
        "sales": sales,
        "east": Department.objects.create(name="华东区", parent=sales),
        "south": Department.objects.create(name="华南区", parent=sales),
        "service": Department.objects.create(name="客服部"),
        "marketing": Department.objects.create(name="市场部"),
    }


def _tasks(gen: Generator, staff: list[StaffMember], owned: dict[int, list[int]], now: datetime) -> list[dict]:
    """Open, due-today, overdue and done tasks for every demo user who works customers."""
    rng = gen.rng
    rows: list[dict[str, Any]] = []
    today = timezone.localtime(now).replace(hour=10, minute=0, second=0, microsecond=0)
    for s in staff:
        if s.role in {Role.ANALYST, Role.MARKETING, Role.ADMIN}:
            continue
        mine = owned.get(s.user_id) or [cid for ids in owned.values() for cid in ids[:5]]
        plan = [("overdue", 4), ("today", 3), ("upcoming", 6), ("done", 4)]
        for kind, n in plan:
            for _ in range(n):
                if kind == "overdue":
                    due = today - timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 5))
                elif kind == "today":
                    due = today + timedelta(hours=rng.randint(0, 7))
                else:
                    due = today + timedelta(days=rng.randint(-30 if kind == "done" else 1, 14))
                rows.append({
                    "title": rng.choice(TASK_TITLES), "notes": "", "assignee_id": s.user_id, "due_at": due,
                    "customer_id": rng.choice(mine) if mine else None, "created_by_id": s.user_id,
                    "done_at": due if kind == "done" else None,
                    "created_at": min(due, now) - timedelta(days=2), "updated_at": now,
                })
    return rows


def load_demo(*, customers: int = 3000, seed: int = 20240101, force: bool = False) -> DemoResult:
    """Create the demo company and `customers` customers with their history. Idempotent."""
    started = time.monotonic()
    if demo_present():
        return DemoResult(skipped=True, message="Demo data is already loaded; nothing to do.",
                          logins=_logins())
    if not force and Customer._base_manager.exists():
        return DemoResult(skipped=True, message="The database already holds customers; demo data not loaded "
                                                "(use --force to add it anyway).")
    user_model = get_user_model()
    taken = set(user_model.objects.filter(username__in=[u[0] for u in DEMO_USERS]).values_list("username", flat=True))
    if taken:
        return DemoResult(skipped=True, message=f"Users {', '.join(sorted(taken))} already exist; demo data not loaded.")
    validate_password(DEMO_PASSWORD)
    now = timezone.now()
    with transaction.atomic():
        depts = _departments()
        staff: list[StaffMember] = []
        users: dict[str, Any] = {}
        admin = None
        hashed = make_password(DEMO_PASSWORD)  # hash once: eleven PBKDF2 runs would take seconds
        for username, role, dept_key, region, family, given in DEMO_USERS:
            employee = employee_create(
                actor=admin, username=username, password=None, role=role,  # type: ignore[arg-type]
                department=depts[dept_key] if dept_key else None, first_name=given, last_name=family,
                email=f"{username}@demo.guanxi.local", is_superuser=(role == Role.ADMIN),
            )
            user_model.objects.filter(pk=employee.user_id).update(password=hashed)
            if admin is None:
                admin = employee.user
            users[username] = employee.user
            staff.append(StaffMember(employee.user_id, employee.department_id, region, role))
        products = []
        for i, (name, category, unit, price) in enumerate(PRODUCTS, start=1):
            p = product_save(actor=admin, product=Product(), data={
                "sku": f"GX-{i:04d}", "name": name, "category": category, "unit": unit,
                "price": Decimal(price), "cost": (Decimal(price) * Decimal("0.62")).quantize(Decimal("0.01")),
            })
            products.append(ProductRow(p.pk, p.name, p.price, p.cost))
        tag_ids = [Tag.objects.get_or_create(name=t)[0].pk for t in TAGS]

        gen = Generator(seed=seed, now=now, staff=staff, products=products, tag_ids=tag_ids)
        writer = BulkWriter()
        start = next_ids()
        ids = Counters(customer=start["customer"], contact=start["contact"], order=start["order"],
                       interaction=start["interaction"])
        owned: dict[int, list[int]] = {}
        for batch in gen.customers(count=customers, ids=ids, batch_size=1000):
            for row in batch.rows.get("customer", []):
                if row["owner_id"]:
                    owned.setdefault(row["owner_id"], []).append(row["id"])
            writer.write(batch.rows)
        tasks = Batch()
        for row in _tasks(gen, staff, owned, now):
            tasks.add("task", row)
        writer.write(tasks.rows)
        writer.finish()
        counts = {k: v for k, v in writer.counts.items() if v}
        # Other apps add their demo rows through a hook (this app imports none of them).
        for path in getattr(settings, "GUANXI_DEMO_EXTENSIONS", []):
            extra = import_string(path)(users=users, customers=[cid for ids in owned.values() for cid in ids])
            counts.update({k: v for k, v in (extra or {}).items() if v})
        # One summary entry for the bulk rows (each employee and product has its own entry already);
        # it also marks this database as holding the demo.
        AuditLog.objects.create(actor=admin, action=AuditLog.Action.IMPORT, entity=DEMO_ENTITY, object_id="demo",
                                object_repr="演示数据 demo data", changes={"seed": seed, "rows": counts})
    return DemoResult(logins=_logins(), counts=counts, seconds=time.monotonic() - started,
                      message=f"Loaded demo data: {counts.get('customer', 0)} customers.")


def _logins() -> list[tuple[str, str, str]]:
    labels = dict(Role.choices)
    return [(u, DEMO_PASSWORD, str(labels[role])) for u, role, *_ in DEMO_USERS]
