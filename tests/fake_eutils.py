"""A small E-utilities for tests: holds PubMed records and answers esearch/efetch as NCBI does.

It serves over real HTTP (pytest-httpserver on a free loopback port), so the harvester's whole
HTTP stack is exercised. Records come from fixture files (tests/fixtures/pubmed/) or are made from
a template; esearch filters them by entrez date (edat, from History) or modification date (mdat,
from DateRevised) like PubMed's datetype/mindate/maxdate, caps ids at `cap`, and keeps a WebEnv.
Faults are queued per endpoint and served before the normal answer.
"""

from __future__ import annotations

import datetime as dt
import html
import itertools
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree as ET

from werkzeug import Request, Response

FIXTURES = Path(__file__).parent / "fixtures"
PUBMED_DOCTYPE = ('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD '
                  'PubMedArticle, 1st January 2025//EN" '
                  '"https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n')
ESEARCH_DOCTYPE = ('<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC '
                   '"-//NLM//DTD esearch 20060628//EN" '
                   '"https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n')
XML_TYPE = "text/xml; charset=UTF-8"

TEMPLATE = (
    '<PubmedArticle><MedlineCitation Status="PubMed-not-MEDLINE" Owner="NLM" IndexingMethod="Automated">'
    '<PMID Version="1">{pmid}</PMID><DateRevised><Year>{my}</Year><Month>{mm}</Month><Day>{md}</Day>'
    '</DateRevised><Article PubModel="Print-Electronic"><Journal><ISSN IssnType="Electronic">1878-3686'
    '</ISSN><JournalIssue CitedMedium="Internet"><Volume>43</Volume><Issue>11</Issue><PubDate>'
    '<Year>{ey}</Year><Month>Nov</Month></PubDate></JournalIssue><Title>Cancer cell</Title>'
    '<ISOAbbreviation>Cancer Cell</ISOAbbreviation></Journal><ArticleTitle>{title}</ArticleTitle>'
    '<Pagination><StartPage>{pmid_tail}</StartPage><EndPage>{pmid_tail_end}</EndPage><MedlinePgn>'
    '{pmid_tail}-{pmid_tail_end}</MedlinePgn></Pagination><ELocationID EIdType="doi" ValidYN="Y">'
    '10.1016/j.ccell.{ey}.{pmid_tail}</ELocationID><Abstract><AbstractText>Synthetic record {pmid} '
    'for harvester tests: HER2<sup>+</sup> tumours and CD8<sup>+</sup> T cells.</AbstractText>'
    '</Abstract><AuthorList CompleteYN="Y"><Author ValidYN="Y"><LastName>Rossi</LastName>'
    '<ForeName>Maria Chiara</ForeName><Initials>MC</Initials><AffiliationInfo><Affiliation>'
    'Department of Oncology, University of Turin, Turin, Italy.</Affiliation></AffiliationInfo>'
    '</Author><Author ValidYN="Y"><LastName>Okafor</LastName><ForeName>Chidi</ForeName><Initials>C'
    '</Initials></Author></AuthorList><Language>eng</Language><PublicationTypeList>'
    '<PublicationType UI="D016428">Journal Article</PublicationType></PublicationTypeList>'
    '<ArticleDate DateType="Electronic"><Year>{ey}</Year><Month>{em}</Month><Day>{ed}</Day>'
    '</ArticleDate></Article><MedlineJournalInfo><Country>United States</Country><MedlineTA>Cancer '
    'Cell</MedlineTA><NlmUniqueID>101130617</NlmUniqueID><ISSNLinking>1535-6108</ISSNLinking>'
    '</MedlineJournalInfo>{coi}</MedlineCitation><PubmedData><History><PubMedPubDate PubStatus='
    '"received"><Year>{ey}</Year><Month>1</Month><Day>2</Day></PubMedPubDate><PubMedPubDate '
    'PubStatus="pubmed"><Year>{ey}</Year><Month>{emn}</Month><Day>{edn}</Day><Hour>6</Hour><Minute>'
    '0</Minute></PubMedPubDate><PubMedPubDate PubStatus="entrez"><Year>{ey}</Year><Month>{emn}'
    '</Month><Day>{edn}</Day><Hour>5</Hour><Minute>21</Minute></PubMedPubDate></History>'
    '<PublicationStatus>aheadofprint</PublicationStatus><ArticleIdList><ArticleId IdType="pubmed">'
    '{pmid}</ArticleId><ArticleId IdType="doi">10.1016/j.ccell.{ey}.{pmid_tail}</ArticleId>'
    '<ArticleId IdType="pii">S1535-6108({ey}){pmid_tail}-1</ArticleId></ArticleIdList></PubmedData>'
    '</PubmedArticle>'
)


def synthetic_article(pmid: int, edat: dt.date, mdat: dt.date | None = None,
                      title: str | None = None, coi: str | None = None) -> str:
    """One PubmedArticle in NCBI's compact layout (as sent since 2024)."""
    mdat = mdat or edat
    tail = pmid % 100000
    return TEMPLATE.format(
        pmid=pmid, pmid_tail=tail, pmid_tail_end=tail + 12,
        title=title or f"Synthetic <i>ERBB2</i> record {pmid}.",
        ey=edat.year, em=f"{edat.month:02d}", ed=f"{edat.day:02d}", emn=edat.month, edn=edat.day,
        my=mdat.year, mm=f"{mdat.month:02d}", md=f"{mdat.day:02d}",
        coi=f"<CoiStatement>{coi}</CoiStatement>" if coi else "")


@dataclass
class Record:
    pmid: int
    xml: str
    edat: dt.date
    mdat: dt.date
    terms: set[str] | None = None  # None: matches every term
    doi: str | None = None


@dataclass
class Fault:
    status: int = 200
    body: bytes | str = b""
    headers: dict = field(default_factory=dict)
    content_type: str = XML_TYPE


class FakePubmed:
    def __init__(self):
        self.records: dict[int, Record] = {}
        self.webenvs: dict[str, list[int]] = {}
        self.requests: list[tuple[str, dict]] = []
        self.faults: dict[str, list[Fault]] = {"esearch": [], "efetch": []}
        self.withheld: set[int] = set()  # efetch leaves these out, as NCBI sometimes does
        self.broken_terms: dict[str, Fault] = {}  # esearch for these terms always fails so
        self.cap = 9999
        self.delay = 0.0  # seconds before each answer, to give a test time to interrupt a run
        self.random_faults: tuple | None = None  # (random.Random, rate, [Fault, ...])
        self.injected = 0  # random faults served so far
        self._webenv_ids = itertools.count(1)

    # --- holding records ---------------------------------------------------------------------
    def add(self, xml: str, terms: set[str] | None = None) -> Record:
        elem = ET.fromstring(xml)
        pmid = int(elem.findtext(".//PMID"))
        edat = _date_of(elem.find(".//History/PubMedPubDate[@PubStatus='entrez']"))
        mdat = _date_of(elem.find(".//DateRevised")) or edat
        doi = elem.findtext(".//PubmedData/ArticleIdList/ArticleId[@IdType='doi']")
        record = Record(pmid, xml, edat, mdat, terms, doi.lower() if doi else None)
        self.records[pmid] = record
        return record

    def add_synthetic(self, pmid: int, edat: dt.date, **kwargs) -> Record:
        terms = kwargs.pop("terms", None)
        return self.add(synthetic_article(pmid, edat, **kwargs), terms)

    def add_file(self, path: Path, terms: set[str] | None = None) -> list[Record]:
        """Every PubmedArticle/PubmedBookArticle of an efetch fixture, verbatim."""
        text = path.read_text(encoding="utf-8")
        spans = [m.group(0) for m in
                 re.finditer(r"<(PubmedArticle|PubmedBookArticle)>.*?</\1>", text, flags=re.S)]
        return [self.add(span, terms) for span in spans]

    def fail(self, endpoint: str, *faults: Fault) -> None:
        self.faults[endpoint].extend(faults)

    def calls(self, endpoint: str) -> list[dict]:
        return [params for name, params in self.requests if name == endpoint]

    # --- serving -----------------------------------------------------------------------------
    def install(self, httpserver) -> "FakePubmed":
        httpserver.expect_request("/esearch.fcgi").respond_with_handler(self.esearch)
        httpserver.expect_request("/efetch.fcgi").respond_with_handler(self.efetch)
        return self

    def esearch(self, request: Request) -> Response:
        params = request.values.to_dict()
        self.requests.append(("esearch", params))
        fault = self._fault("esearch")
        if fault is not None:
            return _respond(fault)
        term = params["term"]
        if term in self.broken_terms:
            return _respond(self.broken_terms[term])
        if "mindate" not in params:  # a lookup by DOI: '"10.1/x"[doi] OR "10.1/y"[doi]'
            dois = {d.lower() for d in re.findall(r'"([^"]+)"\[doi\]', term)}
            hits = sorted(r.pmid for r in self.records.values() if r.doi in dois)
            ids = "".join(f"\n<Id>{p}</Id>" for p in hits)
            return Response(f"{ESEARCH_DOCTYPE}<eSearchResult><Count>{len(hits)}</Count><RetMax>"
                            f"{len(hits)}</RetMax><RetStart>0</RetStart><IdList>{ids}\n</IdList>"
                            "<TranslationSet/></eSearchResult>\n", content_type=XML_TYPE)
        datetype = params.get("datetype", "edat")
        low = dt.datetime.strptime(params["mindate"], "%Y/%m/%d").date()
        high = dt.datetime.strptime(params["maxdate"], "%Y/%m/%d").date()
        retmax = int(params.get("retmax", 20))
        hits = sorted((r.pmid for r in self.records.values()
                       if (r.terms is None or term in r.terms)
                       and low <= (r.edat if datetype == "edat" else r.mdat) <= high),
                      reverse=True)
        listed = hits[:min(retmax, self.cap)]
        history = ""
        if params.get("usehistory") == "y":
            webenv = f"MCID_{next(self._webenv_ids):024x}"
            self.webenvs[webenv] = hits[:self.cap]
            history = f"<QueryKey>1</QueryKey><WebEnv>{webenv}</WebEnv>"
        ids = "".join(f"\n<Id>{p}</Id>" for p in listed)
        body = (f"{ESEARCH_DOCTYPE}<eSearchResult><Count>{len(hits)}</Count><RetMax>{len(listed)}"
                f"</RetMax><RetStart>0</RetStart>{history}<IdList>{ids}\n</IdList><TranslationSet/>"
                f"<QueryTranslation>{html.escape(term)}</QueryTranslation></eSearchResult>\n")
        return Response(body, content_type=XML_TYPE)

    def efetch(self, request: Request) -> Response:
        params = request.values.to_dict()
        self.requests.append(("efetch", params))
        fault = self._fault("efetch")
        if fault is not None:
            return _respond(fault)
        if "WebEnv" in params:
            ids = self.webenvs[params["WebEnv"]]
            start = int(params.get("retstart", 0))
            ids = ids[start:start + int(params.get("retmax", 20))]
        else:
            ids = [int(p) for p in params["id"].split(",")]
        articles = "\n".join(self.records[p].xml for p in ids
                             if p in self.records and p not in self.withheld)
        body = f"{PUBMED_DOCTYPE}<PubmedArticleSet>\n{articles}\n</PubmedArticleSet>"
        return Response(body, content_type=XML_TYPE)


    def _fault(self, endpoint: str) -> Fault | None:
        """A queued fault first; else, with random_faults set, a random one at its rate."""
        if self.delay:
            time.sleep(self.delay)
        if self.faults[endpoint]:
            return self.faults[endpoint].pop(0)
        if self.random_faults:
            rng, rate, faults = self.random_faults
            if rng.random() < rate:
                self.injected += 1
                return rng.choice(faults)
        return None


def _respond(fault: Fault) -> Response:
    return Response(fault.body, status=fault.status, headers=fault.headers,
                    content_type=fault.content_type)


def _date_of(elem) -> dt.date | None:
    if elem is None:
        return None
    month = elem.findtext("Month")
    months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]
    month = int(month) if month.isdigit() else months.index(month[:3].lower()) + 1
    return dt.date(int(elem.findtext("Year")), month, int(elem.findtext("Day") or 1))
