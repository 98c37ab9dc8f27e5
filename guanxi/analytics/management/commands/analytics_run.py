"""`manage.py analytics_run [--as-of YYYY-MM-DD]` (and `guanxi analytics run`): compute every customer's metrics
now, in this process, with a progress bar (tqdm when installed, else a plain text bar)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from datetime import date
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from guanxi.analytics.models import MetricsRun
from guanxi.analytics.services.runs import run_now
from guanxi.core.errors import ConflictError

BAR_WIDTH = 30


def _as_of(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--as-of: {value!r} is not a date like 2025-06-30") from None


def text_bar(stream: Any) -> Callable[[int, int], None]:
    """A one-line bar redrawn in place: [#######.......]  45%  90,000/200,000."""

    def show(done: int, total: int) -> None:
        share = done / total if total else 1.0
        filled = round(BAR_WIDTH * share)
        stream.write(f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {share:4.0%}  {done:,}/{total:,}")
        stream.flush()

    return show


def tqdm_bar() -> tuple[Callable[[int, int], None], Callable[[], None]] | None:
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    bar = tqdm(total=0, unit=" steps", file=sys.stderr)

    def show(done: int, total: int) -> None:
        bar.total = total
        bar.n = done
        bar.refresh()

    return show, bar.close


class Command(BaseCommand):
    help = "Compute every customer's metrics (RFM, value, loyalty, lifetime value, churn) and the proactive tasks."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--as-of", type=_as_of, default=None,
                            help="compute as of this day, using only data before its end (default: today)")
        parser.add_argument("--no-progress", action="store_true", help="no progress bar (logs, cron)")

    def handle(self, *args: Any, **options: Any) -> None:
        progress: Callable[[int, int], None] | None = None
        close: Callable[[], None] = lambda: None  # noqa: E731
        if not options["no_progress"]:
            fancy = tqdm_bar()
            if fancy is not None:
                progress, close = fancy
            else:
                progress, close = text_bar(self.stdout), lambda: self.stdout.write("")
        try:
            run = run_now(as_of=options["as_of"], progress=progress)
        except ConflictError as exc:
            raise CommandError(exc.message) from None
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from None
        finally:
            close()
        if run.status != MetricsRun.Status.DONE:
            raise CommandError(run.message or "the run failed")
        summary = run.summary
        self.stdout.write(self.style.SUCCESS(
            f"Metrics as of {run.as_of}: {summary.get('customers', 0):,} customers "
            f"({summary.get('with_purchases', 0):,} with purchases), prediction: {summary.get('method_label', '')}, "
            f"{summary.get('seconds', {}).get('total', 0)} s."))
        tasks = summary.get("tasks") or {}
        if tasks:
            self.stdout.write(f"Tasks created: {tasks.get('next_purchase', 0)} next purchase, "
                              f"{tasks.get('at_risk', 0)} at risk; {tasks.get('skipped_no_owner', 0)} skipped "
                              f"(no active owner).")
