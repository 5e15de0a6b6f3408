-- 2: open-access status (current state, its history) and Europe PMC's flags.
CREATE TABLE oa_status (
    article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE,
    oa_status TEXT NOT NULL,
    is_oa INTEGER,
    oa_url TEXT,
    oa_pdf_url TEXT,
    oa_license TEXT,
    oa_version TEXT,
    oa_host_type TEXT,
    journal_is_oa INTEGER,
    source TEXT NOT NULL,
    checked_at TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    next_check_at TEXT NOT NULL,
    checks INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX oa_status_next_check ON oa_status(next_check_at);

CREATE TABLE oa_observation (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    observed_at TEXT NOT NULL,
    oa_status TEXT NOT NULL,
    is_oa INTEGER,
    oa_license TEXT,
    oa_url TEXT,
    source TEXT NOT NULL
);
CREATE INDEX oa_observation_article ON oa_observation(article_id, observed_at);

CREATE TABLE europepmc_record (
    article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE,
    pmcid TEXT,
    in_pmc INTEGER,
    in_epmc INTEGER,
    is_open_access INTEGER,
    has_pdf INTEGER,
    license TEXT,
    full_text_available INTEGER,
    checked_at TEXT NOT NULL
);
