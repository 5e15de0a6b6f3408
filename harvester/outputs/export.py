"""Export for the editorial pipeline and reference managers: JSON Lines, CSV, RIS and BibTeX.

`to_record`, `to_ris` and `to_bibtex` are pure, one article each; `write_export` streams them.
RIS and BibTeX carry what Zotero imports (authors, title, journal, year, volume, issue, pages,
DOI, URL, abstract) and put the COI and OA summaries in notes.
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
import unicodedata
from typing import TextIO

from harvester.outputs.items import (Item, article_type, author_label, coi_line, institutions,
                                     journal_name, links, oa_badge)

FORMATS = ("jsonl", "csv", "ris", "bibtex")
RECORD_FIELDS = (
    "pmid", "doi", "pmcid", "title", "abstract", "journal", "volume", "issue", "pages",
    "pub_date", "epub_date", "publication_types", "article_type", "authors", "institutions",
    "url", "oa_status", "is_oa", "oa_url", "oa_license", "oa_summary", "coi_status",
    "coi_statement", "coi_organizations", "coi_summary", "queries", "first_seen_at", "notices",
    "redelivery",
)
BIBTEX_SPECIAL = {"\\": r"\textbackslash{}", "{": r"\{", "}": r"\}", "&": r"\&", "%": r"\%",
                  "$": r"\$", "#": r"\#", "_": r"\_", "~": r"\textasciitilde{}",
                  "^": r"\textasciicircum{}"}


def to_record(item: Item) -> dict:
    """The article as one flat JSON object: the articles view's columns (JSON arrays as lists)
    plus volume/issue/pages, article type, institutions, the main URL and the summaries."""
    return {
        "pmid": item.pmid, "doi": item.doi, "pmcid": item.pmcid, "title": item.title,
        "abstract": item.abstract, "journal": journal_name(item), "volume": item.volume,
        "issue": item.issue, "pages": item.pages, "pub_date": item.pub_date,
        "epub_date": item.epub_date, "publication_types": item.publication_types,
        "article_type": article_type(item.publication_types),
        "authors": [author_label(a) for a in item.authors],
        "institutions": institutions(item.affiliations), "url": main_url(item),
        "oa_status": item.oa_status, "is_oa": item.is_oa, "oa_url": item.oa_url,
        "oa_license": item.oa_license, "oa_summary": oa_badge(item),
        "coi_status": item.coi_status, "coi_statement": item.coi_statement,
        "coi_organizations": item.coi_organizations, "coi_summary": coi_line(item),
        "queries": item.queries, "first_seen_at": item.first_seen_at,
        "notices": [{k: n[k] for k in ("type", "pmid", "doi", "date", "source")}
                    for n in item.notices],
        "redelivery": item.redelivery,
    }


def main_url(item: Item) -> str | None:
    """The DOI link, else PubMed's."""
    found = links(item)
    return found.get("DOI") or found.get("PubMed")


def page_range(pages: str | None) -> tuple[str | None, str | None]:
    """'1234-45' (MEDLINE abbreviates end pages) -> ('1234', '1245'); 'e123' -> ('e123', None)."""
    if not pages:
        return None, None
    start, _, end = pages.partition("-")
    start, end = start.strip(), end.strip()
    if start.isdigit() and end.isdigit() and len(end) < len(start):
        end = start[:len(start) - len(end)] + end
    return start or None, end or None


def year_of(item: Item) -> str | None:
    date = item.pub_date or item.epub_date
    return date[:4] if date and date[:4].isdigit() else None


def notice_text(notice: dict) -> str:
    """'retraction 10.1016/j.ccell.2026.01.002 (2026-01-05)': a notice on one line."""
    ident = notice["doi"] or (f"PMID {notice['pmid']}" if notice["pmid"] else "")
    return " ".join(p for p in (notice["type"], ident,
                                f"({notice['date']})" if notice["date"] else "") if p)


def notes(item: Item) -> list[str]:
    """The notices, COI and OA information, as notes for reference managers."""
    coi = f"Competing interests: {coi_line(item)}"
    if item.coi_statement:
        coi += f". Statement: {item.coi_statement}"
    oa = f"Open access: {oa_badge(item)}"
    if item.oa_url:
        oa += f" ({item.oa_url}" + (f", {item.oa_license})" if item.oa_license else ")")
    found = [f"Notice: {notice_text(n)}" for n in item.notices]
    return found + [_one_line(coi), _one_line(oa)]


def to_ris(item: Item) -> str:
    """One RIS record (TY JOUR ... ER)."""
    start, end = page_range(item.pages)
    date = item.pub_date or item.epub_date
    tags: list[tuple[str, str | None]] = [("TY", "JOUR"), ("TI", item.title)]
    tags += [("AU", _ris_author(a)) for a in item.authors]
    tags += [("T2", journal_name(item)), ("PY", year_of(item)),
             ("DA", "/".join(date.split("-")) + "/" if date else None), ("VL", item.volume),
             ("IS", item.issue), ("SP", start), ("EP", end), ("DO", item.doi),
             ("UR", main_url(item)), ("AN", str(item.pmid) if item.pmid else None),
             ("LA", item.language), ("AB", item.abstract)]
    tags += [("N1", note) for note in notes(item)]
    lines = [f"{tag}  - {_one_line(value)}" for tag, value in tags if value]
    return "\n".join(lines) + "\nER  - \n\n"


def _ris_author(author: dict) -> str:
    if author.get("collective"):
        return author["collective"]
    return ", ".join(p for p in (author.get("last"), author.get("fore") or author.get("initials"))
                     if p)


def to_bibtex(item: Item) -> str:
    """One @article entry; values LaTeX-escaped, the key unique per article."""
    start, end = page_range(item.pages)
    fields = [("author", " and ".join(_bibtex_author(a) for a in item.authors) or None),
              ("title", _tex(item.title)), ("journal", _tex(journal_name(item))),
              ("year", year_of(item)), ("volume", _tex(item.volume)),
              ("number", _tex(item.issue)),
              ("pages", f"{_tex(start)}--{_tex(end)}" if start and end else _tex(start)),
              ("doi", _tex(item.doi)), ("url", main_url(item)),
              ("pmid", str(item.pmid) if item.pmid else None), ("abstract", _tex(item.abstract)),
              ("note", _tex(". ".join(notes(item))))]
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields if value)
    return f"@article{{{bibtex_key(item)},\n{body}\n}}\n\n"


def bibtex_key(item: Item) -> str:
    """'rossi2025_41000001': first author, year, and the PMID (or a DOI hash) for uniqueness."""
    first = item.authors[0] if item.authors else {}
    name = first.get("last") or first.get("collective") or "anon"
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    stem = re.sub(r"[^a-z]", "", ascii_name.lower())[:20] or "anon"
    tail = str(item.pmid) if item.pmid else hashlib.sha1(
        (item.doi or str(item.id)).encode()).hexdigest()[:8]
    return f"{stem}{year_of(item) or ''}_{tail}"


def _bibtex_author(author: dict) -> str:
    if author.get("collective"):
        return "{" + _tex(author["collective"]) + "}"
    return ", ".join(_tex(p) for p in (author.get("last"), author.get("fore")
                                       or author.get("initials")) if p)


def _tex(text: str | None) -> str | None:
    if text is None:
        return None
    return "".join(BIBTEX_SPECIAL.get(c, c) for c in _one_line(text))


def _one_line(text: str) -> str:
    return " ".join(text.split())


def write_export(fmt: str, items: list[Item], stream: TextIO) -> None:
    """Stream the items in `fmt` (one of FORMATS)."""
    if fmt == "csv":
        writer = csv.DictWriter(stream, RECORD_FIELDS, lineterminator="\n")
        writer.writeheader()
        for item in items:
            record = to_record(item)
            record["notices"] = [notice_text(n) for n in record["notices"]]
            writer.writerow({k: "; ".join(v) if isinstance(v, list) else v
                             for k, v in record.items()})
        return
    render = {"jsonl": lambda i: json.dumps(to_record(i), ensure_ascii=False) + "\n",
              "ris": to_ris, "bibtex": to_bibtex}[fmt]
    for item in items:
        stream.write(render(item))
