"""PubmedWriter: every parsed field lands in its column as it was parsed (NULL for None), the raw
XML reads back with zlib.decompress, and a second save of the same bytes changes nothing."""

from __future__ import annotations

import hashlib
import json
import zlib
from pathlib import Path

import pytest

from harvester import articles, db
from harvester.sources.pubmed_xml import parse_efetch

PUBMED = Path(__file__).parent / "fixtures" / "pubmed"
NOW = "2025-01-01T00:00:00Z"


@pytest.fixture
def stored(tmp_path):
    """Every record of every PubMed fixture, saved in one transaction: (conn, [(id, record)])."""
    records = [r for path in sorted(PUBMED.glob("*.xml"))
               for r in parse_efetch([path.read_bytes()]) if isinstance(r, dict)]
    conn = db.connect(tmp_path / "harvest.db")
    with db.transaction(conn):
        writer = articles.PubmedWriter(conn, NOW)
        saved = [(writer.save(r), r) for r in records]
        writer.flush()
    assert {outcome for (_, outcome), _ in saved} == {"new"}
    yield conn, [(article_id, r) for (article_id, _), r in saved]
    conn.close()


def _rows(conn, sql: str, article_id: int) -> list[tuple]:
    return [tuple(row) for row in conn.execute(sql, (article_id,))]


def test_every_field_is_stored_as_parsed(stored):
    conn, saved = stored
    assert len(saved) == 20  # 12, and 8 in the notice fixtures
    columns = [c for c in articles.ARTICLE_COLUMNS if c not in ("pubmed_xml", "pubmed_hash")]
    for article_id, r in saved:
        row = conn.execute("SELECT * FROM article WHERE id = ?", (article_id,)).fetchone()
        assert {c: row[c] for c in columns} == {c: r[c] for c in columns}
        assert zlib.decompress(row["pubmed_xml"]) == r["pubmed_raw"]
        assert row["pubmed_hash"] == hashlib.blake2b(r["pubmed_raw"], digest_size=16).hexdigest()
        assert (row["first_seen_at"], row["updated_at"]) == (NOW, NOW)

        authors = r["authors"]
        assert _rows(conn, "SELECT position, last_name, fore_name, initials, suffix, "
                           "collective_name, orcid, equal_contrib FROM article_author "
                           "WHERE article_id = ? ORDER BY position", article_id) == [
            (i, a["last_name"], a["fore_name"], a["initials"], a["suffix"], a["collective_name"],
             a["orcid"], int(a["equal_contrib"])) for i, a in enumerate(authors, 1)]
        assert _rows(conn, "SELECT author_position, position, affiliation FROM article_affiliation "
                           "WHERE article_id = ? ORDER BY author_position, position",
                     article_id) == [
            (i, j, text) for i, a in enumerate(authors, 1)
            for j, text in enumerate(a["affiliations"], 1)]
        assert _rows(conn, "SELECT position, name, ui FROM article_publication_type "
                           "WHERE article_id = ? ORDER BY position", article_id) == [
            (i, t["name"], t["ui"]) for i, t in enumerate(r["publication_types"], 1)]
        assert _rows(conn, "SELECT position, keyword, major_topic FROM article_keyword "
                           "WHERE article_id = ? ORDER BY position", article_id) == [
            (i, k["keyword"], int(k["major"])) for i, k in enumerate(r["keywords"], 1)]
        mesh = _rows(conn, "SELECT position, descriptor, descriptor_ui, major_topic, qualifiers "
                           "FROM article_mesh WHERE article_id = ? ORDER BY position", article_id)
        assert [(*m[:4], json.loads(m[4])) for m in mesh] == [
            (i, m["descriptor"], m["ui"], int(m["major"]), m["qualifiers"])
            for i, m in enumerate(r["mesh"], 1)]
        assert _rows(conn, "SELECT position, grant_id, acronym, agency, country FROM article_grant "
                           "WHERE article_id = ? ORDER BY position", article_id) == [
            (i, g["grant_id"], g["acronym"], g["agency"], g["country"])
            for i, g in enumerate(r["grants"], 1)]


def test_missing_author_parts_are_null_not_text(stored):
    conn, _ = stored
    counts = conn.execute(
        "SELECT count(*), sum(typeof(suffix) = 'null'), sum(typeof(orcid) = 'null'), "
        "sum(typeof(collective_name) = 'null'), sum(typeof(last_name) = 'text') "
        "FROM article_author").fetchone()
    # One Jr, two ORCIDs, one consortium; 8 notice-fixture records, one plain author each.
    assert tuple(counts) == (34, 33, 32, 33, 33)


def test_full_text_index_matches_the_articles(stored):
    conn, saved = stored
    # Checks the index against its external content, the article table (raises if they differ).
    conn.execute("INSERT INTO article_fts(article_fts, rank) VALUES ('integrity-check', 1)")
    [(count,)] = conn.execute("SELECT count(*) FROM article_fts WHERE article_fts MATCH 'her2'")
    assert count >= 1


def test_the_same_bytes_again_are_unchanged(stored):
    conn, saved = stored
    before = conn.execute("SELECT count(*) FROM article_author").fetchone()[0]
    with db.transaction(conn):
        writer = articles.PubmedWriter(conn, "2025-02-01T00:00:00Z")
        assert [writer.save(r) for _, r in saved] == [(i, "unchanged") for i, _ in saved]
        writer.flush()
    assert conn.execute("SELECT count(*) FROM article_author").fetchone()[0] == before
    assert conn.execute("SELECT count(*) FROM article WHERE updated_at != ?",
                        (NOW,)).fetchone()[0] == 0
