"""The service-desk benchmark's data (bench/bench_support.py): teams, customers, 1,000,000 tickets with their SLA
clocks, 10,000 approved knowledge-base articles.

The data's "now" (the anchor) is the admin's `date_joined`, taken when the build starts: the SLA fields are what
the clock and the check job would have written by then, so a check run at the anchor finds nothing to do and one
run later finds the clocks that crossed a warning or due time in between.
"""

from __future__ import annotations

import datetime
import random
from typing import Any

from bench.support_texts import PRODUCTS, TICKET_SUBJECTS, article_text

TEAMS, AGENTS_PER_TEAM = 5, 10
SERVICE_ARTICLES = 200  # written through article_create + version_approve; the rest copied in bulk
PASSWORD = "bench-" + "support"  # scratch logins; the benchmark uses force_login
PRIORITIES = ["low"] * 10 + ["normal"] * 60 + ["high"] * 22 + ["urgent"] * 8
STATUSES = ["closed"] * 80 + ["resolved"] * 12 + ["open"] * 3 + ["new"] * 2 + ["waiting"] * 2 + ["reopened"]


def anchor() -> datetime.datetime:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username="admin").date_joined


def build(*, tickets: int, customers: int, articles: int, seed: int) -> None:
    from django.db import connection, transaction

    from guanxi.support.demo_defaults import china_holidays_2026, default_sla_policies
    from guanxi.support.models import Holiday, SlaPolicy

    rng = random.Random(seed)
    with transaction.atomic():
        admin, teams = _staff()
        Holiday.objects.bulk_create(china_holidays_2026())
        policies = SlaPolicy.objects.bulk_create(default_sla_policies())
    now = admin.date_joined
    customer_ids = _customers(rng, customers)
    print(f"  {len(customer_ids):,} customers", flush=True)
    _tickets(rng, tickets, now, customer_ids, teams, policies)
    build_articles(rng, admin, articles, now)
    with connection.cursor() as c:  # what autovacuum would have done by now
        c.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


def _staff() -> tuple[Any, list[tuple[Any, list[Any]]]]:
    from guanxi.governance.models import Department, Role
    from guanxi.governance.services import employee_create

    admin = employee_create(actor=None, username="admin", password=PASSWORD, role=Role.ADMIN,
                            first_name="管理员", is_superuser=True).user
    teams = []
    for t in range(TEAMS):
        dept = Department.objects.create(name=f"客服{t + 1}组")
        employee_create(actor=admin, username=f"lead{t}", password=PASSWORD, role=Role.SERVICE_MANAGER,
                        department=dept, first_name=f"组长{t}", email=f"lead{t}@bench.example")
        agents = [employee_create(actor=admin, username=f"agent{t}_{i}", password=PASSWORD, role=Role.SERVICE_AGENT,
                                  department=dept, first_name=f"客服{t}{i}", email=f"agent{t}_{i}@bench.example").user
                  for i in range(AGENTS_PER_TEAM)]
        teams.append((dept, agents))
    return admin, teams


def _customers(rng: random.Random, count: int) -> list[int]:
    from guanxi.core.text import company_key, pinyin_keys
    from guanxi.customers.models import Customer

    batch = []
    for i in range(count):
        name = f"{rng.choice('华信达恒泰瑞丰源宏鑫')}{rng.choice('科创新联合通盛博远')}商贸有限公司{i}"
        full, initials = pinyin_keys(name)
        batch.append(Customer(name=name, kind=Customer.Kind.COMPANY, name_key=company_key(name),
                              search_pinyin=full, search_initials=initials))
    Customer.objects.bulk_create(batch, batch_size=5000)
    return list(Customer.objects.values_list("pk", flat=True))


def _clock(rng: random.Random, status: str, created: datetime.datetime, policy: Any, now: datetime.datetime,
           book: Any) -> dict[str, Any]:
    """The SLA fields the clock and the check job would have written by `now`."""
    from guanxi.support.services.business_hours import add_business_minutes

    minutes = datetime.timedelta(minutes=1)
    running = status in ("new", "open", "waiting", "reopened")
    if not running:  # history: wall-clock approximations are enough (nothing reads them here)
        frt_due = created + policy.first_response_minutes * 2.5 * minutes
        res_due = created + policy.resolution_minutes * 2.5 * minutes
        responded = created + rng.randint(5, policy.first_response_minutes * 3) * minutes
        resolved = created + rng.randint(30, policy.resolution_minutes * 3) * minutes
        frt_late, res_late = responded > frt_due, resolved > res_due
        return {"first_response_due": frt_due, "resolution_due": res_due, "first_responded_at": responded,
                "resolved_at": resolved, "closed_at": resolved + datetime.timedelta(days=3) if status == "closed"
                else None, "first_response_breached": frt_late, "resolution_breached": res_late,
                "sla_state": "breached" if frt_late or res_late else "met"}
    frt_due = add_business_minutes(created, policy.first_response_minutes, policy, book)
    res_due = add_business_minutes(created, policy.resolution_minutes, policy, book)
    responded = None
    if status != "new" and rng.random() < 0.8:
        responded = min(now, created + rng.randint(5, max(10, policy.first_response_minutes * 2)) * minutes)
    paused = now - rng.randint(10, 4000) * minutes if status == "waiting" else None
    moment = paused or now
    frt_late = (responded or moment) > frt_due
    res_late = moment > res_due
    fields = {"first_response_due": frt_due, "resolution_due": res_due, "first_responded_at": responded,
              "sla_paused_at": paused, "first_response_breached": frt_late, "resolution_breached": res_late}
    if paused:
        fields["sla_state"] = "paused"
    elif frt_late or res_late:
        fields["sla_state"] = "breached"
        fields["escalated_at"] = min(d for d, late in ((frt_due, frt_late), (res_due, res_late)) if late)
    else:
        edge = add_business_minutes(now, policy.warning_minutes, policy, book)
        dues = [res_due] + ([frt_due] if responded is None else [])
        fields["sla_state"] = "at_risk" if min(dues) <= edge else "on_track"
    return fields


def _tickets(rng: random.Random, count: int, now: datetime.datetime, customer_ids: list[int],
             teams: list[tuple[Any, list[Any]]], policies: list[Any]) -> None:
    from guanxi.support.models import Ticket
    from guanxi.support.services.business_hours import HolidayBook

    book = HolidayBook()
    by_priority: dict[str, list[Any]] = {}
    for p in policies:
        by_priority.setdefault(p.priority, []).append(p)
    created_field = Ticket._meta.get_field("created_at")
    created_field.auto_now_add = False  # type: ignore[attr-defined]  # the tickets' real opening times
    batch: list[Any] = []
    try:
        for n in range(count):
            status = rng.choice(STATUSES)
            running = status in ("new", "open", "waiting", "reopened")
            # Running tickets: mostly opened in the last ten days, some older ones long overdue; history: two years.
            age = (rng.randint(0, 14_400) if rng.random() < 0.85 else rng.randint(14_400, 86_400)) if running \
                else rng.randint(14_400, 1_051_200)
            created = now - datetime.timedelta(minutes=age, seconds=rng.randint(0, 59))
            priority = rng.choice(PRIORITIES)
            policy = rng.choice(by_priority[priority]) if rng.random() < 0.15 else by_priority[priority][0]
            dept, agents = rng.choice(teams)
            batch.append(Ticket(
                number=f"B{n:012d}", created_at=created, type=rng.choice(Ticket.Type.values), priority=priority,
                channel=rng.choice(Ticket.Channel.values), customer_id=rng.choice(customer_ids),
                subject=rng.choice(TICKET_SUBJECTS), status=status, team=dept,
                assignee=rng.choice(agents) if rng.random() < 0.97 else None, sla_policy=policy,
                reopen_count=1 if status == "reopened" else 0,
                **_clock(rng, status, created, policy, now, book)))
            if len(batch) == 10_000:
                Ticket.objects.bulk_create(batch)
                batch = []
                if (n + 1) % 100_000 == 0:
                    print(f"  {n + 1:,} tickets", flush=True)
        Ticket.objects.bulk_create(batch)
    finally:
        created_field.auto_now_add = True  # type: ignore[attr-defined]


def build_articles(rng: random.Random, admin: Any, count: int, now: datetime.datetime) -> None:
    """`count` approved articles: the first SERVICE_ARTICLES through the services (their search text is the
    service's own), the rest bulk-created with the same search_text builder (the SQLite FTS5 table is kept by
    triggers, PostgreSQL's GIN indexes by the database: bulk rows are indexed as well)."""
    from django.db import transaction

    from guanxi.customers.models import Product
    from guanxi.support.knowledge_search import build_search_text
    from guanxi.support.models import Article, ArticleVersion
    from guanxi.support.services.knowledge import article_create, version_approve

    products = {name: Product.objects.create(sku=f"BENCH-{code}", name=name, category="家电")
                for name, code in PRODUCTS}
    for _ in range(min(count, SERVICE_ARTICLES)):
        data: dict[str, Any] = article_text(rng)
        data["product"] = products[data["product"]]
        article = article_create(actor=admin, data=data, submit=True)
        version_approve(actor=admin, version=article.versions.get(), now=now)
    rest = []
    for _ in range(count - SERVICE_ARTICLES):
        data = article_text(rng)
        product = products[data.pop("product")]
        rest.append(Article(**data, product=product, status=Article.Status.APPROVED, current_version=1,
                            approved_by=admin, approved_at=now, created_by=admin, use_count=rng.randint(0, 500),
                            version=2, search_text=build_search_text(**data, product=product.name)))
    with transaction.atomic():
        for start in range(0, len(rest), 1000):
            chunk = Article.objects.bulk_create(rest[start:start + 1000])
            ArticleVersion.objects.bulk_create([
                ArticleVersion(article=a, number=1, title=a.title, answer=a.answer, category=a.category, tags=a.tags,
                               status=ArticleVersion.Status.APPROVED, edited_by=admin, reviewed_by=admin,
                               reviewed_at=now) for a in chunk])
    print(f"  {Article.objects.filter(status=Article.Status.APPROVED).count():,} approved articles", flush=True)
