"""The memo's timeline: which dated sentences become rows, merged per event, and the excerpt each row shows.
Dates are read by ``briefing.written_dates``."""

from __future__ import annotations

import re
from datetime import timedelta

from briefing.written_dates import resolve, written_years

_CLAUSE = re.compile(r"[,;:]\s+|\s+[-–—]\s+")


def excerpt(text: str, start: int, end: int, limit: int = 200, grow: bool = True) -> str:
    """The clauses of ``text`` around ``text[start:end]``, verbatim, within about ``limit`` characters; an
    ellipsis marks each cut. Short sentences come back whole, unless ``grow`` is false: then only the clause
    holding ``text[start:end]`` (for a sentence that dates several events)."""
    if len(text) <= limit and grow:
        return text
    cuts = [0] + [m.end() for m in _CLAUSE.finditer(text)] + [len(text)]
    lo = max(c for c in cuts if c <= start)
    hi = min((c for c in cuts if c >= end), default=len(text))
    while grow:
        grown = False
        before = [c for c in cuts if c < lo]
        if before and hi - before[-1] <= limit:
            lo, grown = before[-1], True
        after = [c for c in cuts if c > hi]
        if after and after[0] - lo <= limit:
            hi, grown = after[0], True
        if not grown:
            break
    piece = text[lo:hi].strip().rstrip(",;:-–—(").strip()
    return ("…" if lo > 0 else "") + piece + ("…" if hi < len(text) else "")


def pick_events(pool, window, salience, limit: int = 12, margin: int = 14, stories=None, flagged=frozenset()
                ) -> list:
    """``(sentence, DateRef, also)`` for the timeline, in date order: dates that resolve to a day or a span of
    at most a week within ``margin`` days of the window, the ``limit`` most salient overall, exact days ranking
    above spans. The same event told by several articles is one row: a sentence of another article of the same
    story (``stories``; without them, sharing three content words) dated the same is added to ``also`` (its
    citation joins the row's) instead of making a row of its own; at most two rows per date. A sentence of a
    low-quality source (``flagged`` doc ids) dates nothing that another source dates."""
    found = []
    years = written_years(pool)
    for s in pool:
        if s.doc.published is None:
            continue
        seen: set[tuple[date, date]] = set()
        for ref in resolve(s.plain, s.doc.published, years):
            if (ref.first, ref.last) in seen or (ref.last - ref.first).days > 6 or ref.named:
                continue
            if ref.last < window.since - timedelta(days=margin) or ref.first > window.until + timedelta(days=margin):
                continue
            seen.add((ref.first, ref.last))
            weight = 1.5 if ref.single else 1.0 if (ref.last - ref.first).days <= 2 else 0.6
            found.append((salience(s) * weight, s, ref))
    sound = {(r.first, r.last) for _, s, r in found if s.doc.id not in flagged}
    found = [(w, s, r) for w, s, r in found if s.doc.id not in flagged or (r.first, r.last) not in sound]
    found.sort(key=lambda x: -x[0])
    rows: list[list] = []  # [sentence, ref, [also...]]
    for _, s, ref in found:
        same = [r for r in rows if (r[1].first, r[1].last) == (ref.first, ref.last)]
        event = next((r for r in same if _same_event(s, r[0], stories)), None)
        if event is not None:
            if s.doc.id != event[0].doc.id and all(s.doc.id != o.doc.id for o in event[2]) and len(event[2]) < 3:
                event[2].append(s)
            continue
        if len(rows) >= limit or len(same) >= 2:
            continue
        if any(r[0] is not s and _near(s, r[0]) for r in rows) or sum(r[0] is s for r in rows) >= 3:
            continue
        rows.append([s, ref, []])
    rows.sort(key=lambda r: (r[1].first, r[1].last, r[0].doc.published, r[0].start))
    return [(r[0], r[1], tuple(r[2])) for r in rows]


def _same_event(a, b, stories) -> bool:
    """Two sentences dated alike tell one event: other articles of one story, or (across stories, or without
    them) sentences sharing at least three content words and a third of the shorter one's."""
    if a.doc.id == b.doc.id:
        return False
    if stories is not None and stories.same_story(a.doc.id, b.doc.id):
        return True
    shared = {k for k in a.keys & b.keys if not k.isdigit()}
    return len(shared) >= 3 and len(shared) >= min(len(a.keys), len(b.keys)) / 3


def _near(a, b) -> bool:
    return bool(a.keys and b.keys) and len(a.keys & b.keys) / min(len(a.keys), len(b.keys)) > 0.6
