"""The private files (ticket attachments under GUANXI_PRIVATE_ROOT) in a backup.

Backing up: every regular file under the root goes into the tar as `files/<relative path>`, read once
and hashed while it is copied, so the manifest's size and SHA-256 describe exactly the bytes in the tar
(no file is read into memory as a whole). A symbolic link or special file in the root stops the backup:
it could not be restored safely.

Restoring: `check_members` refuses the whole backup before anything is written if any tar entry has an
absolute or `..` path, is a link or device, is not listed in the manifest, or a listed file is missing.
`stage` streams the files into a scratch folder beside the root, checking each size and checksum; `swap_in`
replaces the root with it only after the database restore has succeeded, keeping the old folder until the
new one is in place. The scratch folder must be on the same disk as the root (a rename, not a copy), so the
root itself may not be a mount point.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import stat
import tarfile
import tempfile
import uuid
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import IO, Any, TypeGuard

from django.conf import settings

PREFIX = "files/"
STAGING = ".guanxi-restore-"
OLD = ".guanxi-old-"
CHUNK = 1 << 20


class FilesRefused(Exception):
    """Why a backup's files cannot be backed up or restored (unsafe, inconsistent, or no place to put them)."""


def private_root() -> Path:
    """The folder the attachments live in; a symlinked root is followed, so a restore replaces its target."""
    return Path(settings.GUANXI_PRIVATE_ROOT).resolve()


class _HashingReader:
    """Reads a file for tarfile while counting and hashing the bytes actually copied."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.digest = hashlib.sha256()

    def read(self, size: int = -1) -> bytes:
        data = self.fh.read(size)
        self.digest.update(data)
        return data


def _walk(root: Path) -> list[tuple[str, Path]]:
    """(relative POSIX path, absolute path) of every regular file under root, sorted; refuses links."""
    found: list[tuple[str, Path]] = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if here == root:  # leftovers of an interrupted restore are not data
            dirnames[:] = [d for d in dirnames if not d.startswith((STAGING, OLD))]
        for name in [*dirnames, *filenames]:
            full = here / name
            try:
                mode = os.lstat(full).st_mode
            except FileNotFoundError:
                continue
            if stat.S_ISREG(mode):
                found.append((full.relative_to(root).as_posix(), full))
            elif not stat.S_ISDIR(mode):
                raise FilesRefused(f"{full} is a link or special file; the attachment folder {root} may hold only "
                                   "folders and regular files")
    return sorted(found)


def add_files(tar: tarfile.TarFile, root: Path, mtime: int) -> list[dict[str, Any]]:
    """Stream every file under root into `tar` as files/<path>; the manifest entries for them."""
    if not root.is_dir():
        return []
    entries = []
    for rel, full in _walk(root):
        try:
            fh = open(full, "rb")  # noqa: SIM115 - closed below
        except FileNotFoundError:  # an orphan removed after a rolled-back upload: its row never existed
            continue
        except OSError as exc:
            raise FilesRefused(f"{full} cannot be read ({exc.strerror})") from None
        with fh:
            info = tarfile.TarInfo(PREFIX + rel)
            info.size = os.fstat(fh.fileno()).st_size  # a file that shrinks meanwhile makes tarfile fail
            info.mtime, info.mode = mtime, 0o600
            reader = _HashingReader(fh)
            tar.addfile(info, reader)  # type: ignore[arg-type]  # tarfile only calls read()
        entries.append({"path": rel, "size": info.size, "sha256": reader.digest.hexdigest()})
    return entries


def _safe(path: Any) -> TypeGuard[str]:
    """A relative POSIX path without '..', '.', empty parts, backslashes or drive letters."""
    if not isinstance(path, str) or not path or "\\" in path or "\x00" in path:
        return False
    parts = path.split("/")
    return (not PurePosixPath(path).is_absolute() and not PureWindowsPath(path).anchor
            and all(p not in ("", ".", "..") for p in parts))


def check_manifest(files: Any) -> dict[str, dict[str, Any]]:
    """The manifest's file list by tar name, after checking every path, size and checksum field."""
    if not isinstance(files, list):
        raise FilesRefused("its file list is not a list")
    by_name: dict[str, dict[str, Any]] = {}
    for entry in files:
        path = entry.get("path") if isinstance(entry, dict) else None
        if not _safe(path):
            raise FilesRefused(f"it lists an unsafe path ({path!r}): paths must be relative, inside the folder")
        size, digest = entry.get("size"), entry.get("sha256")
        if type(size) is not int or size < 0 or not isinstance(digest, str) or len(digest) != 64:
            raise FilesRefused(f"its entry for {path} has no valid size or checksum")
        if PREFIX + path in by_name:
            raise FilesRefused(f"it lists {path} twice")
        by_name[PREFIX + path] = entry
    return by_name


def check_members(tar: tarfile.TarFile, expected: dict[str, int | None]) -> None:
    """Refuse any tar entry that is unsafe, a link or device, unexpected or doubled, or a missing/odd-sized file.

    `expected`: tar name -> size (None: any size) of everything the backup should hold."""
    seen: set[str] = set()
    for member in tar.getmembers():
        name = member.name
        if not _safe(name):
            raise FilesRefused(f"it holds an unsafe path ({name!r}): paths must be relative, inside the folder")
        if not member.isreg():
            raise FilesRefused(f"it holds a link or special file ({name})")
        if name not in expected:
            raise FilesRefused(f"it holds an entry its manifest does not list ({name})")
        if name in seen:
            raise FilesRefused(f"it holds {name} twice")
        if expected[name] is not None and member.size != expected[name]:
            raise FilesRefused(f"the size of {name} does not match the manifest")
        seen.add(name)
    missing = sorted(set(expected) - seen)
    if missing:
        raise FilesRefused(f"{len(missing)} file(s) listed in its manifest are missing, e.g. {missing[0]}")


def stage(tar: tarfile.TarFile, files: dict[str, dict[str, Any]], root: Path) -> Path:
    """Stream the backup's files into a new scratch folder beside root, checking each checksum; its path.

    The scratch folder is removed again if anything fails (FilesRefused, or OSError such as a full disk)."""
    root.parent.mkdir(parents=True, exist_ok=True)
    staged = Path(tempfile.mkdtemp(dir=root.parent, prefix=f"{STAGING}{root.name}-"))
    try:
        if root.is_dir() and (os.path.ismount(root) or os.stat(root).st_dev != os.stat(staged).st_dev):
            raise FilesRefused(f"the attachment folder {root} is a mount point; restore replaces the whole folder, "
                               "so set GUANXI_PRIVATE_ROOT to a folder inside the mounted disk")
        if root.is_dir():
            os.chmod(staged, stat.S_IMODE(os.stat(root).st_mode))
        for name, entry in files.items():
            dest = staged.joinpath(*entry["path"].split("/"))
            if not dest.resolve().is_relative_to(staged.resolve()):  # _safe() already rules this out
                raise FilesRefused(f"it holds an unsafe path ({entry['path']!r})")
            dest.parent.mkdir(parents=True, exist_ok=True)
            src = tar.extractfile(name)
            if src is None:
                raise FilesRefused(f"{name} cannot be read")
            digest, size = hashlib.sha256(), 0
            with open(dest, "xb") as out:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    size += len(chunk)
                    out.write(chunk)
            if size != entry["size"] or digest.hexdigest() != entry["sha256"]:
                raise FilesRefused(f"the checksum of {entry['path']} does not match")
    except BaseException:
        shutil.rmtree(staged, ignore_errors=True)
        raise
    return staged


def discard(staged: Path) -> None:
    shutil.rmtree(staged, ignore_errors=True)


def swap_in(staged: Path, root: Path) -> None:
    """Put the staged folder in root's place (two renames on one disk); the old folder goes only afterwards.

    OSError if a rename fails; the old folder is then put back and `staged` is left for the caller to report."""
    old = root.parent / f"{OLD}{root.name}-{uuid.uuid4().hex[:8]}"
    had_root = root.exists()
    if had_root:
        os.rename(root, old)
    try:
        os.rename(staged, root)
    except BaseException:
        if had_root:
            os.rename(old, root)
        raise
    if had_root:
        shutil.rmtree(old, ignore_errors=True)
