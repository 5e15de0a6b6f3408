-- 7: names that say what they hold. run_queries.found counts what a query's source listed
-- (esearch hits, Crossref works, kept feed entries); query_state.collected_through is the date
-- a query has collected through (PubMed's entry date, Crossref's created date).
ALTER TABLE run_queries RENAME COLUMN esearch_count TO found;
ALTER TABLE query_state RENAME COLUMN edat_through TO collected_through;
