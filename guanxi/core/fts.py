"""SQLite FTS5 trigram indexes that narrow substring searches, shared by the customer and knowledge-base search.

An index is a contentless FTS5 table `<table>_fts` with the trigram tokenizer over some text columns of
`<table>`, keyed by the row's id and kept in sync by triggers (so raw SQL writers are covered too). Every
indexed value ends with the U+001F sentinel, so every occurrence of two characters starts some trigram: a
two-character term is expanded through the `<table>_fts_vocab` table to the trigrams that start with it.

`candidates()` gives a superset of the matching ids (FTS5 folds case for all of Unicode); the caller
still applies its exact LIKE predicates to them. PostgreSQL needs none of this: pg_trgm GIN indexes serve
the LIKE predicates directly.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models.expressions import RawSQL

SENTINEL = "\x1f"
# The two-character expansion: the trigrams in [pair, pair + U+10FFFF) of the vocabulary.
_TOP = "\U0010ffff"


def fts_phrase(needle: str) -> str:
    return '"' + needle.replace('"', '""') + '"'


def caseless_pair(needle: str) -> bool:
    """Two characters whose FTS5 case folding is plain ASCII lower-casing (CJK, digits, ASCII...)."""
    for ch in needle:
        if ch.isascii():
            if not ch.isprintable():
                return False
        elif ch.lower() != ch or ch.upper() != ch or unicodedata.category(ch)[0] not in "LN":
            return False  # a cased letter outside ASCII: FTS5's folding may differ from str.lower()
    return True


def indexable(needle: str) -> bool:
    """Whether the index can find `needle`: 3+ characters, or two whose case folding is plain."""
    if not needle or SENTINEL in needle or "\x00" in needle:
        return False
    return len(needle) >= 3 or (len(needle) == 2 and caseless_pair(needle))


@dataclass(frozen=True)
class TrigramIndex:
    """`columns` are the FTS5 columns; each holds the table column of the same name, or the SQL expression
    given in `expressions` (`{row}` stands for the row: `new.`, `old.` or nothing). `sources`: the table
    columns they are made from, whose updates the trigger follows (default: `columns`)."""

    table: str
    columns: tuple[str, ...]
    expressions: tuple[tuple[str, str], ...] = ()
    sources: tuple[str, ...] = ()

    @property
    def fts(self) -> str:
        return f"{self.table}_fts"

    @property
    def vocab(self) -> str:
        return f"{self.fts}_vocab"

    # ------------------------------------------------------------------ reading

    def _match_part(self, needle: str, params: list[str], column: str | None) -> str:
        prefix = f"{{{column}}} : " if column else ""
        if len(needle) >= 3:
            params.append(prefix + fts_phrase(needle))
            return "%s"
        # One uncorrelated scalar subquery: evaluated once per statement. No trigram -> '""' matches nothing.
        quoted = "'\"' || replace(term, '\"', '\"\"') || '\"'"
        params += [prefix + "(", needle.lower(), needle.lower() + _TOP]
        return (f"%s || (SELECT coalesce(group_concat({quoted}, ' OR '), '\"\"') FROM {self.vocab}"  # noqa: S608
                " WHERE term >= %s AND term < %s) || ')'")

    def candidates(self, needles: Iterable[str], *, every: bool = False, column: str | None = None) -> RawSQL | None:
        """`SELECT rowid FROM fts WHERE fts MATCH …`: rows with any needle (or, with `every`, all of them), in
        any column or in `column` only; None if a needle cannot use the index (the caller scans instead)."""
        unique = list(dict.fromkeys(needles))
        if not unique or not all(indexable(n) for n in unique):
            return None
        params: list[str] = []
        parts = [self._match_part(n, params, column) for n in unique]
        if len(parts) > 1:
            parts = ["'(' || " + part + " || ')'" for part in parts]
        match = f" || ' {'AND' if every else 'OR'} ' || ".join(parts)
        return RawSQL(f"SELECT rowid FROM {self.fts} WHERE {self.fts} MATCH {match}", params)  # noqa: S608, S611

    # ------------------------------------------------------------------ creating and keeping the index

    def _values(self, prefix: str) -> str:
        expressions = dict(self.expressions)
        return ", ".join(f"{expressions.get(c, '{row}' + c).format(row=prefix)} || char(31)" for c in self.columns)

    def triggers(self) -> dict[str, str]:
        cols, fts, table = ", ".join(self.columns), self.fts, self.table
        sources = self.sources or self.columns
        changed = " OR ".join(f"old.{c} IS NOT new.{c}" for c in sources)
        return {
            f"{fts}_ai": f"""CREATE TRIGGER {fts}_ai AFTER INSERT ON {table} BEGIN
        INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {self._values('new.')});
    END""",  # noqa: S608
            f"{fts}_ad": f"""CREATE TRIGGER {fts}_ad AFTER DELETE ON {table} BEGIN
        INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {self._values('old.')});
    END""",  # noqa: S608
            f"{fts}_au": f"""CREATE TRIGGER {fts}_au AFTER UPDATE OF id, {', '.join(sources)} ON {table}
    WHEN old.id IS NOT new.id OR {changed} BEGIN
        INSERT INTO {fts}({fts}, rowid, {cols}) VALUES ('delete', old.id, {self._values('old.')});
        INSERT INTO {fts}(rowid, {cols}) VALUES (new.id, {self._values('new.')});
    END""",  # noqa: S608
        }

    def _fill(self) -> str:
        return (f"INSERT INTO {self.fts}(rowid, {', '.join(self.columns)}) "  # noqa: S608
                f"SELECT id, {self._values('')} FROM {self.table}")

    def create_sql(self) -> list[str]:
        """The statements a migration runs on SQLite to create, fill and hook up the index."""
        return [
            f"CREATE VIRTUAL TABLE {self.fts} USING fts5({', '.join(self.columns)}, content='', tokenize='trigram')",
            f"CREATE VIRTUAL TABLE {self.vocab} USING fts5vocab({self.fts}, 'row')",
            self._fill(),
            *self.triggers().values(),
        ]

    def drop_sql(self) -> list[str]:
        return [*(f"DROP TRIGGER IF EXISTS {name}" for name in reversed(list(self.triggers()))),
                f"DROP TABLE IF EXISTS {self.vocab}", f"DROP TABLE IF EXISTS {self.fts}"]

    def ensure(self, connection: Any) -> bool:
        """Recreate the sync triggers and refill the index if a migration dropped the triggers.

        Django rebuilds a SQLite table for many schema changes (copy, DROP TABLE, rename), which drops the
        table's triggers with it; the index would silently stop following the table. Call it from the app's
        `post_migrate` hook. Returns True if it had to repair.
        """
        if getattr(connection, "vendor", None) != "sqlite":
            return False
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name IN (%s, %s)",
                           [self.table, self.fts])
            if len(cursor.fetchall()) < 2:
                return False  # not migrated that far (or already migrated back)
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = %s", [self.table])
            present = {row[0] for row in cursor.fetchall()}
            triggers = self.triggers()
            if all(name in present for name in triggers):
                return False
            for name in triggers:
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            cursor.execute(f"INSERT INTO {self.fts}({self.fts}) VALUES ('delete-all')")  # noqa: S608
            cursor.execute(self._fill())
            for sql in triggers.values():
                cursor.execute(sql)
        return True
