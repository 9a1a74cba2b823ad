"""Human and JSON renderings of index reports, search hits and status, plus the progress bar."""

from __future__ import annotations

import contextlib
import json
import re
import sys
from typing import Iterator, Sequence

from .config import display_path
from .types import Hit


@contextlib.contextmanager
def progress_bar(enabled: bool = True) -> Iterator:
    """A progress callback ``(stage, done, total)`` drawing a bar on stderr, or a no-op when not a TTY / quiet."""
    if not enabled or not sys.stderr.isatty():
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    labels = {"files": "reading files", "chunks": "embedding passages"}
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                  console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, int] = {}

        def update(stage: str, done: int, total: int) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(labels.get(stage, stage), total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def index_summary(report, as_json: bool = False) -> str:
    """The end-of-run summary: what was indexed, duplicates, and every skipped file with its reason."""
    if as_json:
        return json.dumps({
            "files_seen": report.files_seen, "files_changed": report.files_changed,
            "files_removed": report.files_removed, "documents_added": report.documents_added,
            "chunks_added": report.chunks_added, "embedded": report.embedded,
            "duplicates": [{"path": display_path(a), "duplicate_of": display_path(b)} for a, b in report.duplicates],
            "skipped": [{"path": display_path(s.path), "reason": s.reason} for s in report.skipped],
            "counts": report.counts, "seconds": round(report.seconds, 3)})
    c = report.counts
    lines = [
        f"indexed {c.get('documents', 0)} documents ({c.get('undated', 0)} undated), {c.get('chunks', 0)} passages"
        f" — this run: {report.files_changed} new or changed files, {report.documents_added} new documents, "
        f"{report.chunks_added} passages embedded, {report.files_removed} files removed, {report.seconds:.1f}s"]
    if report.duplicates:
        lines.append(f"{len(report.duplicates)} duplicate(s) stored once:")
        lines += [f"  {display_path(a)} = {display_path(b)}" for a, b in report.duplicates[:20]]
        if len(report.duplicates) > 20:
            lines.append(f"  ... and {len(report.duplicates) - 20} more")
    if report.skipped:
        lines.append(f"{len(report.skipped)} skipped:")
        lines += [f"  {display_path(s.path)}: {s.reason}" for s in report.skipped]
    return "\n".join(lines)


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
    s = hit.chunk.span
    lines = f"L{s.line_start}" if s.line_start == s.line_end else f"L{s.line_start}-L{s.line_end}"
    return f"{display_path(hit.doc.path)}:{lines}"


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


def status_text(info: dict, checked: bool = False) -> str:
    c = info["counts"]
    lines = [
        f"documents  {c['documents']} ({c['undated']} undated) from {c['files']} files, {c['duplicates']} duplicates",
        f"passages   {c['chunks']}",
        f"model      {info['model']} (dim {info['dim']}{', int8 ONNX' if info.get('int8') else ''}"
        f"{', passages by ' + info['backend'] if info.get('backend') else ''})",
        f"chunking   {info['chunking'].get('max_tokens')} tokens, overlap {info['chunking'].get('overlap_tokens')}",
        f"size       {info['size_bytes'] / 1e6:.1f} MB",
        f"built      {info['built_at']}",
        f"skipped    {c['skipped']}",
    ]
    lines += [f"  {s['path']}: {s['reason']}" for s in info.get("skipped", [])]
    if checked:
        problems = info.get("problems", [])
        lines.append("check      ok" if not problems else f"check      {len(problems)} problem(s)")
        lines += [f"  {p}" for p in problems]
    return "\n".join(lines)


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


def answer_markdown(a) -> str:
    """The answer, its sources with exact quotes, and every warning; says when no LLM was used."""
    from .cite import format_sources
    from .extractive import NOTE

    out = [f"## {md(a.question)}", "", md(a.text.strip()), ""]
    if a.citations:
        out += ["### Sources", ""] + [f"- {md(line)}" for line in format_sources(a.citations).splitlines()] + [""]
    if a.warnings:
        out += ["### Warnings", ""] + [f"- {md(w)}" for w in a.warnings] + [""]
    if a.llm == "extractive" and not a.insufficient_evidence:
        out += [f"*{NOTE}*", ""]
    elif a.usage:
        used = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in a.usage.items() if isinstance(v, int))
        out += [f"*Written by {a.llm}; {used}.*", ""]
    return "\n".join(out)


def print_markdown(text: str) -> None:
    """Render Markdown with rich on a terminal."""
    from rich.console import Console
    from rich.markdown import Markdown

    Console().print(Markdown(text))
