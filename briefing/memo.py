"""The weekly memo: its data, the window it covers, and ``build_memo``, which puts it together from the articles."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Sequence

from .errors import BriefingError, UsageError
from .pool import Salience, sentence_pool
from .register import Register
from .sections import Section, plan_sections, write_sections
from .themes import MAX_THEMES, derive_themes, headline_phrase, topic_themes
from .types import Citation, Document

EXTRACTIVE_NOTE = "Extractive memo: every line is a sentence quoted from the sources, chosen by rules; no LLM was used."
WINDOW_DAYS = 7
MAX_CLUSTERED = 400
_WEEK = re.compile(r"(\d{4})-?W(\d{1,2})", re.IGNORECASE)


# ---- the memo ----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Window:
    """The inclusive publication-date window and how it was chosen (shown in the memo's header)."""

    since: date
    until: date
    how: str


@dataclass(frozen=True)
class Event:
    """A timeline entry: the day(s) it happened, what happened (cited) and the date expression it was read from."""

    first: date
    last: date
    text: str
    citations: tuple[int, ...]
    phrase: str
    published: date
    approximate: bool = False
    relative: bool = False


@dataclass(frozen=True)
class Side:
    """One side of a disagreement: the value an article gives and its cited sentence."""

    value: str
    text: str
    citations: tuple[int, ...]
    path: str


@dataclass(frozen=True)
class Disagreement:
    """Conflicting figures, dates or claims (``kind``) about one ``subject``, each side cited."""

    subject: str
    kind: str  # figure | date | claim
    sides: tuple[Side, ...]
    note: str = ""


@dataclass(frozen=True)
class Memo:
    """Everything a template renders. Every ``[n]`` in any text resolves to ``citations[n-1]``."""

    title: str
    window: Window
    sections: tuple[Section, ...]
    timeline: tuple[Event, ...]
    disagreements: tuple[Disagreement, ...]
    citations: tuple[Citation, ...]
    documents: tuple[Document, ...]
    undated: tuple[Document, ...]
    warnings: tuple[str, ...]
    llm: str
    topics: tuple[str, ...] = ()
    usage: dict = field(default_factory=dict)

    def section(self, key: str) -> Section | None:
        """The section with ``key`` (summary, developments, actors or watch), or None when the memo has none."""
        return next((s for s in self.sections if s.key == key), None)


# ---- the window --------------------------------------------------------------------------------------------------
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
    oldest, newest, dated = store.con.execute(
        "SELECT min(published), max(published), count(published) FROM documents").fetchone()
    undated = store.con.execute("SELECT count(*) FROM documents WHERE published IS NULL").fetchone()[0]
    return (date.fromisoformat(oldest) if oldest else None, date.fromisoformat(newest) if newest else None,
            dated, undated)


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
    inside = store.con.execute("SELECT count(*) FROM documents WHERE published BETWEEN ? AND ?",
                               (window.since.isoformat(), window.until.isoformat())).fetchone()[0]
    if not inside:
        if newest is None:
            raise BriefingError(_no_dates(undated))
        raise BriefingError(
            f"no dated article was published from {window.since} to {window.until}; the {dated} dated article"
            f"{'s run' if dated > 1 else ' is'} from {oldest} (oldest) to {newest} (newest): choose a window there "
            f"with --since/--until or --week {newest.isocalendar()[0]}-W{newest.isocalendar()[1]:02d}")
    return window


def _no_dates(undated: int) -> str:
    return (f"none of the {undated} indexed articles has a publication date, so no window can hold one; add a "
            "'Published: November 26, 2025' line near the top (or 'date:' front matter in Markdown) and re-index")


def dating_hint(doc: Document) -> str:
    """How to give an undated article a date, for its kind of file."""
    if doc.kind in ("jsonl", "json"):
        return "add a \"published\" (or \"date\") field to its record, then re-index"
    if doc.kind == "md":
        return "add 'date: 2025-11-26' front matter or a 'Published: November 26, 2025' line, then re-index"
    if doc.kind == "html":
        return "add a 'Published: November 26, 2025' line (or an article:published_time meta tag), then re-index"
    return "add a 'Published: November 26, 2025' line near the top, then re-index"


# ---- building the memo ---------------------------------------------------------------------------------------------
def build_memo(session, window: Window, *, topics: Sequence[str] = (), llm=None, max_context: int = 3000,
               title: str | None = None) -> Memo:
    """The memo for ``window`` from ``session``'s index. ``llm`` (an object with ``complete``) writes the prose
    sections one at a time from their own passages; without it the sections are the sources' own sentences.
    Timeline and disagreements are found by rules either way. Every citation is verified (see ``Register``).

    The readable sentences of the window's dated articles (``pool``) are grouped into themes (``themes``), picked
    for the summary, who said what (``actors``) and what to watch, and written (``sections``); ``timeline`` dates
    events and ``disagree`` finds conflicting figures, dates and claims. Rendering: ``briefing.cli_memo``."""
    from . import disagree, timeline

    store = session.store
    ids = store.chunk_ids_between(window.since, window.until)
    chunks = list(store.chunks(sorted(ids)).values())
    docs = sorted(store.documents({c.doc_id for c in chunks}).values(), key=lambda d: (d.published, d.path))
    undated = tuple(sorted((d for d in _undated(store)), key=lambda d: d.path))
    pool = sentence_pool(docs, chunks)
    salience = Salience(pool)
    if topics:  # the memo is about the topics: everything else comes from the passages found for them
        themes = topic_themes(session, topics, pool, salience, window)
        keep = {(s.doc.id, s.start) for t in themes for s in t.members}
        pool = [s for s in pool if (s.doc.id, s.start) in keep]
    # only the most salient sentences are embedded: enough for five themes and a summary, and it stays quick
    top = sorted(pool, key=lambda s: -salience(s))[:MAX_CLUSTERED]
    vectors = session.embedder().embed([s.plain for s in top]) if top else None
    if not topics:
        # a few articles hold fewer distinct stories than a week of news: a theme per article, 2 to 5
        themes = derive_themes(top, salience, vectors, min(MAX_THEMES, max(2, len(docs))))
    meaning = {id(s): vectors[i] for i, s in enumerate(top)}
    plans = plan_sections(themes, pool, salience, window, meaning)
    register = Register()
    sections, usage = write_sections(plans, register, llm, max_context, window)
    events = _events(timeline.pick_events(pool, window, salience), register)
    conflicts = _disagreements(disagree.find(pool, salience), register)
    if title is None:
        title = "Weekly briefing: " + (", ".join(topics) if topics else headline_phrase(pool))
    return Memo(title=title, window=window, sections=tuple(sections), timeline=tuple(events),
                disagreements=tuple(conflicts), citations=tuple(register.citations), documents=tuple(docs),
                undated=undated, warnings=tuple(register.warnings), llm=getattr(llm, "name", None) or "extractive",
                topics=tuple(topics), usage=usage)


def _undated(store) -> list[Document]:
    ids = [r[0] for r in store.con.execute("SELECT id FROM documents WHERE published IS NULL")]
    return list(store.documents(ids).values()) if ids else []


def _events(found, register: Register) -> list[Event]:
    """Timeline entries: the clause around each date, cited to its sentence."""
    from .timeline import excerpt, resolve

    out = []
    for s, ref in found:
        several = len(resolve(s.plain, s.doc.published)) > 1
        text = excerpt(s.plain, ref.start, ref.end, grow=not several)
        quote, cited = register.verify_quote(text, s.hit(), "Timeline")
        if cited:
            out.append(Event(ref.first, ref.last, quote, cited, ref.phrase, s.doc.published, ref.approximate,
                             ref.relative))
    return out


def _disagreements(found, register: Register) -> list[Disagreement]:
    """Each side of each disagreement, cited to its sentence."""
    from .config import display_path
    from .timeline import excerpt

    out = []
    for f in found:
        sides = []
        for value, s, (a, b) in f.sides:
            text = excerpt(s.plain, a, b, limit=260)
            quote, cited = register.verify_quote(text, s.hit(), "Where sources disagree")
            if cited:
                sides.append(Side(value, quote, cited, display_path(s.doc.path)))
        if len(sides) >= 2:
            out.append(Disagreement(f.subject, f.kind, tuple(sides), f.note))
    return out
