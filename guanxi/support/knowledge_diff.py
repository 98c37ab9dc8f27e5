"""A simple diff between two versions of an article, as segments the template renders escaped."""

from __future__ import annotations

from difflib import SequenceMatcher
from typing import Any

# Longer texts are compared line by line (a character diff of two long texts is slow and unreadable).
CHARACTER_LIMIT = 2000


def _units(text: str, by_line: bool) -> list[str]:
    return text.splitlines(keepends=True) if by_line else list(text)


def text_diff(old: str, new: str) -> list[tuple[str, str]]:
    """[(op, text)] with op "equal", "delete" or "insert": old + deletions = the old text, and so on."""
    old, new = old or "", new or ""
    by_line = max(len(old), len(new)) > CHARACTER_LIMIT
    a, b = _units(old, by_line), _units(new, by_line)
    segments: list[tuple[str, str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            segments.append(("equal", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            segments.append(("delete", "".join(a[i1:i2])))
        if j2 > j1:
            segments.append(("insert", "".join(b[j1:j2])))
    return segments


def version_diff(old: Any, new: Any) -> list[dict[str, Any]]:
    """Per field (question, category, tags, answer): whether it changed and its segments."""
    rows = []
    for name in ("title", "category", "tags", "answer"):
        before = getattr(old, name, "") if old is not None else ""
        after = getattr(new, name, "")
        rows.append({"name": name, "label": type(new)._meta.get_field(name).verbose_name,
                     "changed": before != after, "segments": text_diff(before, after)})
    return rows
