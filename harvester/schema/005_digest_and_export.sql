-- 5: digests and exports written (the editorial queue starts after the last), deliveries
-- to each pipeline consumer, and full-text search over COI statements.
CREATE TABLE outputs (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    format TEXT NOT NULL,
    consumer TEXT,
    path TEXT,
    articles INTEGER NOT NULL,
    article_id_through INTEGER NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE delivery (
    consumer TEXT NOT NULL,
    article_id INTEGER NOT NULL REFERENCES article(id) ON DELETE CASCADE,
    output_id INTEGER NOT NULL REFERENCES outputs(id),
    PRIMARY KEY (consumer, article_id)
);
CREATE INDEX delivery_output ON delivery(output_id);

CREATE VIRTUAL TABLE coi_fts USING fts5(
    statement, content='coi', content_rowid='article_id', tokenize='porter unicode61'
);
-- save_coi writes one row at a time, so triggers cost nothing noticeable here.
CREATE TRIGGER coi_fts_insert AFTER INSERT ON coi BEGIN
    INSERT INTO coi_fts(rowid, statement) VALUES (new.article_id, new.statement);
END;
CREATE TRIGGER coi_fts_update AFTER UPDATE OF statement ON coi BEGIN
    INSERT INTO coi_fts(coi_fts, rowid, statement)
    VALUES ('delete', old.article_id, old.statement);
    INSERT INTO coi_fts(rowid, statement) VALUES (new.article_id, new.statement);
END;
CREATE TRIGGER coi_fts_delete AFTER DELETE ON coi BEGIN
    INSERT INTO coi_fts(coi_fts, rowid, statement)
    VALUES ('delete', old.article_id, old.statement);
END;
INSERT INTO coi_fts(coi_fts) VALUES ('rebuild');
