-- 8: article ids only grow (AUTOINCREMENT), so an id freed by a merge is never given to a new
-- article that a digest or consumer export would then skip; the full-text index rebuilt from
-- what is stored (files written before 0.1.1 could hold an abstract PubMed lacked in `article`
-- but not in `article_fts`); records that could not be read or stored, set aside.
-- Runs with foreign keys off (db.ensure_schema), as SQLite's table rebuild requires.
DROP VIEW IF EXISTS articles;
DROP VIEW IF EXISTS editorial_queue;
DROP VIEW IF EXISTS coi_by_organization;

CREATE TABLE article_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    pmid INTEGER UNIQUE,
    pmid_version INTEGER,
    doi TEXT,
    pmcid TEXT,
    pii TEXT,
    record_type TEXT NOT NULL DEFAULT 'article',
    title TEXT,
    abstract TEXT,
    journal TEXT,
    journal_iso TEXT,
    issn_print TEXT,
    issn_electronic TEXT,
    volume TEXT,
    issue TEXT,
    pages TEXT,
    pub_date TEXT,
    pub_date_text TEXT,
    epub_date TEXT,
    entrez_date TEXT,
    revised_date TEXT,
    language TEXT,
    publication_status TEXT,
    coi_statement TEXT,
    pubmed_xml BLOB,
    pubmed_hash TEXT,
    first_seen_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    url TEXT,
    metadata_source TEXT
);
INSERT INTO article_new (id, pmid, pmid_version, doi, pmcid, pii, record_type, title, abstract,
    journal, journal_iso, issn_print, issn_electronic, volume, issue, pages, pub_date,
    pub_date_text, epub_date, entrez_date, revised_date, language, publication_status,
    coi_statement, pubmed_xml, pubmed_hash, first_seen_at, updated_at, url, metadata_source)
SELECT id, pmid, pmid_version, doi, pmcid, pii, record_type, title, abstract,
    journal, journal_iso, issn_print, issn_electronic, volume, issue, pages, pub_date,
    pub_date_text, epub_date, entrez_date, revised_date, language, publication_status,
    coi_statement, pubmed_xml, pubmed_hash, first_seen_at, updated_at, url, metadata_source
FROM article;
DROP TABLE article;
ALTER TABLE article_new RENAME TO article;
-- Rows about articles deleted with foreign keys off (the sqlite3 shell's default) would
-- fail the check before commit: what they describe is gone.
DELETE FROM article_author WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM article_affiliation WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM article_publication_type WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM article_keyword WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM article_mesh WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM article_grant WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM query_match WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM oa_status WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM oa_observation WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM europepmc_record WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM coi WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM coi_organization WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM coi_author WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM coi_history WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM crossref_record WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM delivery WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM oa_pending WHERE article_id NOT IN (SELECT id FROM article);
DELETE FROM coi_pending WHERE article_id NOT IN (SELECT id FROM article);
UPDATE feed_entry SET article_id = NULL WHERE article_id NOT IN (SELECT id FROM article);
-- Ids continue above every id an output or a delivery ever named, deleted or not.
DELETE FROM sqlite_sequence WHERE name = 'article';
INSERT INTO sqlite_sequence (name, seq) VALUES ('article', max(
    coalesce((SELECT max(id) FROM article), 0),
    coalesce((SELECT max(article_id_through) FROM outputs), 0),
    coalesce((SELECT max(article_id) FROM delivery), 0)));

CREATE INDEX article_doi ON article(doi);
CREATE INDEX article_pmcid ON article(pmcid);
CREATE INDEX article_first_seen ON article(first_seen_at);
CREATE INDEX article_url ON article(url) WHERE doi IS NULL;
CREATE INDEX article_without_pmid ON article(first_seen_at) WHERE pmid IS NULL;
-- A row an analyst deletes by hand leaves the index through this trigger; writers keep the
-- index themselves (harvester/articles.py index_text).
CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN
    INSERT INTO article_fts(article_fts, rowid, title, abstract)
    VALUES ('delete', old.id, old.title, old.abstract);
END;
CREATE TRIGGER article_pending_insert AFTER INSERT ON article BEGIN
    INSERT OR IGNORE INTO oa_pending VALUES (new.id);
    INSERT OR IGNORE INTO coi_pending VALUES (new.id);
END;
CREATE TRIGGER article_pending_update AFTER UPDATE OF pubmed_hash ON article
WHEN new.pubmed_hash IS NOT old.pubmed_hash BEGIN
    INSERT OR IGNORE INTO coi_pending VALUES (new.id);
END;
INSERT INTO article_fts(article_fts) VALUES ('rebuild');

CREATE TABLE rejected_record (
    source TEXT NOT NULL,
    record_id TEXT NOT NULL,
    query TEXT,
    raw BLOB,
    raw_hash TEXT NOT NULL,
    error TEXT NOT NULL,
    first_rejected_at TEXT NOT NULL,
    last_rejected_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (source, record_id)
);
