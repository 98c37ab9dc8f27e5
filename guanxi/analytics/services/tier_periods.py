"""Re-tiering periods (month / quarter / year): where one starts and ends, and how long protection lasts."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

PERIOD_MONTHS = {"month": 1, "quarter": 3, "year": 12}


def add_months(d: date, months: int) -> date:
    """The same day `months` later (or earlier), clamped to the month's last day (31 Mar - 1 month = 28/29 Feb)."""
    month0 = d.year * 12 + d.month - 1 + months
    year, month = divmod(month0, 12)
    return date(year, month + 1, min(d.day, calendar.monthrange(year, month + 1)[1]))


def period_start(d: date, period: str) -> date:
    """The first day of the month, quarter or year that contains `d`."""
    if period == "year":
        return date(d.year, 1, 1)
    if period == "quarter":
        return date(d.year, 3 * ((d.month - 1) // 3) + 1, 1)
    return date(d.year, d.month, 1)


def period_end(d: date, period: str) -> date:
    """The last day of the period that contains `d`."""
    return add_months(period_start(d, period), PERIOD_MONTHS[period]) - timedelta(days=1)


def protection_end(as_of: date, period: str) -> date:
    """Until when a customer who would drop keeps the tier: to the end of the next period.

    A run as of D counts orders up to the day before D, so "the next period" is the one after the
    period holding D - 1: run on 1 April (quarterly) -> kept through 30 June, and the run on 1 July
    moves the customer down if they still do not qualify — exactly one period of protection.
    """
    return period_end(period_end(as_of - timedelta(days=1), period) + timedelta(days=1), period)


def window_start(as_of: date, months: int) -> date:
    """First day of the rolling spend window that ends before `as_of`."""
    return add_months(as_of, -months)
