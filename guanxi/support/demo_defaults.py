"""Default SLA policies and the 2026 public-holiday calendar of mainland China, as unsaved objects (the demo
data and a fresh installation save them)."""

from __future__ import annotations

from datetime import date, timedelta

from .models import Holiday, SlaPolicy

DAY = 540  # business minutes in one 09:00-18:00 working day

# name, priority, customer level, first response, resolution, warning (business minutes)
POLICIES: list[tuple[str, str, str, int, int, int]] = [
    ("紧急工单", "urgent", "", 30, 4 * 60, 30),
    ("高优先级工单", "high", "", 60, 2 * DAY, 60),
    ("普通工单", "normal", "", 4 * 60, 5 * DAY, 120),
    ("低优先级工单", "low", "", DAY, 10 * DAY, 240),
    # Key (A-level) customers are answered and served faster.
    ("A 类客户 · 紧急", "urgent", "A", 15, 2 * 60, 15),
    ("A 类客户 · 高优先级", "high", "A", 30, DAY, 30),
    ("A 类客户 · 普通", "normal", "A", 2 * 60, 3 * DAY, 60),
]


def default_sla_policies() -> list[SlaPolicy]:
    """Monday to Friday, 09:00-18:00; a policy for A-level customers beats the one for any level."""
    return [SlaPolicy(name=name, priority=priority, customer_level=level, first_response_minutes=first,
                      resolution_minutes=resolution, warning_minutes=warning, business_start="09:00",
                      business_end="18:00", weekdays="1,2,3,4,5")
            for name, priority, level, first, resolution, warning in POLICIES]


# Check against the State Council notice (国务院办公厅关于2026年部分节假日安排的通知) before relying on it.
# (first day, last day, name) of each holiday period, and the weekend days worked instead (调休上班).
HOLIDAYS_2026: list[tuple[str, str, str]] = [
    ("2026-01-01", "2026-01-03", "元旦"),
    ("2026-02-15", "2026-02-23", "春节"),
    ("2026-04-04", "2026-04-06", "清明节"),
    ("2026-05-01", "2026-05-05", "劳动节"),
    ("2026-06-19", "2026-06-21", "端午节"),
    ("2026-09-25", "2026-09-27", "中秋节"),
    ("2026-10-01", "2026-10-07", "国庆节"),
]
WORKDAYS_2026: list[tuple[str, str]] = [
    ("2026-01-04", "元旦调休上班"),
    ("2026-02-14", "春节调休上班"),
    ("2026-02-28", "春节调休上班"),
    ("2026-05-09", "劳动节调休上班"),
    ("2026-09-20", "国庆节调休上班"),
    ("2026-10-10", "国庆节调休上班"),
]


def china_holidays_2026() -> list[Holiday]:
    """The 2026 holidays and make-up working days, by date."""
    days = []
    for first, last, name in HOLIDAYS_2026:
        day, end = date.fromisoformat(first), date.fromisoformat(last)
        while day <= end:
            days.append(Holiday(date=day, is_workday=False, name=name))
            day += timedelta(days=1)
    days += [Holiday(date=date.fromisoformat(d), is_workday=True, name=name) for d, name in WORKDAYS_2026]
    return sorted(days, key=lambda h: h.date)
