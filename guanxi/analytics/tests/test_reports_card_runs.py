"""The customer page's value card (not computed / computed by the model / by rules / 404), and the analysis runs
page (list, Run now with its errors, the progress fragment polled while a run goes on)."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from guanxi.analytics.models import ChurnState, MetricsRun, PredictionMethod, Quadrant, RfmSegment, ValueGroup
from guanxi.governance.models import AuditLog

from .reports_helpers import HX, NOW, TODAY, client, clock, customer, metrics, order  # noqa: F401

pytestmark = pytest.mark.django_db


def card(user, c):
    return client(user).get(reverse("analytics:metrics_card", args=[c.pk]), **HX)


def test_customer_page_loads_the_card_lazily(org, customers):
    page = client(org.rep).get(reverse("customers:detail", args=[customers.own.pk])).content.decode()
    assert reverse("analytics:metrics_card", args=[customers.own.pk]) in page
    assert 'data-testid="metrics-card-loading"' in page


def test_not_computed_yet(org, customers):
    body = card(org.rep, customers.own).content.decode()
    assert 'data-testid="metrics-none"' in body and "Not computed yet" in body
    assert reverse("analytics:runs") not in body  # a rep cannot start runs
    assert reverse("analytics:runs") in card(org.manager, customers.own).content.decode()


def test_computed_by_the_model(org, customers, clock):  # noqa: F811
    metrics(customers.own, orders_count=4, recency_days=63, typical_interval_days=41.0, p_alive=0.72,
            quadrant=Quadrant.CORE, rfm_segment=RfmSegment.CHAMPIONS, r_score=5, f_score=4, m_score=5,
            value_group=ValueGroup.KEY, clv=Decimal("12345.60"), expected_90=1.8, churn_state=ChurnState.AT_RISK,
            next_purchase_date=date(2025, 7, 20), method=PredictionMethod.MODEL)
    body = card(org.rep, customers.own).content.decode()
    assert "Core (high value, high loyalty)" in body and "Champions" in body and "R5 F4 M5" in body
    assert "Keep them buying" in body  # the value group's treatment
    assert "usually buys every 41 days; last bought 63 days ago; 72% likely still active" in body
    assert 'data-testid="metrics-palive">72%' in body and "12,345.60" in body and "2025-07-20" in body
    assert "Statistical model" in body and "As of 2025-06-30." in body and "At risk" in body


def test_computed_by_rules_is_labelled(org, customers, clock):  # noqa: F811
    metrics(customers.own, orders_count=1, recency_days=5, method=PredictionMethod.RULES,
            churn_state=ChurnState.ACTIVE)
    body = card(org.manager, customers.own).content.decode()
    assert "Simple rules" in body and "the model could not be fitted" in body


def test_card_follows_customer_visibility(org, customers):
    assert card(org.rep, customers.other_dept).status_code == 404
    assert card(org.manager, customers.other_dept).status_code == 404
    assert card(org.rep_west, customers.other_dept).status_code == 200
    assert client(org.rep).get(reverse("analytics:metrics_card", args=[999999])).status_code == 404


# ---------------------------------------------------------------- runs page


def test_runs_page_lists_runs_with_their_summary(org, clock):  # noqa: F811
    done = MetricsRun.objects.create(as_of=TODAY, status=MetricsRun.Status.DONE, started_at=NOW,
                                     finished_at=NOW + timedelta(seconds=12), progress=10, total=10, summary={
                                         "customers": 120, "with_purchases": 80, "method_label": "BG/NBD model",
                                         "churn": {"active": 70, "at_risk": 10},
                                         "model": {"bgnbd": {"converged": True, "log_likelihood": -123.456,
                                                             "params": {"r": 0.243, "alpha": 4.414, "a": 0.793,
                                                                        "b": 2.426}}}})
    body = client(org.analyst).get(reverse("analytics:runs")).content.decode()
    assert 'data-testid="run-summary"' in body and "BG/NBD model" in body and "r = 0.243" in body
    assert "alpha = 4.414" in body and "12.0" in body and "converged" in body
    assert "hx-trigger=\"every 2s\"" not in body  # nothing running: no polling
    assert done.pk
    assert client(org.rep).get(reverse("analytics:runs")).status_code == 403


def test_run_now_starts_a_background_run(org, clock, django_capture_on_commit_callbacks):  # noqa: F811
    order(customer(org.rep, "buyer"), date(2025, 5, 1), 100)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client(org.manager).post(reverse("analytics:run_start"), {"as_of": "2025-06-01"}, **HX)
    assert response.status_code == 200 and len(callbacks) == 1
    run = MetricsRun.objects.get()
    assert run.as_of == date(2025, 6, 1) and run.status == MetricsRun.Status.QUEUED and run.created_by == org.manager
    body = response.content.decode()
    assert 'data-testid="run-progress"' in body and 'hx-trigger="every 2s"' in body and "disabled" in body
    assert AuditLog.objects.filter(entity="metricsrun", object_id=str(run.pk)).exists()
    # While it runs, the progress fragment keeps polling and shows the share done.
    MetricsRun.objects.filter(pk=run.pk).update(status=MetricsRun.Status.RUNNING, progress=1, total=4)
    fragment = client(org.manager).get(reverse("analytics:run_progress", args=[run.pk]), **HX)
    assert 'hx-trigger="every 2s"' in fragment.content.decode() and "25%" in fragment.content.decode()
    assert "HX-Trigger" not in fragment
    # The background task finishes it; the fragment stops polling and asks the page to reload the list.
    callbacks[0]()
    run.refresh_from_db()
    assert run.status == MetricsRun.Status.DONE
    finished = client(org.manager).get(reverse("analytics:run_progress", args=[run.pk]), **HX)
    assert "every 2s" not in finished.content.decode() and finished["HX-Trigger"] == "analytics-run-finished"
    assert 'data-testid="run-summary"' in finished.content.decode()


def test_run_now_errors(org, clock):  # noqa: F811
    url = reverse("analytics:run_start")
    future = client(org.analyst).post(url, {"as_of": "2025-07-01"}, **HX)
    assert future.status_code == 422 and "The as-of date cannot be in the future." in future.content.decode()
    bad = client(org.analyst).post(url, {"as_of": "yesterday"}, **HX)
    assert bad.status_code == 422 and "invalid-feedback" in bad.content.decode()
    MetricsRun.objects.create(as_of=TODAY, status=MetricsRun.Status.RUNNING)
    busy = client(org.analyst).post(url, {}, **HX)
    assert busy.status_code == 409 and "already in progress" in busy.content.decode()
    assert MetricsRun.objects.count() == 1
    assert client(org.rep).post(url, {}).status_code == 403
    plain = client(org.analyst).post(url, {})
    assert plain.status_code == 302 and plain["Location"] == reverse("analytics:runs")
