"""The service report's numbers on a hand-made data set (reports_data.py says what is in it and why)."""

from __future__ import annotations

import datetime

import pytest
import time_machine

from guanxi.core.errors import PermissionDeniedError
from guanxi.support.filters_reports import ReportFilter
from guanxi.support.selectors.report_stats import percentile
from guanxi.support.selectors.reports import service_report

from .reports_data import PERIOD, TZ, build


@pytest.fixture
def data(org, customers):
    return build(org, customers)


def report(user, **params):
    form = ReportFilter({**PERIOD, **{k: str(v) for k, v in params.items() if k != "sort"}})
    assert form.is_valid(), form.errors
    return service_report(user=user, filters=form, sort=params.get("sort", "-tickets"))


def row(rows, key):
    return next(r for r in rows if r.key == key)


def test_percentile_matches_percentile_cont():
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.5) == 5.5
    assert percentile([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0], 0.9) == pytest.approx(9.1)
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([], 0.5) is None


def test_agent_numbers(org, data):
    r = report(org.analyst)
    a = row(r.agents, org.agent.pk)
    assert (a.tickets, a.resolved) == (10, 8)
    assert (a.frt_median, a.frt_p90) == (5.5, pytest.approx(9.1))
    assert (a.res_median, a.res_p90) == (45.0, pytest.approx(73.0))
    assert (a.sla_tickets, a.fr_attainment, a.res_attainment) == (10, 80.0, 90.0)
    assert (a.reopened, a.ever_resolved, a.reopen_rate) == (2, 9, 22.2)
    assert (a.csat_count, a.csat_avg, a.csat_satisfied) == (5, 3.6, 60.0)
    assert (a.nps_count, a.nps) == (10, 30.0)  # 5 promoters, 3 passives, 2 detractors; the February answer is out
    c = row(r.agents, data.agent_c.pk)
    assert (c.tickets, c.frt_median, c.frt_p90) == (2, 3.0, pytest.approx(3.8))
    assert c.fr_attainment is None and c.reopen_rate is None and c.csat_avg is None  # nothing to measure
    b = row(r.agents, data.agent_b.pk)
    assert (b.tickets, b.frt_median, b.csat_avg, b.csat_count) == (3, 100.0, 1.0, 1)
    unassigned = row(r.agents, None)
    assert unassigned.tickets == 1 and unassigned.frt_median is None


def test_totals_and_teams_for_everyone_scope(org, data):
    r = report(org.analyst)
    assert r.total.tickets == 16  # the February ticket is outside the period
    assert (r.total.frt_median, r.total.frt_p90) == (6.0, 100.0)
    assert r.total.csat_count == 6 and r.total.csat_avg == pytest.approx(3.17, abs=0.01)
    assert {t.key: t.tickets for t in r.teams} == {org.service.pk: 12, data.team_b.pk: 3, None: 1}
    service = row(r.teams, org.service.pk)
    assert (service.csat_avg, service.nps, service.frt_median) == (3.6, 30.0, 4.5)


def test_service_manager_counts_only_their_teams(org, data):
    r = report(org.service_manager)
    assert r.total.tickets == 13  # Service (12) + the unrouted one; not Service B's three
    assert data.agent_b.pk not in {a.key for a in r.agents}
    assert {t.key for t in r.teams} == {org.service.pk, None}
    assert (r.total.frt_median, r.total.frt_p90) == (4.5, pytest.approx(8.9))
    assert r.total.csat_count == 5 and r.total.csat_avg == 3.6  # Service B's answer of 1 is not theirs
    assert {x["label"]: x["count"] for x in r.complaints_by_product} == {"Printer": 4}
    assert {x["reason"]: x["count"] for x in r.return_reasons} == {"quality": 1, "wrong_item": 1, "late": 1}


def test_breakdowns(org, data):
    r = report(org.analyst)
    assert {x["type"]: x["count"] for x in r.by_type} == {"complaint": 7, "inquiry": 9}
    assert {x["label"]: x["count"] for x in r.by_product} == {"Paper": 9, "Printer": 4, "No product": 3}
    assert r.complaints_by_product[0] == {"product": data.p1.pk, "label": "Printer", "count": 4}
    assert {x["reason"]: x["count"] for x in r.return_reasons} == {"quality": 2, "wrong_item": 1, "late": 1}
    by_product = {(x["label"], x["reason"]): x["count"] for x in r.return_reasons_by_product}
    assert by_product == {("Printer", "quality"): 2, ("Printer", "wrong_item"): 1, ("Paper", "late"): 1}


def test_weekly_trends(org, data):
    t = report(org.analyst).trends
    assert t["weeks"] == ["2026-03-02", "2026-03-09"]
    assert t["opened"] == [13, 3]
    assert t["resolved"] == [8, 0]
    assert t["frt_median"] == [7.0, 3.0]
    assert t["fr_attainment"] == [80.0, None] and t["res_attainment"] == [90.0, None]
    assert t["csat_avg"] == [None, pytest.approx(3.17, abs=0.01)]
    assert t["nps"] == [None, 30.0]


def test_filters_team_type_product(org, data):
    assert report(org.analyst, team=data.team_b.pk).total.tickets == 3
    assert report(org.analyst, team=data.team_b.pk).total.csat_count == 1
    complaints = report(org.analyst, type="complaint")
    assert complaints.total.tickets == 7 and complaints.total.nps_count == 0  # NPS answers carry no ticket
    assert {x["reason"] for x in complaints.return_reasons} == {"quality", "wrong_item"}
    printer = report(org.analyst, product=data.p1.pk)
    assert printer.total.tickets == 4
    assert {x["reason"]: x["count"] for x in printer.return_reasons} == {"quality": 2, "wrong_item": 1}


def test_agents_sorted_by_chosen_column(org, data):
    keys = [a.key for a in report(org.analyst, sort="frt_median").agents]
    assert keys[:3] == [data.agent_c.pk, org.agent.pk, data.agent_b.pk]
    assert keys[-1] is None  # no value: last, whichever direction
    assert report(org.analyst, sort="-frt_median").agents[0].key == data.agent_b.pk
    assert report(org.analyst, sort="-tickets").agents[0].key == org.agent.pk


@pytest.mark.parametrize("role", ["agent", "rep", "marketing"])
def test_no_report_without_view_reports(org, data, role):
    with pytest.raises(PermissionDeniedError):
        report(getattr(org, role))


def test_last_days_period(org, data):
    with time_machine.travel(datetime.datetime(2026, 3, 15, 12, tzinfo=TZ)):
        form = ReportFilter({"period": "7"})
        assert form.is_valid()
        r = service_report(user=org.analyst, filters=form)
    assert (r.period.start, r.period.end) == (datetime.date(2026, 3, 9), datetime.date(2026, 3, 15))
    assert r.total.tickets == 3


@pytest.mark.parametrize(("params", "field"), [
    ({"from": "2026-03-10", "to": "2026-03-01"}, "to"),
    ({"from": "2020-01-01", "to": "2026-03-01"}, "from"),
    ({"from": "yesterday"}, "from"),
    ({"period": "14"}, "period"),
    ({"type": "praise"}, "type"),
    ({"team": "999999"}, "team"),
    ({"product": "abc"}, "product"),
])
def test_bad_filters_name_the_field(db, params, field):
    form = ReportFilter(params)
    assert not form.is_valid()
    assert field in form.errors
