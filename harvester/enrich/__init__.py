"""Enrichment: what harvester adds to stored articles from other services."""
