-- 10: notices (retractions, corrections, expressions of concern, updates) linked to the
-- articles they are about, from PubMed's CommentsCorrections and Crossref's update-to /
-- updated-by. A link is kept by the identifiers its source gave; article_id and
-- notice_article_id are filled in when those articles are stored, whichever arrives first.
-- Rows are never deleted: the history of what was said about an article stays.
CREATE TABLE notice (
    id INTEGER PRIMARY KEY,
    link_key TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    original_pmid INTEGER,
    original_doi TEXT,
    notice_pmid INTEGER,
    notice_doi TEXT,
    article_id INTEGER REFERENCES article(id) ON DELETE SET NULL,
    notice_article_id INTEGER REFERENCES article(id) ON DELETE SET NULL,
    date TEXT,
    source TEXT NOT NULL,
    detail TEXT,
    first_seen_at TEXT NOT NULL,
    last_seen_at TEXT NOT NULL
);
CREATE INDEX notice_article ON notice(article_id);
CREATE INDEX notice_notice_article ON notice(notice_article_id);
CREATE INDEX notice_first_seen ON notice(first_seen_at);
CREATE INDEX notice_unlinked_original_pmid ON notice(original_pmid) WHERE article_id IS NULL;
CREATE INDEX notice_unlinked_original_doi ON notice(original_doi) WHERE article_id IS NULL;
CREATE INDEX notice_unlinked_notice_pmid ON notice(notice_pmid) WHERE notice_article_id IS NULL;
CREATE INDEX notice_unlinked_notice_doi ON notice(notice_doi) WHERE notice_article_id IS NULL;

-- Articles whose Crossref notices are looked up by `filter=updates:DOI` (those PubMed does not
-- index yet), on the thinning schedule of the other re-checks.
CREATE TABLE notice_check (
    article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE,
    checked_at TEXT NOT NULL,
    next_check_at TEXT NOT NULL
);
CREATE INDEX notice_check_next ON notice_check(next_check_at);

-- A consumer export delivers an article once, and once more when it gains a retraction or an
-- expression of concern: which notices each consumer was given.
CREATE TABLE notice_delivery (
    consumer TEXT NOT NULL,
    notice_id INTEGER NOT NULL REFERENCES notice(id) ON DELETE CASCADE,
    output_id INTEGER NOT NULL REFERENCES outputs(id),
    PRIMARY KEY (consumer, notice_id)
);

-- The journal's name as its publisher writes it (Crossref's container-title), by ISSN.
ALTER TABLE crossref_record ADD COLUMN container_title TEXT;

-- The Crossref look-up's queue: every article with a DOI that PubMed has not indexed (PubMed's
-- own record carries its links once it has), due a day after it was first seen.
INSERT INTO notice_check (article_id, checked_at, next_check_at)
    SELECT id, first_seen_at, strftime('%Y-%m-%dT%H:%M:%SZ', first_seen_at, '+1 day')
    FROM article WHERE pmid IS NULL AND doi IS NOT NULL;
CREATE TRIGGER article_notice_check_insert AFTER INSERT ON article
WHEN new.pmid IS NULL AND new.doi IS NOT NULL BEGIN
    INSERT OR IGNORE INTO notice_check (article_id, checked_at, next_check_at)
    VALUES (new.id, new.first_seen_at,
            strftime('%Y-%m-%dT%H:%M:%SZ', new.first_seen_at, '+1 day'));
END;
CREATE TRIGGER article_notice_check_doi AFTER UPDATE OF doi ON article
WHEN new.pmid IS NULL AND new.doi IS NOT NULL BEGIN
    INSERT OR IGNORE INTO notice_check (article_id, checked_at, next_check_at)
    VALUES (new.id, new.first_seen_at,
            strftime('%Y-%m-%dT%H:%M:%SZ', new.first_seen_at, '+1 day'));
END;
CREATE TRIGGER article_notice_check_pmid AFTER UPDATE OF pmid ON article
WHEN new.pmid IS NOT NULL BEGIN
    DELETE FROM notice_check WHERE article_id = new.id;
END;

-- Per query and run: articles stored before (by another query or source) that this query
-- matched for the first time; `updated` counts those whose source revised them.
ALTER TABLE run_queries ADD COLUMN already_stored INTEGER NOT NULL DEFAULT 0;
