-- 3: conflict-of-interest statements: classification, declaring authors, organizations,
-- history.
CREATE TABLE coi (
    article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE,
    status TEXT NOT NULL,
    statement TEXT,
    source TEXT,
    evidence TEXT,
    organizations TEXT NOT NULL DEFAULT '[]',
    authors_declaring INTEGER,
    authors_total INTEGER,
    checked_at TEXT NOT NULL,
    changed_at TEXT NOT NULL,
    next_check_at TEXT,
    checks INTEGER NOT NULL DEFAULT 1,
    article_hash TEXT
);
CREATE INDEX coi_next_check ON coi(next_check_at);

CREATE TABLE coi_organization (
    article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    organization TEXT NOT NULL,
    PRIMARY KEY (article_id, organization)
);
CREATE INDEX coi_organization_name ON coi_organization(organization);

CREATE TABLE coi_author (
    article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    author_position INTEGER NOT NULL,
    declares INTEGER NOT NULL,
    PRIMARY KEY (article_id, author_position)
);

CREATE TABLE coi_history (
    id INTEGER PRIMARY KEY,
    article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    observed_at TEXT NOT NULL,
    status TEXT NOT NULL,
    statement TEXT,
    source TEXT
);
CREATE INDEX coi_history_article ON coi_history(article_id, observed_at);
