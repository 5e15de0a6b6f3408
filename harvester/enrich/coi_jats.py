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
    r"disclosure of (?:potential )?conflicts? of interests?)\s*[:.]?\s*$", re.IGNORECASE)
# Entities JATS files use by name that XML itself does not define.
ENTITIES = {"nbsp": "\u00a0", "ndash": "\u2013", "mdash": "\u2014", "thinsp": "\u2009",
            "hellip": "\u2026", "rsquo": "\u2019", "lsquo": "\u2018", "ldquo": "\u201c",
            "rdquo": "\u201d", "reg": "\u00ae", "trade": "\u2122", "copy": "\u00a9"}


class JatsError(ValueError):
    """Not a JATS article."""


@dataclass(frozen=True)
class JatsCoi:
    text: str
    elements: tuple[str, ...]  # where each part was read, e.g. back/fn-group/fn[@fn-type="COI-statement"]


def find_coi(xml: bytes) -> JatsCoi | None:
    """The COI statement of a JATS article and where it was read; None if it has none."""
    text = extract_coi(xml)
    return JatsCoi(text, ("full text",)) if text else None


def extract_coi(xml: bytes) -> str | None:
    """The COI statement of a JATS article (first one found), its text flattened; None if the
    article has none."""
    root = _parse(xml)
    article = root if root.tag == "article" else root.find(".//article")
    if article is None:
        raise JatsError(f"<{root.tag}> holds no <article>")
    statements = [s for s in (_statement(e) for e in _candidates(article)) if s]
    return statements[0] if statements else None


def _parse(xml: bytes) -> ET.Element:
    parser = ET.XMLParser()
    parser.entity.update(ENTITIES)
    try:
        parser.feed(xml)
        return parser.close()
    except ET.ParseError as e:
        raise JatsError(f"malformed JATS XML ({e})") from None


def _candidates(article: ET.Element):
    """Typed elements first (in document order), then untyped ones with a COI heading."""
    typed, untyped = [], []
    for elem in article.iter():
        kind = TYPED.get(elem.tag)
        if kind is None:
            continue
        value = (elem.get(kind[0]) or "").lower()
        if value in kind[1]:
            typed.append(elem)
        elif not value or elem.tag in ("sec", "fn", "notes"):
            if _heading(elem) is not None:
                untyped.append(elem)
    return typed + untyped


def _heading(elem: ET.Element) -> str | None:
    """The element's title, or a bold/italic label opening its first paragraph, if it names a
    COI statement."""
    title = elem.find("title")
    if title is not None and HEADING.match(_text(title)):
        return _text(title)
    label = elem.find("label")
    if label is not None and HEADING.match(_text(label)):
        return _text(label)
    first = elem.find("p")
    if first is not None and len(first) and first[0].tag in ("bold", "italic"):
        if not (first.text or "").strip() and HEADING.match(_text(first[0])):
            return _text(first[0])
    return None


def _statement(elem: ET.Element) -> str | None:
    paragraphs = []
    for p in elem.iter("p"):
        text = _text(p)
        if p is elem.find("p") and len(p) and p[0].tag in ("bold", "italic") \
                and not (p.text or "").strip():
            label = _text(p[0])
            if HEADING.match(label):
                text = text[len(label):].lstrip(" :.\u00a0")
        if text:
            paragraphs.append(text)
    return "\n".join(paragraphs) or None


def _text(elem: ET.Element) -> str:
    return " ".join("".join(elem.itertext()).split())
