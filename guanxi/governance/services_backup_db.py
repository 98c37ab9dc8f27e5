"""The database part of a backup (services_backup.py): SQLite's online backup API, or pg_dump / pg_restore.

Each engine returns the row count of every table; a restore goes into a scratch copy first (a temporary
file / database), is checked there, and only then replaces the live database.
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import uuid
from pathlib import Path
from typing import Any

from django.db import connections


class BackupError(Exception):
    """A backup could not be made or restored; the message says why, for the person running it."""


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


def sqlite_backup(using: str, payload: Path) -> dict[str, int]:
    target = sqlite3.connect(payload)
    try:
        _sqlite_raw(using).backup(target)  # one step: a consistent snapshot
        target.execute("PRAGMA journal_mode=DELETE")  # a self-contained file, no -wal beside it
        return _sqlite_counts(target)
    finally:
        target.close()


def sqlite_restore(using: str, payload: Path, expected: dict[str, int]) -> dict[str, int]:
    scratch = sqlite3.connect(payload)
    try:
        check = scratch.execute("PRAGMA integrity_check").fetchone()[0]
        if check != "ok":
            raise BackupError(f"The database in the backup is damaged ({check}); nothing was restored.")
        check_counts(expected, _sqlite_counts(scratch), where="the backup's database")
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


def pg_backup(using: str, payload: Path) -> dict[str, int]:
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


def pg_restore(using: str, payload: Path, expected: dict[str, int]) -> dict[str, int]:
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
                check_counts(expected, _pg_counts(cur), where="the restored copy")
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

def check_counts(expected: dict[str, int], actual: dict[str, int], *, where: str,
                 outcome: str = "nothing was restored") -> None:
    wrong = {t: (n, actual.get(t)) for t, n in expected.items() if actual.get(t) != n}
    if wrong:
        detail = ", ".join(f"{t}: expected {n}, found {m}" for t, (n, m) in sorted(wrong.items())[:10])
        raise BackupError(f"Row counts in {where} do not match the backup's manifest ({detail}); "
                          f"{outcome}.")
