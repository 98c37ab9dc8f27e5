"""Backup and restore of the whole database and the private files (ticket attachments) into one file.

A backup is a tar file holding the database payload, the files and `manifest.json` (written last):
- SQLite: a consistent copy made with SQLite's online backup API (`database.sqlite3`);
- PostgreSQL: `pg_dump --format=custom` taken in the same snapshot as the row counts (`database.pgdump`);
- every file under GUANXI_PRIVATE_ROOT as `files/<relative path>` (services_backup_files.py), copied after
  the database, so every attachment row of the backup has its file (the files of attachments added while
  the backup runs may be in it without their rows; they are harmless).

The manifest names the format and its version (2; version 1, without files, is still read), the app
version, the database engine, the row count of every table, the SHA-256 of the payload and the relative
path, size and SHA-256 of every file. `restore` refuses a damaged file (checksums), a file that is not a
Guanxi backup, a backup of another engine or a newer version, and any unsafe entry (absolute or `..`
path, link, device, anything the manifest does not list). It restores into scratch copies first (a
temporary database, a folder beside GUANXI_PRIVATE_ROOT), checks every table's row count and file
checksum there, replaces the live database, and only then swaps the files folder in; so a failure leaves
the current database and files as they were. A version 1 backup leaves the files as they are.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import tarfile
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

from . import services_backup_files as files
from .services_backup_db import BackupError, check_counts, pg_backup, pg_restore, sqlite_backup, sqlite_restore

FORMAT = "guanxi-backup"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)  # 1: the database only
MANIFEST = "manifest.json"
PAYLOADS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


@dataclass
class BackupInfo:
    path: Path
    manifest: dict[str, Any]


def _app_version() -> str:
    try:
        from importlib.metadata import version

        return version("guanxi")
    except Exception:  # pragma: no cover - not installed as a package
        return "unknown"


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _engine(using: str) -> str:
    vendor = connections[using].vendor
    if vendor not in PAYLOADS:
        raise BackupError(f"Backups are supported on SQLite and PostgreSQL, not {vendor}.")
    return vendor


def _migrations(using: str) -> dict[str, list[str]]:
    from django.db.migrations.recorder import MigrationRecorder

    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connections[using]).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def backup_create(*, path: str | Path, using: str = DEFAULT_DB_ALIAS) -> BackupInfo:
    """Write a consistent backup of the database and the private files to `path` (a tar file)."""
    engine = _engine(using)
    path = Path(path)
    root = files.private_root()
    if path.resolve().is_relative_to(root):
        raise BackupError(f"Write the backup outside the attachment folder {root}.")
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".guanxi-backup-") as tmp:
        payload = Path(tmp) / PAYLOADS[engine]
        counts = sqlite_backup(using, payload) if engine == "sqlite" else pg_backup(using, payload)
        mtime = int(timezone.now().timestamp())
        partial = Path(tmp) / "backup.tar"
        with tarfile.open(partial, "w") as tar:
            tar.add(payload, arcname=payload.name)
            try:
                entries = files.add_files(tar, root, mtime)  # after the database: every row has its file
            except files.FilesRefused as exc:
                raise BackupError(f"Cannot back up the attachments: {exc}. Nothing was written.") from None
            manifest = {
                "format": FORMAT,
                "format_version": FORMAT_VERSION,
                "app_version": _app_version(),
                "engine": engine,
                "created_at": timezone.now().isoformat(),
                "payload": payload.name,
                "payload_bytes": payload.stat().st_size,
                "sha256": _sha256(payload),
                "tables": counts,
                "migrations": _migrations(using),
                "files": entries,
                "files_bytes": sum(e["size"] for e in entries),
            }
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size, info.mtime = len(data), mtime
            tar.addfile(info, io.BytesIO(data))
        os.replace(partial, path)  # the file appears complete or not at all
    return BackupInfo(path=path, manifest=manifest)


def backup_read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of a backup file; BackupError if it is not a Guanxi backup."""
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path}: no such file.")
    try:
        with tarfile.open(path, "r:") as tar:
            member = tar.getmember(MANIFEST)
            fh = tar.extractfile(member)
            manifest = json.loads(fh.read()) if fh else None
    except (tarfile.TarError, KeyError, ValueError, OSError, EOFError):
        raise BackupError(f"{path} is not a Guanxi backup (no readable manifest) or it is damaged.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a Guanxi backup.")
    if manifest.get("format_version") not in READABLE_VERSIONS:
        raise BackupError(f"{path} uses backup format {manifest.get('format_version')}; this version of Guanxi "
                          f"reads formats {', '.join(map(str, READABLE_VERSIONS))}. Upgrade Guanxi first.")
    return manifest


def _unpack(path: Path, manifest: dict[str, Any], payload: Path, root: Path) -> Path | None:
    """Check every tar entry, extract the database payload to `payload` and stage the files beside `root`.

    The staged folder (None for a format 1 backup, which has no files); BackupError if anything is wrong."""
    try:
        with tarfile.open(path, "r:") as tar:
            listed = files.check_manifest(manifest.get("files")) if manifest["format_version"] >= 2 else None
            expected: dict[str, int | None] = {MANIFEST: None, str(manifest.get("payload")): None}
            expected.update({name: entry["size"] for name, entry in (listed or {}).items()})
            files.check_members(tar, expected)
            src = tar.extractfile(manifest["payload"])
            if src is None:
                raise KeyError(manifest["payload"])
            with open(payload, "wb") as out:
                shutil.copyfileobj(src, out, files.CHUNK)
            if _sha256(payload) != manifest.get("sha256"):
                raise BackupError(f"{path} is damaged: the checksum does not match. Nothing was restored.")
            if listed is None:
                return None
            try:
                return files.stage(tar, listed, root)
            except OSError as exc:
                raise BackupError(f"The attachment files could not be written beside {root} ({exc}). "
                                  "Nothing was restored.") from None
    except files.FilesRefused as exc:
        raise BackupError(f"{path} cannot be restored: {exc}. Nothing was restored.") from None
    except (tarfile.TarError, KeyError, OSError, EOFError):
        raise BackupError(f"{path} is damaged: its contents could not be read. Nothing was restored.") from None


def backup_restore(*, path: str | Path, using: str = DEFAULT_DB_ALIAS) -> BackupInfo:
    """Replace the database and the private files with the backup at `path`, after checking it. All or nothing:
    the files are swapped in only after the database restore succeeded; a format 1 backup leaves them alone."""
    engine = _engine(using)
    path = Path(path)
    manifest = backup_read_manifest(path)
    if manifest.get("engine") != engine:
        raise BackupError(f"This backup is of a {manifest.get('engine')} database; the current database is "
                          f"{engine}. Restore it on a {manifest.get('engine')} installation.")
    known = _known_migrations()
    unknown = [f"{app}.{name}" for app, names in manifest.get("migrations", {}).items() for name in names
               if app in known and name not in known[app]]
    if unknown:
        raise BackupError("This backup was made by a newer version of Guanxi (unknown migrations: "
                          f"{', '.join(unknown[:5])}). Upgrade Guanxi first.")
    root = files.private_root()
    with tempfile.TemporaryDirectory(prefix=".guanxi-restore-") as tmp:
        payload = Path(tmp) / PAYLOADS[engine]
        staged = _unpack(path, manifest, payload, root)
        expected = {str(k): int(v) for k, v in manifest.get("tables", {}).items()}
        try:
            restore = sqlite_restore if engine == "sqlite" else pg_restore
            actual = restore(using, payload, expected)
        except BaseException:
            if staged is not None:
                files.discard(staged)
            raise
    if staged is not None:
        try:
            files.swap_in(staged, root)
        except OSError as exc:
            raise BackupError(f"The database was restored, but the attachment folder {root} could not be replaced "
                              f"({exc}). The restored files are in {staged}: stop Guanxi and move them there.") \
                from None
    check_counts(expected, actual, where="the restored database", outcome="the database was replaced")
    return BackupInfo(path=path, manifest=manifest)


def _known_migrations() -> dict[str, set[str]]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known: dict[str, set[str]] = {}
    for app, name in loader.disk_migrations:
        known.setdefault(app, set()).add(name)
    return known
