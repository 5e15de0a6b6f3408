"""PubMed efetch XML -> records. Pure: no network, no database, no clock.

The parser streams: `parse_efetch` takes the response body in chunks and yields one record per
<PubmedArticle> or <PubmedBookArticle> as soon as its bytes are complete, so memory does not grow
with the size of a response. The DTD named in DOCTYPE is never read, so a DTD newer
than anything we know of does not stop a harvest.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Iterable, Iterator
from xml.etree import ElementTree as ET

from harvester.text import ROOT_TAG, is_html, iso_date, normalize_doi

MONTHS = {m: f"{i:02d}" for i, m in enumerate(
    ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"], 1)}
PARAGRAPH_BREAK = re.compile(r"\n[ \t\r\f\v]*\n\s*")
# "\n<b>Competing interests</b>\n. The authors": a line break before punctuation is markup
# layout, not a space in the sentence.
BREAK_BEFORE_PUNCT = re.compile(r"[ \t]*\n\s*(?=[.,;:])")
# What str.split() splits ASCII on, besides one space (U+0020); and a run of two spaces.
ASCII_SPACE_RUNS = ("  ", "\t", "\n", "\x0b", "\x0c", "\r", "\x1c", "\x1d", "\x1e", "\x1f")
YEAR = re.compile(r"\b(\d{4})\b")
ORCID = re.compile(r"(\d{4}-?\d{4}-?\d{4}-?\d{3}[\dXx])")
AUTHOR_NAMES = {"LastName": "last_name", "ForeName": "fore_name", "Initials": "initials",
                "Suffix": "suffix", "CollectiveName": "collective_name"}
# CommentsCorrections RefType -> (notice type, direction). The values are the DTD's
# (pubmed_250101.dtd ATTLIST CommentsCorrections RefType), spelt and cased exactly as NCBI does.
# "in": this record is the original and the notice is elsewhere; "of": this record is the notice
# (or, for RetractedandRepublishedFrom, the replacement of a retracted article). Every other
# RefType (CommentIn/On, Cites, RepublishedIn/From = reprints, ReprintIn/Of, SummaryForPatientsIn,
# OriginalReportIn, AssociatedDataset/Publication) is not a notice and is skipped.
NOTICE_REF_TYPES = {
    "RetractionIn": ("retraction", "in"),
    "RetractionOf": ("retraction", "of"),
    "RetractedandRepublishedIn": ("retraction", "in"),
    "RetractedandRepublishedFrom": ("retraction", "of"),
    "ErratumIn": ("correction", "in"),
    "ErratumFor": ("correction", "of"),
    "CorrectedandRepublishedIn": ("correction", "in"),
    "CorrectedandRepublishedFrom": ("correction", "of"),
    "ExpressionOfConcernIn": ("expression_of_concern", "in"),
    "ExpressionOfConcernFor": ("expression_of_concern", "of"),
    "UpdateIn": ("update", "in"),
    "UpdateOf": ("update", "of"),
    # Dropped from the DTD in October 2016, when NLM re-filed partial retractions as errata; kept
    # so that an older file still parses the same way NLM now files them.
    "PartialRetractionIn": ("correction", "in"),
    "PartialRetractionOf": ("correction", "of"),
}
# The publication types that make a record a notice, most serious first (a record carrying two
# is reported as the first).
NOTICE_PUBLICATION_TYPES = {"Retraction of Publication": "retraction",
                            "Expression of Concern": "expression_of_concern",
                            "Published Erratum": "correction"}
# When a notice record lacks its publication type (a publisher-supplied record NLM has not
# indexed yet), these links alone still say what it is. Not RetractedandRepublishedFrom or
# UpdateOf: those records are new versions of a paper, not notices.
NOTICE_OF_REF_TYPES = {"RetractionOf": "retraction", "ExpressionOfConcernFor":
                       "expression_of_concern", "ErratumFor": "correction"}
# "Cancer Cell. 2024 Jan 8;42(1):170. doi: 10.1016/j.ccell.2023.12.005": NLM ends the citation
# with a full stop, which is not part of the DOI.
REF_SOURCE_DOI = re.compile(r"\bdoi:\s*(10\.\d{4,9}/\S+)", re.IGNORECASE)


class EfetchError(ValueError):
    """The body is not a PubmedArticleSet: an <ERROR>, another document, or broken XML."""


@dataclass(frozen=True)
class Deleted:
    """A <DeleteCitation>: PubMed withdrew these PMIDs."""

    pmids: tuple[int, ...]


@dataclass(frozen=True)
class Unreadable:
    """A record that could not be parsed, with its bytes and why: set aside by the caller, so
    that one bad record does not stop the others."""

    record_id: str  # its PMID, or "sha1:..." of its bytes when none can be read
    raw: bytes
    error: str


PMID_IN_RAW = re.compile(rb"<PMID[^>]*>\s*(\d{1,9})\s*</PMID>")


def parse_efetch(chunks: Iterable[bytes]) -> Iterator[dict | Deleted | Unreadable]:
    """Yield a record dict for each article in an efetch response, and Deleted markers.

    The byte stream is cut into records by their tags (a PubmedArticleSet holds only
    PubmedArticle, PubmedBookArticle and DeleteCitation children, never nested) and each record
    is parsed on its own by the C parser: the raw bytes are kept exactly as NCBI sent them, and
    no per-element Python callback runs. Entities declared in a DOCTYPE are never expanded: a
    record that uses one fails to parse.
    """
    chunks = iter(chunks)
    buffer = b""
    root = None
    pos = 0
    for chunk in chunks:
        buffer = buffer[pos:] + chunk
        pos = 0
        if root is None:
            root = _root_tag(buffer)
            if root is None:
                continue
            if root != "PubmedArticleSet":
                raise EfetchError(_describe(buffer + b"".join(chunks)))
            opening = buffer.index(b"<PubmedArticleSet")
            close = buffer.find(b">", opening)
            if close < 0:
                root = None
                continue
            pos = close + 1
        while True:
            start = _skip_space(buffer, pos)
            if start == len(buffer):
                pos = start
                break
            for opening, closing in CHILDREN:
                if buffer.startswith(opening, start):
                    stop = buffer.find(closing, start + len(opening))
                    break
            else:
                if buffer.startswith(b"</PubmedArticleSet>", start) or len(buffer) - start < 20:
                    pos = start  # the end, or too few bytes yet to tell what comes next
                    break
                raise EfetchError(f"unexpected content in <PubmedArticleSet>: "
                                  f"{buffer[start:start + 60]!r}")
            if stop < 0:
                pos = start  # the record continues in the next chunk
                break
            pos = stop + len(closing)
            yield _read(buffer[start:pos])
    if root is None:
        if buffer.strip():
            raise EfetchError(_describe(buffer))
        raise EfetchError("empty body")
    rest = buffer[pos:].strip()
    if not (rest == b"</PubmedArticleSet>" or (SELF_CLOSED_SET.search(buffer) and not rest)):
        raise EfetchError("truncated XML: the body ends before </PubmedArticleSet>")


CHILDREN = [(b"<PubmedArticle>", b"</PubmedArticle>"),
            (b"<PubmedBookArticle>", b"</PubmedBookArticle>"),
            (b"<DeleteCitation>", b"</DeleteCitation>")]
SELF_CLOSED_SET = re.compile(rb"<PubmedArticleSet\s*/>\s*$")
# The first element after the prolog (<?xml ...?>, <!DOCTYPE ...>, comments).
SPACE = b" \t\r\n"


def _skip_space(buffer: bytes, pos: int) -> int:
    while pos < len(buffer) and buffer[pos] in SPACE:
        pos += 1
    return pos


def _root_tag(head: bytes) -> str | None:
    match = ROOT_TAG.search(head)
    if match is None or match.end() == len(head):
        return None  # not enough bytes yet to know
    return match.group(1).decode("ascii", "replace")


def _read(raw: bytes) -> dict | Deleted | Unreadable:
    """One record, or Unreadable with the reason (malformed XML, a value no field can hold)."""
    try:
        return _item(raw)
    except Exception as e:  # one record's problem, whatever it is, stays with that record
        match = PMID_IN_RAW.search(raw)
        record_id = match.group(1).decode() if match else f"sha1:{hashlib.sha1(raw).hexdigest()}"
        error = str(e) if isinstance(e, EfetchError) else f"{type(e).__name__}: {e}"
        return Unreadable(record_id, raw, error)


def _item(raw: bytes) -> dict | Deleted:
    # The ReferenceList (the cited works, often half a record's bytes, three quarters of a
    # 2024+ research article with 40 references) is stored in the raw XML but not read: the DTD
    # makes it PubmedData's last child, so parse the bytes before it. Searched from PubmedData
    # on, not from a fraction of the record, so that an early ReferenceList is cut too.
    cut = -1
    if raw.startswith(b"<PubmedArticle>"):
        cut = raw.find(b"<ReferenceList", raw.find(b"<PubmedData"))
    text = raw if cut < 0 else raw[:cut] + b"</PubmedData></PubmedArticle>"
    try:
        # XMLParser() with its own default tree builder: twice as fast here as ET.fromstring.
        parser = ET.XMLParser()
        parser.feed(text)
        elem = parser.close()
    except ET.ParseError as e:
        raise EfetchError(f"malformed XML in a record ({e})") from None
    if elem.tag == "DeleteCitation":
        return Deleted(tuple(int(p.text) for p in elem.iter("PMID") if p.text))
    return article_to_record(elem, raw)


def _describe(body: bytes) -> str:
    """What an unexpected document says, e.g. <eFetchResult><ERROR>...</ERROR>."""
    if is_html(body):
        return "an HTML page instead of PubMed XML"
    try:
        root = ET.fromstring(body)
    except ET.ParseError as e:
        return f"malformed XML ({e})"
    error = root if root.tag == "ERROR" else root.find(".//ERROR")
    message = " ".join("".join((error if error is not None else root).itertext()).split())
    return f"<{root.tag}> instead of <PubmedArticleSet>: {message[:200]}".rstrip(": ")


# --- one record ------------------------------------------------------------------------------

def article_to_record(elem: ET.Element, raw: bytes) -> dict:
    """One <PubmedArticle> or <PubmedBookArticle> element (and its raw bytes) -> a flat record
    with child lists."""
    if elem.tag == "PubmedBookArticle":
        record = _book_fields(elem)
    else:
        record = _article_fields(elem)
    record["pubmed_raw"] = raw
    return record


def _article_fields(elem: ET.Element) -> dict:
    citation = elem.find("MedlineCitation")
    article = citation.find("Article")
    data = elem.find("PubmedData")
    journal = article.find("Journal")
    issue = journal.find("JournalIssue") if journal is not None else None
    ids = _article_ids(data)
    pmid = citation.find("PMID")
    publication_types = parse_publication_types(article.find("PublicationTypeList"))
    return {
        "pmid": int(pmid.text),
        "pmid_version": _int(pmid.get("Version")),
        "record_type": "article",
        "doi": parse_doi(article, ids),
        "pmcid": parse_pmcid(ids),
        "pii": _first_eloc(article, "pii") or ids.get("pii"),
        "title": parse_title(article),
        "abstract": parse_abstract(article),
        "journal": _text(journal, "Title"),
        "journal_iso": _text(journal, "ISOAbbreviation"),
        "issn_print": _issn(journal, "Print"),
        "issn_electronic": _issn(journal, "Electronic"),
        "volume": _text(issue, "Volume"),
        "issue": _text(issue, "Issue"),
        "pages": parse_pages(article),
        **parse_pub_date(issue.find("PubDate") if issue is not None else None),
        "epub_date": _date(_with(article, "ArticleDate", "DateType", "Electronic")),
        "entrez_date": _entrez_date(data),
        "revised_date": _date(citation.find("DateRevised")),
        "language": _languages(article),
        "publication_status": _text(data, "PublicationStatus"),
        "publication_types": publication_types,
        "authors": parse_authors(article.find("AuthorList")),
        "keywords": parse_keywords(citation),
        "mesh": parse_mesh(citation.find("MeshHeadingList")),
        "grants": parse_grants(article.find("GrantList")),
        "coi_statement": parse_coi(citation),
        **parse_notice_fields(citation.find("CommentsCorrectionsList"), publication_types),
    }


def _book_fields(elem: ET.Element) -> dict:
    doc = elem.find("BookDocument")
    book = doc.find("Book")
    data = elem.find("PubmedBookData")
    ids = _article_ids(doc) | _article_ids(data)
    pmid = doc.find("PMID")
    author_lists = doc.findall("AuthorList")
    authors = next((a for a in author_lists if a.get("Type", "authors") == "authors"), None)
    title = parse_title(doc) or (_flat(book.find("BookTitle")) if book is not None else None)
    publication_types = parse_publication_types(doc)
    return {
        "pmid": int(pmid.text),
        "pmid_version": _int(pmid.get("Version")),
        "record_type": "book",
        "doi": parse_doi(doc, ids),
        "pmcid": parse_pmcid(ids),
        "pii": ids.get("pii"),
        "title": title,
        "abstract": parse_abstract(doc),
        "journal": _flat(book.find("BookTitle")) if book is not None else None,
        "journal_iso": None,
        "issn_print": None,
        "issn_electronic": None,
        "volume": _text(book, "Volume"),
        "issue": None,
        "pages": parse_pages(doc),
        **parse_pub_date(book.find("PubDate") if book is not None else None),
        "epub_date": None,
        "entrez_date": _entrez_date(data),
        "revised_date": _date(doc.find("DateRevised")),
        "language": _languages(doc),
        "publication_status": _text(data, "PublicationStatus"),
        "publication_types": publication_types,
        "authors": parse_authors(authors),
        "keywords": parse_keywords(doc),
        "mesh": [],
        "grants": parse_grants(doc.find("GrantList")),
        "coi_statement": None,
        **parse_notice_fields(doc.find("CommentsCorrectionsList"), publication_types),
    }


# --- fields: one function each ---------------------------------------------------------------

def parse_title(article: ET.Element) -> str | None:
    """ArticleTitle with inline markup flattened; VernacularTitle when there is no English one."""
    return _flat(article.find("ArticleTitle")) or _flat(article.find("VernacularTitle"))


def parse_abstract(article: ET.Element) -> str | None:
    """AbstractText sections, each "LABEL: text" when labelled, one per line."""
    sections = []
    for part in _path(article, "Abstract", "AbstractText"):
        text = flatten_paragraphs(part)
        label = part.get("Label")
        if label and text:
            text = f"{label}: {text}"
        elif label:
            text = f"{label}:"
        if text:
            sections.append(text)
    return "\n".join(sections) or None


def parse_doi(article: ET.Element, ids: dict[str, str]) -> str | None:
    """The article's own DOI: the first valid ELocationID, else its ArticleIdList entry.

    Never `.//ArticleId`: ReferenceList holds the DOIs of cited works.
    """
    return normalize_doi(_first_eloc(article, "doi") or ids.get("doi"))


def parse_pmcid(ids: dict[str, str]) -> str | None:
    value = ids.get("pmc")
    if not value:
        return None
    value = value.strip().upper()
    return value if value.startswith("PMC") else f"PMC{value}"


def parse_pages(article: ET.Element) -> str | None:
    pagination = article.find("Pagination")
    if pagination is None:
        return None
    pages = _text(pagination, "MedlinePgn")
    if pages:
        return pages
    start, end = _text(pagination, "StartPage"), _text(pagination, "EndPage")
    if start and end:
        return f"{start}-{end}"
    return start


def parse_pub_date(pub_date: ET.Element | None) -> dict:
    """{"pub_date": ISO partial ("2024", "2024-03", "2024-03-05"), "pub_date_text": original text
    when it is not a plain date (MedlineDate "1979 Jan-Feb", Season "2025 Spring")}."""
    if pub_date is None:
        return {"pub_date": None, "pub_date_text": None}
    medline = _text(pub_date, "MedlineDate")
    if medline:
        year = YEAR.search(medline)
        return {"pub_date": year.group(1) if year else None, "pub_date_text": medline}
    year = _text(pub_date, "Year")
    season = _text(pub_date, "Season")
    iso = _iso(year, _text(pub_date, "Month"), _text(pub_date, "Day"))
    return {"pub_date": iso, "pub_date_text": f"{year} {season}" if season else None}


def parse_publication_types(parent: ET.Element | None) -> list[dict]:
    if parent is None:
        return []
    return [{"name": _flat(t), "ui": t.get("UI")} for t in parent.findall("PublicationType")]


def parse_authors(author_list: ET.Element | None) -> list[dict]:
    """Authors in order; entries PubMed marks invalid (ValidYN="N") are left out."""
    if author_list is None:
        return []
    authors = []
    for author in author_list.findall("Author"):
        if author.get("ValidYN") == "N":
            continue
        entry = {"last_name": None, "fore_name": None, "initials": None, "suffix": None,
                 "collective_name": None, "orcid": None,
                 "equal_contrib": author.get("EqualContrib") == "Y", "affiliations": []}
        # One pass over the children, _flat written out: authors are the bulk of a real
        # record's fields, and a helper call per name costs a third more.
        for child in author:
            tag = child.tag
            if tag == "AffiliationInfo":
                affiliation = child.find("Affiliation")
                if affiliation is not None:
                    text = (affiliation.text if len(affiliation) == 0
                            else "".join(affiliation.itertext()))
                    if text and (text := " ".join(text.split())):
                        entry["affiliations"].append(text)
            elif tag == "Identifier":
                if (entry["orcid"] is None and (child.get("Source") or "").upper() == "ORCID"
                        and child.text):
                    match = ORCID.search(child.text)
                    entry["orcid"] = _dashed_orcid(match.group(1)) if match else child.text.strip()
            else:
                key = AUTHOR_NAMES.get(tag)
                if key is not None:
                    text = child.text if len(child) == 0 else "".join(child.itertext())
                    entry[key] = " ".join(text.split()) or None if text else None
        authors.append(entry)
    return authors


def parse_keywords(parent: ET.Element) -> list[dict]:
    return [{"keyword": text, "major": k.get("MajorTopicYN") == "Y"}
            for k in _path(parent, "KeywordList", "Keyword") if (text := _flat(k))]


def parse_mesh(mesh_list: ET.Element | None) -> list[dict]:
    if mesh_list is None:
        return []
    headings = []
    for heading in mesh_list.findall("MeshHeading"):
        descriptor = heading.find("DescriptorName")
        if descriptor is None:
            continue
        headings.append({
            "descriptor": _flat(descriptor),
            "ui": descriptor.get("UI"),
            "major": descriptor.get("MajorTopicYN") == "Y",
            "qualifiers": [{"name": _flat(q), "ui": q.get("UI"), "major": q.get("MajorTopicYN") == "Y"}
                           for q in heading.findall("QualifierName")],
        })
    return headings


def parse_grants(grant_list: ET.Element | None) -> list[dict]:
    if grant_list is None:
        return []
    return [{"grant_id": _text(g, "GrantID"), "acronym": _text(g, "Acronym"),
             "agency": _text(g, "Agency"), "country": _text(g, "Country")}
            for g in grant_list.findall("Grant")]


def parse_coi(citation: ET.Element) -> str | None:
    """Every <CoiStatement>, markup flattened, entities decoded, paragraphs kept as lines."""
    parts = [flatten_paragraphs(c) for c in citation.findall("CoiStatement")]
    return "\n".join(p for p in parts if p) or None


def parse_notice_fields(comments: ET.Element | None, publication_types: list[dict]) -> dict:
    """{"notices": [...], "notice_kind": ..., "retracted": ...} for one record.

    `notice_kind` is what the record itself is ("retraction", "correction",
    "expression_of_concern" or None), from its publication types, else from the links only a
    notice carries. `retracted` is true when PubMed says the record was retracted: the
    publication type "Retracted Publication" or a retraction link pointing away from it.
    """
    notices = parse_notices(comments)
    names = {t["name"] for t in publication_types}
    kind = next((k for name, k in NOTICE_PUBLICATION_TYPES.items() if name in names), None)
    if kind is None and notices:
        kind = next((NOTICE_OF_REF_TYPES[n["ref_type"]] for n in notices
                     if n["ref_type"] in NOTICE_OF_REF_TYPES), None)
    retracted = "Retracted Publication" in names or any(
        n["type"] == "retraction" and n["direction"] == "in" for n in notices)
    return {"notices": notices, "notice_kind": kind, "retracted": retracted}


def parse_notices(comments: ET.Element | None) -> list[dict]:
    """The retraction, correction, expression-of-concern and update links of a
    CommentsCorrectionsList, in document order:
    {"type", "direction", "pmid", "doi", "ref_source", "ref_type"}."""
    if comments is None:
        return []
    notices = []
    # One dict lookup per link: a research article's list is mostly "Cites" (49 in a 2017 Gut
    # record), and only the rare notice link is read further. 4 us a record for that list,
    # against 170-300 us for parsing the whole record.
    for link in comments:
        ref_type = link.get("RefType")
        kind = NOTICE_REF_TYPES.get(ref_type)
        if kind is None:
            continue
        ref_source = _flat(link.find("RefSource"))
        notices.append({
            "type": kind[0],
            "direction": kind[1],
            "pmid": _int(_text(link, "PMID")),
            "doi": parse_ref_source_doi(ref_source),
            "ref_source": ref_source,
            "ref_type": ref_type,
        })
    return notices


def parse_ref_source_doi(ref_source: str | None) -> str | None:
    """The DOI NLM appends to a RefSource ("... doi: 10.1016/j.ccell.2023.12.005."), lower case."""
    if not ref_source or "doi" not in ref_source.lower():
        return None
    match = REF_SOURCE_DOI.search(ref_source)
    if match is None:
        return None
    return normalize_doi(match.group(1).rstrip(".,;"))


# --- text and small helpers ------------------------------------------------------------------

def flatten_paragraphs(elem: ET.Element | None) -> str:
    """All text of a mixed-content element; blank lines separate paragraphs (kept as one
    newline), any other run of whitespace becomes one space."""
    if elem is None:
        return ""
    text = elem.text or "" if len(elem) == 0 else "".join(elem.itertext())
    if "\n" not in text:
        return _squashed(text)
    text = BREAK_BEFORE_PUNCT.sub("", text)
    paragraphs = (" ".join(p.split()) for p in PARAGRAPH_BREAK.split(text))
    return "\n".join(p for p in paragraphs if p)


def _squashed(text: str) -> str:
    """" ".join(text.split()), in half the time for an ASCII abstract already spaced by single
    spaces (most abstracts are)."""
    if text.isascii() and text[:1] != " " and text[-1:] != " ":
        for space in ASCII_SPACE_RUNS:
            if space in text:
                break
        else:
            return text
    return " ".join(text.split())


def _flat(elem: ET.Element | None) -> str | None:
    """All text of an element, inline markup dropped, whitespace runs made one space."""
    if elem is None:
        return None
    text = elem.text if len(elem) == 0 else "".join(elem.itertext())
    return " ".join(text.split()) or None if text else None


def _text(parent: ET.Element | None, path: str) -> str | None:
    if parent is None:
        return None
    found = parent.find(path)
    if found is None or found.text is None:
        return None
    return found.text.strip() or None


def _path(parent: ET.Element, *tags: str) -> list[ET.Element]:
    """parent.findall("A/B") without ElementPath: findall with a bare tag runs in C."""
    found = [parent]
    for tag in tags:
        found = [child for elem in found for child in elem.findall(tag)]
    return found


def _with(parent: ET.Element, tag: str, attribute: str, value: str) -> ET.Element | None:
    """The first child `tag` whose `attribute` is `value` (ElementPath predicates are slow)."""
    for child in parent.findall(tag):
        if child.get(attribute) == value:
            return child
    return None


def _entrez_date(data: ET.Element | None) -> str | None:
    history = data.find("History") if data is not None else None
    if history is None:
        return None
    return _date(_with(history, "PubMedPubDate", "PubStatus", "entrez"))


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


def _article_ids(parent: ET.Element | None) -> dict[str, str]:
    """The record's own ArticleIdList (direct child only), first value per IdType."""
    ids: dict[str, str] = {}
    if parent is None:
        return ids
    for article_id in _path(parent, "ArticleIdList", "ArticleId"):
        kind = article_id.get("IdType", "")
        if article_id.text and kind not in ids:
            ids[kind] = article_id.text.strip()
    return ids


def _first_eloc(article: ET.Element, kind: str) -> str | None:
    for eloc in article.findall("ELocationID"):
        if eloc.get("EIdType") == kind and eloc.get("ValidYN") != "N" and eloc.text:
            return eloc.text.strip()
    return None


def _issn(journal: ET.Element | None, kind: str) -> str | None:
    if journal is None:
        return None
    for issn in journal.findall("ISSN"):
        if issn.get("IssnType") == kind and issn.text:
            return issn.text.strip()
    return None


def _languages(parent: ET.Element) -> str | None:
    return ",".join(l.text.strip() for l in parent.findall("Language") if l.text) or None


def _date(elem: ET.Element | None) -> str | None:
    if elem is None:
        return None
    return _iso(_text(elem, "Year"), _text(elem, "Month"), _text(elem, "Day"))


def _iso(year: str | None, month: str | None, day: str | None) -> str | None:
    """Year, month (a number or a name: "Nov") and day -> the most precise valid ISO date."""
    if month and not month.strip().isdigit():
        month = MONTHS.get(month.strip()[:3].lower())
    return iso_date(year, month, day)


def _dashed_orcid(value: str) -> str:
    digits = value.replace("-", "").upper()
    return "-".join(digits[i:i + 4] for i in range(0, 16, 4))
