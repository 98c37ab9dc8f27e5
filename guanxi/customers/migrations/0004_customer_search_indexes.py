"""Index-backed substring search on customers (see guanxi/customers/search.py).

PostgreSQL: pg_trgm GIN indexes on exactly the expressions the ORM generates for the search
(`icontains` -> UPPER("name"::text) LIKE UPPER(%s); `contains` -> "search_pinyin"::text LIKE %s).

SQLite: a contentless FTS5 table with the trigram tokenizer over (name, short_name, search_pinyin,
search_initials), keyed by the customer's rowid, kept in sync by triggers -- so raw SQL writers
(the demo/bench writer, the import's raw writes) are covered too. Every indexed value ends with
the U+001F sentinel so that a two-character term's occurrences all sit at the start of some
trigram (the search expands it through the fts5vocab table).

Not in the model state: neither backend has the other's index type.
"""

from django.db import migrations

FTS = "customers_customer_fts"
COLUMNS = ("name", "short_name", "search_pinyin", "search_initials")


def _values(prefix: str) -> str:
    return ", ".join(f"{prefix}{c} || char(31)" for c in COLUMNS)


SQLITE_FORWARD = [
    f"CREATE VIRTUAL TABLE {FTS} USING fts5({', '.join(COLUMNS)}, content='', tokenize='trigram')",
    f"CREATE VIRTUAL TABLE {FTS}_vocab USING fts5vocab({FTS}, 'row')",
    f"INSERT INTO {FTS}(rowid, {', '.join(COLUMNS)}) SELECT id, {_values('')} FROM customers_customer",  # noqa: S608
    f"""CREATE TRIGGER {FTS}_ai AFTER INSERT ON customers_customer BEGIN
        INSERT INTO {FTS}(rowid, {', '.join(COLUMNS)}) VALUES (new.id, {_values('new.')});
    END""",  # noqa: S608
    f"""CREATE TRIGGER {FTS}_ad AFTER DELETE ON customers_customer BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {', '.join(COLUMNS)}) VALUES ('delete', old.id, {_values('old.')});
    END""",  # noqa: S608
    f"""CREATE TRIGGER {FTS}_au AFTER UPDATE OF id, {', '.join(COLUMNS)} ON customers_customer
    WHEN old.id IS NOT new.id OR {' OR '.join(f'old.{c} IS NOT new.{c}' for c in COLUMNS)} BEGIN
        INSERT INTO {FTS}({FTS}, rowid, {', '.join(COLUMNS)}) VALUES ('delete', old.id, {_values('old.')});
        INSERT INTO {FTS}(rowid, {', '.join(COLUMNS)}) VALUES (new.id, {_values('new.')});
    END""",  # noqa: S608
]
SQLITE_REVERSE = [
    f"DROP TRIGGER IF EXISTS {FTS}_au",
    f"DROP TRIGGER IF EXISTS {FTS}_ad",
    f"DROP TRIGGER IF EXISTS {FTS}_ai",
    f"DROP TABLE IF EXISTS {FTS}_vocab",
    f"DROP TABLE IF EXISTS {FTS}",
]

PG_INDEXES = {
    "customer_name_trgm": 'UPPER(("name")::text) gin_trgm_ops',
    "customer_short_name_trgm": 'UPPER(("short_name")::text) gin_trgm_ops',
    "customer_pinyin_trgm": '("search_pinyin") gin_trgm_ops',
    "customer_initials_trgm": '("search_initials") gin_trgm_ops',
}
PG_FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    *(f"CREATE INDEX IF NOT EXISTS {name} ON customers_customer USING gin ({expr})"
      for name, expr in PG_INDEXES.items()),
]
# The extension stays (other objects may use it).
PG_REVERSE = [f"DROP INDEX IF EXISTS {name}" for name in PG_INDEXES]


def _run(statements: dict[str, list[str]]):
    def run(apps, schema_editor) -> None:
        for sql in statements.get(schema_editor.connection.vendor, []):
            schema_editor.execute(sql, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("customers", "0003_customerteammember_customer_claimed_at_and_more"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE_FORWARD, "postgresql": PG_FORWARD}),
            _run({"sqlite": SQLITE_REVERSE, "postgresql": PG_REVERSE}),
            elidable=False,
        ),
    ]
