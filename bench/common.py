"""Helpers shared by the bench modules: the machine, percentiles and medians, the RESULTS.md sections.

Imports nothing from Django at module level, so a bench module can import it before `django.setup()`.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
OUT = BENCH / "out"
RESULTS = BENCH / "RESULTS.md"


# ---------------------------------------------------------------- percentiles and medians


def pct(values: Sequence[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100)."""
    ordered = sorted(values)
    k = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[k]


def p50_p95(prefix: str, values: Sequence[float]) -> dict[str, float]:
    """`{prefix}_p50` (the median) and `{prefix}_p95` (nearest rank) of one series of timings."""
    return {f"{prefix}_p50": statistics.median(values), f"{prefix}_p95": pct(values, 95)}


def median_of_runs(runs: Iterable[dict[str, Any]], keys: Iterable[str]) -> dict[str, float]:
    """The median over runs of each of `keys` (each run a dict of figures)."""
    runs = list(runs)
    return {k: statistics.median(r[k] for r in runs) for k in keys}


def replay(queries: Iterable[tuple[str, Any]]) -> float:
    """Milliseconds to run captured (sql, params) pairs again through Django's cursor, fetching every row."""
    from django.db import connection

    t0 = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, params in queries:
            cursor.execute(sql, params)
            cursor.fetchall()
    return (time.perf_counter() - t0) * 1000


# ---------------------------------------------------------------- the machine


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, e.g. "2.1 1.4 2.2"."""
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def db_version(connection: Any = None) -> str:
    """"SQLite 3.x" or "PostgreSQL 15.x (…)" for Django's connection (the default one if not given)."""
    if connection is None:
        from django.db import connection
    if connection.vendor == "postgresql":
        with connection.cursor() as c:
            c.execute("SHOW server_version")
            return f"PostgreSQL {c.fetchone()[0]}"
    import sqlite3

    return f"SQLite {sqlite3.sqlite_version}"


def machine(connection: Any = None) -> dict[str, str]:
    """Cores, CPU, Python/Django/SQLite (and PostgreSQL) versions, date and load average, as strings."""
    import sqlite3

    import django

    if connection is None:
        from django.db import connection
    info = {"cores": str(os.cpu_count()), "cpu": cpu_model(), "python": platform.python_version(),
            "django": django.get_version(), "sqlite": sqlite3.sqlite_version, "database": connection.vendor,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()), "load_average_1_5_15": load_average()}
    if connection.vendor == "postgresql":
        info["postgresql"] = db_version(connection).removeprefix("PostgreSQL ")
    return info


def machine_summary(*, load: str | None = None, database: str | None = None) -> str:
    """One line for RESULTS.md: "2 cores[ (shared, load average … at the end)], <CPU>; Python 3.x; SQLite 3.x"."""
    import sqlite3

    cores = f"{os.cpu_count()} cores" + (f" (shared, load average {load} at the end)" if load else "")
    return f"{cores}, {cpu_model()}; Python {platform.python_version()}; {database or 'SQLite ' + sqlite3.sqlite_version}"


# ---------------------------------------------------------------- scratch databases


def copy_and_migrate(source: Path, target: Path) -> None:
    """Copy the shared datagen file (read-only for us) and migrate the copy (once: kept if it exists)."""
    if target.exists():
        return
    print(f"copying {source} -> {target} and migrating the copy …", flush=True)
    tmp = target.with_suffix(".partial")
    shutil.copyfile(source, tmp)
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp}", "DJANGO_SETTINGS_MODULE": "bench.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput"], cwd=ROOT, env=env, check=True)
    tmp.rename(target)


# ---------------------------------------------------------------- RESULTS.md sections


def markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def read_section(name: str) -> str:
    """What stands between this module's markers in RESULTS.md ("" if there is no such section)."""
    start, end = markers(name)
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else ""
    if start in text and end in text:
        return text.split(start, 1)[1].split(end, 1)[0]
    return ""


def write_section(name: str, text: str) -> None:
    """Replace `<!-- name:start -->…<!-- name:end -->` in RESULTS.md with `text` (append the section if
    absent); the rest of the file is left as it is."""
    start, end = markers(name)
    current = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    block = f"{start}\n{text.strip()}\n{end}"
    if start in current and end in current:
        current = re.sub(re.escape(start) + r".*?" + re.escape(end), lambda _m: block, current, flags=re.S)
    else:
        current = current.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(current, encoding="utf-8")
