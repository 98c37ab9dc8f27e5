"""Index-backed knowledge-base search (see guanxi/support/knowledge_search.py).

SQLite: a contentless FTS5 trigram table over support_article.search_text (whole, and its first two lines
apart: title and pinyin, tags and category), kept by triggers (guanxi/core/fts.py, the same machinery as the
customer search); the support app's post-migrate hook recreates the triggers if a table rebuild drops them.
The spec is repeated here (a migration is frozen); a test checks it equals knowledge_search.INDEX.
PostgreSQL: a pg_trgm GIN index on search_text, which serves `search_text LIKE '%term%'` for terms of 3+
characters, and a GIN index of the text's distinct character pairs for two-character terms (most Chinese
words), which pg_trgm cannot serve. The pairs function is costly per row: PARALLEL UNSAFE and a high COST
keep the planner on the index (where GIN's array containment needs no recheck) rather than a scan.

Not in the model state: neither backend has the other's index type.
"""

from django.db import migrations

from guanxi.core.fts import TrigramIndex

_LINE1_END = "instr({row}search_text, char(10))"
_REST = "substr({row}search_text, " + _LINE1_END + " + 1)"
INDEX = TrigramIndex(
    "support_article", ("head", "tagline", "body"), sources=("search_text",),
    expressions=(("head", "substr({row}search_text, 1, " + _LINE1_END + " - 1)"),
                 ("tagline", "substr(" + _REST + ", 1, instr(" + _REST + ", char(10)) - 1)"),
                 ("body", "{row}search_text")))
PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE INDEX IF NOT EXISTS support_article_search_trgm ON support_article USING gin (search_text gin_trgm_ops)",
    """CREATE OR REPLACE FUNCTION support_article_bigrams(t text) RETURNS text[]
        LANGUAGE sql IMMUTABLE STRICT PARALLEL UNSAFE COST 1000 AS
        $$ SELECT coalesce(array_agg(DISTINCT substr(t, i, 2)), '{}') FROM generate_series(1, char_length(t) - 1) AS i $$""",
    "CREATE INDEX IF NOT EXISTS support_article_bigram_gin ON support_article USING gin (support_article_bigrams(search_text))",
]
# The extension stays (other objects use it).
PG_REVERSE = [
    "DROP INDEX IF EXISTS support_article_bigram_gin",
    "DROP FUNCTION IF EXISTS support_article_bigrams(text)",
    "DROP INDEX IF EXISTS support_article_search_trgm",
]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("support", "0002_service_desk"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": INDEX.create_sql(), "postgresql": PG_FORWARD}),
            _run({"sqlite": INDEX.drop_sql(), "postgresql": PG_REVERSE}),
            elidable=False,
        ),
    ]
