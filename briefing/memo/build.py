"""``build_memo``: the weekly memo put together from the window's articles."""

from __future__ import annotations

from typing import Sequence

from briefing import config

from briefing.memo.model import Disagreement, Event, Memo, Side, Window
from briefing.memo.pool import Salience, sentence_pool
from briefing.memo.register import Register
from briefing.memo.sections import plan_sections, write_sections
from briefing.memo.themes import MAX_THEMES, derive_themes, headline_phrase, topic_themes
from briefing.types import Document

MAX_CLUSTERED = 400


def build_memo(session, window: Window, *, topics: Sequence[str] = (), llm=None, max_context: int = config.DEFAULT_MAX_CONTEXT,
               title: str | None = None, verifier=None) -> Memo:
    """The memo for ``window`` from ``session``'s index. ``llm`` (an object with ``complete``) writes the prose
    sections one at a time from their own passages; without it the sections are the sources' own sentences.
    Timeline and disagreements are found by rules either way. Every citation is verified (see ``Register``), and
    ``verifier`` (``answer.verify.make_verifier``) adds a second opinion on the sections' text.

    The readable sentences of the window's dated articles (``pool``) are grouped into themes (``themes``), picked
    for the summary, who said what (``actors``) and what to watch, and written (``sections``); ``timeline`` dates
    events and ``disagree`` finds conflicting figures, dates and claims. Rendering: :mod:`briefing.memo.render`."""
    from briefing.memo import disagree
    from briefing.memo import timeline

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
    register = Register(verifier)
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
    ids = store.undated_ids()
    return list(store.documents(ids).values()) if ids else []


def _events(found, register: Register) -> list[Event]:
    """Timeline entries: the clause around each date, cited to its sentence."""
    from briefing.memo.timeline import excerpt, resolve

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
