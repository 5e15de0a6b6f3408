-- 4: articles from Crossref and feeds (no PMID yet), merged by DOI; feed state.
ALTER TABLE article ADD COLUMN url TEXT;
ALTER TABLE article ADD COLUMN metadata_source TEXT;
UPDATE article SET metadata_source = 'pubmed' WHERE pmid IS NOT NULL;
CREATE INDEX article_url ON article(url) WHERE doi IS NULL;
CREATE INDEX article_without_pmid ON article(first_seen_at) WHERE pmid IS NULL;

CREATE TABLE crossref_record (
    article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE,
    doi TEXT NOT NULL,
    type TEXT,
    publisher TEXT,
    created_at TEXT,
    published_online TEXT,
    published_print TEXT,
    issued TEXT,
    licenses TEXT NOT NULL DEFAULT '[]',
    free_from TEXT,
    fetched_at TEXT NOT NULL
);

CREATE TABLE feed_entry (
    id INTEGER PRIMARY KEY,
    feed_url TEXT NOT NULL,
    entry_key TEXT NOT NULL,
    article_id INTEGER REFERENCES article(id) ON DELETE SET NULL,
    doi TEXT,
    title TEXT,
    link TEXT,
    authors TEXT NOT NULL DEFAULT '[]',
    published_at TEXT,
    section TEXT,
    summary TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL,
    UNIQUE (feed_url, entry_key)
);
CREATE INDEX feed_entry_article ON feed_entry(article_id);

CREATE TABLE feed_state (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    checked_at TEXT NOT NULL,
    status TEXT NOT NULL,
    http_status INTEGER,
    entries INTEGER,
    error TEXT
);
