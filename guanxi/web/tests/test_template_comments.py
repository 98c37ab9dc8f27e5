"""Django's `{# … #}` comments end at the line's end: one spread over lines is printed on the page."""

from __future__ import annotations

from pathlib import Path

import guanxi

ROOT = Path(guanxi.__file__).resolve().parent


def test_no_multi_line_short_comments():
    offenders = []
    for template in ROOT.rglob("templates/**/*.html"):
        for number, line in enumerate(template.read_text(encoding="utf-8").splitlines(), 1):
            rest = line
            while "{#" in rest:
                rest = rest.split("{#", 1)[1]
                if "#}" not in rest:
                    offenders.append(f"{template.relative_to(ROOT)}:{number}")
                    break
                rest = rest.split("#}", 1)[1]
    assert offenders == []
