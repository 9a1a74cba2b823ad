"""What the web app's pages and JSON show: citation addresses, the article view's pieces, recent weeks. Pure
functions over the pipeline's dataclasses (the app runs them inside one read snapshot)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date, timedelta
from urllib.parse import urlencode

from briefing.config import display_path
from briefing.errors import UsageError
from briefing.text import make_span
from briefing.types import Citation, Document, Span

DOC_ID = re.compile(r"[0-9a-f]{64}")
_HTTP = re.compile(r"https?://", re.IGNORECASE)
RECENT_WEEKS = 8


def article_href(doc_id: str, span: Span | None = None, n: int | None = None) -> str:
    """The article view of ``doc_id`` with ``span`` highlighted. Documents are addressed by their id (the sha256 of
    their text), so the offsets in a link always point into the text they were taken from."""
    query = {} if span is None else {"start": span.char_start, "end": span.char_end}
    if n is not None:
        query["n"] = n
    return f"/article/{doc_id}" + (f"?{urlencode(query)}#quote" if span is not None else "")


def citation_href(c: Citation) -> str:
    return article_href(c.hit.doc.id, c.quote_span, c.n)


def links(citations) -> dict[int, str]:
    """Citation number to its article view, for the memo's and the answer's ``[n]``."""
    return {c.n: citation_href(c) for c in citations}


def with_hrefs(record: dict, citations=(), passages=()) -> dict:
    """A CLI ``--json`` record with an ``href`` to the article view on each citation and passage."""
    by_n = links(citations)
    for c in record.get("citations", []):
        c["href"] = by_n.get(c["n"])
    for h, hit in zip(record.get("passages", record.get("hits", [])), passages):
        h["href"] = article_href(hit.doc.id, hit.chunk.span)
    return record


def answer_record(result) -> dict:
    from briefing.answer.render import answer_json

    return with_hrefs(json.loads(answer_json(result)), result.citations, result.passages)


def hits_record(question: str, hits) -> dict:
    from briefing.answer.render import hits_json

    return with_hrefs(json.loads(hits_json(question, hits)), passages=hits)


def web_link(url: str | None) -> str | None:
    """The url if it is http(s) (never ``javascript:`` or a local file), else None."""
    return url if url and _HTTP.match(url) else None


@dataclass(frozen=True)
class ArticleView:
    """An article's text cut around the highlighted span: ``before``, ``quote`` (inside ``<mark>``), ``after``."""

    doc: Document
    before: str
    quote: str
    after: str
    location: str  # path:L5 of the highlighted span, else the path
    url: str | None
    n: int | None


def article_view(doc: Document, start: int | None, end: int | None, n: int | None = None) -> ArticleView:
    """The article with ``doc.text[start:end]`` highlighted; the body from ``doc.body_start`` (after front matter)
    unless the span starts before it. Offsets outside the text are a :class:`UsageError`."""
    path = display_path(doc.path)
    if start is None and end is None:
        return ArticleView(doc, doc.text[doc.body_start:], "", "", path, web_link(doc.url), n)
    if start is None or end is None or not 0 <= start < end <= len(doc.text):
        raise UsageError(f"start and end must be offsets into the article's {len(doc.text)} characters, "
                         "start before end")
    span = make_span(doc, start, end)
    lines = f"L{span.line_start}" if span.line_start == span.line_end else f"L{span.line_start}-L{span.line_end}"
    top = min(doc.body_start, start)
    return ArticleView(doc, doc.text[top:start], doc.text[start:end], doc.text[end:], f"{path}:{lines}",
                       web_link(doc.url), n)


def iso_week(d: date) -> str:
    year, week, _ = d.isocalendar()
    return f"{year}-W{week:02d}"


def recent_weeks(store, limit: int = RECENT_WEEKS) -> list[dict]:
    """The newest ISO weeks that hold dated articles: ``{week, since, until, articles}``, newest first."""
    oldest, newest, _, _ = store.date_range()
    out: list[dict] = []
    if newest is None:
        return out
    monday = newest - timedelta(days=newest.weekday())
    for _ in range(limit * 26):  # a sparse archive: look back at most about half a year per week listed
        if monday + timedelta(days=6) < oldest or len(out) >= limit:
            break
        sunday = monday + timedelta(days=6)
        count = store.count_published(monday, sunday)
        if count:
            out.append({"week": iso_week(monday), "since": monday.isoformat(), "until": sunday.isoformat(),
                        "articles": count})
        monday -= timedelta(days=7)
    return out
