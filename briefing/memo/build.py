"""``build_memo``: the weekly memo put together from the window's articles."""

from __future__ import annotations

from typing import Sequence

from briefing import config

from briefing.memo.model import Disagreement, Event, Memo, Side, Window
from briefing.memo.pool import Salience, prefer_sources, sentence_pool
from briefing.memo.quality import assess_sources, checked_note
from briefing.memo.stories import find_stories
from briefing.memo.register import Register
from briefing.memo.sections import plan_sections, write_sections
from briefing.memo.themes import MAX_THEMES, derive_themes, headline_phrase, story_themes, topic_themes
from briefing.types import Document

MAX_CLUSTERED = 400


def build_memo(session, window: Window, *, topics: Sequence[str] = (), llm=None, max_context: int = config.DEFAULT_MAX_CONTEXT,
               title: str | None = None, include_undated: bool = False, verifier=None, fluency=None) -> Memo:
    """The memo for ``window`` from ``session``'s index. ``llm`` (an object with ``complete``) writes the prose
    sections one at a time from their own passages; without it the sections are the sources' own sentences.
    Timeline and disagreements are found by rules either way. Every citation is verified (see ``Register``), and
    ``verifier`` (``answer.verify.make_verifier``) adds a second opinion on the sections' text.

    The readable sentences of the window's dated articles (``pool``) are grouped into themes (``themes``), picked
    for the summary, who said what (``actors``) and what to watch, and written (``sections``); ``timeline`` dates
    events and ``disagree`` finds conflicting figures, dates and claims. Rendering: :mod:`briefing.memo.render`.

    Before that the pool is cleaned of what should not be evidence: the sentences a syndicated copy shares with
    its original (``stories``: the original is cited, "also in" the copies), and the sentences of a
    machine-rewritten source (``quality``, scored by ``fluency``, a ``memo.fluency.Scorer``; None: no model, False: not asked)
    that another source states too. ``include_undated`` brings the undated articles in (their citations are
    marked undated; they have no dates for the timeline)."""
    from briefing.memo import disagree
    from briefing.memo import timeline

    store = session.store
    ids = store.chunk_ids_between(window.since, window.until)
    chunks = list(store.chunks(sorted(ids)).values())
    docs = sorted(store.documents({c.doc_id for c in chunks}).values(), key=lambda d: (d.published, d.path))
    undated = tuple(sorted((d for d in _undated(store)), key=lambda d: d.path))
    if include_undated:
        docs = docs + list(undated)  # no chunks are read for them: each sentence cites its own span
    pool = sentence_pool(docs, chunks)
    stories = find_stories(pool, docs)
    qualities = assess_sources(docs, fluency) if fluency else None
    flagged = {i: q.reason for i, q in (qualities or {}).items() if q.flagged}
    pool = prefer_sources(pool, stories, set(flagged))
    salience = Salience(pool, demote=set(flagged))
    if topics:  # the memo is about the topics: everything else comes from the passages found for them
        themes = topic_themes(session, topics, pool, salience, window)
        keep = {(s.doc.id, s.start) for t in themes for s in t.members}
        pool = [s for s in pool if (s.doc.id, s.start) in keep]
    # only the most salient sentences are embedded: enough for five themes and a summary, and it stays quick
    top = sorted(pool, key=lambda s: -salience(s))[:MAX_CLUSTERED]
    vectors = session.embedder().embed([s.plain for s in top]) if top else None
    headline = ""
    if not topics:
        # a theme per story of several articles; a window of one story is split by meaning into 2 to 5
        themes = story_themes(pool, stories, salience)
        if len(themes) >= 2:  # a week of several stories is titled by its two biggest
            headline = "; ".join(t.label for t in themes[:2])
        else:
            themes = derive_themes(top, salience, vectors, min(MAX_THEMES, max(2, len(docs))))
    meaning = {id(s): vectors[i] for i, s in enumerate(top)}
    plans = plan_sections(themes, pool, salience, window, meaning)
    register = Register(verifier)
    sections, usage = write_sections(plans, register, llm, max_context, window)
    events = _events(timeline.pick_events(pool, window, salience, stories=stories, flagged=set(flagged)), register)
    conflicts = _disagreements(disagree.find(pool, salience, stories=stories), register)
    if title is None:
        title = "Weekly briefing: " + (", ".join(topics) if topics else headline or headline_phrase(pool))
    return Memo(title=title, window=window, sections=tuple(sections), timeline=tuple(events),
                disagreements=tuple(conflicts), citations=tuple(register.citations), documents=tuple(docs),
                undated=undated, warnings=tuple(register.warnings), llm=getattr(llm, "name", None) or "extractive",
                topics=tuple(topics), usage=usage, undated_included=include_undated,
                copies={o: tuple(c) for o, c in stories.copies.items()}, flagged=flagged,
                sources_checked=checked_note(fluency, qualities))


def _undated(store) -> list[Document]:
    ids = store.undated_ids()
    return list(store.documents(ids).values()) if ids else []


def _events(found, register: Register) -> list[Event]:
    """Timeline entries: the clause around each date, cited to its sentence, and to the other articles'
    sentences that date the same event."""
    from briefing.memo.timeline import excerpt
    from briefing.written_dates import resolve

    out = []
    for s, ref, also in found:
        several = len(resolve(s.plain, s.doc.published)) > 1
        text = excerpt(s.plain, ref.start, ref.end, grow=not several)
        quote, cited = register.verify_quote(text, s.hit(), "Timeline")
        if not cited:
            continue
        for other in also:
            _, more = register.verify_quote(other.plain, other.hit(), "Timeline")
            cited += tuple(n for n in more if n not in cited)
        out.append(Event(ref.first, ref.last, quote, cited, ref.phrase, s.doc.published, ref.approximate,
                         ref.relative))
    return out


def _disagreements(found, register: Register) -> list[Disagreement]:
    """Each side of each disagreement, cited to its sentence."""
    from briefing.config import display_path
    from briefing.memo.timeline import excerpt

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
