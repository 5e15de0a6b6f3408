-- 6: performance: indexes for per-run queries
-- (test_query_plans.py checks that every statement of a run uses one; bench/growth.py
-- measures a run on 0, 100k and 1M stored articles.) The enrichment steps' queues: articles
-- a step has not looked at since they arrived (or, for COI, changed), kept by triggers on
-- article whatever writes it, and emptied as the step stores its result. Finding the due
-- articles reads these and the next_check_at indexes instead of every article.
CREATE INDEX runs_running ON runs(status) WHERE status = 'running';
CREATE INDEX run_queries_running ON run_queries(status) WHERE status = 'running';
CREATE INDEX missing_pmid_query ON missing_pmid(query, pmid);

CREATE TABLE oa_pending (
    article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE
);
CREATE TABLE coi_pending (
    article_id INTEGER PRIMARY KEY REFERENCES article(id) ON DELETE CASCADE
);
INSERT INTO oa_pending
    SELECT a.id FROM article a LEFT JOIN oa_status o ON o.article_id = a.id
    WHERE o.article_id IS NULL;
INSERT INTO coi_pending
    SELECT a.id FROM article a LEFT JOIN coi c ON c.article_id = a.id
    WHERE c.article_id IS NULL OR c.article_hash IS NOT a.pubmed_hash;
CREATE TRIGGER article_pending_insert AFTER INSERT ON article BEGIN
    INSERT OR IGNORE INTO oa_pending VALUES (new.id);
    INSERT OR IGNORE INTO coi_pending VALUES (new.id);
END;
CREATE TRIGGER article_pending_update AFTER UPDATE OF pubmed_hash ON article
WHEN new.pubmed_hash IS NOT old.pubmed_hash BEGIN
    INSERT OR IGNORE INTO coi_pending VALUES (new.id);
END;
