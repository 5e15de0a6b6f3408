"""`harvest coi explain` as an editor reads it: the report of enrich.coi.explain() as text.
Pure: a dict in, lines out."""

from __future__ import annotations

import textwrap


def explanation(report: dict) -> str:
    """The whole text, lines joined."""
    return "\n".join(explanation_lines(report))


def explanation_lines(report: dict) -> list[str]:
    ident = " ".join(filter(None, (f"PMID {report['pmid']}" if report["pmid"] else None,
                                   f"DOI {report['doi']}" if report["doi"] else None)))
    lines = [ident, f"  {report['title'] or '(no title)'}", ""]
    if report["stored_status"] is None:
        return lines + ["Not checked yet: `harvest run` (or `harvest enrich coi`) looks for its "
                        "statement."]
    if report["statement"] is None:
        return lines + [f"No statement found (PubMed, Europe PMC full text); checked "
                        f"{report['checked_at']}, next look {report['next_check_at']}. "
                        "'not_found' is not 'no conflicts'."]
    where = report["source"] + (f", {report['element']}" if report["element"] else "")
    lines += [f"Statement ({where}):", *_indented(report["statement"]), ""]
    status = report["status"]
    if status != report["stored_status"]:
        status += (f" (stored as {report['stored_status']} by an earlier check; the next "
                   "check of this article stores it again)")
    lines.append(f"Status: {status}")
    if report["evidence"]:
        lines.append(f"  decided by: {report['evidence']}")
    if report["organizations"]:
        lines += ["", "Companies:"]
        lines += [f"  {o['name']}" + (f"  <- {o['clause']}" if o["clause"] else "")
                  for o in report["organizations"]]
    if report["authors_total"]:
        lines += ["", f"Authors declaring: {len(report['authors'])} of "
                      f"{report['authors_total']}"]
        lines += [f"  {a['name']}" + (f"  <- {a['clause']}" if a["clause"] else "")
                  for a in report["authors"]]
    return lines


def _indented(text: str, width: int = 96) -> list[str]:
    return [f"  {line}" for paragraph in text.splitlines()
            for line in textwrap.wrap(paragraph, width - 2) or [""]]
