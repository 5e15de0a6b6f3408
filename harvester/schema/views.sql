-- The contract: one row per article, exactly these columns (docs/schema.md).
CREATE VIEW articles AS
SELECT
    a.pmid,
    a.doi,
    a.pmcid,
    a.title,
    a.abstract,
    a.journal,
    a.pub_date,
    (SELECT json_group_array(name) FROM (
        SELECT name FROM article_publication_type WHERE article_id = a.id ORDER BY position
    )) AS publication_types,
    (SELECT json_group_array(label) FROM (
        SELECT coalesce(collective_name,
                        trim(coalesce(last_name, '') || ' ' || coalesce(initials, ''))) AS label
        FROM article_author WHERE article_id = a.id ORDER BY position
    )) AS authors,
    o.oa_status,
    o.is_oa,
    o.oa_url,
    o.oa_license,
    c.status AS coi_status,
    coalesce(c.statement, a.coi_statement) AS coi_statement,
    coalesce(c.source, CASE WHEN a.coi_statement IS NOT NULL THEN 'pubmed' END) AS coi_source,
    c.organizations AS coi_organizations,
    (SELECT json_group_array(query) FROM (
        SELECT query FROM query_match WHERE article_id = a.id ORDER BY query
    )) AS queries,
    a.first_seen_at,
    a.updated_at,
    -- one object per notice; the same notice from PubMed and Crossref once (PubMed's)
    (SELECT json_group_array(json_object('type', kind, 'pmid', pmid, 'doi', doi, 'date', date,
                                         'source', source)) FROM (
        SELECT kind, max(notice_pmid) AS pmid, max(notice_doi) AS doi, min(date) AS date,
               max(source) AS source, min(id) AS first
        FROM notice WHERE article_id = a.id
        GROUP BY kind, coalesce('a' || notice_article_id, 'd' || notice_doi,
                                'p' || notice_pmid, 'i' || id)
        ORDER BY first
    )) AS notices
FROM article a
LEFT JOIN oa_status o ON o.article_id = a.id
LEFT JOIN coi c ON c.article_id = a.id;

-- Articles stored since the last digest or export (an id above the last output's, as ids only
-- grow, or first seen after it), with the OA status and the COI line the digest shows
-- (outputs/items.py coi_line writes the same text; a test holds them equal).
CREATE VIEW editorial_queue AS
SELECT
    a.pmid,
    a.doi,
    a.title,
    a.journal,
    coalesce(a.epub_date, a.pub_date) AS published,
    (SELECT json_group_array(query) FROM (
        SELECT query FROM query_match WHERE article_id = a.id ORDER BY query
    )) AS queries,
    coalesce(o.oa_status, 'not yet checked') AS oa_status,
    CASE c.status
        WHEN 'none_declared' THEN 'no competing interests declared'
        WHEN 'not_found' THEN 'statement not available'
        WHEN 'unclear' THEN 'statement unclear'
        WHEN 'declared' THEN 'declared' || CASE
            WHEN c.authors_declaring > 0 AND c.authors_total > 0 AND c.organizations != '[]'
                THEN ': ' || c.authors_declaring || ' of ' || c.authors_total || ' authors; '
                     || (SELECT group_concat(value, ', ') FROM json_each(c.organizations))
            WHEN c.authors_declaring > 0 AND c.authors_total > 0
                THEN ': ' || c.authors_declaring || ' of ' || c.authors_total || ' authors'
            WHEN c.organizations != '[]'
                THEN ': ' || (SELECT group_concat(value, ', ') FROM json_each(c.organizations))
            ELSE '' END
        ELSE coalesce(c.status, 'not yet checked')
    END AS coi_summary,
    a.first_seen_at
FROM article a
LEFT JOIN oa_status o ON o.article_id = a.id
LEFT JOIN coi c ON c.article_id = a.id
WHERE a.id > (SELECT coalesce(max(article_id_through), 0) FROM outputs)
   OR a.first_seen_at > (SELECT coalesce(max(created_at), '') FROM outputs);

-- Companies named in declared interests: how many articles, and the latest one (SQLite takes
-- the bare columns from the row that has the max()).
CREATE VIEW coi_by_organization AS
SELECT
    o.organization,
    count(*) AS articles,
    max(a.first_seen_at) AS latest_seen_at,
    a.pmid AS latest_pmid,
    a.doi AS latest_doi,
    a.title AS latest_title
FROM coi_organization o
JOIN article a ON a.id = o.article_id
GROUP BY o.organization;

