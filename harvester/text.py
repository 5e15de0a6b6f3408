"""Text every source needs: DOIs normalised one way, markup flattened, HTML pages recognised,
timestamps written and read one way.

Stored timestamps are UTC ("2025-03-04T05:06:07Z") wherever they come from.
"""

from __future__ import annotations

import calendar
import datetime as dt
import html
import re
import time

TAG = re.compile(r"<[^>]+>")
XML_DECLARATION = re.compile(rb"^\s*<\?xml[^>]*\?>\s*")
# The first tag of an XML document (after any declaration, comments and doctype).
ROOT_TAG = re.compile(rb"<([A-Za-z_][\w.:-]*)")


def normalize_doi(value: str | None) -> str | None:
    """Lower case, no resolver or `doi:` prefix, no surrounding whitespace."""
    if not value:
        return None
    doi = value.strip()
    doi = re.sub(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", "", doi, flags=re.IGNORECASE)
    return doi.strip().lower() or None


# What a DOI may hold to be put into a search term (esearch `"..."[doi]`, Europe PMC
# `DOI:"..."`, Crossref's `updates:` filter): Crossref's own pattern, which matches nearly all
# registered DOIs, widened by the <>[]#+ of old Wiley/SICI DOIs. No quote, backslash, comma or
# space, so nothing in it can end the quoted term.
SEARCHABLE_DOI = re.compile(r"10\.\d{4,9}/[-._;()/:a-z0-9<>\[\]#+]+", re.IGNORECASE)


def searchable_doi(doi: str | None) -> bool:
    """Whether a (normalised) DOI can go into a search term as it is; others are left out of
    searches (they are still stored)."""
    return bool(doi) and SEARCHABLE_DOI.fullmatch(doi) is not None


def plain_text(value: str | None) -> str | None:
    """Markup flattened, entities decoded, whitespace collapsed; None when nothing is left."""
    if not value:
        return None
    return " ".join(html.unescape(TAG.sub("", value)).split()) or None


def first_text(values) -> str | None:
    """The first of several strings (Crossref's lists of titles) with any text, flattened."""
    return next((text for text in map(plain_text, values or []) if text), None)


def is_html(body: bytes, content_type: str = "") -> bool:
    """An HTML page (a proxy's, a login or error page) where XML, JSON or a feed was expected:
    by its Content-Type, or by its first tag after any XML declaration."""
    if "html" in content_type.lower():
        return True
    head = XML_DECLARATION.sub(b"", body[:1024]).lstrip().lower()
    return head.startswith((b"<!doctype html", b"<html"))


def iso_date(year, month=None, day=None) -> str | None:
    """The most precise valid ISO date these parts make: "2025-02-28", or "2025-02" when the
    day is impossible (2025-02-30), "2025" when the month is; None without a usable year.
    Parts are ints or digit strings; anything else ends the date there."""
    parts = []
    for part in (year, month, day):
        if isinstance(part, str) and part.strip().isdigit():
            part = int(part)
        if not isinstance(part, int) or isinstance(part, bool):
            break
        parts.append(part)
    if not parts or not 1 <= parts[0] <= 9999:
        return None
    text = f"{parts[0]:04d}"
    if len(parts) > 1 and 1 <= parts[1] <= 12:
        text += f"-{parts[1]:02d}"
        if len(parts) > 2:
            try:
                dt.date(parts[0], parts[1], parts[2])
                text += f"-{parts[2]:02d}"
            except ValueError:
                pass
    return text


def earliest_date(a: str | None, b: str | None) -> str | None:
    """The earlier of two ISO dates that may be partial. Where one is a prefix of the other
    ("2025-11" and "2025-11-28") they agree, and the more precise one is kept."""
    if not a or not b:
        return a or b
    if a.startswith(b) or b.startswith(a):
        return a if len(a) >= len(b) else b
    return min(a, b)


def now_iso(now: dt.datetime | None = None) -> str:
    """UTC timestamp as stored everywhere: 2025-03-04T05:06:07Z."""
    now = now or dt.datetime.now(dt.timezone.utc)
    return now.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> dt.datetime:
    """A timestamp as now_iso writes it -> an aware datetime."""
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


def utc_iso(parsed: time.struct_time) -> str:
    """feedparser's struct_time, which is UTC, as a stored timestamp (calendar.timegm, not
    time.mktime, which would read it as local time)."""
    return now_iso(dt.datetime.fromtimestamp(calendar.timegm(parsed), dt.timezone.utc))
