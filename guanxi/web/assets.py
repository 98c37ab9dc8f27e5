"""Front-end libraries are installed by npm (package-lock.json) and copied here; never loaded from a CDN."""

from __future__ import annotations

import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
NODE_MODULES = ROOT / "node_modules"
VENDOR = Path(__file__).resolve().parent / "static" / "vendor"

FILES = {
    "htmx.org/dist/htmx.min.js": "htmx.min.js",
    "alpinejs/dist/cdn.min.js": "alpine.min.js",
    "echarts/dist/echarts.min.js": "echarts.min.js",
    "sortablejs/Sortable.min.js": "Sortable.min.js",
    "bootstrap/dist/css/bootstrap.min.css": "bootstrap.min.css",
    "bootstrap/dist/js/bootstrap.bundle.min.js": "bootstrap.bundle.min.js",
    "bootstrap-icons/font/bootstrap-icons.min.css": "bootstrap-icons.min.css",
}
DIRS = {"bootstrap-icons/font/fonts": "fonts"}


def copy_assets() -> None:
    if not NODE_MODULES.is_dir():
        raise SystemExit("node_modules is missing: run `npm ci` first (scripts/bootstrap does).")
    VENDOR.mkdir(parents=True, exist_ok=True)
    for src, dest in FILES.items():
        shutil.copy2(NODE_MODULES / src, VENDOR / dest)
    for src, dest in DIRS.items():
        shutil.copytree(NODE_MODULES / src, VENDOR / dest, dirs_exist_ok=True)
