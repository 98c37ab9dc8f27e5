"""`manage.py backup PATH`: a consistent backup of the whole database and the ticket attachments in one file."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from guanxi.governance.services_backup import BackupError, backup_create


class Command(BaseCommand):
    help = ("Write a consistent backup of the database (SQLite online backup / pg_dump) and of the files under "
            "GUANXI_PRIVATE_ROOT (ticket attachments), with a manifest, to PATH.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            info = backup_create(path=options["path"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        m = info.manifest
        rows = sum(m["tables"].values())
        self.stdout.write(self.style.SUCCESS(
            f"Backup written to {info.path}: {m['engine']}, {len(m['tables'])} tables, {rows:,} rows, "
            f"{len(m['files'])} files ({m['files_bytes']:,} bytes), sha256 {m['sha256'][:12]}…"
        ))
