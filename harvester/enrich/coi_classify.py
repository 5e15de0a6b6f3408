"""Classify a conflict-of-interest statement: none declared, declared, or unclear.

Pure: text (and optionally the article's author list) in, `CoiResult` out. No network, no
database, no clock. The rules read the statement's structure, in this order:

1. Sections. Headings glued to the text ("Declaration of interests H.Y. has...", "Competing
   interests: ...") are cut off; text the statement runs on into (Funding, Funding Statement,
   Acknowledgements, Author contributions, Data availability, Ethics, "Declarations" blocks)
   is dropped: companies there are not counterparts of a declaration.
2. Sentences, then clauses (";", "but", "except"...). Flattened per-author lists (JCO: "Jane
   Doe Honoraria: Roche ...") are cut at each category label and at each author's name.
3. Each clause is
   - "none": a negated interest ("no competing interests", "nothing to disclose", "None.",
     "neither ... nor ... has any conflict", "não haver conflitos"...);
   - "declared": a relationship (employment, consulting/advisory, honoraria/fees,
     stock/equity, patents/royalties, founder, board, committees, editorial roles, commercial
     development), a grant or support received by a named author or "outside the submitted
     work" (ICMJE), a company as funder or supplier, or an author label followed by companies
     ("S.T.W.: Sage Therapeutics");
   - neutral otherwise ("the funder had no role", "this includes employment, ..." after a
     denial).
   Exceptions: "all authors except A.B. and C.D. declare none" declares for A.B. and C.D.
4. Status: declared if any clause declares; none_declared if any clause says none; unclear.
5. Companies, found by grammar: the objects of "from / for / with / of / to / by / employee of
   / shares in / founder of / board of / consultant to" in a declaring clause and "Category:
   A, B; Category: C" lists, whole names with legal or descriptive suffixes ("Arvinas Inc.",
   "Kura Oncology", "bioMérieux"), minus people, titles, places, public funders, universities,
   hospitals, foundations, societies, journals, products and grant numbers. The curated list
   (harvester/data/companies.json, canonical -> aliases) normalises the names found (GSK ->
   GlaxoSmithKline, MSD -> Merck Sharp & Dohme); a division keeps its written name ("Roche
   Diagnostics"). Each company is reported with the clause it came from.
6. Authors: initials ("A.B.", "J.-P.S.", "AB", "M.E.G" for "M. Gurney"), full names, "Dr.
   Surname", "the senior/last author" are mapped to the given list ("Ana Bianchi" or
   "Bianchi A"); "he/she" clauses and per-author category lists inherit the last named author.
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

COMPANIES_FILE = Path(__file__).resolve().parent.parent / "data" / "companies.json"


@dataclass(frozen=True)
class CoiResult:
    status: str                 # "none_declared" | "declared" | "unclear"
    organizations: list[str]    # normalised company names, sorted, unique
    authors_declaring: list[str]  # names from the given author list (as given) who declare
    evidence: str               # the sentence that decided the status ("" if none)
    # For `harvest coi explain`: each company with the clause it came from, in text order, and
    # each declaring author with the clause that named them. Not compared: two results with the
    # same status, companies, authors and evidence are the same answer.
    organization_clauses: tuple[tuple[str, str], ...] = field(default=(), compare=False)
    author_clauses: tuple[tuple[str, str], ...] = field(default=(), compare=False)


# ---------------------------------------------------------------------------------------------
# Headings

_COI_HEADING = (
    r"(?:(?:author(?:s|s')?\s+|potential\s+|financial\s+|declarations?\s+of\s+)?"
    r"(?:competing|conflicting)\s+(?:financial\s+)?interests?(?:\s+statement)?"
    r"|(?:potential\s+|declarations?\s+of\s+|statement\s+of\s+)?conflicts?\s+of\s+interests?"
    r"(?:\s+(?:statement|disclosures?|declaration))?"
    r"|(?:authors'?\s+)?disclosures?\s+of\s+potential\s+conflicts?\s+of\s+interests?"
    r"|declarations?\s+of\s+(?:competing\s+)?interests?"
    r"|(?:financial\s+|author\s+|authors'\s+)?disclosures?(?:\s+statement)?"
    r"|dualit(?:y|ies)\s+of\s+interests?"
    r"|interessenkonflikte?|conflits?\s+d['’]int[ée]r[êe]ts?|liens?\s+d['’]int[ée]r[êe]ts?"
    r"|conflictos?\s+de\s+inter[ée]s(?:es)?|conflitos?\s+de\s+interesses?)"
)
_OTHER_HEADING = (
    r"(?:declarations|compliance\s+with\s+ethical\s+standards|ethics\s+declarations"
    r"|ethics\s+approval(?:\s+and\s+consent\s+to\s+participate)?|ethical\s+approval"
    r"|ethics\s+statement|consent\s+(?:for|to)\s+(?:publication|participate)"
    r"|informed\s+consent|patient\s+consent(?:\s+for\s+publication)?|human\s+ethics"
    r"|animal\s+ethics|funding(?:\s*/\s*support|\s+information|\s+sources?|\s+statement)?"
    r"|financial\s+support|grant\s+support|sources?\s+of\s+(?:funding|support)|study\s+funding"
    r"|role\s+of\s+the\s+(?:funders?|sponsors?|funding\s+source)"
    r"(?:\s*/\s*sponsors?)?|availability\s+of\s+data(?:\s+and\s+materials?)?"
    r"|data\s+(?:availability|sharing)(?:\s+statement)?|code\s+availability"
    r"|authors?'?\s+contributions?|contributors|acknowledge?ments?|guarantor"
    r"|statistics\s+and\s+biometry|study\s+subjects\s+or\s+cohorts\s+overlap|methodology"
    r"|clinical\s+trial\s+(?:number|registration)|trial\s+registration"
    r"|provenance\s+and\s+peer\s+review|disclaimer|additional\s+information"
    r"|patient\s+and\s+public\s+involvement|handling\s+editor|publisher['’]?s\s+note"
    r"|peer\s+review(?:\s+information)?|author\s+information|rights\s+and\s+permissions"
    r"|supplementary\s+(?:material|information)|open\s+access|ethics)"
)
_BOUNDARY = r"(?:^|(?<=[.!?:;\n])|(?<=[.!?:;]\s)|(?<=\n\s))"
_HEADING_RE = re.compile(
    rf"{_BOUNDARY}\s*(?P<h>(?P<coi>{_COI_HEADING})|(?P<other>{_OTHER_HEADING}))"
    r"(?P<end>\s*[:.](?!\w)\s*|\s*$|\s+(?=[A-Z\"“(]))", re.I)


def _sections(text: str) -> str:
    """The competing-interests part of the text, headings removed."""
    marks = []
    for m in _HEADING_RE.finditer(text):
        glued = not re.match(r"\s*[:.]|\s*$", m.group("end"))
        # A heading without ":"/"." must open the text or a paragraph ("Declaration of
        # interests H.Y. has..."); mid-text it is too likely to be prose.
        if glued and m.start("h") > 0 and text[:m.start("h")].rstrip()[-1:] not in ("", "\n"):
            continue
        if glued and m.group("other") and not re.match(
                r"(?i)declarations|compliance|acknowledge?ments?|contributors|disclaimer",
                m.group("h")):
            continue
        marks.append((m.start(), m.end(), "coi" if m.group("coi") else "other"))
    if not marks:
        return text
    has_coi = any(k == "coi" for _, _, k in marks)
    parts = [text[:marks[0][0]]]
    for i, (_, end, kind) in enumerate(marks):
        stop = marks[i + 1][0] if i + 1 < len(marks) else len(text)
        if kind == "coi" or not has_coi and kind != "other":
            parts.append(text[end:stop])
    return "\n".join(p.strip() for p in parts if p.strip())


# ---------------------------------------------------------------------------------------------
# Sentences and clauses

_ABBREV = {"dr", "drs", "prof", "profs", "mr", "mrs", "ms", "st", "vs", "no", "nos", "jr", "sr",
           "al", "fig", "approx", "incl", "e.g", "i.e", "etc", "co", "ph.d", "m.d", "dipl",
           "inst", "univ", "dept"}

_JCO_LABELS = (
    r"Employment|Leadership|Stock and Other Ownership Interests|Honoraria|"
    r"Consulting or Advisory Role|Speakers['’]? Bureau|Research Funding|"
    r"Patents, Royalties, Other Intellectual Property|Expert Testimony|"
    r"Travel, Accommodations, Expenses|Other Relationship|Uncompensated Relationships|"
    r"Open Payments Link")
_JCO_LABEL_RE = re.compile(rf"(?<!\n)\s+(?=(?:{_JCO_LABELS}):)|(?<!\n)\s+(?=No (?:other )?"
                           r"(?:potential )?(?:relationships?|conflicts?) (?:to disclose|"
                           r"of interest were reported))")
_STARTS_JCO_LABEL = re.compile(rf"(?:{_JCO_LABELS}):")


# Flattened statements that lost their full stops: "No competing interests declared T.P. is a
# co-inventor", "... Medical Institute FW receives funding", "Reviewing editor, eLife No
# competing interests declared".
_GLUED_SENTENCE = re.compile(
    r"\b(?:declared|interests|interest|disclose|exist|reported|applicable|none)(?=\s+[A-Z])"
    r"|\b(?!(?:and|or|nor|both|of|by|to|from|with|for|that|than|as|authors?|co-?authors?)\b)"
    r"[A-Za-z][a-z]+(?=\s+(?:[A-Z]\.?){2,4}\s+(?:is|was|has|have|had|receives?|received|reports?|"
    r"reported|declares?|declared|holds?|held|serves?|served|owns?|consults?|works?)\b)"
    r"|\w(?=\s+(?:No|None)\s+(?:competing|conflicts?|financial|other|relevant|declared)\b)")


def _sentences(text: str) -> list[str]:
    out = []
    for para in text.split("\n"):
        para = re.sub(r"(?<=[a-z]{2}[.!?])(?=[A-Z][\w.])", " ", para)  # "work.C. Smith"
        para = _GLUED_SENTENCE.sub(lambda m: m.group(0) + ".", para)
        start = 0
        for m in re.finditer(r"[.!?](?=\s+[\"“(\[]?[A-Z0-9ÀÁÂÄÉÈÖÜ])", para):
            before = para[start:m.start()]
            word = re.search(r"([\w.]+)$", before)
            w = word.group(1).lower() if word else ""
            if w in _ABBREV or re.fullmatch(r"[a-z]", w) or re.fullmatch(r"(?:[a-z]\.)+[a-z]", w):
                continue
            if re.fullmatch(r"[A-Z]", word.group(1) if word else ""):
                continue
            out.append(para[start:m.end()].strip())
            start = m.end()
        out.append(para[start:].strip())
    return [s for s in out if s and re.search(r"\w", s)]


_CLAUSE_SPLIT = re.compile(
    r";|,?\s+\b(?:but|however|whereas|except(?:\s+for|\s+that)?|other\s+than|apart\s+from|"
    r"aside\s+from|with\s+the\s+exception\s+of)\b,?", re.I)


def _clauses(sentence: str) -> list[str]:
    if "(" in sentence and ";" in sentence:     # "(CERSI; U01FD005938)": one clause
        sentence = _PAREN_SEMICOLON.sub(lambda m: m.group(0).replace(";", ","), sentence)
    return [c.strip(" ,") for c in _CLAUSE_SPLIT.split(sentence) if c.strip(" ,")]


_PAREN_SEMICOLON = re.compile(r"\([^()]*;[^()]*\)")


# ---------------------------------------------------------------------------------------------
# Clause patterns

_INTEREST = (r"(?:competing|conflicts?|conflicting|disclos\w*|dualit(?:y|ies)|COIs?\b|"
             r"declarations?\s+of\s+interests?|"
             r"(?:financial|commercial|personal|industry|relevant|proprietary|pecuniary|economic)"
             r"\s+(?:\w+\s+){0,2}"
             r"(?:interests?|relationships?|ties|support|disclosures?|associations?|"
             r"involvements?|activities|affiliations?)|interests?\s+to\s+(?:declare|disclose)|"
             r"relationships?\s+to\s+disclose|relationships?\s+with\s+(?:any|the)\s+compan)")
_NONE_RES = [re.compile(p, re.I) for p in (
    rf"\bno(?:\s+\S+){{0,5}}?\s+{_INTEREST}",
    rf"\b(?:not|never)\s+(?:\w+\s+){{0,3}}?(?:any|have|has|had|received|hold)\b(?:\s+\S+){{0,5}}?"
    rf"\s+{_INTEREST}",
    r"\bnone\s+(?:were\s+|was\s+)?(?:declared|to\s+(?:declare|disclose|report)|reported|"
    r"disclosed|identified)",
    r"^\W*none\W*$", r"^\W*(?:n/?a|nil)\W*$", r"[:,]\s*(?:none|nil|nothing)\b(?!\s+of)",
    r"\bnothing\s+to\s+(?:disclose|declare|report)", r"\b(?:declares?|declared|reports?|"
    r"reported|disclose[sd]?)\s+(?:that\s+there\s+(?:is|are)\s+)?none\b",
    r"\bnone\s+of\s+the\s+(?:other\s+|remaining\s+|listed\s+)?(?:authors?|co-?authors?)\b.*\b"
    r"(?:conflicts?|competing|interests?|relationships?|disclos|declare)",
    r"\bnone\s+of\s+the\s+(?:\w+\s+)?(?:authors?|co-?authors?)\s+(?:has|have|had|received|"
    r"receives?|holds?|reports?|is|are|was|were)\b",
    # Springer: "no affiliations with or involvement in any organization or entity with any
    # financial interest"; Annual Reviews: "not aware of any affiliations, memberships...".
    r"\bno\s+(?:\w+\s+){0,2}(?:affiliations?|involvement)\s+(?:with|in)\b",
    r"\bnot\s+aware\s+of\s+any\b", r"\bno\s+benefits?\s+in\s+any\s+form",
    # A clause that opens with a negation of the interest itself: "no employment; no stock".
    r"^\W*(?:and\s+)?(?:no|nor|neither|without)\s+(?:\w+\s+){0,3}?(?:employ\w*|consult\w*|"
    r"honorari\w*|stock\w*|shares?|equity|patents?|royalt\w+|grants?|fees?|funding|support|"
    r"relationships?|advisory|board|ownership|payments?|compensation)\b",
    r"\bnon\s+(?:avere|hanno|ci\s+sono|sussiste\w*|esiste\w*)\s+(?:alcun\w*\s+)?conflitt",
    r"\b(?:nenhum|qualquer)\s+conflito|\binexist[êe]ncia\s+de\s+conflito|"
    r"\bnada\s+a\s+declarar|\bausencia\s+de\s+conflicto|^\W*ningun[oa](?:\s+declarad[oa])?\W*$",
    r"\bsem\s+conflitos?|\bno\s+present(?:ar|an)\s+(?:ning[uú]n\s+)?conflictos?",
    r"^\W*none\s+known\W*$|\bunaware\s+of\s+any\b",
    r"\bno\s+(?:\S+\s+){0,4}benefits?\s+(?:\w+\s+)?(?:have|has|were|was|will)\b",
    r"\bwithout\s+any\s+(?:commercial|financial|competing|conflict)",
    r"\bgeen\s+(?:\w+\s+)?(?:belangenverstrengeling|belangenconflict\w*|conflicten)",
    r"\bno\s+(?:support|relationships?)\s+from\s+any\s+organi[sz]ation",
    r"\bno\s+(?:\w+\s+){1,3}?(?:of\s+)?interests?\s+to\s+(?:declare|disclose|report)",
    r"\bno\s+other\s+(?:relationships?|activities|disclosures?)",
    r"\babsence\s+of\s+(?:any\s+)?(?:commercial|financial|competing|conflicts?)",
    rf"\bneither\b.{{1,80}}\bnor\b.{{1,80}}\b(?:has|have|had|holds?)\s+(?:any\s+)?{_INTEREST}",
    r"\bno\s+(?:\w+\s+){0,2}(?:relationships?|affiliations?|ties)\s+(?:that|which)\s+"
    r"(?:\w+\s+){0,4}(?:construed|considered|regarded|perceived|seen|influence)",
    r"\bn[ãa]o\s+(?:haver|h[áa]|existir|existem?|possu\w+|ter|t[eê]m)\s+(?:nenhum\s+|qualquer\s+)?"
    r"conflitos?",
    r"^\W*(?:none|nil|nothing)\s+(?:for|by|from)\s+(?:any|all|each|either|the)\b",
    r"^\W*(?:none|nil)(?:\s+declared)?\W*(?=\s[A-Z])",
    r"\bkein(?:e|en)?\s+(?:\w+\s+)?(?:interessenkonflikte?|konflikte?|finanziellen)",
    r"\b(?:aucun|aucune)\s+(?:\w+\s+)?(?:conflits?|liens?)\b",
    r"\bne\s+pas\s+avoir\s+de\s+(?:conflits?|liens?)", r"\bn['’]avoir\s+aucun",
    r"\bno\s+(?:tener|tienen|existe[n]?|hay)\s+(?:ning[uú]n\s+)?conflictos?",
    r"\bning[uú]n\s+conflicto", r"\bnessun\s+conflitto", r"\bsin\s+conflictos?",
)]

_STRONG = re.compile(r"(?i)\b(?:"
    r"employ(?:ee|ees|ed|ment)|works?\s+(?:for|at)|worked\s+(?:for|at)|working\s+(?:for|at)|"
    r"staff\s+member\s+of|"
    r"consult\w*|advis(?:or|er|ory|ors|ers|e[sd]?|ing)|honorari\w*|honoraires?|"
    r"speak(?:er|ers|ing)|lectur(?:e|es|er|ing)\s+fees?|fees?|paid|payments?|"
    r"compensat\w+|remunerat\w+|stipends?|"
    r"stock\w*|shares?\s+in|shareholder\w*|shareholdings?|share\s+options?|holdings\s+in|"
    r"equity|(?:stock\s+)?options?\s+in|owner\w*|owns|"
    r"ownership|patents?|royalt\w+|inventor\w*|licens\w+|intellectual\s+property|"
    r"founder\w*|co-?founder\w*|founded|co-?founded|"
    r"(?:scientific\s+)?advisory\s+(?:board|committee)|board\s+of\s+directors|board\s+members?|"
    r"(?:member|membership|chair|director)\s+of\s+the\s+board|on\s+the\s+board|"
    r"(?:data\s+(?:and\s+)?safety\s+monitoring|steering)\s+(?:board|committee)s?|DSMB|SABs?|"
    r"leadership|expert\s+testimony|speakers?['’]?\s+bureaus?|"
    r"relationships?\s+with|(?:personal|financial)\s+relationships?|"
    r"has\s+(?:a|an)\s+(?:potential\s+)?(?:competing|conflict)|"
    r"(?:potential|possible|perceived)\s+(?:competing|conflict)|"
    r"(?:considered|construed|perceived|regarded|seen)\s+(?:as\s+)?(?:an?\s+)?"
    r"(?:potential\s+|possible\s+)?(?:non-?financial\s+|financial\s+)?(?:competing|conflict)|"
    r"non-?financial\s+(?:competing|conflict)|"
    r"chief\s+(?:\w+\s+){1,2}officer|CEO|CSO|CMO|CTO|CFO|COO|(?:vice\s+)?president\s+(?:of|at)|"
    r"(?:ha[sd]|have|holds?|held)\s+(?:an?\s+)?(?:\w+\s+)?(?:financial|equity|ownership|"
    r"commercial)\s+interests?|(?:holds?|held)\s+(?:a|the)\s+(?:\w+\s+)?position|"
    r"declare[sd]?\s+(?:the\s+following\s+|an?\s+)?(?:potential\s+)?(?:competing|conflicts?)\s+"
    r"(?:of\s+)?(?:financial\s+)?interests?|"
    r"managing\s+director|(?:founding\s+|general\s+)?partner\s+(?:at|of|in)|"
    r"commercial\s+(?:development|interests?|activit\w+|ties|entit\w+|partners?|compan\w+|"
    r"(?:\w+\s+)?services)|commerciali[sz]\w+|board\s+of\s+directors?|director\s+member"
    r")\b|(?i:honorar|berater|beratungs|vortrags|aktien|angestellt|gutachter|"
    r"honoraires|actionnaire|salari[ée]|honorarios|consultor|funcion[aá]ri|empregad|emplead|"
    r"asesor|accionista|regal[ií]as|honor[aá]rios)")
# Employment at a university or hospital is not an interest; advisory, board and committee
# roles are, whoever holds them (issue #12).
_EMPLOYMENT_LIKE = re.compile(
    r"(?i)\b(?:employ\w*|works?\s+(?:for|at)|worked|working|staff|position|"
    r"chief\s+(?:\w+\s+){1,2}officer|"
    r"CEO|CSO|CMO|CTO|CFO|COO|(?:vice\s+)?president|principal|managing\s+director|partner)\b")
_WEAK = re.compile(r"(?i)\b(?:grants?|grant\s+support|funding|funds?|funded|support(?:ed)?|"
                   r"sponsor\w*|travel|accommodations?|expenses|reimburs\w+|received|receives|"
                   r"receiving|contracts?|contracted|gifts?|provided|supplied|collaborat\w+|"
                   r"research\s+agreements?|investigator|trials?|affiliat\w+\s+with|ties\s+"
                   r"(?:to|with)|worked\s+with)\b|(?i:forschung|drittmittel|"
                   r"reisekosten|unterstützung|subventions?|financement)")
_NO_ROLE = re.compile(
    r"(?i)\b(?:had|has|have|played|play)\s+no\s+(?:\w+\s+){0,2}?(?:role|involvement|influence|"
    r"input|part|control)\b|\bno\s+(?:role|involvement|influence|control)\s+(?:in|on|over)\b|"
    r"\bnot\s+(?:been\s+|directly\s+)?involved\s+in\b|\bdid\s+not\s+(?:have|play|exercise|"
    r"influence|participate)\b|\bwithout\s+(?:any\s+)?(?:involvement|influence)")
_INTRO = re.compile(
    r"(?i)\b(?:declare[sd]?|disclose[sd]?|report(?:s|ed)?|list(?:s|ed)?)\s+(?:the\s+)?"
    r"following\b[^:]*:?|\b(?:declare[sd]?|disclose[sd]?|report(?:s|ed)?)\s+(?:the\s+|these\s+)?"
    r"(?:potential\s+)?(?:competing|conflicts?)[^:]{0,40}:")
_DECLARES_INTERESTS = re.compile(
    r"(?i)\b(?:declare[sd]?|report(?:s|ed)?|disclose[sd]?|ha(?:ve|s))\s+"
    r"(?:the\s+following\s+|an?\s+)?(?:potential\s+)?(?:competing|conflicts?)\s+(?:of\s+)?"
    r"(?:financial\s+)?interests?\b")
_THESE_AUTHORS = re.compile(r"(?i)^\W*(?:all\s+|both\s+)?(?:these|those|the\s+above|the\s+"
                            r"aforementioned|said)\s+(?:co-?)?authors?\b")
_GROUP_AUTHOR = re.compile(r"(?i)\b(?:team|consortium|group|collaborat\w*|investigators|network|"
                           r"study|committee|initiative)\b")
_ALL_AUTHORS = re.compile(r"(?i)^(?:\W*)(?:the|all|both|each\s+of\s+the)\s+"
                          r"(?!(?:senior|last|first|lead|corresponding|principal|co-?first|"
                          r"joint|other|remaining)\b)(?:\w+\s+)?authors?\b"
                          r"|^\W*(?:we|each\s+author|every\s+author)\b")
_OTHER_AUTHORS = re.compile(r"(?i)\b(?:other|remaining|rest\s+of\s+the|further)\s+"
                            r"(?:co-?)?authors?\b|\bnone\s+of\s+the\b")
_PRONOUN = re.compile(r"(?i)^\W*(?:and\s+)?(?:he|she|they|his|her|their|also|has|have|had|"
                      r"is|was|holds?|serves?|received?|reports?)\b")


# One pattern for all of them: one scan of the clause instead of thirty.
_NONE_ANY = re.compile("|".join(f"(?:{p.pattern})" for p in _NONE_RES), re.I)


def _is_none(clause: str) -> bool:
    return bool(_NONE_ANY.search(clause))


# ---------------------------------------------------------------------------------------------
# Organisations

_LEGAL = (r"Inc\.?|Incorporated|Ltd\.?|Limited|LLC|L\.L\.C\.|GmbH(?:\s*&\s*Co\.?\s*KG)?|AG|"
          r"KGaA|S\.A\.?|SAS|S\.A\.S\.|S\.p\.A\.?|SpA|S\.r\.l\.?|S\.L(?:\.U)?\.?|SLU?|GMBH|"
          r"Corp\.?|Corporation|Co\.|"
          r"Company|plc|PLC|B\.V\.?|BV|N\.V\.?|NV|A/S|K\.K\.|KK|Pty\.?|LP|L\.P\.|Oy|AB|ApS|SE|"
          r"Holdings?")
_DESCRIPTIVE = (r"Pharmaceuticals?|Pharma|Therapeutics|BioTherapeutics|Biotherapeutics|"
                r"Biosciences|BioSciences|Bio|Biotech|Biotechnology|Biotechnologies|Biopharma|"
                r"BioPharma|Biologics|Oncology|Diagnostics|Genomics|Genetics|Medicines|Labs|"
                r"Laboratories|Technologies|Healthcare|HealthCare|Medical|Biomed|Therapies|"
                r"Vaccines|Lifesciences|Life\s+Sciences|Pharmaceutical\s+Industries")
# A capital (Latin-1 included: "Société"), or an inner capital after a short lower-case head
# ("bioMérieux", "uniQure", "iTeos", "eGenesis").
_CAP = r"(?:[A-Z0-9À-ÖØ-Þ]|[a-z]{1,3}(?=[A-ZÀ-ÖØ-Þ]))"
_NAME_WORD = rf"(?:{_CAP}[\w'’.+-]*[\w+]|[A-Z]|&|of|de|du|la|von|van|der)"
_SUFFIX_RE = re.compile(
    rf"(?<![\w-])((?:{_NAME_WORD}\s+){{0,4}}?(?:{_CAP}[\w'’.+-]*[\w+]|[A-Z]))"
    rf"(?:,?\s+(?:{_LEGAL})(?![\w])|\s+(?:{_DESCRIPTIVE})\b(?:,?\s+(?:{_LEGAL})(?![\w]))?"
    r"(?!\s+(?:[A-Z][a-z]|of\b|for\b)))")
_LEGAL_TAIL = re.compile(rf"(?:,?\s+(?:{_LEGAL}|Co$))+\W*$")
_BLOCK_WORDS = re.compile(
    r"(?i)\b(?:universit\w*|universität|université|universidad|universidade|college|school|"
    r"hospitals?|klinik\w*|clinic|clinics|institutes?|institut\w*|istituto|center|centre|"
    r"centers|centres|foundations?|fondation|fundaci[oó]n|fondazione|stiftung|fonden|"
    r"society|societies|soci[ée]t[ée]|gesellschaft|association|associations|council|agency|"
    r"ministry|ministerio|department|dept|government|governmental|national|federal|academy|"
    r"akademie|trust|charity|charities|fund|funds|programme|program|fellowship|consortium|"
    r"network|initiative|alliance|commission|committee|journal|editorial|congress\w*|conferences?|"
    r"meetings?|cores?|facilit(?:y|ies)|"
    r"cooperative|faculty|office|system|authority|administration|"
    # "Patheon Viral Vector Services" is a company, "Health and Human Services" is not
    r"(?:health|human|social|public|community|emergency|ambulance|veterans|care|medicaid)\s+"
    r"services?|medicare|medicaid|"
    r"forschungsgemeinschaft|verband|verein|bund|e\.\s?v\.?|research\s+council|"
    r"cancer\s+research|league|federation|registry|ngo|health\s+system|nhs|"
    r"coalition|collaborative|board|boards|group|groups|chamber|union|bureau|"
    r"organi[sz]ations?|platform|patents?|provisional|trustees?|guarantors|stud(?:y|ies)|"
    r"trials?|cohorts?|units?|"
    r"directors?|officers?|chairs?|chairman|chairwoman|president)\b")
_BLOCK_ITEMS = {
    "NIH", "NCI", "NSF", "ERC", "DFG", "NHMRC", "CIHR", "FDA", "EMA", "NHS", "NIHR", "MRC",
    "BMBF", "ANR", "AHRQ", "CMS", "CDC", "WHO", "PCORI", "ASCO", "ESMO", "AACR", "ECTRIMS",
    "DoD", "VA", "NIAID", "NHLBI", "NIDDK", "NIMH", "NINDS", "NIA", "NICHD", "NIGMS", "NCATS",
    "CPRIT", "DOD", "CRUK", "EU", "EC", "BBSRC", "EPSRC", "UKRI", "JSPS", "AMED", "NSFC", "MOST",
    "SNSF", "FWF", "ZonMw", "NWO", "INCa", "AIRC", "ISCIII", "FAPESP", "CNPq", "ARC", "ASH",
    "EHA", "ESC", "AHA", "ACC", "ADA", "EASD", "EULAR", "ACR", "AASLD", "EASL", "ATS", "ERS",
    "ICMJE", "COI", "US", "USA", "U.S", "UK", "EU", "Inst", "Institution", "Honoraria",
    # cooperative groups, programmes and public funders written as acronyms of 5+ letters
    "EORTC", "NSABP", "UNICANCER", "GEICAM", "HOVON", "ANZUP", "IBCSG", "KAKENHI", "CONACYT",
    "NSERC", "MSKCC", "MDACC", "CAPES", "PCORI", "NIHR", "ESTRO", "ASTRO", "SITC", "UICC",
    "IARC", "H2020", "Horizon", "NCCN", "SWOG", "ECOG", "ACRIN", "RTOG", "JCOG", "KWF",
    "Author", "Authors", "Co-author", "Coauthor", "Editor", "Editors", "Reviewer",
    "Stock", "Options", "Consulting", "Consultancy", "Research", "Speaker", "Speakers", "Travel",
    "Advisory", "Grants", "Grant", "Personal", "Employment", "Leadership", "Patents", "Patent",
    "Royalties", "Other", "None", "Nothing", "Company", "Companies", "Industry", "Outside",
    "Steering", "DSMB", "SAB", "He", "She", "They", "The", "This", "These", "Dr", "Drs", "Prof",
    "Mr", "Mrs", "Ms", "Honoraria", "Expenses", "Accommodations", "Funding", "Support",
    "Lectures", "Lecture", "Fees", "Equity", "Shares", "Employee", "Member", "Chair", "Board",
    "Boards", "Self", "Spouse", "Immediate Family Member", "Uncompensated", "Expert Testimony",
    "Open Payments Link", "Data Safety Monitoring", "Scientific Advisory", "Ad Hoc",
    "Principal Investigator", "Investigator", "In", "For", "From", "With", "And", "Or", "Also",
    "Both", "All", "Each", "Any", "Several", "Various", "Multiple", "Pharmaceutical",
    "Biotechnology", "Medical", "Clinical", "Scientific", "Data", "Safety", "Monitoring",
    "Committee", "Satellite", "Symposium", "Symposia", "Educational", "Education", "Continuing",
    "Medical Education", "CME", "Internal", "Review", "Ethics", "Approval", "Academic",
    "Public", "Private", "Nonprofit", "Non-profit", "Commercial", "Inc", "Ltd", "LLC", "GmbH",
    "AG", "Limited", "Corp", "Corporation", "Co", "plc", "Outside", "Unrelated", "Past",
    "Former", "Current", "Previously", "Recently", "Currently"}
_GENERIC_NAME_WORDS = {
    "clinical", "medical", "radiation", "surgical", "gynecologic", "gynecological", "pediatric",
    "paediatric", "molecular", "thoracic", "comparative", "precision", "integrative",
    "translational", "experimental", "human", "cancer", "hematology", "haematology", "the",
    "american", "european", "international", "journal", "advanced", "applied", "cellular",
    "structural", "computational", "orthopaedic", "orthopedic", "veterinary", "systems", "new",
    "novel", "modern", "biomedical", "nuclear", "neuro", "geriatric", "medicines", "medicine",
    "our", "their", "his", "her", "its", "and", "of", "a", "an"}
_PLACES = {
    "USA", "US", "U.S.", "U.S.A.", "UK", "U.K.", "United States", "United Kingdom", "America",
    "Germany", "France", "Switzerland", "Japan", "China", "Canada", "Australia", "Italy",
    "Spain", "Netherlands", "The Netherlands", "Belgium", "Denmark", "Sweden", "Norway",
    "Finland", "Austria", "Ireland", "Israel", "India", "Korea", "South Korea", "Brazil",
    "Mexico", "Singapore", "Taiwan", "Hong Kong", "Portugal", "Poland", "Greece", "Turkey",
    "Czech Republic", "Hungary", "New Zealand", "South Africa", "Argentina", "Chile",
    "Alabama", "Alaska", "Arizona", "Arkansas", "California", "Colorado", "Connecticut",
    "Delaware", "Florida", "Georgia", "Hawaii", "Idaho", "Illinois", "Indiana", "Iowa",
    "Kansas", "Kentucky", "Louisiana", "Maine", "Maryland", "Massachusetts", "Michigan",
    "Minnesota", "Mississippi", "Missouri", "Montana", "Nebraska", "Nevada", "New Hampshire",
    "New Jersey", "New Mexico", "New York", "North Carolina", "North Dakota", "Ohio",
    "Oklahoma", "Oregon", "Pennsylvania", "Rhode Island", "South Carolina", "South Dakota",
    "Tennessee", "Texas", "Utah", "Vermont", "Virginia", "Washington", "West Virginia",
    "Wisconsin", "Wyoming", "MA", "CA", "NY", "NJ", "PA", "TX", "IL", "MD", "NC", "WA", "CT",
    "Boston", "Cambridge", "San Francisco", "South San Francisco", "San Diego", "Seattle",
    "Chicago", "Philadelphia", "Houston", "London", "Oxford", "Paris", "Basel", "Zurich",
    "Geneva", "Munich", "Berlin", "Heidelberg", "Tokyo", "Osaka", "Beijing", "Shanghai",
    "Toronto", "Montreal", "Vancouver", "Sydney", "Melbourne", "Copenhagen", "Stockholm",
    "Amsterdam", "Leiden", "Milan", "Rome", "Madrid", "Barcelona", "Vienna", "Brussels",
    "Dublin", "Tel Aviv", "Seoul", "Bethesda", "Rockville", "Princeton", "Indianapolis",
    "Thousand Oaks", "Kenilworth", "Rahway", "Ridgefield", "Summit", "Europe", "Asia",
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December"}


@lru_cache(maxsize=1)
def _companies() -> tuple[re.Pattern, dict[str, str], dict[str, str]]:
    """One pattern for every curated alias (longest first, so "Merck Sharp & Dohme" wins over
    "Merck"), the canonical name of a matched alias (by _alias_key), and of a folded name."""
    data = json.loads(COMPANIES_FILE.read_text(encoding="utf-8"))
    pairs = []
    lookup: dict[str, str] = {}
    by_key: dict[str, str] = {}
    for canonical, aliases in data.items():
        for alias in {canonical, *aliases}:
            pairs.append((alias, canonical))
            lookup[_fold(alias).lower()] = canonical
            by_key.setdefault(_alias_key(alias), canonical)
    pairs.sort(key=lambda p: -len(p[0]))
    bodies = [re.escape(alias).replace(r"\ ", r"\s+").replace(r"\-", r"[-\s]?")
              for alias, _ in pairs]
    # Not when followed by Foundation: "Novo Nordisk Foundation" is a charity.
    pattern = re.compile(
        rf"(?<![\w&-])(?:{'|'.join(bodies)})(?![\w&]|-\w|\s+(?:[A-Z]\w+\s+)?(?:Foundation|"
        rf"Fonden|Stiftung|Fondation)\b)")
    return pattern, lookup, by_key


def _alias_key(text: str) -> str:
    return re.sub(r"[\s-]+", "", text)


_FOLD_EXTRA = str.maketrans("ØøŁłĐđÆæŒœ", "OoLlDdAaOo")   # one letter each: positions hold


def _fold(text: str) -> str:
    if text.isascii():
        return text
    return "".join(c for c in unicodedata.normalize("NFKD", text)
                   if not unicodedata.combining(c)).translate(_FOLD_EXTRA)


_ROLE_HEAD = re.compile(
    r"^(?:[\w'’-]+\s+){0,3}?(?:of|for|at|to|with|from|in)\s+(?=[A-Z0-9])")
_ROLE_WORDS = re.compile(r"(?i)\b(?:directors?|boards?|members?|chair\w*|president|ceo|cso|cmo|"
                         r"cto|cfo|coo|head|officers?|partners?|trustees?)\b")
_CHARITY_END = re.compile(
    r"(?i)\b(?:cancer|diabetes|leuk(?:a)?emia|lymphoma|arthritis|heart|stroke|alzheimer['’]?s|"
    r"parkinson['’]?s|aids|tuberculosis|malaria|research\s+uk|cure|cures)$")


_DESCRIPTIVE_END = re.compile(rf"\b(?:{_DESCRIPTIVE})$")
_DESCRIPTIVE_WORD = re.compile(rf"(?:{_DESCRIPTIVE})$")


# "Boston Consulting Group", "Alliance Medical": a generic block word in a company's name.
_COMPANY_GROUP = re.compile(
    r"^(?!.*\b(?:universit\w*|hospitals?|foundations?|society|associations?|institutes?|"
    r"ministry|national|council|cancer|research|study|studies|oncology|cooperative|clinical|"
    r"trials?|children)\b)(?=.*\b(?:group|alliance|network|services?|systems?|partners)\b)"
    r"(?=.*\b(?:consulting|capital|medical|pharma\w*|health|bio\w*|tech\w*|therapeutics|"
    r"diagnostics|software|analytics|solutions|labs?|investments?|ventures?)\b)", re.I)


_TITLED_PERSON = re.compile(r"(?:Drs?|Prof|Professor|Mr|Mrs|Ms|Mx|Sir|Dame)\.?\s+[A-Z]")


def _canonical(name: str) -> str | None:
    """A candidate company name, normalised, or None when it is not a company."""
    name = re.sub(r"\s+", " ", name).strip(" ,.;:'\"“”’()[]")
    name = re.sub(r"^(?:the|The|and|or)\s+", "", name)
    head = _ROLE_HEAD.match(name)       # "Co-Founder of Mycor GmbH"
    if head and (_STRONG.search(head.group(0)) or _WEAK.search(head.group(0))
                 or _ROLE_WORDS.search(head.group(0))):
        name = name[head.end():]
    if not name or len(name) < 2:
        return None
    _, lookup, _ = _companies()
    folded = _fold(name).lower()
    # Curated: the whole name or its first words ("Boehringer Ingelheim International GmbH").
    words = folded.split()
    for n in range(len(words), 0, -1):
        hit = lookup.get(" ".join(words[:n]))
        if hit and not _BLOCK_WORDS.search(name):
            return hit
    stripped = _LEGAL_TAIL.sub("", name).strip(" ,.")
    for place in (re.search(r"\s+(\w+)$", stripped), re.search(r"\s+(\w+\s\w+)$", stripped)):
        if place and place.group(1) in _PLACES and not _BLOCK_WORDS.search(stripped):
            stripped = _LEGAL_TAIL.sub("", stripped[:place.start()]).strip(" ,.")
            break
    if not stripped:
        return None
    has_legal = stripped != name
    if stripped in _BLOCK_ITEMS or stripped in _PLACES or name in _BLOCK_ITEMS:
        return None
    if _TITLED_PERSON.match(stripped) and not has_legal and not _DESCRIPTIVE_END.search(stripped):
        return None                                     # "Dr. Jesus E. Maldonado"
    if re.search(r"(?i)\buniversit|\bhospital|\bfoundation|\bsociety|\bassociation", stripped):
        return None
    if not has_legal and (_BLOCK_WORDS.search(stripped) or _CHARITY_END.search(stripped)) and \
            not _COMPANY_GROUP.search(stripped):
        return None
    # "Beratungshonorare", "Research Funding": a relationship word, not a company.
    if not has_legal and not _DESCRIPTIVE_END.search(stripped) and \
            not _COMPANY_GROUP.search(stripped) and (
            _STRONG.search(stripped) or _WEAK.search(stripped)):
        return None
    tokens = stripped.split()
    if len(tokens) > 6 or not re.match(_CAP, stripped):
        return None
    if re.fullmatch(r"(?:[A-Z]\.\s?-?)+[A-Z]?\.?|[A-Z][a-z]?\.", stripped):  # initials
        return None
    if len(re.findall(r"[A-Za-z]", stripped)) < 2 or re.search(r"(?i)\.(?:org|com|gov|net)\b|www\.|"
                                                            r"https?:", stripped):
        return None
    # Grant and patent numbers, gene names: no lower case and a digit (U01FD004585, BRCA1).
    if not re.search(r"[a-z]", stripped) and re.search(r"\d{2,}", stripped):
        return None
    if re.search(r"\d{4,}", stripped):
        return None
    # A lone short acronym is too often a programme, a society or a gene.
    if not has_legal and re.fullmatch(r"[A-Z]{2,4}", stripped):
        return None
    lowered = [t.lower().strip(".,") for t in tokens]
    desc = _DESCRIPTIVE_WORD
    if all(t in _GENERIC_NAME_WORDS or desc.fullmatch(tok) for t, tok in zip(lowered, tokens)):
        return None
    return stripped


_TRIGGER = re.compile(r"(?i)(?:\b(?:from|for|to|with|by|of|at|in|von|bei|de|par|"
                      r"including|includes|namely|advises|advised|consults|consulted|"
                      r"co-?founded|founded|owns|chairs)\b|[:(]|\s[-–]\s)\s*")
_ITEM_SPLIT = re.compile(r"\s*(?:,|\band/or\b|\band\b|\bor\b|\bund\b|\bet\b|\by\b|/|\(|\)|"
                         r"\bas\s+well\s+as\b|\s[-–]\s)\s*")
_NAME_PREFIX = re.compile(
    rf"(?:{_CAP}[\w'’.+&-]*|[A-Z])(?:\s+(?:{_CAP}[\w'’.+&-]*|&|of(?=\s+[A-Z])|de(?=\s+[A-Z])"
    r"|for(?=\s+[A-Z])|du(?=\s+[A-Z])|von(?=\s+[A-Z])|van(?=\s+[A-Z])|e\.\s?V\.))*")


# "the company Zeta Analytics" (Frontiers), "the start-up Lumen": the name follows.
_ARTICLE_HEAD = re.compile(
    r"^(?:(?:the|der|die|das|la|le|les|el|a|an)\s+)?(?:(?:(?:pharmaceutical|biotech\w*|medical|"
    r"diagnostics?|device|start-?up|spin-?off|research|drug|commercial|private|consulting|"
    r"software|technology|biopharmaceutical|life\s+sciences?)\s+)?"
    r"(?:compan(?:y|ies)|firms?|start-?ups?|"
    r"spin-?offs?)\s+)?(?=[A-Z]|[a-z]{1,3}[A-Z])")
_LEGAL_WORD_RE = re.compile(rf"\b(?:{_LEGAL})\b")
_LEGAL_ONLY_RE = re.compile(rf"(?:,?\s*(?:{_LEGAL}))+|#+")


# Objects that are not counterparts: "a patent related to MACs", "methods of use for PARPi-FL",
# "grants from Pfizer to Yale", "editor of Brain", "trustee of the Guarantors of Brain".
_NOT_A_COUNTERPART = re.compile(
    r"(?i)(?:\b(?:related|relating|relevant|pertaining|directed|due|according|similar|respect|"
    r"addition|regard)\s+to"
    r"|\b(?:patents?|applications?|inventors?|invention|methods?|compositions?|use|uses|"
    r"technolog\w+|matter|covering|covers)\b[^,;]{0,40}\b(?:for|of|on|to|in)"
    r"|\bfrom\s+[^,;]{1,60}\bto|\b(?:gifts?|donations?|bequests?)\s+from"
    r"|\b(?:editors?|editor-in-chief|editorial\s+board|trustees?|recommenders?|reviewers?)"
    r"(?:\s+\w+){0,2}\s+(?:of|to|for|at|in|with))$")


def _list_items(clause: str) -> list[str]:
    """Capitalised names listed after a preposition or colon ("fees from A, B, and C")."""
    found = []
    for trig in _TRIGGER.finditer(clause):
        first = len(found)
        before = clause[:trig.start()].rstrip()
        prev = re.search(r"([\w'’-]+)$", before)
        # "University of Basel", "Institutes of Health": a connector inside a name, unless the
        # capitalised word is a role ("Co-Founder of", "Advisory Boards for").
        if trig.group(0).strip() not in (":", "(", "-", "–") and prev and prev.group(1)[:1].isupper() \
                and not (_STRONG.search(prev.group(1)) or _WEAK.search(prev.group(1))
                         and not prev.group(1).lower().startswith("collaborat")
                         or re.fullmatch(r"(?i)boards?|member|chair|directors?|ceo|cso|cmo|cto|"
                                         r"cfo|coo|founder|principal|officer|president|PIs?|"
                                         r"investigators?|consultants?|advis[oe]rs?|speakers?",
                                         prev.group(1))):
            continue
        word = trig.group(0).strip().lower()
        if _NOT_A_COUNTERPART.search(before + " " + word):
            continue
        if word == "(" and (before.endswith("#") or prev and prev.group(1)[:1].isupper()
                            and not (_STRONG.search(prev.group(1)) or _WEAK.search(prev.group(1))
                                     or _ROLE_WORDS.fullmatch(prev.group(1)))):
            continue                # "Roche (Tecentriq)", "Pfizer (palbociclib)": a product

        if word in ("in", "of", "at", "for", "on") and before.endswith(")"):
            continue                # "Research Unit (HPRU) in Healthcare Associated Infections"
        if word in ("de", "von", "van") and (prev and prev.group(1)[:1].isupper()
                                             or before.endswith(".")):
            continue
        rest = clause[trig.end():]
        pieces = _ITEM_SPLIT.split(rest)
        institution = ""       # the last item, when it names an institution
        for k, piece in enumerate(pieces):
            piece = piece.strip()
            # "Agency for Healthcare Research and Quality": the tail of the institution's name.
            if institution and " " not in piece and re.search(
                    rf"{re.escape(institution)}\s+(?:and|&)\s+{re.escape(piece)}\b", rest):
                institution = ""
                continue
            # "the Food and Drug Administration", "the Laura and John Arnold Foundation".
            nxt = _NAME_PREFIX.match(pieces[k + 1].strip()) if piece and k + 1 < len(pieces) \
                else None
            if nxt and _BLOCK_WORDS.search(nxt.group(0)) and \
                    not _LEGAL_WORD_RE.search(nxt.group(0)) and \
                    re.search(rf"{re.escape(piece)}\s+(?:and|&|und)\s+[^,;()]", rest):
                continue
            if not piece:
                continue
            if re.fullmatch(r"[#\s.,]+", piece):     # a curated company, already taken
                continue
            piece = _ARTICLE_HEAD.sub("", piece)
            if k + 1 < len(pieces) and pieces[k + 1].strip(" .") in _PLACES \
                    and " " not in piece.strip():
                continue                          # a city: "Darmstadt, Germany"
            m = _NAME_PREFIX.match(piece)
            if not m:
                # "ad hoc consultancy Accelerate": a category without a colon, then the name.
                cat = _CATEGORY_THEN_NAME.search(piece)
                m = _NAME_PREFIX.match(piece, cat.end()) if cat else None
            if m and m.start():
                piece = piece[m.start():]
                m = _NAME_PREFIX.match(piece)
            if not m:
                # A short lower-case item inside a long list ("Levo therapeutics") does not
                # end it; running prose does.
                if len(piece.split()) <= 2 and k + 1 < len(pieces) \
                        and _NEXT_ITEM.match(pieces[k + 1].strip()):
                    continue
                break
            name = m.group(0).rstrip(".")
            tail = piece[m.end():].strip(" .")
            if _VERB_TAIL.match(tail):      # "...: Josef Drexler and Michael Eberhard are employees"
                del found[first:]
                break
            if _LOWER_DESCRIPTIVE.fullmatch(tail):      # "Levo therapeutics"
                found.append(f"{name} {tail}")
                continue
            if _COMMON_NOUN_TAIL.match(tail):       # "CRISPR technologies", "MACs assays"
                if len(tail.split()) == 1 and k + 1 < len(pieces) \
                        and _NEXT_ITEM.match(pieces[k + 1].strip()):
                    continue
                break
            found.append(name)
            institution = name if _BLOCK_WORDS.search(name) else ""
            if tail and not _LEGAL_ONLY_RE.fullmatch(tail):
                # "Center for Excellence in Regulatory Science": an institution's name goes on;
                # the list does too.
                if institution and re.match(r"(?:in|on|at|of|for)\s+[A-Z]", tail):
                    institution = piece
                    continue
                break
    return found


_LOWER_DESCRIPTIVE = re.compile(r"(?:pharmaceuticals?|pharma|therapeutics|biosciences|"
                                r"biotherapeutics|diagnostics|genomics|medical|biotech)")
_NEXT_ITEM = re.compile(rf"#|{_CAP}")
_CATEGORY_THEN_NAME = re.compile(
    rf"^[a-z][a-z /-]*?\b(?:consult\w*|advis\w*|honorari\w*|fees?|grants?|funding|support|"
    rf"lectures?|speak\w*|shares?|shareholdings?|stock|options?|employ\w*|boards?|royalt\w+|"
    rf"holdings?)\s+(?={_CAP})")
_VERB_TAIL = re.compile(r"(?:is|are|was|were|has|have|had|receives?|received|reports?|reported|"
                        r"holds?|held|serves?|served|declares?|declared)\b")
_COMMON_NOUN_TAIL = re.compile(
    r"(?!(?:for|from|to|in|on|at|with|of|outside|during|unrelated|and|or|as|until|since|"
    r"between|which|who|that|a|an|the|is|was|were|are|has|have|had|through|via|inc|ltd|"
    r"company|companies|corporation|group|pharmaceuticals?|laborator\w+|"
    r"respectively|each|both|all|also|since|per|in|over|under|about|after|before|within|"
    r"without|not|but|including|among|e\.g|i\.e|etc|where|when|while)\b)[a-z]{3,}\b")


_EXTEND = re.compile(rf"(?:,?\s+(?:{_LEGAL}|{_DESCRIPTIVE}|Group|International|USA|US|UK|"
                     r"Europe|Deutschland|France|Japan|Switzerland|Pharma|Research\s+&\s+Development"
                     r")(?![\w]))*")
_ACRONYM_PAREN = re.compile(r"\s*\((?:[A-Z][A-Za-z&]{1,7}|Inst|inst|institution|Institution)"
                            r"(?:\)|[;,][^)]*\)|\s*$)")


# Funders whose names hold commas or "and", which the list reading would cut into pieces.
_FUNDERS = re.compile(r"National\s+Heart,\s+Lung,?\s+and\s+Blood\s+Institute|"
                      r"Bill\s+(?:and|&)\s+Melinda\s+Gates\s+Foundation|"
                      r"(?:Food|Drug)\s+and\s+Drug\s+Administration")


_LEGAL_FULL = re.compile(rf"(?:{_LEGAL})")
_MORE_WORDS = re.compile(r"(?:\s+(?:[A-Z][\w'’.+-]*[\w+]|&(?=\s+[A-Z])))+")
_NOT_NAME_WORD = re.compile(
    r"(?i)^(?:advisory|speakers?|board|boards|bureaus?|grants?|awards?|fellowships?|prizes?|"
    r"symposi\w+|meetings?|investigators?|stud(?:y|ies)|trials?|foundation|fonden|stiftung|"
    r"employees?|shareholders?|stock|shares|consult\w*|honorari\w*|fees?|travel|grant|"
    r"inc|ltd|llc|gmbh|ag|plc|co|corp|s\.?a|and|or|the|for|of|from|to|with|in|on|at|by|"
    r"[A-Z]{1,3}\.?)$")


# Measured on the dev part: labellers keep "Alexion Pharma", "Chugai Pharmaceutical", "Philips
# Healthcare" as written (6 to 3), but not "International" or "Group".
_GENERIC_DESCRIPTOR = re.compile(r"International|Group|Holdings?|Worldwide|Global")


def _as_written(alias: str, clause: str, end: int) -> tuple[str, int] | None:
    """A curated name followed by more of a company's name ("Roche Diabetes Care", "Menarini
    Silicon Biosystems", "Oxford Nanopore Technologies"): the name as written, unless the
    longer form is itself an alias (SPEC: divisions keep their written name)."""
    more = _MORE_WORDS.match(clause, end)
    if not more:
        return None
    words = []
    _, lookup, by_key = _companies()
    for word in more.group(0).split():
        if _alias_key(word) in by_key or _NOT_NAME_WORD.match(word) \
                or _BLOCK_WORDS.fullmatch(word) or _LEGAL_FULL.fullmatch(word):
            break
        words.append(word)
    while words and words[-1] in _PLACES:
        words.pop()
    # "Boehringer Ingelheim International", "Roche Group": the company itself.
    if all(_GENERIC_DESCRIPTOR.fullmatch(w) or w in _PLACES for w in words):
        if not words:
            return None
        stop = end + more.group(0).find(words[-1]) + len(words[-1])
        return by_key[_alias_key(alias)], stop
    name = " ".join([re.sub(r"\s+", " ", alias), *words])
    hit = lookup.get(_fold(name).lower())
    stop = end + more.group(0).find(words[-1]) + len(words[-1])
    return (hit or name), stop


def _organizations(clause: str, author_words: set[str]) -> tuple[list[str], bool]:
    """The companies named in a clause, and whether one is a known or suffixed company name
    (not just a capitalised item in a list)."""
    pattern, _, by_key = _companies()
    orgs: list[str] = []
    where: list[int] = []           # where each company is named, to report them in text order
    taken: list[tuple[int, int]] = []
    # "(formerly OrthoClinical Diagnostics)", "(consultations less than $5,000/y)": blanked,
    # so they neither count nor break the list they sit in.
    clause = _FORMER_NAME.sub(_blank, _LOWER_PAREN.sub(_blank, clause))
    for m in pattern.finditer(clause):
        canonical = by_key.get(_alias_key(m.group(0)))
        if canonical is None:
            continue
        end = _EXTEND.match(clause, m.end()).end()
        written = _as_written(m.group(0), clause, m.end())
        if written:
            canonical, end = written[0], max(end, written[1])
        taken.append((m.start(), end))
        orgs.append(canonical)
        where.append(m.start())
    masked = list(clause)
    for a, b in taken:
        masked[a:b] = "#" * (b - a)
    masked_text = "".join(masked)
    for m in _SUFFIX_RE.finditer(masked_text):
        if "#" in m.group(0):
            continue
        before = masked_text[max(0, m.start() - 60):m.start()]
        # "American Society of Clinical Oncology": part of an institution's name.
        lead = re.search(r"((?:[A-Z][\w'’-]*\s+)+(?:of|for|de|für)\s+(?:the\s+)?)$", before)
        if lead and _BLOCK_WORDS.search(lead.group(1)):
            continue
        if _INITIALS_AND_SUFFIX.fullmatch(m.group(0)):     # "PPA, AB": authors' initials
            continue
        name = _canonical(m.group(0))
        if name and not _is_author(name, author_words):
            orgs.append(name)
            where.append(m.start())
            masked[m.start():m.end()] = "#" * (m.end() - m.start())
    strong_names = bool(orgs)
    masked_text = _FUNDERS.sub(lambda m: "#" * len(m.group(0)),
                               _ACRONYM_PAREN.sub(_acronym_of_name, "".join(masked)))
    masked_text = _NAME_PAREN.sub(_product_of_name, masked_text)
    supplier = _SUPPLIER_SUBJECT.match(masked_text)
    items = _list_items(masked_text) + [m.group(1)
                                        for m in _NAME_BEFORE_ROLE.finditer(masked_text)]
    if supplier:
        items.insert(0, supplier.group(1))
    for item in items:
        if "#" in item or _NOT_A_COMPANY_APPOSITIVE.search(
                masked_text[masked_text.find(item) + len(item):][:80]):
            continue
        name = _canonical(item)
        if not name or _is_author(name, author_words):
            continue
        if any(name == o for o in orgs):
            continue
        orgs.append(name)
        where.append(masked_text.find(item))
    order = sorted(range(len(orgs)), key=lambda i: where[i])
    return [orgs[i] for i in order], strong_names


# "Open Targets, a public-private initiative", "OpenBiome, a non-profit stool bank".
_NOT_A_COMPANY_APPOSITIVE = re.compile(
    r"(?i)^,?\s+(?:an?|the)\s+(?:\w+\s+)?(?:non-?profit|not-for-profit|charit\w+|public-private|"
    r"governmental|government|academic|patient|advocacy|philanthropic|public)\b")
# "a Kestrel Health employee", "former Orion shareholder".
_NAME_BEFORE_ROLE = re.compile(
    rf"\b(?:[Aa]n?|[Ff]ormer|[Cc]urrent|[Pp]ast|[Ff]ull-time|[Pp]art-time)\s+"
    rf"((?:{_CAP}[\w'’.&+-]*\s+){{1,4}})(?:employees?|shareholders?|stockholders?|consultants?|"
    r"co-?founders?|founders?|advis[oe]rs?)\b")
_INITIALS_AND_SUFFIX = re.compile(r"[A-Z]{2,4},?\s+(?:AB|SE|AS|KK|BV|NV|SA|AG|LP|Oy)\.?")
# "Cis-Bio provided assay kits", "The product was supplied by Nutricia": a supplier named in a
# COI statement is a counterpart.
_SUPPLY_VERBS = r"(?:provided|supplied|donated|prepared|produced|manufactured|gifted|lent|loaned)"
_SUPPLIER_SUBJECT = re.compile(
    rf"^\W*(?:the\s+)?((?:{_CAP}[\w'’.&-]*)(?:\s+{_CAP}[\w'’.&-]*){{0,4}})\s+(?:has\s+|have\s+|"
    rf"had\s+)?(?:kindly\s+|generously\s+|freely\s+)?{_SUPPLY_VERBS}\b")
_SUPPLIED_BY = re.compile(rf"(?i)\b{_SUPPLY_VERBS}\b(?:\s+\w+){{0,4}}?\s+by\b|^\W*(?:the\s+)?"
                          rf"(?:{_CAP}[\w'’.&-]*)(?:\s+{_CAP}[\w'’.&-]*){{0,4}}\s+(?:has\s+|"
                          rf"have\s+|had\s+)?(?:kindly\s+|generously\s+|freely\s+)?"
                          rf"{_SUPPLY_VERBS}\b")


_NAME_PAREN = re.compile(r"(?<=[#\w.])(\s*)\(([^()]{1,60})\)")


_FORMER_NAME = re.compile(r"(?i)\s*\((?:formerly|previously|now|also\s+known\s+as|"
                          r"known\s+as|a\s+subsidiary\s+of|part\s+of)\b[^()]*\)")


_LOWER_PAREN = re.compile(r"\((?=[^()]*[a-z])[^()A-Z]*\)")


def _blank(m: re.Match) -> str:
    return " " * len(m.group(0))


def _product_of_name(m: re.Match) -> str:
    """"Roche (Tecentriq)", "Kestrel Health (Zelvia, Orvex)": products of the company just
    named, blanked; "(advisory board)" or "(Pfizer Inc.)" are kept."""
    before = m.string[:m.start()]
    word = re.search(r"([\w'’.&-]+|#+)$", before)
    inner = m.group(2)
    if not word or not (word.group(1).startswith("#") or word.group(1)[:1].isupper()) \
            or _STRONG.search(word.group(1)) or _WEAK.search(word.group(1)) \
            or _ROLE_WORDS.fullmatch(word.group(1)) or _STRONG.search(inner) \
            or _WEAK.search(inner) or _LEGAL_WORD_RE.search(inner) \
            or _DESCRIPTIVE_END.search(inner):
        return m.group(0)
    return m.group(1) + " " * (len(m.group(0)) - len(m.group(1)))


def _acronym_of_name(m: re.Match) -> str:
    """"Yale-Mayo Center (CERSI; U01...)": the acronym of the name just given, dropped;
    "a commercial company (ESRI)": the name itself, kept."""
    before = m.string[:m.start()].rstrip()
    word = re.search(r"([\w'’.&-]+)$", before)
    if word and word.group(1)[:1].isupper():
        # "Research Unit (HPRU) in Healthcare Associated Infections": the name goes on.
        if re.match(r"\s+(?:in|of|at|for|on)\s+[A-Z]", m.string[m.end():]):
            return " "
        return ","
    inner = m.group(0).strip()[1:].split(")")[0].split(";")[0].split(",")[0]
    if re.search(r"(?i)\b(?:compan(?:y|ies)|firms?|vendors?|manufacturers?)$", before):
        return f" {inner} Inc,"     # named as a company: a company even if an acronym
    return f" {inner},"


def _is_author(name: str, author_words: set[str]) -> bool:
    """"Anna L. Goodman", "Bianchi": a person from the author list, not a company."""
    folded = _fold(name)
    if folded in author_words:
        return True
    tokens = folded.split()
    if not author_words or len(tokens) > 4 or _DESCRIPTIVE_END.search(name):
        return False
    return tokens[-1] in author_words and all(
        t[:1].isupper() for t in tokens[:-1]) and len(tokens) >= 2


def _merge(orgs: set[str]) -> list[str]:
    """Drop "Lucid" when "Lucid Medical" is there too (not for curated names)."""
    _, lookup, _ = _companies()
    canon = set(lookup.values())
    return sorted(o for o in orgs if o in canon or not any(
        other != o and other.startswith(o + " ") for other in orgs))


# ---------------------------------------------------------------------------------------------
# Authors

_PARTICLES = {"de", "da", "di", "del", "della", "der", "den", "van", "von", "la", "le", "du",
              "dos", "das", "ten", "ter", "st", "st.", "al", "el", "bin", "ibn", "zu"}


@dataclass
class _Author:
    given: str
    surname: str
    first: str          # first fore name ("" for "Bianchi A")
    full: set[str]      # exact initials strings ("ABC")
    loose: set[str]     # looser variants
    ends: str = ""      # first fore-name initial and surname initial ("AC")


def _initials(parts: list[str]) -> list[str]:
    out = []
    for part in parts:
        for sub in re.split(r"[-‐]", part):
            if sub and sub[0].isalpha():
                out.append(sub[0].upper())
    return out


@lru_cache(maxsize=8192)
def _parse_author(name: str) -> _Author | None:
    folded = re.sub(r"\s+", " ", _fold(name).replace(".", " ")).strip()
    if not folded:
        return None
    if "," in folded:
        last, _, fore = folded.partition(",")
        fore_parts, sur_parts = fore.split(), last.split()
        fore_letters = [c for p in fore_parts for c in (p if p.isupper() and len(p) <= 3
                                                         else _initials([p]))]
    else:
        tokens = folded.split()
        if len(tokens) >= 2 and re.fullmatch(r"[A-Z]{1,4}", tokens[-1]):
            sur_parts, fore_parts = tokens[:-1], []
            fore_letters = list(tokens[-1])
        else:
            i = len(tokens) - 1
            while i > 1 and tokens[i - 1].lower() in _PARTICLES:
                i -= 1
            sur_parts, fore_parts = tokens[i:], tokens[:i]
            fore_letters = _initials(fore_parts)
    surname = " ".join(sur_parts)
    if not surname:
        return None
    sur_caps = [s[0].upper() for p in sur_parts if p[:1].isupper()
                for s in re.split(r"[-‐']", p) if s[:1].isupper()]
    sur_all = _initials(sur_parts)
    full = {"".join(fore_letters + sur_caps), "".join(fore_letters + sur_all)}
    loose = set()
    if fore_letters and sur_caps:
        loose |= {"".join(fore_letters + sur_caps[:1]), "".join(fore_letters[:1] + sur_caps),
                  "".join(fore_letters[:1] + sur_caps[:1]),
                  "".join(fore_letters) + sur_parts[-1][:2].upper()}
    first = fore_parts[0] if fore_parts and len(fore_parts[0]) > 1 else ""
    ends = fore_letters[0] + sur_caps[0] if fore_letters and sur_caps else ""
    return _Author(name, surname, first, full, loose - full, ends)


_INITIALS_TOKEN = re.compile(
    r"(?<![\w.])((?:[A-Z][a-z]?\.?\s?[-‐]?\s?){1,5}[A-Z][a-z]?\.?)(?![\w])|(?<![\w.-])([A-Z]{2,4})(?![\w.-])")
_TITLE = r"(?:Drs?|Prof|Professor|Mr|Mrs|Ms|Mx|Doctor|Dres|Pr)\.?\s+"
_TITLE_RE = _TITLE


class _AuthorIndex:
    def __init__(self, authors: list[str]):
        self.names = list(authors)
        self.authors = [a for a in (_parse_author(n) for n in authors)]
        self.words: set[str] = set()
        for a in self.authors:
            if a:
                self.words.add(a.surname)
                self.words.add(a.surname.split()[-1])
                if a.first:
                    self.words.add(f"{a.first} {a.surname}")

    def find(self, clause: str) -> list[tuple[int, int]]:
        """(position, author index) of the authors named in the clause."""
        text = _fold(clause)
        hits: dict[int, int] = {}
        for m in _INITIALS_TOKEN.finditer(text):
            token = m.group(0)
            if token.strip(" .") in _SHORT_ALIASES:
                continue
            letters = re.sub(r"[^A-Za-z]", "", token).upper()
            if len(letters) < 2:
                continue
            exact = [i for i, a in enumerate(self.authors) if a and letters in a.full]
            if not exact:
                exact = [i for i, a in enumerate(self.authors) if a and letters in a.loose]
            if not exact and len(letters) >= 3:
                # "M.E.G" for "M. Gurney", "W.T.S.H." for "W. Huck": the list lacks middle
                # initials; first and last letter, when one author alone has them.
                ends = [i for i, a in enumerate(self.authors)
                        if a and a.ends == letters[0] + letters[-1]]
                exact = ends if len(ends) == 1 else []
            for i in exact:
                hits.setdefault(i, m.start())
        for i, a in enumerate(self.authors):
            if not a or i in hits or a.surname.split()[-1] not in text:
                continue
            named, leading = _surname_patterns(a.first, a.surname,
                                               min(a.full)[:1] if a.full else "")
            m = named.search(text) or leading.match(text)
            if m:
                hits[i] = m.start()
                continue
            # "Bianchi, Dorn: consulting for ...": a list of surnames opening the clause.
            head = _SURNAME_LIST.match(text)
            if head:
                m = re.search(rf"(?<![\w-]){re.escape(a.surname)}(?![\w-])", head.group(1))
                if m:
                    hits[i] = m.start()
        return sorted((p, i) for i, p in hits.items())


_LEGAL_WORDS = r"Inc|Ltd|LLC|GmbH|AG|Pharma|Pharmaceuticals|Therapeutics|Diagnostics"
_SURNAME_LIST = re.compile(
    r"^\W*((?:[A-Z][\w'’-]+(?:\s*,\s*|\s+and\s+|\s*&\s*))+[A-Z][\w'’-]+)\s*(?::|\s+(?:are|have|"
    r"report|reported|received|declare|hold|serve)\b)")


@lru_cache(maxsize=4096)
def _surname_patterns(first: str, surname: str, initial: str) -> tuple[re.Pattern, re.Pattern]:
    """An author named with a fore name, initials or title ("Ana Bianchi", "A. Bianchi",
    "Dr. Bianchi"), and a surname opening a clause. Cached: compiling them for every
    statement (60 authors) cost more than the rest of the classifier."""
    sur = re.escape(surname).replace(r"\ ", r"\s+")
    pre = (rf"(?:{re.escape(first)}\s+(?:[A-Z][a-z]?\.?\s+){{0,3}}|"
           if first else rf"(?:{initial}[a-z]+\s+(?:[A-Z]\.?\s+){{0,3}}|")
    pre += (rf"(?:[A-Z][a-z]?\.\s*-?\s*){{1,4}}|[A-Z]{{1,3}}\s+|"
            rf"{_TITLE}(?:[A-Z]\w+,?\s+(?:and\s+)?)*)")
    return (re.compile(rf"(?<![\w-]){pre}{sur}(?![\w-])"),
            re.compile(rf"\W*(?:and\s+)?{sur}(?![\w-])(?!\s+(?:{_LEGAL_WORDS}))"))
_SHORT_ALIASES = {"MSD", "BMS", "GSK", "UCB", "IBM", "PPD", "CSL", "NIH", "NCI", "NSF", "ERC",
                  "DFG", "FDA", "EMA", "USA", "NHS", "ICMJE", "AACR", "ASCO", "ESMO", "WHO",
                  "CDC", "MRC", "NIHR", "CME", "DSMB", "SAB", "IQVIA", "GRAIL", "BD", "GE",
                  "UK", "US", "EU", "PI", "CEO", "CSO", "CMO", "CTO", "COI", "HIV", "AI", "IP"}


# ---------------------------------------------------------------------------------------------
# The classifier


def _clean(text: str) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    text = text.replace("\u00a0", " ").replace("\r", "\n")
    text = re.sub(r"[ \t\f\v]+", " ", text)
    text = re.sub(r"(?<=[a-z]):(?=[A-Z])", ": ", text)     # "statement:S.T.W.: Janssen"
    text = _WRAPPED_LINE.sub(_unwrap, text)
    text = _LONG_LINE.sub(lambda m: m.group(1) + (" " if len(m.group(1)) >= 60 else "\n"), text)
    text = _JCO_LABEL_RE.sub("\n", text)
    return "\n".join(line.strip() for line in text.split("\n") if line.strip())


# Hard-wrapped text (PubMed records, e-mails): a line break inside a sentence, after a comma or
# a function word or before a lower-case word, is a space. Not after a heading on its own line.
_WRAPPED_LINE = re.compile(
    r"(?:(?<=[,;&(/-])|(?<=\band)|(?<=\bor)|(?<=\bof)|(?<=\bfrom)|(?<=\bfor)|(?<=\bto)|"
    r"(?<=\bwith)|(?<=\bby)|(?<=\bthe)|(?<=\ban)|(?<=\bin)|(?<=\bon)|(?<=\bat))[ ]*\n[ ]*(?=\S)"
    r"|[ ]*\n[ ]*(?=[a-z(])")


def _unwrap(m: re.Match) -> str:
    line_start = m.string.rfind("\n", 0, m.start()) + 1
    line = m.string[line_start:m.start()].strip()
    if _HEADING_RE.fullmatch(line) or _HEADING_LINE.fullmatch(line):
        return m.group(0)
    return " "


# A long line that stops without punctuation was wrapped ("consultant for Takeda\nPharmaceuticals
# and ..."); category lines joined so are cut again at their labels afterwards.
_LONG_LINE = re.compile(r"^([^\n]*[^\n.!?:;\s])[ ]*\n(?=[A-Z])", re.M)


_HEADING_LINE = re.compile(rf"\s*(?:{_COI_HEADING}|{_OTHER_HEADING})\s*[:.]?\s*", re.I)


_ROLE_SUBJECT = re.compile(
    r"(?i)^\W*(?:(?:and|also)\s+)?(?:the\s+)?(?P<role>senior|last|first|principal|lead)\s+"
    r"(?P<noun>authors?|investigators?)\b|^\W*(?:the\s+)?(?P<pi>PIs?)\b")
# "All authors except A.B. and C.D. declare no competing interests": the excepted authors are
# the ones who declare (what they declare may not be said).
_EXCEPT = re.compile(
    r"(?i)\b(?:except(?:\s+for)?|other\s+than|apart\s+from|aside\s+from|with\s+the\s+"
    r"exception\s+of|save\s+for|excluding|besides)\s+(?P<who>.{2,120}?)(?=,?\s+(?:who|whose|"
    r"declares?|declared|reports?|reported|discloses?|disclosed|ha[sd]|have|is|are|was|were|"
    r"states?|confirms?)\b|\s*;|\W*$)")
_PERSON_LIKE = re.compile(
    rf"^\W*(?:(?:[A-Z]\.\s?-?){{2,5}}|{_TITLE_RE}[A-Z]\w+|"
    r"[A-Z][a-z]+\s+(?:[A-Z]\.\s*)*[A-Z][a-z]+(?:-[A-Z][a-z]+)?(?:\s|,|$))")
# ICMJE style: a grant "outside the submitted work" is declared whoever gave it.
_OUTSIDE_WORK = re.compile(
    r"(?i)\b(?:outside|unrelated\s+to|not\s+related\s+to|independent\s+of|beyond)\s+(?:of\s+)?"
    r"(?:the|this|current|present)\s+(?:submitted\s+|present\s+|current\s+|reported\s+)?"
    r"(?:work|study|manuscript|article|paper|research)")
_EDITOR = re.compile(
    r"(?i)(?<!thank\s)(?<!thanks\s)(?<!thank\sthe\s)(?<!thanks\sthe\s)(?<!the\shandling\s)"
    r"(?<!handling\s)\b(?:(?:associate|deputy|section|guest|senior|academic|consulting|"
    r"contributing|statistical|executive|managing)\s+)?editors?(?:-in-chief|\s+in\s+chief)?\b"
    r"(?!\s+(?:handling|who|was|were|and\s+(?:the\s+)?(?:\w+\s+){0,2}reviewers?)\b)"
    r"|\beditorial\s+(?:board|committee|team)|"
    r"\bboard\s+of\s+(?:editors|reviewers)|\b(?:PCI\s+\w+\s+)?recommenders?\b")


# "This includes employment, consultancies, honoraria, stock ownership...": what the previous
# sentence's "no ... financial involvement" covers, not a declaration (Taylor & Francis).
_INITIALS_SUBJECT = re.compile(
    rf"^\W*(?:(?:[A-Z]\.?\s?-?){{2,5}}|{_TITLE_RE}[A-Z]\w+|[A-Z]\.\s?[A-Z][a-z]+)"
    r"(?:\s*(?:,|and|&)\s*(?:(?:[A-Z]\.?\s?-?){2,5}|[A-Z]\.\s?[A-Z][a-z]+))*\s+"
    r"(?:ha[sd]|have|receives?|received|reports?|reported|holds?|held|is|was|declares?)\b")
_DEFINITION = re.compile(
    r"(?i)^\W*(?:this|these|that|such|which)\s+(?:\w+\s+)?(?:includes?|including|comprises?|"
    r"covers?|(?:could|may|might|would)\s+include)\b")


def classify(text: str, authors: list[str] | None = None) -> CoiResult:
    body = _sections(_clean(text))
    if authors and "\n" in body:
        body = _split_trailing_authors(body, authors)
    index = _AuthorIndex(authors) if authors else None
    author_words = {_fold(w) for w in index.words} if index else set()

    declared_sentence = none_sentence = ""
    org_clauses: dict[str, str] = {}        # company -> the first clause naming it
    declaring: dict[int, str] = {}          # author -> the clause that named them
    named_in: dict[int, str] = {}           # author -> the last clause that named them
    carry: list[int] = []           # authors the next subject-less clause refers to
    intro_seen = False
    pending = ""                    # a statement that says interests exist, not which
    for sentence in _sentences(body):
        if _DEFINITION.match(sentence):
            continue
        # "The funder (Pfizer) had no role in the study": that clause, not the whole sentence.
        no_role_sentence = bool(_NO_ROLE.search(sentence)) and not _EDITOR.search(sentence)
        excepted = _excepted(sentence, index)
        if excepted is not None:
            for i in excepted:
                declaring.setdefault(i, sentence)
            if not declared_sentence:
                declared_sentence = sentence
        clauses = _clauses(sentence)
        sentence_declared = False
        for position, clause in enumerate(clauses):
            jco = bool(_STARTS_JCO_LABEL.match(clause))
            intro = _INTRO.search(clause)
            if intro and not _is_none(clause[:intro.end()]):
                intro_seen = True
                if _DECLARES_INTERESTS.search(clause[:intro.end()]) and not pending:
                    pending = sentence      # "The authors declare competing interests: ..."
                clause = clause[intro.end():].strip()
                if not clause:
                    continue
            hits = index.find(clause) if index else []
            named = [i for _, i in hits]
            for i in named:
                named_in[i] = clause
            role = _ROLE_SUBJECT.search(clause)
            # Subjects: the named authors; "the authors"; or, for "he/she ..." clauses,
            # category lines and later parts of a sentence, the last named author.
            if named and not jco:
                subjects = named
            elif role and index:
                # Only a senior/last or first author is unambiguous ("the PI" is not).
                r = (role.group("role") or "").lower()
                subjects = [len(index.authors) - 1] if r in ("senior", "last") and \
                    role.group("noun").lower().startswith("author") else \
                    [0] if r == "first" and role.group("noun").lower() == "author" else []
                for i in subjects:
                    named_in[i] = clause
            elif _OTHER_AUTHORS.search(clause):
                subjects = []
            elif _THESE_AUTHORS.search(clause):
                subjects = list(declaring)          # "All these authors hold shares"
            elif _ALL_AUTHORS.search(clause) and index \
                    and not _DECLARES_INTERESTS.search(clause):
                # Every person: not a consortium listed as an author ("23andMe Research Team").
                # "The authors declare competing interests." names no one: who follows does.
                subjects = [i for i, name in enumerate(index.names)
                            if not _GROUP_AUTHOR.search(name)]
            elif jco or position > 0 or _PRONOUN.search(clause) or _STRONG.match(clause) \
                    or re.match(r"\W*(?:personal|co-?founder|research|consult|employ|"
                                r"travel|grants?)\b", clause, re.I):
                subjects = list(carry)
            else:
                subjects = []
            label = (bool(hits) and hits[0][0] <= 2 and re.match(r"[^:]{1,40}:", clause)) or \
                re.match(r"\W*(?:[A-Z]\.?\s?-?){2,5}\s*:", clause)
            # A named person (not "this work", "the study") receiving grants or support.
            person = bool(named or role or _INITIALS_SUBJECT.match(clause)) and not jco
            no_role = no_role_sentence and bool(_NO_ROLE.search(clause) or len(clauses) == 1)
            kind, found = _kind(clause, no_role, intro_seen, bool(label), author_words,
                                context=sentence_declared, person=person)
            if kind == "declared":
                for org in found:
                    org_clauses.setdefault(org, clause)
                for i in subjects:
                    declaring.setdefault(i, named_in.get(i, clause))
                sentence_declared = True
                if not declared_sentence:
                    declared_sentence = sentence
            elif kind == "none" and not none_sentence:
                none_sentence = sentence
            if jco and named:
                carry = [named[-1]]
            elif named:
                carry = named
            elif subjects or _OTHER_AUTHORS.search(clause):
                carry = subjects
    if not declared_sentence and pending and not none_sentence:
        declared_sentence = pending
    if declared_sentence:
        kept = set(_merge(set(org_clauses)))
        pairs = tuple((o, c) for o, c in org_clauses.items() if o in kept)
        order = sorted(i for i in declaring if index.authors[i]) if index else []
        return CoiResult("declared", sorted(kept), [index.authors[i].given for i in order],
                         declared_sentence, pairs,
                         tuple((index.authors[i].given, declaring[i]) for i in order))
    if none_sentence:
        return CoiResult("none_declared", [], [], none_sentence)
    return CoiResult("unclear", [], [], "")


def _split_trailing_authors(body: str, authors: list[str]) -> str:
    """Flattened per-author lists (JCO, ASCO: "Travel, Accommodations, Expenses: Pfizer, Roche
    Jane Doe\nHonoraria: ..."): the next author's name ends the line before her first category
    and is not part of the last company's name."""
    names = sorted({n.strip() for n in authors if len(n.strip()) > 3}, key=len, reverse=True)
    lines = []
    for line in body.split("\n"):
        for name in names:
            if line.endswith(" " + name) and len(line) > len(name) + 1:
                line = line[:-len(name) - 1] + "\n" + name
                break
        lines.append(line)
    return "\n".join(lines)


def _excepted(sentence: str, index: _AuthorIndex | None) -> list[int] | None:
    """The authors excepted from a "none" sentence ("all authors except A.B. declare no..."),
    or None when the sentence is not of that shape."""
    if not _is_none(sentence):
        return None
    for m in _EXCEPT.finditer(sentence):
        who = m.group("who")
        if re.match(r"\s*(?:as|those|that|where|when|for|the|an?|any|its?|their|The)\s", who):
            continue
        hits = index.find(who) if index else []
        if hits:
            return [i for _, i in hits]
        if _PERSON_LIKE.search(who):
            return []
    return None


_BARE_LIST = re.compile(
    rf"\W*{_CAP}[\w'’.&+-]*(?:(?:\s+|\s*,\s*|\s+(?:and|&)\s+){_CAP}[\w'’.&+-]*|"
    r"\s*\((?:Inst|Self|institution|self)\))*\W*")
_RECEIVED = re.compile(
    r"(?i)\b(?:ha[sd]|have|having)\s+(?:\w+\s+){0,2}?(?:received|obtained|been\s+awarded)|"
    r"\b(?:ha[sd]|have|having|holds?|held)\s+(?:an?\s+)?(?:\w+\s+){0,2}?(?:contracts?|"
    r"agreements?|collaborations?)\s+with|"
    r"\b(?:receives?|received|receiving|reports?|reported|holds?|held|obtained)\b")


def _kind(clause: str, no_role: bool, intro_seen: bool, label: bool,
          author_words: set[str], context: bool = False,
          person: bool = False) -> tuple[str, list[str]]:
    """("declared" | "none" | "neutral", companies) for one clause."""
    if _is_none(clause):
        return "none", []
    if no_role:
        return "neutral", []
    strong = [m.group(0) for m in _STRONG.finditer(clause)]
    if context and _BARE_LIST.fullmatch(clause):
        # "Consulting: A; B, C": the list goes on past a ";" in a declaring sentence.
        orgs, _ = _organizations(": " + clause, author_words)
        if orgs:
            return "declared", orgs
    orgs, named = _organizations(clause, author_words)
    if not strong and _EDITOR.search(clause):
        return "declared", []       # "Reviewing Editor, eLife": a journal is not a company
    if strong:
        if any(not _EMPLOYMENT_LIKE.search(s) for s in strong):
            return "declared", orgs
        # Employment at a university or hospital only is not a competing interest; with a
        # company, or with no institution named, it is.
        if orgs or not _BLOCK_WORDS.search(_ROLE_WORDS.sub(" ", clause)):
            return "declared", orgs
        return "neutral", []
    # Funding, grants, travel: when a company is the counterpart, or ICMJE style "outside the
    # submitted work" (whoever gave it). An author label or a "declare the following"
    # introduction followed by names: those names.
    if _WEAK.search(clause) and (named or context and orgs or _OUTSIDE_WORK.search(clause)
                                 or person and (_RECEIVED.search(clause) or orgs)):
        return "declared", orgs
    if (label or intro_seen) and orgs:
        return "declared", orgs
    if orgs and _SUPPLIED_BY.search(clause):
        return "declared", orgs
    return "neutral", []
