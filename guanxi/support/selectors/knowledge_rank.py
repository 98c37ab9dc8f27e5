"""The queries behind the knowledge-base search: which articles match the terms, and their rank.

Matching uses the structures of migration 0003 so that no query reads every article's text:
* SQLite: the FTS5 trigram index decides for terms of 2+ characters (exact, as search_text and the terms
  are both lower-cased).
* PostgreSQL: terms of 3+ characters are `search_text LIKE '%term%'`, served by the pg_trgm GIN index;
  two-character terms (most Chinese words, which pg_trgm cannot serve) by the GIN index of the text's
  character pairs, `support_article_bigrams(search_text)`. That function is slow row by row, so it only
  appears where the index answers it, and the ranking statements run with sequential scans and JIT off
  (`index_scans()`).
* Single characters: LIKE, a scan (a few ms at 10,000 articles).

Ranking, per term: 5 if it is in the title (or its pinyin), 3 in the tags or category, 1 elsewhere; plus a
bonus for the ticket's product in suggestions; ties by use_count, then newest. The title and tags are the
first two lines of search_text (knowledge_search.build_search_text).
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from contextlib import contextmanager
from functools import reduce
from typing import Any

from django.db import connection, transaction
from django.db.models import BooleanField, Case, Expression, F, IntegerField, Q, QuerySet, TextField, Value, When

from ..knowledge_search import INDEX, decorate, indexable_terms
from ..models import Article

TITLE_WEIGHT, TAGS_WEIGHT, TEXT_WEIGHT, PRODUCT_BONUS = 5, 3, 1, 4
LINE_LOOKUP = {"head": "_head__contains", "tagline": "_tagline__contains", "body": "search_text__contains"}


def _search_text(compiler: Any) -> str:
    return str(compiler.compile(F("search_text").resolve_expression(compiler.query))[0])


class SearchLine(Expression):
    """Line 1 (title and pinyin) or 2 (tags and category) of Article.search_text."""

    output_field = TextField()

    def __init__(self, line: int) -> None:
        super().__init__()
        self.line = line

    def as_sql(self, compiler: Any, connection: Any) -> Any:  # PostgreSQL
        return f"split_part({_search_text(compiler)}, E'\\n', {int(self.line)})", []

    def as_sqlite(self, compiler: Any, connection: Any) -> Any:
        sql = _search_text(compiler)
        end1 = f"instr({sql}, char(10))"
        if self.line == 1:
            return f"substr({sql}, 1, {end1} - 1)", []
        rest = f"substr({sql}, {end1} + 1)"
        return f"substr({rest}, 1, instr({rest}, char(10)) - 1)", []


class HasPairs(Expression):
    """PostgreSQL: search_text holds all (`every`) or any of the two-character terms, through the pairs index."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, pairs: list[str], *, every: bool) -> None:
        super().__init__()
        self.pairs, self.every = pairs, every

    def as_sql(self, compiler: Any, connection: Any) -> Any:
        return f"support_article_bigrams({_search_text(compiler)}) {'@>' if self.every else '&&'} %s::text[]", [self.pairs]


def _sqlite() -> bool:
    return connection.vendor == "sqlite"


def _like(term: str) -> Q:
    return Q(search_text__contains=term)


def _pg_match(terms: list[str], *, every: bool) -> Q:
    pairs = [t for t in terms if len(t) == 2]
    if not every and any(len(t) == 1 for t in terms):
        return reduce(operator.or_, (_like(t) for t in terms))  # a scan anyway: no pairs function in it
    likes = [_like(t) for t in terms if len(t) != 2]
    if pairs:
        likes.insert(0, Q(HasPairs(pairs, every=every)))
    return reduce(operator.and_ if every else operator.or_, likes)


def match(terms: list[str], *, every: bool) -> Q:
    """Articles with all the terms (`every`) or any of them."""
    if not _sqlite():
        return _pg_match(terms, every=every)
    indexed = indexable_terms(terms)
    if every:
        q = Q(pk__in=INDEX.candidates(indexed, every=True, column="body")) if indexed else Q()
        return reduce(operator.and_, (_like(t) for t in terms if t not in indexed), q)
    if len(indexed) == len(terms):
        return Q(pk__in=INDEX.candidates(terms, column="body"))
    return reduce(operator.or_, (_like(t) for t in terms))


def _in(term: str, column: str) -> Q:
    """The term is in the title line ("head"), the tags line ("tagline") or anywhere ("body"). SQLite: one
    id set from the FTS5 index per statement, far cheaper than string work on each candidate, term after
    term. PostgreSQL: LIKE on the short lines; for the body one id set through its indexes."""
    if _sqlite():
        candidates = INDEX.candidates([term], column=column)
        if candidates is not None:
            return Q(pk__in=candidates)
    elif column == "body" and len(term) > 1:
        return Q(pk__in=Article.objects.filter(_pg_match([term], every=True)).values("pk"))
    return Q(**{LINE_LOOKUP[column]: term})


def _score(terms: list[str], *, every: bool, product_id: int | None) -> Any:
    parts: list[Any] = []
    for term in terms:
        whens = [When(_in(term, "head"), then=Value(TITLE_WEIGHT)), When(_in(term, "tagline"), then=Value(TAGS_WEIGHT))]
        if not every:  # with all terms required, each one is in the text anyway
            whens.append(When(_in(term, "body"), then=Value(TEXT_WEIGHT)))
        parts.append(Case(*whens, default=Value(TEXT_WEIGHT if every else 0), output_field=IntegerField()))
    if product_id:
        parts.append(Case(When(product_id=product_id, then=Value(PRODUCT_BONUS)), default=Value(0),
                          output_field=IntegerField()))
    return reduce(operator.add, parts)


@contextmanager
def index_scans() -> Iterator[None]:
    """PostgreSQL: no sequential scans (which would compute the pairs function row by row) and no JIT (the
    function's high cost estimate would trigger a compile costing more than the query) for the statements
    inside; the previous settings come back after. Elsewhere: nothing."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('enable_seqscan'), current_setting('jit'), "
                       "set_config('enable_seqscan', 'off', true), set_config('jit', 'off', true)")
        seqscan, jit = cursor.fetchone()[:2]
        yield  # on an error the savepoint's rollback undoes the settings
        cursor.execute("SELECT set_config('enable_seqscan', %s, true), set_config('jit', %s, true)", [seqscan, jit])


def ranked(base: QuerySet[Article], terms: list[str], *, limit: int, product_id: int | None = None) -> list[Article]:
    """The best `limit` of `base` for the terms: all terms first, then (to fill up) any term. Ids and scores
    are ranked first (narrow rows to sort), then the winners fetched whole, with `score`, `title_html` and
    `snippet_html`."""
    hits: list[tuple[int, int]] = []
    with index_scans():
        for every in (True, False):
            if not every and (len(terms) < 2 or len(hits) >= limit):
                break
            qs = base.filter(match(terms, every=every)).exclude(pk__in=[pk for pk, _score in hits])
            qs = qs.alias(_head=SearchLine(1), _tagline=SearchLine(2)).annotate(
                score=_score(terms, every=every, product_id=product_id))
            hits += list(qs.order_by("-score", "-use_count", "-id").values_list("pk", "score")[: limit - len(hits)])
    rows = Article.objects.select_related("product").defer("search_text").in_bulk([pk for pk, _score in hits])
    found = []
    for pk, score in hits:
        rows[pk].score = score  # type: ignore[attr-defined]
        found.append(rows[pk])
    return decorate(found, terms)
