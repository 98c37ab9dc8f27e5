"""`manage.py scheduler [--once]`: enqueue periodic jobs (purge, reminders) on their schedule."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.utils import timezone

from guanxi.customers.schedule import run_due, schedule, seconds_until_next


class Command(BaseCommand):
    help = ("Enqueue periodic jobs through the Django Tasks API on their schedule (daily or at an interval). "
            "Restarts never run a job twice for one slot. --once checks once and exits (for cron and tests).")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--once", action="store_true", help="enqueue what is due now, then exit")
        parser.add_argument("--interval", type=float, default=60.0, help="longest sleep between checks (seconds)")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["once"]:
            jobs = ", ".join(j.describe() for j in schedule())
            self.stdout.write(f"Scheduler started ({timezone.get_current_timezone_name()}): {jobs}")
        while True:
            if not options["once"]:
                close_old_connections()  # a long-running process: drop connections the server closed
            for job, result_id in run_due():
                self.stdout.write(f"{timezone.localtime():%Y-%m-%d %H:%M:%S} enqueued {job.name} ({result_id})")
            if options["once"]:
                return
            close_old_connections()
            try:
                time.sleep(min(options["interval"], seconds_until_next()))
            except KeyboardInterrupt:  # pragma: no cover - interactive stop
                return
