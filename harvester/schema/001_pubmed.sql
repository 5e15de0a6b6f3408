-- 1: articles from PubMed, their child tables, saved-query matches and state, the run ledger.
CREATE TABLE article (
    id INTEGER PRIMARY KEY,
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
    updated_at TEXT NOT NULL
);
CREATE INDEX article_doi ON article(doi);
CREATE INDEX article_pmcid ON article(pmcid);
CREATE INDEX article_first_seen ON article(first_seen_at);

CREATE TABLE article_author (
    article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    last_name TEXT,
    fore_name TEXT,
    initials TEXT,
    suffix TEXT,
    collective_name TEXT,
    orcid TEXT,
    equal_contrib INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX article_author_orcid ON article_author(orcid);

CREATE TABLE article_affiliation (
    article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    author_position INTEGER NOT NULL,
    position INTEGER NOT NULL,
    affiliation TEXT NOT NULL,
    PRIMARY KEY (article_id, author_position, position)
);

CREATE TABLE article_publication_type (
    article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    name TEXT NOT NULL,
    ui TEXT,
    PRIMARY KEY (article_id, position)
);
CREATE INDEX article_publication_type_name ON article_publication_type(name);

CREATE TABLE article_keyword (
    article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    keyword TEXT NOT NULL,
    major_topic INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (article_id, position)
);

CREATE TABLE article_mesh (
    article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    descriptor TEXT NOT NULL,
    descriptor_ui TEXT,
    major_topic INTEGER NOT NULL DEFAULT 0,
    qualifiers TEXT NOT NULL DEFAULT '[]',
    PRIMARY KEY (article_id, position)
);
CREATE INDEX article_mesh_descriptor ON article_mesh(descriptor);

CREATE TABLE article_grant (
    article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    grant_id TEXT,
    acronym TEXT,
    agency TEXT,
    country TEXT,
    PRIMARY KEY (article_id, position)
);

CREATE TABLE query_match (
    article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    query TEXT NOT NULL,
    first_matched_at TEXT NOT NULL,
    run_id INTEGER,
    PRIMARY KEY (article_id, query)
);
CREATE INDEX query_match_query ON query_match(query, first_matched_at);

CREATE TABLE query_state (
    query TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    edat_through TEXT,
    mdat_through TEXT,
    last_success_at TEXT,
    last_attempt_at TEXT,
    last_status TEXT,
    last_error TEXT
);

CREATE TABLE missing_pmid (
    pmid INTEGER NOT NULL,
    query TEXT NOT NULL,
    first_missed_at TEXT NOT NULL,
    last_tried_at TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (pmid, query)
);

CREATE TABLE deleted_pmid (
    pmid INTEGER PRIMARY KEY,
    seen_at TEXT NOT NULL
);

CREATE TABLE runs (
    id INTEGER PRIMARY KEY,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    status TEXT NOT NULL DEFAULT 'running',
    pid INTEGER,
    command TEXT,
    error TEXT
);

CREATE TABLE run_queries (
    run_id INTEGER NOT NULL REFERENCES runs(id),
    query TEXT NOT NULL,
    source TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'running',
    window_start TEXT,
    window_end TEXT,
    windows TEXT NOT NULL DEFAULT '[]',
    esearch_count INTEGER NOT NULL DEFAULT 0,
    fetched INTEGER NOT NULL DEFAULT 0,
    new INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    missing TEXT NOT NULL DEFAULT '[]',
    warnings TEXT NOT NULL DEFAULT '[]',
    errors TEXT NOT NULL DEFAULT '[]',
    started_at TEXT NOT NULL,
    finished_at TEXT,
    PRIMARY KEY (run_id, query)
);

CREATE VIRTUAL TABLE article_fts USING fts5(
    title, abstract, content='article', content_rowid='id', tokenize='porter unicode61'
);
-- Inserts and updates are indexed by harvester/articles.py (three times faster than a
-- trigger here); a row an analyst deletes by hand leaves the index through this trigger.
CREATE TRIGGER article_fts_delete AFTER DELETE ON article BEGIN
    INSERT INTO article_fts(article_fts, rowid, title, abstract)
    VALUES ('delete', old.id, old.title, old.abstract);
END;
