"""Helpers for the backup tests: a private attachment folder per test, and rewriting backup tar files."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterable
from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage

from guanxi.governance.services_backup import MANIFEST
from guanxi.support.models import TicketAttachment


def read_manifest(path: Path) -> dict:
    with tarfile.open(path) as tar:
        return json.loads(tar.extractfile(MANIFEST).read())


def rewrite(src: Path, dst: Path, *, manifest: dict | None = None, replace: dict[str, bytes] | None = None,
            drop: Iterable[str] = (), extra: Iterable[tuple[tarfile.TarInfo, bytes | None]] = ()) -> None:
    """Copy a backup entry by entry: `manifest` replaces the manifest, `replace` gives entries new bytes,
    `drop` leaves entries out, `extra` adds (TarInfo, bytes or None for links) entries at the end."""
    replace, drop = replace or {}, set(drop)
    with tarfile.open(src) as old, tarfile.open(dst, "w") as new:
        for member in old.getmembers():
            if member.name in drop:
                continue
            if member.name == MANIFEST and manifest is not None:
                data = json.dumps(manifest).encode()
            else:
                data = replace.get(member.name, old.extractfile(member).read())
            info = tarfile.TarInfo(member.name)
            info.size = len(data)
            new.addfile(info, io.BytesIO(data))
        for info, data in extra:
            if data is not None:
                info.size = len(data)
            new.addfile(info, io.BytesIO(data) if data is not None else None)


def tree(root: Path) -> dict[str, bytes]:
    """Every file under root (relative path -> bytes): the folder's state, to compare before and after."""
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@pytest.fixture
def private_root(settings, tmp_path, monkeypatch) -> Path:
    """A private attachment folder for this test only (the shared test folder is used by other tests meanwhile);
    restores put their scratch and old folders beside it, in tmp_path/var."""
    root = tmp_path / "var" / "private"
    root.mkdir(parents=True)
    settings.GUANXI_PRIVATE_ROOT = root
    field = TicketAttachment._meta.get_field("file")
    monkeypatch.setattr(field, "storage", FileSystemStorage(location=root))
    return root
