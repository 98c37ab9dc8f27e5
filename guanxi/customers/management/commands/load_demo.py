"""`manage.py load_demo [--customers N]`: the demo company and its customers (first time only)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from guanxi.customers.demo import load_demo


class Command(BaseCommand):
    help = "Load the demo data set (a Chinese SME with one login per role). Does nothing if already loaded."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--customers", type=int, default=3000)
        parser.add_argument("--seed", type=int, default=20240101)
        parser.add_argument("--force", action="store_true", help="load even if the database already has customers")

    def handle(self, *args: Any, **options: Any) -> None:
        result = load_demo(customers=options["customers"], seed=options["seed"], force=options["force"])
        style = self.style.WARNING if result.skipped else self.style.SUCCESS
        self.stdout.write(style(result.message))
        if result.counts:
            summary = ", ".join(f"{k}: {v}" for k, v in result.counts.items())
            self.stdout.write(f"  {summary} ({result.seconds:.1f} s)")
        if result.logins:
            self.stdout.write("")
            self.stdout.write("Demo logins / 演示账号:")
            width = max(len(u) for u, _, _ in result.logins)
            self.stdout.write(f"  {'username'.ljust(width)}  {'password'.ljust(16)}  role")
            self.stdout.write(f"  {'-' * width}  {'-' * 16}  {'-' * 20}")
            for username, password, role in result.logins:
                self.stdout.write(f"  {username.ljust(width)}  {password.ljust(16)}  {role}")
