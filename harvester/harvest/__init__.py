"""Harvests: one class per source that turns a saved query into stored articles.

Each source's class reads its service, writes through harvester.articles and counts what it
stored on one base (base.Harvest). harvester.pipeline picks the class by the query's `source`
from HARVESTS.
"""

from harvester.harvest.base import Harvest, Sources
from harvester.harvest.crossref import CrossrefHarvest
from harvester.harvest.feed import FeedHarvest
from harvester.harvest.pubmed import PubmedHarvest

HARVESTS: dict[str, type[Harvest]] = {
    "pubmed": PubmedHarvest,
    "crossref": CrossrefHarvest,
    "feed": FeedHarvest,
}

__all__ = ["HARVESTS", "Harvest", "Sources", "PubmedHarvest", "CrossrefHarvest", "FeedHarvest"]
