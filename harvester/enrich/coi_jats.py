"""Find the conflict-of-interest statement in a JATS full text (PMC, Europe PMC). Pure.

Publishers put it in many places, and some articles carry several parts, all of which are
taken in document order (the same text once), each with a readable path to where it was read:
- typed elements: <fn fn-type="COI-statement"> or "conflict" in the author notes or a back
  fn-group (PLOS; eLife: one footnote per author group), <notes notes-type="COI-statement"> in
  <back> (BMC, MDPI), nested in a "Declarations" / notes-type="ethics" wrapper (Springer) or
  typed on the whole wrapper (then only its COI section), <sec sec-type="COI-statement">
  (Frontiers, Wiley), bioRxiv's "competing-interest-statement", <p content-type> (JAMA);
- untyped <sec>, <notes>, <fn>, <ack> or <fn-group> recognised by a title, label or bold run-in
  heading ("Competing interests", "Declaration of interests", "Disclosures", "Conflito de
  interesses"), or a <p> that opens with such a label; a heading alone in its paragraph takes
  the next paragraph; a bare "Disclosure" heading only over text about interests;
- untyped <fn> and <p> with no heading at all, recognised by their own wording ("The authors
  declare they have no competing financial interests."), but only where a statement can stand:
  footnotes, author notes, back matter, funding statements, end-matter sections of the body
  (Funding, Acknowledgements, Declarations) and short paragraphs after the body's sections,
  never the body at large; among thanks and grants only the statement's sentences are taken.
<sub-article> and <response> (peer review, decision letters, translations) are skipped, as are
abstracts, reference lists, tables, figures and glossaries. The heading is not part of the text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html.entities import name2codepoint
from xml.etree import ElementTree as ET

# Attributes that type an element as a COI statement, and the values that do, in any case:
# "COI-statement", "coi", "conflict", "conflict-of-interest", "competing-interests",
# "competing-interest-statement" (bioRxiv), "duality-of-interest"; not PLOS's "con"
# (contributions) or "financial-disclosure" (funding).
TYPE_ATTRS = ("fn-type", "notes-type", "sec-type", "content-type")
TYPED_VALUE = re.compile(r"^(?:coi|.*conflict|.*compet|.*interest|.*dualit)", re.IGNORECASE)
# Elements skipped with everything inside them.
SKIP = {"sub-article", "response", "abstract", "trans-abstract", "ref-list", "table-wrap",
        "table-wrap-group", "fig", "fig-group", "glossary", "supplementary-material",
        "journal-meta", "kwd-group", "title-group"}
# Inline markup and formulas: never a statement's container, not searched (about half of the
# elements of a full text).
INLINE = {"italic", "bold", "sup", "sub", "xref", "ext-link", "uri", "underline", "sc",
          "monospace", "named-content", "styled-content", "inline-formula", "disp-formula",
          "math", "tex-math", "inline-graphic", "graphic", "email", "break", "label", "title"}
# Elements that can hold a whole statement under a heading or type.
CONTAINERS = {"fn", "notes", "sec", "ack", "fn-group", "boxed-text", "app"}
# Where a heading-less paragraph may be taken for its wording alone.
MATTER = {"author-notes", "back", "ack", "fn", "fn-group", "notes", "funding-group"}
END_MATTER_TITLE = re.compile(
    r"^\s*(?:acknowledge?ments?|funding|financial support|sources? of funding|"
    r"author(?:s'?|'s)? contributions?|declarations?|ethics|ethical|additional information|"
    r"statements?|notes?|footnotes?|compliance with ethical standards|data availability|"
    r"(?:author|article)\s+information|consent|supplementary|supporting\s+information|"
    r"abbreviations)",
    re.IGNORECASE)
# A COI topic: the noun phrases a statement or its heading uses.
TOPIC = re.compile(
    r"\bcompet\w*\s+(?:\w+\s+){0,2}interests?\b|\bconflicts?[\s-]+of[\s-]+interests?\b|"
    r"\bconflicting\s+(?:financial\s+)?interests?\b|\bdualit(?:y|ies)\s+of\s+interests?\b|"
    r"\bdeclarations?\s+of\s+interests?\b|"
    r"\binteressenkonflikt|\bconflit\w*\s+d[e'\u2019]\s*int[ée]r[êe]ts?\b|"
    r"\bconflictos?\s+de\s+inter[ée]s\w*|\bconflitos?\s+de\s+interesses?\b|"
    r"\bconflitt\w+\s+di\s+interess\w+",
    re.IGNORECASE)
# Statement wording without the topic's noun phrases: "The authors declare no financial
# interests", "nothing to disclose".
DECLARES = re.compile(
    r"\bdeclare[sd]?\b[^.;]{0,60}\bno\b[^.;]{0,60}\binterests?\b|"
    r"\b(?:ha(?:s|ve)|had)\s+no\s+(?:relevant\s+)?financial\s+(?:interests?|relationships?)\b|"
    r"\bnothing\s+to\s+disclose\b",
    re.IGNORECASE)
# What a heading names besides the topic's phrases: "Disclosures", "Author disclosure statement",
# "Funding support and author disclosures" (JACC), "Relationships and activities" (BMJ's ICMJE
# heading), "COI statement".
HEADING_TOPIC = re.compile(
    r"\bdisclosures?\b|\b(?:financial\s+and\s+non-?financial\s+)?relationships?\s+and\s+"
    r"activities\b|\bCOI\b|\bfinancial\s+interests?\b",
    re.IGNORECASE)
# The words a heading may hold besides the topic: "Disclosure of potential conflicts of
# interest", "Conflict of Interest Statement", "Declaração de conflito de interesses".
HEADING_WORDS = {
    "declaration", "declarations", "statement", "statements", "disclosure", "disclosures",
    "of", "on", "regarding", "and", "&", "the", "potential", "possible", "relevant", "financial",
    "non-financial", "funding", "author", "authors", "author's", "authors'", "authors\u2019",
    "author\u2019s", "interest", "interests", "competing", "conflict", "conflicts", "any",
    "source", "sources", "support", "declaração", "declaracion", "declaración", "déclaration",
    "des", "de", "du", "potentiels", "erklärung", "potenzielle", "potencial", "potenciales",
    "potenciais", "possíveis"}
HEADING_MAX_WORDS = 10
# A heading's numbering: "7. Conflict of interest", "IV. Disclosures", "A. Competing interests".
NUMBERING = re.compile(r"^\s*(?:\d+(?:\.\d+)*\.?|[IVX]+\.|[A-Z]\.)\s+")
# What a "Disclosure" heading holds when it is a disclaimer, not a statement of interests.
DISCLAIMER = re.compile(
    r"\bviews\s+expressed\b|\bendorse(?:ment|d|s)?\b|\bdo(?:es)?\s+not\s+(?:necessarily\s+)?"
    r"(?:reflect|represent)\b|\bopinions?\s+(?:expressed|in\s+this)\b",
    re.IGNORECASE)
# Springer Nature's note that closes its Declarations, sometimes inside the COI element.
PUBLISHER_NOTE = re.compile(r"remains neutral with regard to jurisdictional claims", re.IGNORECASE)
# What the text under a bare "Disclosure(s)" heading speaks of when it declares interests.
INTERESTS = re.compile(
    r"\b(?:employ\w*|consult\w*|honorari\w*|stocks?|shares?|shareholders?|equity|patents?|"
    r"royalt\w*|advis\w*|boards?|speakers?|fees?|grants?|paid|compensat\w*|relationships?|"
    r"none|nothing|work(?:s|ing)\s+(?:at|for)|founder|owner|nil)\b",
    re.IGNORECASE)
NOT_APPLICABLE = re.compile(r"^(?:not\s+applicable|n/?a)\W*$", re.IGNORECASE)
# A run-in label at the start of a paragraph: "Conflict of interest: none declared."
RUN_IN = re.compile(r"^\s*([^:.;]{3,100}?)\s*[:.\u2014\u2013]\s*")
# Run-in heading markup.
LABEL_TAGS = {"bold", "italic", "underline", "sc"}
# A standalone paragraph of the body (directly under <body> or in a short untitled <sec>).
STANDALONE_MAX_CHARS = 600
# A heading-less paragraph taken for its wording alone is no longer than this: statements run to
# a few thousand characters at most; longer text is an essay that discusses the topic.
WORDING_MAX_CHARS = 3000
# A body section with a COI heading but more than this many paragraphs, or with subsections, and
# with the body's content going on after it, is a section about conflicts of interest, not a
# statement (a long per-author disclosure section comes after the content).
SECTION_MAX_PARAGRAPHS = 4
# Where a statement inside a longer paragraph ends: the next sentence that thanks or names funding,
# or opens with another run-in label ("Data and materials availability: ...").
STOP = re.compile(
    r"^(?:we\s+(?:thank|are\s+(?:grateful|indebted)|acknowledge|gratefully|also\s+thank)|"
    r"thanks?\b|funding\b|financial\s+support\b|"
    r"this\s+(?:work|study|research|project|article)\s+(?:was|is|has\s+been)\s+"
    r"(?:\w+\s+)?(?:supported|funded|financed)\b)",
    re.IGNORECASE)
# Whose interests a heading-less sentence speaks of, when they are not the authors'.
OTHER_PARTY = re.compile(
    r"\b(?:reviewers?|referees?|editors?|funders?|sponsors?|funding\s+(?:bod(?:y|ies)|agenc\w+)|"
    r"participants?|patients?)\b", re.IGNORECASE)
AUTHORS = re.compile(r"\b(?:authors?|co-?authors?|we|I)\b(?!\s+thank)", re.IGNORECASE)
# Run-in labels of other end-matter sections, besides END_MATTER_TITLE's (BMJ, Science).
SECTION_LABEL = re.compile(
    r"^(?:data\b.*\bavailab|availability|patient\s+consent|provenance|ethic|trial\s+regist|"
    r"role\s+of\s+the\s+(?:funder|sponsor)|contributors|guarantor|open\s+access|"
    r"correspondence|license|materials?\s+(?:and|&)\s+correspondence)",
    re.IGNORECASE)
ABBREVIATIONS = re.compile(r"^\W*(?:list\s+of\s+)?abbreviations?\b", re.IGNORECASE)
RUN_IN_LABEL = re.compile(r"^([A-Z][\w'\u2019-]*(?:\s+[\w'\u2019&-]+){0,4})\s*:\s")
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z\u00c0-\u00de])")
# Entities JATS files use by name that XML itself does not define.
ENTITIES = {name: chr(code) for name, code in name2codepoint.items()
            if name not in ("amp", "lt", "gt", "quot", "apos")}


class JatsError(ValueError):
    """Not a JATS article."""


@dataclass(frozen=True)
class JatsCoi:
    """An article's COI statement: every part in document order, and where each came from."""
    text: str  # the parts joined by a blank line (a part holds none: one line per paragraph)
    elements: tuple[str, ...]  # one readable path per part: "back/fn-group/fn[@fn-type=...]"

    @property
    def parts(self) -> tuple[str, ...]:
        return tuple(self.text.split("\n\n"))


def find_coi(xml: bytes) -> JatsCoi | None:
    """Every COI statement of a JATS article (main article only), or None if it has none."""
    article = _article(_parse(xml))
    found: list[tuple[str, str]] = []
    _walk(article, [], [], found)
    parts, elements, seen = [], [], set()
    for text, path in found:
        key = _key(text)
        if key not in seen:
            seen.add(key)
            parts.append(text)
            elements.append(path)
    if not parts:
        return None
    return JatsCoi("\n\n".join(parts), tuple(elements))


def extract_coi(xml: bytes) -> str | None:
    """The COI statement of a JATS article, its text flattened; None if the article has none."""
    coi = find_coi(xml)
    return coi.text if coi else None


def _parse(xml: bytes) -> ET.Element:
    parser = ET.XMLParser()
    parser.entity.update(ENTITIES)
    try:
        parser.feed(xml)
        root = parser.close()
    except ET.ParseError as e:
        raise JatsError(f"malformed JATS XML ({e})") from None
    for elem in root.iter():
        if "}" in elem.tag:  # a namespaced JATS (<j:article xmlns:j="...">) reads like any other
            elem.tag = elem.tag.rsplit("}", 1)[1]
    return root


def _article(root: ET.Element) -> ET.Element:
    if root.tag == "article":
        return root
    for elem in root.iter():
        if elem.tag == "article":
            return elem
    raise JatsError(f"<{root.tag}> holds no <article>")


def _walk(elem: ET.Element, path: list[str], ancestors: list[ET.Element],
          found: list[tuple[str, str]]) -> None:
    """Depth-first, in document order; an element taken whole is not searched further."""
    children = list(elem)
    skip_next = False
    for i, child in enumerate(children):
        tag = child.tag
        if tag in SKIP or tag in INLINE:
            continue
        if skip_next:
            skip_next = False
            continue
        step = path + [_step(child)]
        lineage = ancestors + [elem]
        if tag in CONTAINERS:
            parts = _container(child, step, lineage)
            if parts is not None:
                found.extend(parts)
                continue
        elif tag in ("p", "funding-statement"):
            part = _paragraph(child, children[i + 1:], lineage)
            if part is not None:
                text, took_next = part
                if took_next:
                    skip_next = True
                    step = path + [_step(children[i + 1])]
                found.append((text, "/".join(step)))
                continue
        _walk(child, step, lineage, found)


def _container(elem: ET.Element, path: list[str], ancestors: list[ET.Element]
               ) -> list[tuple[str, str]] | None:
    """The parts a typed or headed element holds, or None to search inside it."""
    typed = any(TYPED_VALUE.match(elem.get(a) or "") for a in TYPE_ATTRS)
    heading = _heading(elem)
    if not typed and heading is None:
        if elem.tag == "fn" and _wording_allowed(elem, ancestors):
            text = _by_wording(_blocks(elem), among_thanks=False)
            if text:
                return [(text, "/".join(path))]
        return None
    if typed and heading is None and (_title(elem) or any(
            c.tag in ("sec", "notes") for c in elem)):
        # A typed wrapper, titled "Declarations" or holding titled sections for ethics, consent
        # and competing interests (BMC): its COI section or paragraph is inside.
        inner: list[tuple[str, str]] = []
        _walk(elem, path, ancestors, inner)
        if inner:
            return inner
    if elem.tag == "sec" and _in_body(ancestors) and not typed and _content_after(elem, ancestors) \
            and (elem.find("sec") is not None or len(elem.findall("p")) > SECTION_MAX_PARAGRAPHS):
        return None  # a section about conflicts of interest amid the body, not a statement
    if not typed and not TOPIC.search(heading) and sum(
            1 for p in _paragraphs(elem) if RUN_IN_LABEL.match(_text(p))) >= 2:
        return None  # "Disclosures" over "Author contributions: ...", "Financial disclosure: ..."
    text = _blocks(elem)
    if not typed and not _holds_interests(heading, text):
        return None
    if elem.tag == "ack":
        # Acknowledgements titled "Competing interests" (all the declarations poured into one
        # <ack>): the first paragraph, and later ones only if they speak of interests.
        lines = text.split("\n")
        text = "\n".join([lines[0]] + [line for line in lines[1:] if _says(line)])
        return [(text, "/".join(path))] if text else None
    if elem.tag == "fn-group":
        # eLife: one footnote per author group; each is a part.
        parts = [(text, "/".join(path + [_step(fn)])) for fn in elem.iter("fn")
                 if (text := _blocks(fn))]
        return parts or None
    return [(text, "/".join(path))] if text else None


def _paragraph(p: ET.Element, following: list[ET.Element], ancestors: list[ET.Element]
               ) -> tuple[str, bool] | None:
    """(text, whether it is the next paragraph's) for a paragraph that is a statement."""
    text = _text(p)
    if any(TYPED_VALUE.match(p.get(a) or "") for a in TYPE_ATTRS):
        # <p content-type="COI-statement"> in the author notes (JAMA Network).
        label = _label(p, text)
        rest = text[len(label):].lstrip(" :.;\u2014\u2013\u00a0") if label else text
        return (rest, False) if rest else None
    label = _label(p, text)
    if label is not None:
        if not _label_allowed(p, ancestors):
            return None
        rest = text[len(label):].lstrip(" :.;\u2014\u2013\u00a0")
        if rest:
            rest = _until_next_topic(rest)
            return (rest, False) if _holds_interests(label, rest) else None
        nxt = following[0] if following else None
        if nxt is not None and nxt.tag == "p" and (body := _text(nxt)):
            return (body, True) if _holds_interests(label, body) else None
        return None
    if not _wording_allowed(p, ancestors):
        return None
    among_thanks = p.tag == "funding-statement" or any(
        a.tag == "ack" or _end_matter_sec(a) for a in ancestors)
    text = _by_wording(text, among_thanks=among_thanks)
    return (text, False) if text else None


def _by_wording(text: str, *, among_thanks: bool) -> str | None:
    """The statement a heading-less text makes by its wording, or None.

    It starts at the sentence of the COI wording when the text sits among thanks and grants
    ("Funding: ... provided by Celgene. Other authors declare no competing interests."): always
    in acknowledgements and funding statements, elsewhere when the text opens with thanks,
    funding or another end-matter label. It ends before the next sentence that thanks, names
    funding or opens another label. A list of abbreviations ("COI, conflict of interest") is
    no statement."""
    match = _says(text) if len(text) <= WORDING_MAX_CHARS else None
    if match is None or ABBREVIATIONS.match(text):
        return None
    sentence = max((m.end() for m in SENTENCE.finditer(text) if m.end() <= match.start()),
                   default=0)  # where the sentence with the wording starts
    lead = text[sentence:match.start()]
    if OTHER_PARTY.search(lead) and not AUTHORS.search(lead):
        return None  # "We thank the reviewers, who declare no ...", "The funders had no ..."
    label = RUN_IN_LABEL.match(text)
    if among_thanks or STOP.match(text.lstrip("*\u2020\u2021\u00a7 ")) \
            or (label and END_MATTER_TITLE.match(label.group(1))):
        text = text[sentence:]
        label = RUN_IN.match(text)
        if label and _is_heading(label.group(1)):
            text = text[label.end():]
    return _until_next_topic(text) or None


def _holds_interests(heading: str, text: str) -> bool:
    """Whether text under heading is a COI statement. A heading that names the topic says so;
    a bare "Disclosure(s)" heading also tops disclaimers and notes on where the work was
    presented (Hindawi), so its text must speak of interests."""
    if TOPIC.search(heading) or _says(text):
        return True
    return not DISCLAIMER.search(text) and bool(INTERESTS.search(text))


def _until_next_topic(text: str) -> str:
    """text up to the first later sentence that thanks, names funding or opens another
    section's run-in label ("Data and materials availability: ..."); a per-author label ("CD:
    none.") does not end it."""
    for m in SENTENCE.finditer(text):
        sentence = text[m.end():]
        if STOP.match(sentence) or _section_label(sentence):
            return text[:m.start()].rstrip()
    return text


def _section_label(text: str) -> bool:
    """Whether text opens with the run-in label of another end-matter section."""
    label = RUN_IN_LABEL.match(text)
    return bool(label and not _is_heading(label.group(1))
                and (END_MATTER_TITLE.match(label.group(1)) or SECTION_LABEL.match(label.group(1))))


def _says(text: str) -> re.Match | None:
    """The first COI wording in text."""
    matches = [m for m in (TOPIC.search(text), DECLARES.search(text)) if m]
    return min(matches, key=lambda m: m.start()) if matches else None


def _wording_allowed(elem: ET.Element, ancestors: list[ET.Element]) -> bool:
    """Whether elem sits where a heading-less statement can stand."""
    tags = [a.tag for a in ancestors]
    # Appendices and the back matter's own sections ("Appendix A: questionnaire") read like the
    # body: only an end-matter section's paragraphs speak for themselves there.
    inner = next((a for a in reversed(ancestors) if a.tag in ("app", "boxed-text")
                  or (a.tag == "sec" and _title(a))), None)
    if inner is not None and "back" in tags and elem.tag != "fn":
        return _end_matter_sec(inner)
    if elem.tag == "fn" or any(t in MATTER for t in tags):
        return True
    if "body" not in tags:
        return False
    if any(_end_matter_sec(a) for a in ancestors):
        return True
    # A standalone paragraph: short, directly in <body> or alone in an untitled section, and
    # after the body's sections, where end matter sits (an essay's opening paragraph is not).
    parent = ancestors[-1]
    if len(_text(elem)) > STANDALONE_MAX_CHARS:
        return False
    if parent.tag == "body":
        return not _sections_after(parent, elem)
    return (parent.tag == "sec" and not _title(parent) and parent.find("sec") is None
            and len(parent.findall("p")) <= 2 and len(ancestors) >= 2
            and ancestors[-2].tag == "body" and not _sections_after(ancestors[-2], parent))


def _sections_after(parent: ET.Element, child: ET.Element) -> bool:
    siblings = list(parent)
    return any(s.tag == "sec" for s in siblings[siblings.index(child) + 1:])


def _label_allowed(p: ET.Element, ancestors: list[ET.Element]) -> bool:
    """Whether a paragraph opening with a COI label can be the statement: anywhere but in the
    body's own sections, where it must come after them ("Conflicts of interest. Of 120 trials,
    45 ..." in a review's Results is a run-in subheading)."""
    if "body" not in (a.tag for a in ancestors) or _wording_allowed(p, ancestors) \
            or any(a.tag == "sec" and _is_heading(_title(a)) for a in ancestors):
        return True
    return not _content_after(p, ancestors)


def _content_after(elem: ET.Element, ancestors: list[ET.Element]) -> bool:
    """Whether a section of the body's own content (not end matter) comes after elem."""
    chain = ancestors + [elem]
    for parent, child in zip(reversed(chain[:-1]), reversed(chain)):
        siblings = list(parent)
        if any(s.tag == "sec" and not _end_matter_sec(s) and not _is_heading(_title(s))
               for s in siblings[siblings.index(child) + 1:]):
            return True
        if parent.tag == "body":
            break
    return False


def _end_matter_sec(elem: ET.Element) -> bool:
    """A section of the body that is end matter: Funding, Acknowledgements, Supplementary
    material and the like, by its title or its sec-type."""
    if elem.tag != "sec":
        return False
    return bool(END_MATTER_TITLE.match(NUMBERING.sub("", _title(elem)))
                or END_MATTER_TITLE.match((elem.get("sec-type") or "").replace("-", " ")))


def _in_body(ancestors: list[ET.Element]) -> bool:
    return any(a.tag == "body" for a in ancestors)


def _heading(elem: ET.Element) -> str | None:
    """The element's COI heading: its title or label, or for a footnote a run-in label opening
    its first paragraph (in a section the paragraph rule takes such a paragraph alone)."""
    for name in ("title", "label"):
        child = elem.find(name)
        if child is not None and _is_heading(_text(child)):
            return _text(child)
    first = next((c for c in elem if c.tag == "p"), None)
    if first is not None and elem.tag == "fn":
        return _label(first, _text(first))
    return None


def _label(p: ET.Element, text: str) -> str | None:
    """A COI heading that opens paragraph p: a bold/italic run-in label or plain "Heading:"."""
    if len(p) and p[0].tag in LABEL_TAGS and not (p.text or "").strip():
        label = _text(p[0])
        if _is_heading(label):
            return label
    m = RUN_IN.match(text)
    if m and _is_heading(m.group(1)):
        return m.group(0).rstrip()
    if _is_heading(text):
        return text
    return None


def _is_heading(text: str) -> bool:
    """Whether text names the topic without saying anything: "Competing interests", not
    "None declared" or "The authors declare no conflict of interest"."""
    text = NUMBERING.sub("", text).strip(" :.;*\u2020\u2021\u2014\u2013\u00a0")
    if not text or len(text.split()) > HEADING_MAX_WORDS:
        return False
    match = TOPIC.search(text) or HEADING_TOPIC.search(text)
    if match is None:
        return False
    rest = re.sub(r"[,;/&]", " ", (text[:match.start()] + " " + text[match.end():]).lower())
    rest = rest.split()
    return all(word in HEADING_WORDS for word in rest)


def _blocks(elem: ET.Element) -> str:
    """The element's text without its title and label: one line per paragraph, a run-in COI
    label removed from the first one, a heading-only paragraph dropped."""
    paragraphs = list(_paragraphs(elem))
    if not paragraphs:  # <fn>The authors declare ...</fn>, a <list> with no <p>
        pieces = [elem.text or ""]
        for child in elem:
            if child.tag not in ("title", "label"):
                pieces.extend(child.itertext())
            pieces.append(child.tail or "")
        return " ".join("".join(pieces).split())
    lines = []
    for n, p in enumerate(paragraphs):
        text = _text(p)
        if n == 0:
            label = _label(p, text)
            if label is not None:
                text = text[len(label):].lstrip(" :.;\u2014\u2013\u00a0")
        if _section_label(text) and lines:
            break  # the next section, run into the statement's element
        if text and not PUBLISHER_NOTE.search(text):
            lines.append(_until_next_topic(text))
    if len(lines) > 1:
        # A Declarations block typed as the statement whose section titles were lost (BMC):
        # the ethics and consent answers are not part of it.
        lines = [line for line in lines if not NOT_APPLICABLE.match(line)] or lines[:1]
    return "\n".join(lines)


def _paragraphs(elem: ET.Element):
    """The outermost <p> elements under elem, in document order, skipping titles and SKIP."""
    for child in elem:
        tag = child.tag
        if tag == "p":
            yield child
        elif tag not in SKIP and tag not in ("title", "label"):
            yield from _paragraphs(child)


def _title(elem: ET.Element) -> str:
    title = elem.find("title")
    return _text(title) if title is not None else ""


def _step(elem: ET.Element) -> str:
    """One readable path step: the tag, with its type attribute or else its title."""
    tag = elem.tag
    for attr in TYPE_ATTRS:
        value = elem.get(attr)
        if value:
            return f'{tag}[@{attr}="{value}"]'
    title = _title(elem) if tag in CONTAINERS else ""
    if title:
        return f'{tag}[title="{title}"]'
    return tag


def _text(elem: ET.Element) -> str:
    return " ".join("".join(elem.itertext()).split())


def _key(text: str) -> str:
    return " ".join(text.lower().split())
