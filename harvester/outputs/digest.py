"""The editors' digest: new articles grouped by saved query, newest first, as Markdown or as
one self-contained HTML page (inline CSS, no scripts, no external files) that prints well.

Pure: items in, text out.
"""

from __future__ import annotations

import html
import re

from harvester.outputs.items import (Item, article_type, author_line, coi_line, institution_line,
                                     is_notice, journal_name, links, notice_label, notice_url,
                                     oa_badge, published, retracted)

NO_QUERY = "(no saved query)"
MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>#|])")


CHANGED = "Changed since you covered it"


def new_research(items: list[Item]) -> tuple[list[Item], int]:
    """The items that are new research, and how many were left out: retracted articles are
    never listed as new work, and a notice's own record is shown with its original (in its
    entry, or under "Changed since you covered it"), not as a paper."""
    kept = [i for i in items if not retracted(i) and not is_notice(i)]
    return kept, len(items) - len(kept)


def group_by_query(items: list[Item], queries: tuple[str, ...] = ()) -> list[tuple[str, list[Item]]]:
    """[(query, items newest first)], queries in name order; an article matched by two
    queries is in both groups. With `queries`, only those groups."""
    groups: dict[str, list[Item]] = {}
    for item in items:
        for name in item.queries or [NO_QUERY]:
            if not queries or name in queries:
                groups.setdefault(name, []).append(item)
    return [(name, sorted(groups[name], key=_date_key, reverse=True)) for name in sorted(groups)]


def _date_key(item: Item) -> tuple[str, str, int]:
    # Text dates, possibly partial: reversed, '2025-11-05' comes before '2025-11'.
    return published(item) or "", item.first_seen_at, item.pmid or 0


def heading(since: str, count: int) -> str:
    return f"{count} new article{'s' if count != 1 else ''} since {since[:10]}"


# --- Markdown -------------------------------------------------------------------------------

def render_markdown(groups: list[tuple[str, list[Item]]], since: str, generated: str,
                    changed: list[Item] = (), left_out: int = 0) -> str:
    count = len({i.id for _, items in groups for i in items})
    lines = [f"# Literature digest: {heading(since, count)}", "",
             f"Generated {generated}.", ""]
    if changed:
        lines += [f"## {CHANGED} ({len(changed)})", ""]
        for item in changed:
            lines += _markdown_item(item, changed=True)
    if not groups:
        lines += ["Nothing new.", ""]
    if left_out:
        lines += [_left_out(left_out), ""]
    for name, items in groups:
        lines += [f"## {_md(name)} ({len(items)})", ""]
        for item in items:
            lines += _markdown_item(item)
    return "\n".join(lines)


def _left_out(count: int) -> str:
    return (f"{count} retracted article{'s' if count != 1 else ''} or notice record"
            f"{'s' if count != 1 else ''} left out of the new research.")


def _notice_lines(item: Item) -> list[tuple[str, str, str | None]]:
    """(label with date, kind, url) for each notice about the item."""
    found = []
    for notice in item.notices:
        label = notice_label(notice["type"])
        if notice["date"]:
            label += f", {notice['date']}"
        found.append((label, notice["type"], notice_url(notice)))
    return found


def _markdown_item(item: Item, changed: bool = False) -> list[str]:
    journal = journal_name(item)
    meta = " · ".join(p for p in (f"*{_md(journal)}*" if journal else "",
                                  published(item) or "", article_type(item.publication_types))
                      if p)
    lines = [f"### {_md(item.title or '(no title)')}", "", meta + "  "]
    for label, _, url in _notice_lines(item):
        lines.append(f"**{_md(label)}**" + (f": [{_md(url)}](<{url}>)" if url else "") + "  ")
    if changed:
        return lines + [" · ".join(f"[{label}](<{url}>)" for label, url in links(item).items()),
                        ""]
    if item.authors:
        lines.append(_md(author_line(item.authors)) + "  ")
    if item.affiliations:
        lines.append(f"Institutions: {_md(institution_line(item.affiliations))}  ")
    lines.append(f"Open access: **{_md(oa_badge(item))}**  ")
    lines.append(f"Competing interests: {_md(coi_line(item))}  ")
    lines.append(" · ".join(f"[{label}](<{url}>)" for label, url in links(item).items()))
    return lines + [""]


def _md(text: str) -> str:
    return MARKDOWN_SPECIAL.sub(r"\\\1", text)


# --- HTML -----------------------------------------------------------------------------------

STYLE = """
:root { --ink: #1d2327; --muted: #5b6770; --rule: #d8dde1; --accent: #0b5cad; }
* { box-sizing: border-box; }
body { font: 16px/1.5 Georgia, "Times New Roman", serif; color: var(--ink);
       max-width: 46rem; margin: 2rem auto; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: .25rem; }
h2 { font: 600 1.15rem/1.3 system-ui, sans-serif; border-bottom: 2px solid var(--ink);
     padding-bottom: .2rem; margin-top: 2.5rem; }
h3 { font-size: 1.1rem; margin: 0 0 .3rem; }
h3 a { color: inherit; text-decoration: none; }
h3 a:hover { text-decoration: underline; }
.generated, .meta, .institutions { color: var(--muted); font-size: .9rem; }
nav ul { padding-left: 1.2rem; }
article { padding: 1rem 0; border-bottom: 1px solid var(--rule); break-inside: avoid; }
article p { margin: .15rem 0; }
.badge { display: inline-block; font: 600 .78rem/1.6 system-ui, sans-serif;
         padding: 0 .5rem; border-radius: .8rem; border: 1px solid currentColor; }
.oa-gold { color: #8a6100; } .oa-hybrid { color: #6a3d9a; } .oa-bronze { color: #9c4f1a; }
.oa-green { color: #1e7a34; } .oa-closed { color: #a01c1c; }
.oa-unknown, .oa-unchecked { color: var(--muted); }
.coi { font-size: .95rem; }
.links a { color: var(--accent); margin-right: 1rem; font: .9rem system-ui, sans-serif; }
.notice { font: 600 .95rem/1.4 system-ui, sans-serif; }
.notice-retraction, .notice-expression_of_concern { color: #a01c1c; }
.notice-correction, .notice-update { color: #6a3d00; }
.left-out { color: var(--muted); font-size: .9rem; }
.links .url { display: none; }
@media print {
  body { margin: 0; max-width: none; font-size: 11pt; }
  nav { display: none; }
  h2 { break-after: avoid; }
  article { padding: .5rem 0; }
  .links a { color: var(--ink); text-decoration: none; margin-right: 0; display: block; }
  .links .url { display: inline; font-size: 9pt; word-break: break-all; }
  .badge { border-width: 1px; }
}
"""


def render_html(groups: list[tuple[str, list[Item]]], since: str, generated: str,
                changed: list[Item] = (), left_out: int = 0) -> str:
    count = len({i.id for _, items in groups for i in items})
    title = f"Literature digest: {heading(since, count)}"
    parts = ['<!DOCTYPE html>', '<html lang="en">', '<head>', '<meta charset="utf-8">',
             '<meta name="viewport" content="width=device-width, initial-scale=1">',
             f"<title>{_h(title)}</title>", f"<style>{STYLE}</style>", "</head>", "<body>",
             f"<h1>{_h(title)}</h1>", f'<p class="generated">Generated {_h(generated)}.</p>']
    entries = ([f'<li><a href="#changed">{_h(CHANGED)}</a> ({len(changed)})</li>']
               if changed else [])
    entries += [f'<li><a href="#q-{_anchor(name)}">{_h(name)}</a> ({len(items)})</li>'
                for name, items in groups]
    if entries:
        parts.append("<nav><ul>" + "".join(entries) + "</ul></nav>")
    if changed:
        parts.append(f'<section id="changed"><h2>{_h(CHANGED)} ({len(changed)})</h2>')
        parts += [_html_item(item, changed=True) for item in changed]
        parts.append("</section>")
    if not groups:
        parts.append("<p>Nothing new.</p>")
    if left_out:
        parts.append(f'<p class="left-out">{_h(_left_out(left_out))}</p>')
    for name, items in groups:
        parts.append(f'<section id="q-{_anchor(name)}"><h2>{_h(name)} ({len(items)})</h2>')
        parts += [_html_item(item) for item in items]
        parts.append("</section>")
    parts += ["</body>", "</html>", ""]
    return "\n".join(parts)


def _html_item(item: Item, changed: bool = False) -> str:
    found = links(item)
    title = _h(item.title or "(no title)")
    first = next(iter(found.values()), None)
    if first:
        title = f'<a href="{_h(first)}">{title}</a>'
    meta = " · ".join(_h(p) for p in (journal_name(item), published(item),
                                      article_type(item.publication_types)) if p)
    badge_class = f"oa-{item.oa_status}" if item.oa_status else "oa-unchecked"
    rows = [f"<h3>{title}</h3>", f'<p class="meta">{meta}</p>']
    for label, kind, url in _notice_lines(item):
        link = f': <a href="{_h(url)}">{_h(url)}</a>' if url else ""
        rows.append(f'<p class="notice notice-{_h(kind)}">{_h(label)}{link}</p>')
    if changed:
        rows.append('<p class="links">' + "".join(
            f'<a href="{_h(url)}">{_h(label)}<span class="url"> {_h(url)}</span></a>'
            for label, url in found.items()) + "</p>")
        return '<article class="changed">' + "".join(rows) + "</article>"
    if item.authors:
        rows.append(f'<p class="authors">{_h(author_line(item.authors))}</p>')
    if item.affiliations:
        rows.append(f'<p class="institutions">{_h(institution_line(item.affiliations))}</p>')
    rows.append(f'<p class="oa">Open access: <span class="badge {_h(badge_class)}">'
                f"{_h(oa_badge(item))}</span></p>")
    rows.append(f'<p class="coi">Competing interests: {_h(coi_line(item))}</p>')
    rows.append('<p class="links">' + "".join(
        f'<a href="{_h(url)}">{_h(label)}<span class="url"> {_h(url)}</span></a>'
        for label, url in found.items()) + "</p>")
    return "<article>" + "".join(rows) + "</article>"


def _h(text: str) -> str:
    return html.escape(text, quote=True)


def _anchor(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "-", name)
