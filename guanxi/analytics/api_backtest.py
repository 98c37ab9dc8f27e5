"""REST endpoints of the back-tests (the reports right, else 403): start one (202; the background task computes
it), list them, read one with its result and verdict. Thin: parse -> service/selector -> schema."""

# No `from __future__ import annotations`: ninja reads these signatures through `@paginate`'s wrapper.
from datetime import date, datetime
from typing import Any

from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import paginate
from ninja.responses import Status
from pydantic import ConfigDict

from .models import BacktestRun
from .selectors import backtest as sel
from .services.backtest import backtest_run

router = Router(tags=["analytics"])


class ApiRequest(HttpRequest):
    auth: Any


class BacktestIn(Schema):
    model_config = ConfigDict(extra="forbid")
    calibration_end: date = Field(description="Last day of the calibration period: the model learns from the "
                                              "orders up to its end.")
    holdout_end: date = Field(description="Last day of the holdout period (today at the latest): predictions are "
                                          "compared with the purchases after the calibration end up to its end.")


class BacktestOut(Schema):
    id: int
    calibration_end: date
    holdout_end: date
    status: str = Field(description="queued, running, done or failed.")
    created_at: datetime
    created_by: int | None = Field(None, alias="created_by_id")
    verdict: str = Field("", description="The result in plain words (empty until done).")
    error: str = ""
    result: dict[str, Any] = Field(description="Totals, MAE/RMSE and error % of the model and of the simple rule, "
                                               "per-group means, fitted parameters (see the user guide).")

    @staticmethod
    def resolve_verdict(obj: BacktestRun) -> str:
        return sel.verdict(obj)

    @staticmethod
    def resolve_error(obj: BacktestRun) -> str:
        return sel.error_text(obj)


@router.post("/analytics/backtests", response={202: BacktestOut},
             summary="Start a back-test of the purchase predictions in the background")
def backtest_start(request: ApiRequest, payload: BacktestIn) -> Any:
    run = backtest_run(actor=request.auth, calibration_end=payload.calibration_end, holdout_end=payload.holdout_end)
    return Status(202, sel.backtest_get(user=request.auth, pk=run.pk))


@router.get("/analytics/backtests", response=list[BacktestOut], summary="Back-tests, newest first")
@paginate
def backtest_list(request: ApiRequest) -> Any:
    return sel.backtest_list(user=request.auth)


@router.get("/analytics/backtests/{int:backtest_id}", response=BacktestOut,
            summary="One back-test, its status and result")
def backtest_detail(request: ApiRequest, backtest_id: int) -> BacktestRun:
    return sel.backtest_get(user=request.auth, pk=backtest_id)
