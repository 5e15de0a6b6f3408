"""Find the conflict-of-interest statement in a JATS full text (PMC, Europe PMC). Pure.

Publishers put it in many places: <fn fn-type="COI-statement"> or fn-type="conflict" in the
author notes or the back matter (PLOS), <notes notes-type="COI-statement"> or
"competing-interests" in <back>, sometimes inside <notes notes-type="ethics"> (Springer, BMC,
MDPI), <sec sec-type="COI-statement">, and untyped <sec>, <fn> or <notes> recognised only by a
title or bold label such as "Competing Interests" (Elsevier, BMC). The heading is not part of the
statement; when a heading stands alone in its paragraph the statement is the next paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from xml.etree import ElementTree as ET

TYPED = {
    "fn": ("fn-type", {"coi-statement", "conflict", "competing-interests", "conflict-of-interest"}),
    "notes": ("notes-type", {"coi-statement", "competing-interests", "conflict",
                             "conflict-of-interest"}),
    "sec": ("sec-type", {"coi-statement", "competing-interests", "conflict",
                         "conflict-of-interest"}),
}
HEADING = re.compile(
    r"^\s*(?:declarations? of (?:competing )?interests?|declaration of competing interests?|"
    r"(?:potential )?competing (?:financial )?interests?(?: statement)?|"
    r"(?:potential )?conflicts? of interests?(?: statement| disclosures?)?|disclosures?|"
    r"duality of interests?|financial disclosures?(?: statement)?|"
    r"disclosure of (?:potential )?conflicts? of interests?|conflitos? de interesses?|"
    r"conflictos? de inter[eé]s(?:es)?|conflits? d['’]int[ée]r[êe]ts?|interessenkonflikte?)"
    r"\s*[:.]?\s*$", re.IGNORECASE)
# Entities JATS files use by name that XML itself does not define.
ENTITIES = {"nbsp": "\u00a0", "ndash": "\u2013", "mdash": "\u2014", "thinsp": "\u2009",
            "hellip": "\u2026", "rsquo": "\u2019", "lsquo": "\u2018", "ldquo": "\u201c",
            "rdquo": "\u201d", "reg": "\u00ae", "trade": "\u2122", "copy": "\u00a9"}


class JatsError(ValueError):
    """Not a JATS article."""


@dataclass(frozen=True)
class JatsCoi:
    text: str  # every part, in document order, joined by a blank line
    elements: tuple[str, ...]  # where each part was read: back/fn-group/fn[@fn-type="COI-statement"]


# A COI statement by its own words, for elements that carry no type and no heading (a plain
# footnote: "The authors declare they have no competing financial interests.").
WORDING = re.compile(
    r"(?i)\b(?:competing|conflicting)\s+(?:financial\s+|non-?financial\s+)?interests?\b"
    r"|\bconflicts?\s+of\s+interests?\b|\bdualit(?:y|ies)\s+of\s+interests?\b"
    r"|\bfinancial\s+disclosures?\b|\bdeclare[sd]?\b[^.]{0,60}\bno\b[^.]{0,40}\binterests?\b"
    # SciELO, Redalyc and European journals write it in their own language
    r"|\bconflit(?:o|os)?\s+de\s+interesses?\b|\bconflictos?\s+de\s+inter[eé]s(?:es)?\b"
    r"|\bconflits?\s+d['’]int[ée]r[êe]ts?\b|\binteressenkonflikte?\b")
# Where a statement without type or heading may stand: notes and back matter, never the body.
WORDING_PLACES = {"author-notes", "back", "fn-group", "notes"}
WORDING_MAX = 1500  # characters: a statement, not a section of the paper
SKIPPED = {"sub-article", "response", "ref-list", "table-wrap", "fig"}


def find_coi(xml: bytes) -> JatsCoi | None:
    """Every COI statement of a JATS article, in document order, and where each was read;
    None if it has none. Peer review, decision letters and author responses (<sub-article>,
    <response>) are not the article and are never read."""
    article = _article(xml)
    found = _found(article)
    parts, places = [], []
    for elem, path in found:
        text = _statement(elem)
        if text and text not in parts:
            parts.append(text)
            places.append(path)
    if not parts:
        return None
    return JatsCoi("\n\n".join(parts), tuple(places))


def extract_coi(xml: bytes) -> str | None:
    """The COI statement of a JATS article as text (find_coi's), None if it has none."""
    found = find_coi(xml)
    return found.text if found else None


def _article(xml: bytes) -> ET.Element:
    root = _parse(xml)
    article = root if root.tag == "article" else root.find(".//article")
    if article is None:
        raise JatsError(f"<{root.tag}> holds no <article>")
    return article


def _parse(xml: bytes) -> ET.Element:
    parser = ET.XMLParser()
    parser.entity.update(ENTITIES)
    try:
        parser.feed(xml)
        return parser.close()
    except ET.ParseError as e:
        raise JatsError(f"malformed JATS XML ({e})") from None


def _found(article: ET.Element) -> list[tuple[ET.Element, str]]:
    """The statement elements in document order: typed ones, untyped ones under a COI
    heading, and, in notes and back matter, untyped footnotes and short notes recognised by
    their wording. An element inside another that was found is the more precise one (a
    "Competing interests" section inside a typed Declarations block) and replaces it."""
    found: list[tuple[ET.Element, str, tuple[ET.Element, ...]]] = []

    def walk(elem: ET.Element, ancestors: tuple[ET.Element, ...]) -> None:
        for child in elem:
            if not isinstance(child.tag, str) or child.tag in SKIPPED:
                continue
            kind = _kind(child, ancestors + (elem,))
            if kind:
                found.append((child, _path(ancestors + (elem, child), kind), ancestors + (elem,)))
            walk(child, ancestors + (elem,))

    walk(article, ())
    chosen = {id(e) for e, _, _ in found}
    # drop a container that wraps other sections (a typed Declarations block) when something
    # inside it was found too; a statement element keeps its own parts
    inner_of = {id(a) for e, _, anc in found for a in anc if id(a) in chosen and _wrapper(a)}
    kept = [(e, path) for e, path, anc in found if id(e) not in inner_of]
    # and anything inside an element kept (its text is already part of it)
    kept_ids = {id(e) for e, _ in kept}
    return [(e, path) for e, path, anc in found
            if id(e) in kept_ids and not any(id(a) in kept_ids for a in anc)]


def _wrapper(elem: ET.Element) -> bool:
    """Whether the element holds sections about other things (ethics, funding...)."""
    for inner in elem.iter():
        if inner is not elem and inner.tag in ("sec", "notes", "fn"):
            title = inner.find("title")
            if title is not None and _text(title) and not HEADING.match(_text(title)):
                return True
    return False


def _kind(elem: ET.Element, ancestors: tuple[ET.Element, ...]) -> str | None:
    """How an element is a statement: "typed", "heading", "wording", or None."""
    typed = TYPED.get(elem.tag)
    if typed is not None and (elem.get(typed[0]) or "").lower() in typed[1]:
        return "typed"
    if elem.tag not in ("sec", "fn", "notes", "p", "ack", "boxed-text"):
        return None
    if elem.tag != "p" and _heading(elem) is not None:
        return "heading"
    if elem.tag == "p":
        label = _bold_lead(elem)
        if label is not None and len(_text(elem)) > len(label) + 2:
            return "heading"  # a heading alone in its paragraph: the container is the unit
    places = {a.tag for a in ancestors}
    if elem.tag in ("fn", "p") and places & WORDING_PLACES:
        if elem.tag == "p" and any(a.tag == "fn" for a in ancestors):
            return None  # the footnote is the unit
        if any(a.tag == "ack" or _other_heading(a) for a in ancestors):
            return None  # acknowledgements, funding: words about interests, not the statement
        text = _text(elem)
        if len(text) <= WORDING_MAX and WORDING.search(text) and not _other_heading(elem):
            return "wording"
    return None


def _path(chain: tuple[ET.Element, ...], kind: str) -> str:
    """'back/fn-group/fn[@fn-type="COI-statement"]', 'back/sec[title="Competing interests"]',
    'front/article-meta/author-notes/fn': where an editor finds the statement in the XML."""
    names = [e.tag for e in chain[1:-1]]
    elem = chain[-1]
    last = elem.tag
    typed = TYPED.get(elem.tag)
    if kind == "typed":
        last += f'[@{typed[0]}="{elem.get(typed[0])}"]'
    elif kind == "heading":
        heading = _heading(elem) or _bold_lead(elem)
        last += f'[title="{heading}"]'
    return "/".join(names + [last])


def _heading(elem: ET.Element) -> str | None:
    """The element's title, label, or a bold/italic label opening its first paragraph, if it
    names a COI statement."""
    for tag in ("title", "label"):
        child = elem.find(tag)
        if child is not None and HEADING.match(_text(child)):
            return _text(child)
    first = elem.find("p")
    return _bold_lead(first) if first is not None else None


def _bold_lead(p: ET.Element) -> str | None:
    """A paragraph opening with a bold or italic COI heading: <p><bold>Competing interests:
    </bold> ...</p>."""
    if len(p) and p[0].tag in ("bold", "italic") and not (p.text or "").strip():
        label = _text(p[0])
        if HEADING.match(label):
            return label
    return None


def _other_heading(elem: ET.Element) -> bool:
    """A section or note titled as something else (Funding, Acknowledgements): its mention of
    interests is not the statement."""
    title = elem.find("title")
    return title is not None and bool(_text(title)) and not HEADING.match(_text(title))


def _statement(elem: ET.Element) -> str | None:
    """The element's text, a paragraph a line, without its heading."""
    paragraphs = []
    blocks = [elem] if elem.tag == "p" else list(elem.iter("p")) or [elem]
    for p in blocks:
        text = _text(p) if p.tag == "p" else _text_without(p, ("title", "label"))
        label = _bold_lead(p) if p.tag == "p" else None
        if label:
            text = text[len(label):].lstrip(" :.\u00a0")
        if text and not HEADING.match(text):
            paragraphs.append(text)
    return "\n".join(paragraphs) or None


def _text_without(elem: ET.Element, tags: tuple[str, ...]) -> str:
    parts = [elem.text or ""]
    for child in elem:
        if child.tag not in tags:
            parts.append("".join(child.itertext()))
        parts.append(child.tail or "")
    return " ".join("".join(parts).split())


def _text(elem: ET.Element) -> str:
    return " ".join("".join(elem.itertext()).split())
