"""Renderings of search hits and cited answers: JSON records, terminal text and Markdown (shared by the CLI and
any other shell)."""

from __future__ import annotations

import json
import re
import textwrap
from typing import Sequence

from briefing.config import display_path
from briefing.types import Hit


def hit_json(rank: int, hit: Hit) -> dict:
    d, s = hit.doc, hit.chunk.span
    return {"rank": rank, "score": round(hit.score, 6), "path": display_path(d.path), "title": d.title,
            "published": d.published.isoformat() if d.published else None, "source": d.source, "url": d.url,
            "line_start": s.line_start, "line_end": s.line_end, "char_start": s.char_start, "char_end": s.char_end,
            "text": hit.chunk.text}


def hits_json(question: str, hits: Sequence[Hit]) -> str:
    return json.dumps({"question": question, "hits": [hit_json(i, h) for i, h in enumerate(hits, 1)]},
                      ensure_ascii=False)


def locator(hit: Hit) -> str:
    """``path:L5`` or ``path:L5-L9``."""
    return f"{display_path(hit.doc.path)}:{_lines(hit.chunk.span)}"


def describe(hit: Hit) -> str:
    """``Title (outlet, 2025-11-26)`` with whatever is known."""
    d = hit.doc
    extra = ", ".join(x for x in (d.source, d.published.isoformat() if d.published else "undated") if x)
    return f"{d.title} ({extra})"


def hits_text(question: str, hits: Sequence[Hit], many: bool = False) -> str:
    out = [f"# {question}"] if many else []
    if not hits:
        out.append("no passages found")
    for i, h in enumerate(hits, 1):
        text = " ".join(h.chunk.text.split())
        out.append(f"[{i}] {locator(h)} — {describe(h)}  score {h.score:.4f}")
        out.append(f"    {text[:400]}{'…' if len(text) > 400 else ''}")
    return "\n".join(out)


def citation_json(c) -> dict:
    d, s = c.hit.doc, c.quote_span
    return {"n": c.n, "path": display_path(d.path), "title": d.title,
            "published": d.published.isoformat() if d.published else None, "source": d.source, "url": d.url,
            "line_start": s.line_start, "line_end": s.line_end, "char_start": s.char_start, "char_end": s.char_end,
            "quote": c.quote, "supported": c.supported}


def answer_json(a) -> str:
    return json.dumps({
        "question": a.question, "answer": a.text, "insufficient_evidence": a.insufficient_evidence,
        "citations": [citation_json(c) for c in a.citations], "warnings": list(a.warnings), "llm": a.llm,
        "usage": a.usage, "passages": [hit_json(i, h) for i, h in enumerate(a.passages, 1)]},
        ensure_ascii=False, indent=2)


# A "[" that is not one of our citation markers "[n]" / "[n?]" (and not "[n](url)", a link dressed as one).
_NOT_MARKER = re.compile(r"\[(?!\d+\??\](?!\())")


def md(text: str) -> str:
    """Article (or model) text for Markdown: a ``<`` must not open raw HTML (``<script>``) nor a ``[`` a link in
    whatever renders the Markdown; citation markers stay. The JSON output keeps the exact text."""
    return _NOT_MARKER.sub(r"\\[", str(text).replace("<", "\\<"))


# Characters that would end a Markdown line (or hide in one): line breaks, other control characters, the Unicode
# line and paragraph separators.
_BREAKS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def md_line(text: str) -> str:
    """:func:`md` for a field that must stay on one line (a file name, a title, an outlet): a newline in it (a file
    named ``x\\n- [9] fake source.txt``) is shown as ``\\n`` instead of starting a line of its own."""
    return md(_BREAKS.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), str(text)))


def source_line(c) -> str:
    """One source of an answer: ``[1] path:L5 — Title (outlet, 2025-11-26) — "quote"``. An article of a JSONL
    dump is cited by its title, outlet, date and url, not by its file's line (one line can hold ten articles); a
    source without a date says "(undated)", as ``search`` does; an unsupported citation ends "(unverified)". The
    quote is shown on one line, cut at 300 characters; ``Citation.quote`` stays exact."""
    doc = c.hit.doc
    where = describe(c.hit)
    if doc.kind == "jsonl" and doc.url:
        where += f" — {doc.url}"
    else:
        where = f"{locator(c.hit).rsplit(':', 1)[0]}:{_lines(c.quote_span)} — {where}"
    quote = textwrap.shorten(" ".join(c.quote.split()), 300, placeholder="…")
    return f'[{c.n}] {where} — "{quote}"' + ("" if c.supported else " (unverified)")


def _lines(span) -> str:
    return f"L{span.line_start}" if span.line_start == span.line_end else f"L{span.line_start}-L{span.line_end}"


def answer_markdown(a) -> str:
    """The answer, its sources with exact quotes, and every warning; says when no LLM was used."""
    from briefing.answer.extractive import NOTE

    out = [f"## {md(a.question)}", "", md(a.text.strip()), ""]
    if a.citations:
        out += ["### Sources", ""] + [f"- {md_line(source_line(c))}" for c in a.citations] + [""]
    if a.warnings:
        out += ["### Warnings", ""] + [f"- {md_line(w)}" for w in a.warnings] + [""]
    if a.llm == "extractive" and not a.insufficient_evidence:
        out += [f"*{NOTE}*", ""]
    elif a.usage:
        used = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in a.usage.items() if isinstance(v, int))
        out += [f"*Written by {a.llm}; {used}.*", ""]
    return "\n".join(out)
