"""Which days a memo covers: an ISO week, a --since/--until range, or the seven days ending at the newest article."""

from __future__ import annotations

import re
from datetime import date, timedelta

from briefing.errors import BriefingError, UsageError
from briefing.memo.model import Window
from briefing.types import Document

WINDOW_DAYS = 7
_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)


def parse_week(text: str) -> tuple[date, date]:
    """``2025-W48`` -> Monday and Sunday of that ISO week. ``UsageError`` for anything else."""
    m = _WEEK.fullmatch(text.strip())
    if not m:
        raise UsageError(f"--week {text!r} is not an ISO week like 2025-W48")
    try:
        monday = date.fromisocalendar(int(m.group(1)), int(m.group(2)), 1)
    except ValueError:
        raise UsageError(f"--week {text!r}: {m.group(1)} has no week {int(m.group(2))}; try e.g. {m.group(1)}-W01") \
            from None
    return monday, monday + timedelta(days=6)


def dated_range(store) -> tuple[date | None, date | None, int, int]:
    """``(oldest, newest, dated, undated)`` publication dates and counts of the index's documents."""
    return store.date_range()


def choose_window(store, week: str | None = None, since: date | None = None, until: date | None = None) -> Window:
    """The memo's window. ``--week`` is that ISO week; ``--since``/``--until`` are inclusive (one alone means the
    seven days starting or ending there); nothing means the seven days ending at the newest dated article.

    Raises ``UsageError`` (exit 2) for conflicting options and ``BriefingError`` (exit 1) when no dated article
    falls inside, naming the oldest and newest publication dates there are.
    """
    oldest, newest, dated, undated = dated_range(store)
    if week and (since or until):
        raise UsageError("give either --week or --since/--until, not both")
    if since and until and since > until:
        raise UsageError(f"--since {since} is after --until {until}")
    if week:
        lo, hi = parse_week(week)
        window = Window(lo, hi, f"ISO week {week.strip().upper()}, Monday to Sunday")
    elif since and until:
        window = Window(since, until, "as given")
    elif since:
        window = Window(since, since + timedelta(days=WINDOW_DAYS - 1), "the seven days from --since")
    elif until:
        window = Window(until - timedelta(days=WINDOW_DAYS - 1), until, "the seven days to --until")
    else:
        if newest is None:
            raise BriefingError(_no_dates(undated))
        window = Window(newest - timedelta(days=WINDOW_DAYS - 1), newest,
                        f"the seven days ending at the newest dated article ({newest})")
    inside = store.count_published(window.since, window.until)
    if not inside:
        if newest is None:
            raise BriefingError(_no_dates(undated))
        raise BriefingError(
            f"no dated article was published from {window.since} to {window.until}; the {dated} dated article"
            f"{'s run' if dated > 1 else ' is'} from {oldest} (oldest) to {newest} (newest): choose a window there "
            f"with --since/--until or --week {newest.isocalendar()[0]}-W{newest.isocalendar()[1]:02d}")
    return window


def _no_dates(undated: int) -> str:
    return (f"none of the {undated} indexed articles has a publication date, so no window can hold one; add each "
            "one's real date as a 'Published: <Month D, YYYY>' line near the top (or 'date:' front matter in "
            "Markdown) and re-index")


def dating_hint(doc: Document) -> str:
    """How to give an undated article its date, for its kind of file. It never proposes a date: only the
    article's publisher knows it."""
    if doc.kind in ("jsonl", "json"):
        return "if you know its publication date, add a \"published\" field (YYYY-MM-DD) to its record and re-index"
    if doc.kind == "md":
        return "if you know its publication date, add 'date: YYYY-MM-DD' front matter and re-index"
    if doc.kind == "html":
        return ("if you know its publication date, add an article:published_time meta tag or a 'Published: "
                "<Month D, YYYY>' line and re-index")
    return "if you know its publication date, add a 'Published: <Month D, YYYY>' line near the top and re-index"
