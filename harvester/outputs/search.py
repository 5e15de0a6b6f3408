"""Full-text search over titles, abstracts (article_fts) and COI statements (coi_fts).

The text is an FTS5 query (words, "phrases", AND/OR/NOT, prefix*). Each index is searched on
its own and the hits are merged by bm25, best first; an article found in both keeps its better
score. So every term of one query must occur in the same place: title and abstract, or the
COI statement.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from harvester.errors import ConfigError

# A word in the title counts five times one in the abstract.
TITLE_WEIGHT, ABSTRACT_WEIGHT = 5.0, 1.0
SNIPPET_TOKENS = 12
SEARCH = f"""
WITH hits AS (
    SELECT rowid AS article_id, bm25(article_fts, {TITLE_WEIGHT}, {ABSTRACT_WEIGHT}) AS score,
           'title/abstract' AS matched_in,
           snippet(article_fts, -1, '[', ']', '…', {SNIPPET_TOKENS}) AS snippet
    FROM article_fts WHERE article_fts MATCH :text
    UNION ALL
    SELECT rowid, bm25(coi_fts), 'coi statement',
           snippet(coi_fts, 0, '[', ']', '…', {SNIPPET_TOKENS})
    FROM coi_fts WHERE coi_fts MATCH :text
),
best AS (
    SELECT article_id, min(score) AS score, matched_in, snippet FROM hits GROUP BY article_id
)
SELECT a.pmid, a.doi, a.title, a.journal, coalesce(a.epub_date, a.pub_date) AS published,
       round(b.score, 3) AS score, b.matched_in, b.snippet
FROM best b JOIN article a ON a.id = b.article_id
ORDER BY b.score, a.id DESC
LIMIT :limit
"""
HELP = ("write words, \"quoted phrases\", AND/OR/NOT and prefix*; put words with - . : or "
        "other punctuation in double quotes, e.g. '\"HER2-positive\" AND trastuzumab'")


# How SQLite words the errors of a malformed MATCH expression.
SYNTAX_ERRORS = ("fts5:", "no such column", "unterminated string", "unknown special query")


class SearchSyntaxError(ConfigError):
    """The text is not a valid FTS5 query."""


@dataclass(frozen=True)
class Hit:
    pmid: int | None
    doi: str | None
    title: str | None
    journal: str | None
    published: str | None
    score: float
    matched_in: str
    snippet: str


def search(conn: sqlite3.Connection, text: str, limit: int) -> list[Hit]:
    """Best first (lowest bm25). Raises SearchSyntaxError naming the problem and the syntax."""
    if not text.strip():
        raise SearchSyntaxError(f"search text is empty; {HELP}")
    try:
        rows = conn.execute(SEARCH, {"text": text, "limit": limit}).fetchall()
    except sqlite3.OperationalError as e:
        message = str(e)
        if message.startswith(SYNTAX_ERRORS):
            raise SearchSyntaxError(f"search {text!r}: {message}; {HELP}") from None
        raise
    return [Hit(**dict(r)) for r in rows]
