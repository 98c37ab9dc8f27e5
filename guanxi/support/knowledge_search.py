"""Text handling of the knowledge-base search: what an article is searched by, how a query splits into
terms, and the highlighted snippet of a hit. The queries themselves are in selectors/knowledge.py.

Chinese has no spaces, so a query is split on whitespace and punctuation, and each run of CJK characters
longer than two into overlapping bigrams (退款申请 -> 退款, 款申, 申请); ASCII words stay whole. Everything
is NFKC-normalised and lower-cased, like `Article.search_text`.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from guanxi.core.fts import TrigramIndex, indexable
from guanxi.core.text import pinyin_keys

# The SQLite FTS5 index of migration 0003 (PostgreSQL: a pg_trgm GIN index on search_text): the whole
# search_text ("body"), and apart its first line, the title and pinyin ("head"), and its second, the tags and
# category ("tagline"), which ranking asks about.
_LINE1_END = "instr({row}search_text, char(10))"
_REST = "substr({row}search_text, " + _LINE1_END + " + 1)"
INDEX = TrigramIndex(
    "support_article", ("head", "tagline", "body"), sources=("search_text",),
    expressions=(("head", "substr({row}search_text, 1, " + _LINE1_END + " - 1)"),
                 ("tagline", "substr(" + _REST + ", 1, instr(" + _REST + ", char(10)) - 1)"),
                 ("body", "{row}search_text")))

_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_CJK_RUN = re.compile(f"[{_CJK}]+")
_SEPARATORS = re.compile(r"[\W_]+")
# Terms that say nothing about the topic; dropped unless nothing else is left. A CJK term is dropped if it
# holds a particle, is a common function word, or is made of function characters only.
_PARTICLES = set("的了吗呢吧啊呀哦么嘛")
_FUNCTION_CHARS = set("是我你您他她它们在有和与也就都而及或这那怎请把被给要会能想个一不")
_STOP_BIGRAMS = {"我们", "你们", "他们", "什么", "怎么", "可以", "请问", "一下", "这个", "那个", "如何", "是否",
                 "能否", "已经", "没有", "还是", "就是", "但是", "因为", "所以", "如果", "谢谢", "您好", "你好",
                 "麻烦", "一个", "不是", "现在", "时候", "为什", "需要", "希望", "问题"}
_STOP_WORDS = {"a", "an", "the", "to", "of", "and", "or", "is", "are", "was", "be", "my", "i", "you", "me",
               "how", "do", "does", "can", "could", "for", "in", "on", "at", "it", "what", "with", "please",
               "hi", "hello", "we", "our", "your", "this", "that", "not", "no", "if", "by", "from"}


def normalize(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").lower()


def _line(*parts: str) -> str:
    return " ".join(" ".join(p.split()) for p in parts if p)


def build_search_text(*, title: str, answer: str, category: str = "", tags: str = "", product: str = "") -> str:
    """What search matches, NFKC-normalised and lower-cased, in lines: 1 the title and its pinyin (full and
    initials), 2 the tags and category, 3 the product, then the answer. Ranking reads lines 1 and 2."""
    full, initials = pinyin_keys(title)
    return normalize("\n".join([_line(title, full, initials), _line(tags, "|", category), _line(product), answer]))


def _split(text: str) -> list[str]:
    terms: list[str] = []
    for chunk in _SEPARATORS.split(normalize(text)):
        pos = 0
        for run in _CJK_RUN.finditer(chunk):
            if run.start() > pos:
                terms.append(chunk[pos:run.start()])
            word = run.group()
            terms.extend([word] if len(word) <= 2 else [word[i:i + 2] for i in range(len(word) - 1)])
            pos = run.end()
        if pos < len(chunk):
            terms.append(chunk[pos:])
    return [t for t in terms if t]


def _is_stop(term: str) -> bool:
    if term.isascii():
        return term in _STOP_WORDS
    return (term in _STOP_BIGRAMS or any(ch in _PARTICLES for ch in term)
            or all(ch in _FUNCTION_CHARS for ch in term))


def query_terms(text: str, *, limit: int = 12) -> list[str]:
    """The search terms of a query or a ticket's text, in order, without duplicates, at most `limit`."""
    terms = list(dict.fromkeys(_split(text)))
    meaningful = [t for t in terms if not _is_stop(t)]
    return (meaningful or terms)[:limit]


def indexable_terms(terms: list[str]) -> list[str]:
    """The terms the SQLite FTS5 index can look up (2+ characters)."""
    return [t for t in terms if indexable(t)]


def _pattern(terms: list[str]) -> re.Pattern[str] | None:
    if not terms:
        return None
    return re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)


def highlight(text: str, terms: list[str], *, width: int | None = None) -> SafeString:
    """`text` escaped, with the terms wrapped in <mark>. With `width`: only a window of about that many
    characters around the first match (whitespace folded), with … where it was cut."""
    pattern = _pattern(terms)
    if width is not None:
        text = " ".join((text or "").split())
        first = pattern.search(text) if pattern else None
        start = max(0, first.start() - width // 4) if first else 0
        end = min(len(text), start + width)
        text = ("…" if start else "") + text[start:end] + ("…" if end < len(text) else "")
    if pattern is None:
        return mark_safe(escape(text))  # noqa: S308 - escaped
    parts: list[str] = []
    pos = 0
    for match in pattern.finditer(text):
        parts += [escape(text[pos:match.start()]), "<mark>", escape(match.group()), "</mark>"]
        pos = match.end()
    parts.append(escape(text[pos:]))
    return mark_safe("".join(parts).replace("</mark><mark>", ""))  # noqa: S308 - every piece of the text is escaped


def decorate(articles: list[Any], terms: list[str], *, width: int = 160) -> list[Any]:
    """Give each hit its highlighted `title_html` and `snippet_html` (from the answer)."""
    for article in articles:
        article.title_html = highlight(article.title, terms)
        article.snippet_html = highlight(article.answer, terms, width=width)
    return articles
