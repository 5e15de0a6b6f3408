"""When to look again for what was not there yet (a closed article's free copy, a missing
conflict-of-interest statement): 1, 7, 30 and 90 days after the article was first seen, then
yearly. Services add such things late, mostly in the first weeks."""

from __future__ import annotations

import datetime as dt
from typing import Iterable

THINNING = (dt.timedelta(days=1), dt.timedelta(days=7), dt.timedelta(days=30),
            dt.timedelta(days=90))
YEARLY = dt.timedelta(days=365)


def next_check(first_seen: dt.datetime, now: dt.datetime,
               also: Iterable[dt.datetime] = ()) -> dt.datetime:
    """The first of the thinning moments (and of `also`) after now; a year from now when all
    have passed."""
    upcoming = [m for m in (*(first_seen + step for step in THINNING), *also) if m > now]
    return min(upcoming) if upcoming else now + YEARLY
