"""Crossref REST API works -> records. This module so far holds only the pure part (issue 3's
first step): `work_to_record` turns one work object, as found in `/works/{doi}` or in a
`/journals/{issn}/works` page's `items`, into the fields harvester stores.
"""

from __future__ import annotations

import html
import re
from xml.etree import ElementTree as ET

from harvester.sources.pubmed_xml import normalize_doi

JATS_NAMESPACES = ('xmlns:jats="http://www.ncbi.nlm.nih.gov/JATS1" '
                   'xmlns:mml="http://www.w3.org/1998/Math/MathML" '
                   'xmlns:xlink="http://www.w3.org/1999/xlink"')
JATS = "{http://www.ncbi.nlm.nih.gov/JATS1}"
TAG = re.compile(r"<[^>]+>")
ORCID = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.IGNORECASE)


def work_to_record(work: dict) -> dict:
    """One Crossref work -> a flat record (DOI normalised, markup flattened, dates ISO)."""
    issns = {i.get("type"): i.get("value") for i in work.get("issn-type") or []}
    return {
        "doi": normalize_doi(work.get("DOI")),
        "title": _first_text(work.get("title")),
        "journal": _first_text(work.get("container-title")),
        "journal_short": _first_text(work.get("short-container-title")),
        "issn_print": issns.get("print"),
        "issn_electronic": issns.get("electronic"),
        "type": work.get("type"),
        "publisher": work.get("publisher"),
        "volume": work.get("volume"),
        "issue": work.get("issue"),
        "pages": work.get("page"),
        "published_online": date_parts(work.get("published-online")),
        "published_print": date_parts(work.get("published-print")),
        "issued": date_parts(work.get("issued")),
        "created_at": (work.get("created") or {}).get("date-time"),
        "url": work.get("URL"),
        "authors": [author_to_record(a) for a in work.get("author") or []],
        "licenses": [license_to_record(item) for item in work.get("license") or []],
        "abstract": flatten_jats(work.get("abstract")),
    }


def author_to_record(author: dict) -> dict:
    """Crossref author: given/family for people, `name` for organisations (consortia)."""
    orcid = ORCID.search(author.get("ORCID") or "")
    return {
        "given": author.get("given"),
        "family": author.get("family"),
        "name": author.get("name"),
        "orcid": orcid.group(1).upper() if orcid else None,
        "orcid_authenticated": bool(author.get("authenticated-orcid")),
        "affiliations": [a["name"] for a in author.get("affiliation") or [] if a.get("name")],
        "sequence": author.get("sequence"),
    }


def license_to_record(item: dict) -> dict:
    """A licence entry: when it starts applying and after how many days (Elsevier's open
    archive shows up as a user licence starting a year after publication)."""
    return {
        "url": item.get("URL"),
        "start": date_parts(item.get("start")),
        "delay_in_days": item.get("delay-in-days"),
        "content_version": item.get("content-version"),
    }


def date_parts(value: dict | None) -> str | None:
    """{"date-parts": [[2012, 3]]} -> "2012-03"; missing or [[null]] -> None."""
    parts = ((value or {}).get("date-parts") or [[None]])[0]
    parts = [p for p in parts if p is not None][:3]
    if not parts:
        return None
    return "-".join([f"{parts[0]:04d}", *(f"{p:02d}" for p in parts[1:])])


def flatten_jats(abstract: str | None) -> str | None:
    """Crossref's JATS abstract string -> text: sections "Title: text", one per line; a lone
    "Abstract" heading dropped."""
    if not abstract or not abstract.strip():
        return None
    try:
        root = ET.fromstring(f"<root {JATS_NAMESPACES}>{abstract}</root>")
    except ET.ParseError:  # HTML entities or broken markup: fall back to tag stripping
        text = html.unescape(TAG.sub(" ", abstract))
        return " ".join(text.split()) or None
    lines = []
    for block in _blocks(root):
        title = block.find(f"{JATS}title")
        heading = _text(title) if title is not None else ""
        paragraphs = [_text(p) for p in block.iter(f"{JATS}p")] or (
            [] if block.tag == f"{JATS}sec" else [_text(block)])
        body = " ".join(p for p in paragraphs if p)
        if heading and heading.lower() != "abstract" and body:
            lines.append(f"{heading}: {body}")
        elif body:
            lines.append(body)
    return "\n".join(lines) or None


def _blocks(root: ET.Element) -> list[ET.Element]:
    """Innermost sections when there are any, else the paragraphs, else the whole text."""
    sections = [s for s in root.iter(f"{JATS}sec") if s.find(f"{JATS}sec") is None]
    if sections:
        return sections
    paragraphs = [p for p in root if p.tag == f"{JATS}p"]
    return paragraphs or [root]


def _text(elem: ET.Element) -> str:
    return " ".join("".join(elem.itertext()).split())


def _first_text(values) -> str | None:
    for value in values or []:
        text = " ".join(html.unescape(TAG.sub("", value)).split())
        if text:
            return text
    return None
