"""Forecast: periods, both estimates, already won, funnel, time in stage, visibility."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from guanxi.sales.models import Opportunity, Stage, StageChange
from guanxi.sales.selectors.forecast import forecast, parse_period, period_of
from guanxi.sales.selectors.opportunities import default_pipeline, stages_of
from guanxi.sales.services.opportunities import opportunity_create, opportunity_move


def test_parse_period():
    assert parse_period("2025-05").start == date(2025, 5, 1)
    assert parse_period("2025-05").end == date(2025, 6, 1)
    q = parse_period("2025-Q4")
    assert (q.kind, q.start, q.end, q.key) == ("quarter", date(2025, 10, 1), date(2026, 1, 1), "2025-Q4")
    assert period_of("quarter", date(2025, 5, 17)).key == "2025-Q2"
    for bad in ("2025-13", "2025-Q5", "May", "2025/05"):
        with pytest.raises(ValidationError):
            parse_period(bad)


def _stages():
    by_kind: dict[str, list[Stage]] = {}
    for s in stages_of(default_pipeline()):
        by_kind.setdefault(s.kind, []).append(s)
    return by_kind


@pytest.fixture
def history(org, customers):
    """Four closed opportunities that passed the first two open stages: 1 won, 3 lost; one won
    straight from the first stage."""
    st = _stages()
    first, second = st["open"][0], st["open"][1]
    for i, outcome in enumerate(["won", "lost", "lost", "lost"]):
        o = opportunity_create(actor=org.rep, customer=customers.own, data={"name": f"h{i}", "amount": "1000"})
        o = opportunity_move(actor=org.rep, opportunity=o, stage=second, version=o.version)
        opportunity_move(actor=org.rep, opportunity=o, stage=st[outcome][0], reason="r", version=o.version)
    o = opportunity_create(actor=org.rep, customer=customers.own, data={"name": "quick", "amount": "1000"})
    opportunity_move(actor=org.rep, opportunity=o, stage=st["won"][0], version=o.version)
    return first, second


def test_two_estimates_and_won(org, customers, history):
    first, second = history
    period = period_of("month", timezone.localdate())
    close = period.start + timedelta(days=3)
    a = opportunity_create(actor=org.rep, customer=customers.own,
                           data={"name": "a", "amount": "10000", "expected_close_date": close})
    b = opportunity_create(actor=org.rep, customer=customers.own,
                           data={"name": "b", "amount": "20000", "expected_close_date": close})
    opportunity_move(actor=org.rep, opportunity=b, stage=second, version=b.version)
    # Outside the period: not counted.
    opportunity_create(actor=org.rep, customer=customers.own,
                       data={"name": "later", "amount": "99999", "expected_close_date": period.end + timedelta(days=40)})
    fc = forecast(user=org.rep, period=period)
    assert fc.open_count == 2 and fc.open_amount == Decimal("30000")
    expected_prob = Decimal("10000") * first.probability / 100 + Decimal("20000") * second.probability / 100
    assert fc.expected_revenue_probability == expected_prob.quantize(Decimal("0.01"))
    # History: first stage reached by 5 closed (2 won) -> 40 %; second reached by 4 closed... plus "quick"
    # went straight to won (a later stage), so it reached the second stage too: 5 closed, 2 won -> 40 %.
    rates = {s.stage.pk: s.conversion for s in fc.stages}
    assert rates[first.pk] == Decimal("0.4")
    assert rates[second.pk] == Decimal("0.4")
    assert fc.expected_revenue_history == Decimal("12000.00")
    assert fc.won_count == 2 and fc.won_amount == Decimal("2000")
    funnel = {f.stage.pk: f.reached for f in fc.funnel}
    # a, b and "later" count as reached too (they are in the lookback, still open).
    assert funnel[first.pk] == 8 and funnel[second.pk] == 6
    won_stage = _stages()["won"][0]
    assert funnel[won_stage.pk] == 2
    assert a.pk


def test_stage_without_history_uses_probability(org, customers):
    period = period_of("month", timezone.localdate())
    opportunity_create(actor=org.rep, customer=customers.own,
                       data={"name": "a", "amount": "1000", "expected_close_date": period.start})
    fc = forecast(user=org.rep, period=period)
    assert fc.stages[0].conversion is None
    assert fc.expected_revenue_history == fc.expected_revenue_probability


def test_visibility(org, customers):
    period = period_of("month", timezone.localdate())
    opportunity_create(actor=org.rep_west, customer=customers.other_dept,
                       data={"name": "w", "amount": "5000", "expected_close_date": period.start})
    assert forecast(user=org.rep, period=period).open_count == 0
    assert forecast(user=org.rep_west, period=period).open_count == 1
    assert forecast(user=org.admin, period=period).open_count == 1


def test_time_in_stage_median(org, customers):
    st = _stages()
    o = opportunity_create(actor=org.rep, customer=customers.own, data={"name": "a"})
    now = timezone.now()
    StageChange.objects.filter(opportunity=o).update(at=now - timedelta(days=10))
    opportunity_move(actor=org.rep, opportunity=o, stage=st["open"][1], version=1)
    fc = forecast(user=org.rep, period=period_of("month", timezone.localdate()))
    days = {stage.pk: d for stage, d, n in fc.time_in_stage}
    assert days[st["open"][0].pk] == pytest.approx(10, abs=0.1)
    assert days[st["open"][1].pk] is None
    assert Opportunity.objects.count() == 1
