"""Backup and restore of the whole database into one file.

A backup is a tar file holding `manifest.json` and the database payload:
- SQLite: a consistent copy made with SQLite's online backup API (`database.sqlite3`);
- PostgreSQL: `pg_dump --format=custom` taken in the same snapshot as the row counts (`database.pgdump`).

The manifest names the format and its version, the app version, the database engine, the
row count of every table and the SHA-256 of the payload. `restore` refuses a damaged file
(checksum), a file that is not a Guanxi backup, and a backup of another engine; it restores
into a scratch copy first (a temporary file / database), checks every table's row count
there, and only then replaces the live data, so a failure leaves the current database as it was.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils import timezone

FORMAT = "guanxi-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
PAYLOADS = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}


class BackupError(Exception):
    """A backup could not be made or restored; the message says why, for the person running it."""


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


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


# -- SQLite ---------------------------------------------------------------------------------------

def _sqlite_counts(conn: sqlite3.Connection) -> dict[str, int]:
    tables = [r[0] for r in conn.execute(
        "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )]
    return {t: conn.execute(f"SELECT COUNT(*) FROM {_quote(t)}").fetchone()[0] for t in tables}  # noqa: S608


def _sqlite_raw(using: str) -> sqlite3.Connection:
    conn = connections[using]
    conn.ensure_connection()
    return conn.connection  # type: ignore[return-value]


def _sqlite_backup(using: str, payload: Path) -> dict[str, int]:
    target = sqlite3.connect(payload)
    try:
        _sqlite_raw(using).backup(target)  # one step: a consistent snapshot
        target.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        return _sqlite_counts(target)
    finally:
        target.close()


def _sqlite_restore(using: str, payload: Path, expected: dict[str, int]) -> dict[str, int]:
    scratch = sqlite3.connect(payload)
    try:
        check = scratch.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The database in the backup is damaged ({check}); nothing was restored.")
        _check_counts(expected, _sqlite_counts(scratch), where="the backup's database")
        conn = connections[using]
        if conn.in_atomic_block:
            raise BackupError("Restore cannot run inside a transaction.")
        # The backup API writes the whole copy into the live database in one step, under its lock:
        # other connections see either the old or the new data, and an error leaves the old.
        scratch.backup(_sqlite_raw(using))
    finally:
        scratch.close()
    return _sqlite_counts(_sqlite_raw(using))


# -- PostgreSQL -----------------------------------------------------------------------------------

def _pg_env(settings_dict: dict[str, Any], dbname: str | None = None) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if settings_dict.get(key):
            env[var] = str(settings_dict[key])
    env["PGDATABASE"] = dbname or settings_dict["NAME"]
    return env


def _pg_connect(settings_dict: dict[str, Any], dbname: str, autocommit: bool = True) -> Any:
    import psycopg

    params = {k: settings_dict.get(s) for k, s in (("host", "HOST"), ("port", "PORT"), ("user", "USER"),
                                                   ("password", "PASSWORD"))}
    return psycopg.connect(dbname=dbname, autocommit=autocommit, **{k: v for k, v in params.items() if v})


def _pg_counts(cur: Any) -> dict[str, int]:
    cur.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    )
    tables = [r[0] for r in cur.fetchall()]
    counts = {}
    for t in tables:
        cur.execute(f"SELECT COUNT(*) FROM {_quote(t)}")  # noqa: S608
        counts[t] = cur.fetchone()[0]
    return counts


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    if shutil.which(cmd[0]) is None:
        raise BackupError(f"{cmd[0]} is not installed; it is needed to {what} a PostgreSQL database.")
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)  # noqa: S603
    if proc.returncode != 0:
        raise BackupError(f"{cmd[0]} failed: {proc.stderr.strip()[-2000:]}")


def _pg_backup(using: str, payload: Path) -> dict[str, int]:
    sd = connections[using].settings_dict
    # Count rows and dump in the same snapshot, so the manifest matches the dump exactly.
    with _pg_connect(sd, sd["NAME"], autocommit=False) as conn, conn.cursor() as cur:
        cur.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        cur.execute("SELECT pg_export_snapshot()")
        snapshot = cur.fetchone()[0]
        counts = _pg_counts(cur)
        _run(["pg_dump", "--format=custom", "--no-owner", "--no-acl", f"--snapshot={snapshot}",
              f"--file={payload}"], _pg_env(sd), "back up")
        conn.rollback()
    return counts


def _pg_restore(using: str, payload: Path, expected: dict[str, int]) -> dict[str, int]:
    sd = connections[using].settings_dict
    live = sd["NAME"]
    scratch = f"{live[:40]}_restore_{uuid.uuid4().hex[:8]}"
    old = f"{live[:40]}_old_{uuid.uuid4().hex[:8]}"
    with _pg_connect(sd, "postgres") as admin:
        admin.execute(f"CREATE DATABASE {_quote(scratch)}")
        try:
            _run(["pg_restore", "--no-owner", "--no-acl", "--exit-on-error", "--single-transaction",
                  f"--dbname={scratch}", str(payload)], _pg_env(sd, scratch), "restore")
            with _pg_connect(sd, scratch) as conn, conn.cursor() as cur:
                _check_counts(expected, _pg_counts(cur), where="the restored copy")
        except BaseException:
            admin.execute(f"DROP DATABASE IF EXISTS {_quote(scratch)} WITH (FORCE)")
            raise
        # Swap: the restored copy takes the live name; the old database is dropped afterwards.
        for alias in connections:
            if connections[alias].settings_dict.get("NAME") == live:
                connections[alias].close()
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [live],
        )
        admin.execute(f"ALTER DATABASE {_quote(live)} RENAME TO {_quote(old)}")
        try:
            admin.execute(f"ALTER DATABASE {_quote(scratch)} RENAME TO {_quote(live)}")
        except BaseException:
            admin.execute(f"ALTER DATABASE {_quote(old)} RENAME TO {_quote(live)}")
            raise
        admin.execute(f"DROP DATABASE {_quote(old)} WITH (FORCE)")
    with _pg_connect(sd, live) as conn, conn.cursor() as cur:
        return _pg_counts(cur)


# -- shared ---------------------------------------------------------------------------------------

def _check_counts(expected: dict[str, int], actual: dict[str, int], *, where: str) -> None:
    wrong = {t: (n, actual.get(t)) for t, n in expected.items() if actual.get(t) != n}
    if wrong:
        detail = ", ".join(f"{t}: expected {n}, found {m}" for t, (n, m) in sorted(wrong.items())[:10])
        raise BackupError(f"Row counts in {where} do not match the backup's manifest ({detail}); "
                          "nothing was restored.")


def _migrations(using: str) -> dict[str, list[str]]:
    from django.db.migrations.recorder import MigrationRecorder

    applied: dict[str, list[str]] = {}
    for app, name in MigrationRecorder(connections[using]).applied_migrations():
        applied.setdefault(app, []).append(name)
    return {app: sorted(names) for app, names in sorted(applied.items())}


def backup_create(*, path: str | Path, using: str = DEFAULT_DB_ALIAS) -> BackupInfo:
    """Write a consistent backup of the database to `path` (a tar file)."""
    engine = _engine(using)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=path.parent, prefix=".guanxi-backup-") as tmp:
        payload = Path(tmp) / PAYLOADS[engine]
        counts = _sqlite_backup(using, payload) if engine == "sqlite" else _pg_backup(using, payload)
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
        }
        partial = Path(tmp) / "backup.tar"
        with tarfile.open(partial, "w") as tar:
            data = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            info = tarfile.TarInfo(MANIFEST)
            info.size = len(data)
            info.mtime = int(timezone.now().timestamp())
            tar.addfile(info, io.BytesIO(data))
            tar.add(payload, arcname=payload.name)
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
    if manifest.get("format_version") != FORMAT_VERSION:
        raise BackupError(f"{path} uses backup format {manifest.get('format_version')}; "
                          f"this version of Guanxi reads format {FORMAT_VERSION}.")
    return manifest


def backup_restore(*, path: str | Path, using: str = DEFAULT_DB_ALIAS) -> BackupInfo:
    """Replace the database with the backup at `path`, after checking it. All or nothing."""
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
    with tempfile.TemporaryDirectory(prefix=".guanxi-restore-") as tmp:
        payload = Path(tmp) / PAYLOADS[engine]
        try:
            with tarfile.open(path, "r:") as tar:
                src = tar.extractfile(manifest["payload"])
                if src is None:
                    raise KeyError(manifest["payload"])
                with open(payload, "wb") as out:
                    shutil.copyfileobj(src, out, 1 << 20)
        except (tarfile.TarError, KeyError, OSError, EOFError):
            raise BackupError(f"{path} is damaged: its database could not be read. Nothing was restored.") from None
        if _sha256(payload) != manifest.get("sha256"):
            raise BackupError(f"{path} is damaged: the checksum does not match. Nothing was restored.")
        expected = {str(k): int(v) for k, v in manifest.get("tables", {}).items()}
        if engine == "sqlite":
            actual = _sqlite_restore(using, payload, expected)
        else:
            actual = _pg_restore(using, payload, expected)
    _check_counts(expected, actual, where="the restored database")
    return BackupInfo(path=path, manifest=manifest)


def _known_migrations() -> dict[str, set[str]]:
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    known: dict[str, set[str]] = {}
    for app, name in loader.disk_migrations:
        known.setdefault(app, set()).add(name)
    return known
