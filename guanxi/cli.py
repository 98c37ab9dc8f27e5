"""The `guanxi` command: one entry point for people who run Guanxi (wraps manage.py)."""

from __future__ import annotations

import argparse
import os
import sys


def _django(settings: str = "config.settings.local") -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", settings)
    import django

    django.setup()


def _call(*args: str) -> None:
    from django.core.management import call_command

    call_command(*args)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="guanxi", description="Guanxi CRM")
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="migrate, load the demo data (first time only) and serve")
    demo.add_argument("--customers", type=int, default=3000)
    demo.add_argument("--no-serve", action="store_true", help="set up only, do not start the server")
    demo.add_argument("--addr", default="127.0.0.1:8000")
    serve = sub.add_parser("serve", help="serve the web app and API")
    serve.add_argument("--addr", default="127.0.0.1:8000")
    sub.add_parser("worker", help="run background jobs (Django Tasks database backend)")
    scheduler = sub.add_parser("scheduler", help="enqueue periodic jobs (purge, reminders) on their schedule")
    scheduler.add_argument("--once", action="store_true", help="enqueue what is due now and exit (cron)")
    admin = sub.add_parser("createadmin", help="create an administrator account")
    admin.add_argument("--username", default="admin")
    admin.add_argument("--password")
    backup = sub.add_parser("backup", help="write a consistent backup of the database and the ticket attachments to a file")
    backup.add_argument("path")
    restore = sub.add_parser("restore", help="restore a backup made by `guanxi backup`")
    restore.add_argument("path")
    sub.add_parser("assets", help="copy front-end libraries from node_modules into static files")
    sub.add_parser("compilemessages", help="compile the translations")
    sub.add_parser("migrate", help="apply database migrations")
    sub.add_parser("mailpoll", help="file the unread e-mails of the support mailbox (IMAP) now")
    analytics = sub.add_parser("analytics", help="customer value and prediction").add_subparsers(
        dest="analytics_command", required=True)
    analytics_run = analytics.add_parser("run", help="compute every customer's metrics now, with a progress bar")
    analytics_run.add_argument("--as-of", help="YYYY-MM-DD: use only data before the end of this day (default: today)")
    args = parser.parse_args(argv)

    if args.command == "assets":
        from guanxi.web.assets import copy_assets

        copy_assets()
        return
    if args.command == "compilemessages":
        _compile_messages()
        return
    _django()
    from django.core.management import CommandError

    try:
        _dispatch(args)
    except CommandError as exc:  # a clear message for people, not a traceback
        print(f"guanxi {args.command}: {exc}", file=sys.stderr)
        raise SystemExit(1) from None


def _dispatch(args: argparse.Namespace) -> None:
    if args.command == "migrate":
        _call("migrate", "--verbosity", "1")
    elif args.command == "demo":
        _call("migrate", "--verbosity", "0")
        from django.core.management import call_command

        call_command("load_demo", customers=args.customers)
        from guanxi.customers.services.maintenance import database_optimize

        database_optimize()  # planner statistics for the freshly loaded data (also nightly: schedule.py)
        if not args.no_serve:
            _serve(args.addr)
    elif args.command == "serve":
        _serve(args.addr)
    elif args.command == "worker":
        _call("db_worker")
    elif args.command == "scheduler":
        if args.once:
            _call("scheduler", "--once")
        else:
            _call("scheduler")
    elif args.command == "mailpoll":
        _call("mailpoll")
    elif args.command == "analytics":
        _call("analytics_run", *(["--as-of", args.as_of] if args.as_of else []))
    elif args.command == "createadmin":
        from django.core.management import call_command

        call_command("createadmin", username=args.username, password=args.password)
    elif args.command == "backup":
        from django.core.management import call_command

        call_command("backup", args.path)
    elif args.command == "restore":
        from django.core.management import call_command

        call_command("restore", args.path)


def _compile_messages() -> None:
    """Compile .po to .mo with polib, so a machine without GNU gettext can run Guanxi."""
    from pathlib import Path

    import polib

    root = Path(__file__).resolve().parent.parent
    for po_path in [*root.glob("locale/*/LC_MESSAGES/*.po"), *root.glob("guanxi/*/locale/*/LC_MESSAGES/*.po")]:
        mo_path = po_path.with_suffix(".mo")
        if not mo_path.exists() or mo_path.stat().st_mtime < po_path.stat().st_mtime:
            polib.pofile(str(po_path)).save_as_mofile(str(mo_path))


def _serve(addr: str) -> None:
    from django.core.management import call_command

    call_command("collectstatic", "--noinput", "--verbosity", "0")
    print(f"Guanxi is running at http://{addr}/  (Ctrl+C to stop)", flush=True)
    call_command("runserver", addr, "--noreload", "--insecure")


if __name__ == "__main__":
    main(sys.argv[1:])
