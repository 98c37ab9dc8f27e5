"""`manage.py restore PATH`: replace the database and the ticket attachments with a backup made by `backup`,
after checking it."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from guanxi.governance.services_backup import BackupError, backup_read_manifest, backup_restore


class Command(BaseCommand):
    help = ("Restore a backup made by `guanxi backup`. Refuses damaged, foreign or unsafe files; checks every "
            "table's row count and every attachment's checksum; the current database and attachments are left as "
            "they were if anything fails.")

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("path")
        parser.add_argument("--check", action="store_true", help="only read and check the manifest")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["check"]:
                m = backup_read_manifest(options["path"])
                files = f"{len(m['files'])} files" if "files" in m else "no files (format 1)"
                self.stdout.write(f"Guanxi backup of {m['engine']} made {m['created_at']} by version "
                                  f"{m['app_version']}: {len(m['tables'])} tables, {files}.")
                return
            info = backup_restore(path=options["path"])
        except BackupError as exc:
            raise CommandError(str(exc)) from None
        m = info.manifest
        files = (f"{len(m['files'])} files, checksums verified" if "files" in m
                 else "attachment files left as they were (format 1 backup)")
        self.stdout.write(self.style.SUCCESS(
            f"Restored {info.path} (made {m['created_at']}): {len(m['tables'])} tables, "
            f"{sum(m['tables'].values()):,} rows, row counts verified; {files}."
        ))
        self.stdout.write("Run `guanxi migrate` if this backup came from an older version.")
