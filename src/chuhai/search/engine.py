"""Where the full-text match runs: the one narrow interface a dedicated engine replaces.

``match(session, expression, limit)`` returns the best ``limit`` document ids for a match
expression built by ``search/text.py`` (tokens with AND/OR), with the engine's relevance.
SQLite answers from FTS5 (bm25, the title weighted above the body); PostgreSQL from the
``tsvector`` GIN index (``ts_rank``, weights A and B). Everything else — the query plan,
typo correction, ranking, facets, pages — is the same above it. An OpenSearch or Meilisearch
engine would index the same documents (the tokens, or the raw title and body with its own
analyzers) and implement this one method; see docs/search.md.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from chuhai.search.text import Query, match_expression


class FullText(Protocol):
    async def match(self, s: AsyncSession, q: Query, limit: int) -> list[tuple[int, float]]:
        """(document id, relevance: higher is better), best first."""
        ...


class SqliteFts5:
    async def match(self, s: AsyncSession, q: Query, limit: int) -> list[tuple[int, float]]:
        rows = await s.execute(text(
            "SELECT rowid, bm25(search_fts, 10.0, 2.0) AS r FROM search_fts "
            "WHERE search_fts MATCH :e ORDER BY r LIMIT :n"),
            {"e": match_expression(q, "sqlite"), "n": limit})
        return [(int(i), -float(r)) for i, r in rows.all()]


class PostgresFullText:
    async def match(self, s: AsyncSession, q: Query, limit: int) -> list[tuple[int, float]]:
        rows = await s.execute(text(
            "SELECT id, ts_rank(tsv, query) AS r FROM search_documents, "
            "to_tsquery('simple', :e) AS query WHERE tsv @@ query ORDER BY r DESC LIMIT :n"),
            {"e": match_expression(q, "postgresql"), "n": limit})
        return [(int(i), float(r)) for i, r in rows.all()]


def for_dialect(name: str) -> FullText:
    return SqliteFts5() if name == "sqlite" else PostgresFullText()
