-- 9: europepmc_record.full_text_available is whether Europe PMC holds the full text (inEPMC=Y,
-- which includes author manuscripts, or isOpenAccess=Y); it held the open-access flag alone.
-- Articles whose statement was not found for want of a full text Europe PMC does hold are
-- queued for the conflict-of-interest step again.
UPDATE europepmc_record SET full_text_available = max(coalesce(in_epmc, 0),
                                                      coalesce(is_open_access, 0));
INSERT OR IGNORE INTO coi_pending
    SELECT c.article_id FROM coi c JOIN europepmc_record e ON e.article_id = c.article_id
    WHERE c.status = 'not_found' AND e.full_text_available = 1;

-- Where the statement was found: PubMed's <CoiStatement>, or the JATS elements it was read from
-- (harvest coi explain shows it).
ALTER TABLE coi ADD COLUMN element TEXT;
UPDATE coi SET element = 'MedlineCitation/CoiStatement' WHERE source = 'pubmed';
