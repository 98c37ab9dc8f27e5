"""Business-hours arithmetic for the SLA clock: add business minutes to a moment, count those between two.

A working day is one of the policy's weekdays (ISO numbers, 1 = Monday) that is not a holiday, or any day
entered as a make-up working day (调休, `Holiday.is_workday`, e.g. a Saturday). On a working day business
time is [business_start, business_end) in the company's time zone (settings.TIME_ZONE, Asia/Shanghai).

Exact to the second: the seconds of the start carry over (a ticket opened at 10:00:37 with 60 minutes is due
at 11:00:37). Adding lands on the *earliest* moment that has the requested business time behind it, so a
target that is used up exactly at closing time is due at closing time (18:00), not at the next opening.
Arithmetic is done in UTC, so it stays right in zones with daylight-saving changes.

Holidays are read in one query per call (a window of `HolidayBook.CHUNK` days either side of the first day asked
about); pass one `HolidayBook` to several calls to share it.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings

from ..models import Holiday

MAX_DAYS = 3660  # ten years without a working minute: a calendar that can never be met


class HolidayBook:
    """Holidays (False) and make-up working days (True) by date, read from the database in windows."""

    CHUNK = 400

    def __init__(self, preset: Mapping[date, bool] | None = None) -> None:
        self._days: dict[date, bool] = dict(preset or {})
        self._loaded: list[tuple[date, date]] = [(date.min, date.max)] if preset is not None else []

    def get(self, day: date) -> bool | None:
        if not any(lo <= day <= hi for lo, hi in self._loaded):
            lo, hi = day - timedelta(days=self.CHUNK), day + timedelta(days=self.CHUNK)
            self._days.update(Holiday.objects.filter(date__range=(lo, hi)).values_list("date", "is_workday"))
            self._loaded.append((lo, hi))
        return self._days.get(day)


def _book(holidays: HolidayBook | Mapping[date, bool] | None) -> HolidayBook:
    if isinstance(holidays, HolidayBook):
        return holidays
    return HolidayBook(holidays)


def parse_weekdays(text: str) -> set[int]:
    """"1,2,3,4,5" -> {1, 2, 3, 4, 5}; anything that is not a number 1-7 is ignored (validated on input)."""
    return {int(p) for p in str(text or "").replace(" ", "").split(",") if p.isdigit() and 1 <= int(p) <= 7}


class Calendar:
    """One policy's working days and hours."""

    def __init__(self, policy: Any, holidays: HolidayBook | Mapping[date, bool] | None = None) -> None:
        self.tz = ZoneInfo(settings.TIME_ZONE)
        self.weekdays = parse_weekdays(policy.weekdays)
        self.start = _as_time(policy.business_start)
        self.end = _as_time(policy.business_end)
        self.book = _book(holidays)

    def is_working(self, day: date) -> bool:
        special = self.book.get(day)
        if special is not None:
            return special
        return day.isoweekday() in self.weekdays

    def window(self, day: date) -> tuple[datetime, datetime]:
        """The day's business hours in UTC."""
        return (datetime.combine(day, self.start, tzinfo=self.tz).astimezone(UTC),
                datetime.combine(day, self.end, tzinfo=self.tz).astimezone(UTC))

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(self.tz).date()


def _as_time(value: Any) -> time:
    return value if isinstance(value, time) else time.fromisoformat(str(value))


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("business-hours arithmetic needs time-zone-aware datetimes")
    return moment.astimezone(UTC)


def add_business_time(start: datetime, amount: timedelta, policy: Any,
                      holidays: HolidayBook | Mapping[date, bool] | None = None) -> datetime:
    """`start` plus `amount` of business time (a zero or negative amount: `start` unchanged)."""
    if amount <= timedelta(0):
        return start
    cal = Calendar(policy, holidays)
    cursor = _aware(start)
    remaining = amount
    day = cal.local_day(cursor)
    for _ in range(MAX_DAYS):
        if cal.is_working(day):
            opens, closes = cal.window(day)
            begin = max(cursor, opens)
            if begin < closes:
                if remaining <= closes - begin:
                    return (begin + remaining).astimezone(cal.tz)
                remaining -= closes - begin
        day += timedelta(days=1)
    raise ValueError("the SLA calendar has no working time")


def add_business_minutes(start: datetime, minutes: float, policy: Any,
                         holidays: HolidayBook | Mapping[date, bool] | None = None) -> datetime:
    """`start` plus `minutes` business minutes, in the company's time zone."""
    return add_business_time(start, timedelta(minutes=minutes), policy, holidays)


def business_time_between(a: datetime, b: datetime, policy: Any,
                          holidays: HolidayBook | Mapping[date, bool] | None = None) -> timedelta:
    """Business time from `a` to `b` (negative when `b` is before `a`)."""
    a, b = _aware(a), _aware(b)
    if b < a:
        return -business_time_between(b, a, policy, holidays)
    cal = Calendar(policy, holidays)
    total = timedelta(0)
    day, last = cal.local_day(a), cal.local_day(b)
    while day <= last:
        if cal.is_working(day):
            opens, closes = cal.window(day)
            lo, hi = max(a, opens), min(b, closes)
            if hi > lo:
                total += hi - lo
        day += timedelta(days=1)
    return total


def business_minutes_between(a: datetime, b: datetime, policy: Any,
                             holidays: HolidayBook | Mapping[date, bool] | None = None) -> float:
    """Business minutes from `a` to `b`, with the seconds as a fraction (negative when `b` is before `a`)."""
    return business_time_between(a, b, policy, holidays).total_seconds() / 60
