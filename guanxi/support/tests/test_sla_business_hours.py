"""Business-minutes arithmetic: nights, weekends, holidays, 调休 working Saturdays, seconds, time zones."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from guanxi.support.models import Holiday, SlaPolicy
from guanxi.support.services.business_hours import (
    HolidayBook,
    add_business_minutes,
    business_minutes_between,
    parse_weekdays,
)

SH = ZoneInfo("Asia/Shanghai")
POLICY = SlaPolicy(business_start="09:00", business_end="18:00", weekdays="1,2,3,4,5")
# 2026: 国庆 1-7 October (Thursday to Wednesday), Saturday 10 October is worked (调休).
GOLDEN_WEEK = {date(2026, 10, d): False for d in range(1, 8)} | {date(2026, 10, 10): True}


def at(y: int, m: int, d: int, hh: int, mm: int = 0, ss: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, ss, tzinfo=SH)


def add(start: datetime, minutes: float, holidays: dict | None = None) -> datetime:
    return add_business_minutes(start, minutes, POLICY, holidays or {})


def test_the_calendar_days_used_below():
    assert at(2026, 3, 2, 9).isoweekday() == 1  # Monday
    assert at(2026, 10, 9, 9).isoweekday() == 5 and at(2026, 10, 10, 9).isoweekday() == 6


def test_same_day_and_seconds_carry_over():
    assert add(at(2026, 3, 2, 10, 0, 37), 60) == at(2026, 3, 2, 11, 0, 37)
    assert add(at(2026, 3, 2, 10), 0) == at(2026, 3, 2, 10)


def test_across_the_night_and_before_opening():
    assert add(at(2026, 3, 2, 17, 30), 60) == at(2026, 3, 3, 9, 30)
    assert add(at(2026, 3, 2, 7, 0), 30) == at(2026, 3, 2, 9, 30)
    assert add(at(2026, 3, 2, 22, 0), 30) == at(2026, 3, 3, 9, 30)


def test_used_up_at_closing_time_is_due_at_closing_time():
    assert add(at(2026, 3, 2, 17), 60) == at(2026, 3, 2, 18)
    assert add(at(2026, 3, 2, 9), 540) == at(2026, 3, 2, 18)
    assert add(at(2026, 3, 2, 9), 541) == at(2026, 3, 3, 9, 1)


def test_across_the_weekend():
    assert add(at(2026, 3, 6, 17), 120) == at(2026, 3, 9, 10)  # Friday 17:00 -> Monday 10:00
    assert add(at(2026, 3, 7, 12), 30) == at(2026, 3, 9, 9, 30)  # opened on Saturday


def test_across_a_holiday_and_a_worked_saturday():
    # Wednesday 30 September 17:00 + 2 h: one hour that day, the holiday week off, Thursday 8 October 10:00.
    assert add(at(2026, 9, 30, 17), 120, GOLDEN_WEEK) == at(2026, 10, 8, 10)
    # Friday 9 October 17:00 + 2 h: Saturday 10 October is a make-up working day.
    assert add(at(2026, 10, 9, 17), 120, GOLDEN_WEEK) == at(2026, 10, 10, 10)
    without_tiaoxiu = {d: w for d, w in GOLDEN_WEEK.items() if not w}
    assert add(at(2026, 10, 9, 17), 120, without_tiaoxiu) == at(2026, 10, 12, 10)


def test_minutes_between_is_the_inverse_of_adding():
    rng = random.Random(4)
    for _ in range(200):
        start = at(2026, 9, 20, 0) + timedelta(minutes=rng.randint(0, 30 * 24 * 60), seconds=rng.randint(0, 59))
        minutes = rng.choice([1, 15, 59, 60, 61, 539, 540, 541, 1000, 2700, 5000])
        due = add(start, minutes, GOLDEN_WEEK)
        assert business_minutes_between(start, due, POLICY, GOLDEN_WEEK) == pytest.approx(minutes)


def test_minutes_between_across_nights_weekend_and_holidays():
    assert business_minutes_between(at(2026, 3, 6, 17), at(2026, 3, 9, 10), POLICY, {}) == 120
    assert business_minutes_between(at(2026, 3, 9, 10), at(2026, 3, 6, 17), POLICY, {}) == -120
    assert business_minutes_between(at(2026, 3, 7, 10), at(2026, 3, 8, 16), POLICY, {}) == 0
    assert business_minutes_between(at(2026, 9, 30, 9), at(2026, 10, 10, 18), POLICY, GOLDEN_WEEK) == 4 * 540  # 30 Sep, 8-10 Oct
    assert business_minutes_between(at(2026, 3, 2, 10), at(2026, 3, 2, 10, 0, 30), POLICY, {}) == 0.5


def test_time_zone_aware_results_in_the_company_zone():
    start = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai
    due = add(start, 30)
    assert due == at(2026, 3, 2, 9, 30) and due.utcoffset() == timedelta(hours=8)
    with pytest.raises(ValueError):
        add_business_minutes(datetime(2026, 3, 2, 9), 30, POLICY, {})


def test_other_weekdays_and_hours():
    six_days = SlaPolicy(business_start="08:30", business_end="12:00", weekdays="1,2,3,4,5,6")
    # Friday 11:00 + 60 min ends at Friday noon; 90 min runs on into Saturday morning.
    assert add_business_minutes(at(2026, 3, 6, 11), 60, six_days, {}) == at(2026, 3, 6, 12)
    assert add_business_minutes(at(2026, 3, 6, 11), 90, six_days, {}) == at(2026, 3, 7, 9)
    assert parse_weekdays("1, 2,9,x,7") == {1, 2, 7}
    with pytest.raises(ValueError):
        add_business_minutes(at(2026, 3, 6, 11), 90, SlaPolicy(weekdays=""), {})


@pytest.mark.django_db
def test_holidays_read_from_the_database_in_one_query(django_assert_num_queries):
    Holiday.objects.bulk_create([Holiday(date=d, is_workday=w, name="国庆") for d, w in GOLDEN_WEEK.items()])
    with django_assert_num_queries(1):
        assert add_business_minutes(at(2026, 9, 30, 17), 120, POLICY) == at(2026, 10, 8, 10)
    book = HolidayBook()
    with django_assert_num_queries(1):
        add_business_minutes(at(2026, 10, 9, 17), 120, POLICY, book)
        assert business_minutes_between(at(2026, 9, 30, 9), at(2026, 10, 10, 18), POLICY, book) == 4 * 540
