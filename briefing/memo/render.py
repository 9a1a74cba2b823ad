"""The weekly memo rendered as Markdown, self-contained HTML or JSON, or through the user's own template.

Templates (``briefing/templates/memo.md.j2``, ``memo.html.j2``, or ``--template FILE``) are Jinja2, rendered in
its sandbox (``jinja2.sandbox.SandboxedEnvironment``: a template reads the context, it cannot reach Python's
internals, ``{{ cycler.__init__.__globals__ }}`` is refused), with StrictUndefined, autoescaped when the template's name contains ``.htm`` or the format is html. Article text only
ever arrives as variable values, so it is never compiled as a template. The context:

- ``title``, ``since``, ``until`` (ISO dates), ``window_how`` (how the window was chosen), ``llm``, ``extractive``
  (bool), ``note`` (how the memo was written), ``topics`` (list of str), ``memo`` (the ``memo.Memo`` itself).
- ``sections``: list of ``{key, heading, body}``; ``body`` is Markdown with ``### label`` sub-headings, ``- ``
  bullets and ``[n]`` markers; ``section`` maps key (summary, developments, actors, watch) to the same dicts.
- ``timeline``: list of ``{id, date, first, last, event, citations, phrase, published, relative, approximate}``
  (``date`` for display like ``2025-11-22 – 23``; ``citations`` are numbers).
- ``disagreements``: list of ``{subject, kind, sides: [{value, text, citations, path}]}``.
- ``citations``: list of ``{n, path, title, published, source, url, line_start, line_end, char_start, char_end,
  quote, supported, lines, href}`` (``lines`` like ``L5`` or ``L5-L7``; ``href``: where ``[n]`` links when the
  caller gave one, e.g. ``briefing serve``'s article view, else None).
- ``documents`` (articles used) and ``undated`` (articles without a date): lists of ``{path, title,
  short_title, source, published, url, link, cited, undated, copy_of, flag}`` (``link``: the url if it is http(s),
  else None; ``cited``: how many citations quote it; ``copy_of``: the original a syndicated copy was counted with;
  ``flag``: why its text is of low quality, or "") and ``{path, title, short_title, hint}``.
  ``undated_included``: whether the undated articles are used (``--include-undated``); ``copies``: how many
  syndicated copies were counted with their original.
- each citation also has ``undated`` (its article has no date), ``also_in`` (the syndicated copies that carry the
  same text, as "path (outlet)") and ``flag`` (as for documents).
- ``warnings``: list of str. ``chart``: the SVG timeline's geometry (see :func:`chart`).

Filters: ``md`` (text made safe for Markdown: ``<`` escaped), ``md_line`` (the same on one line: a newline in a
file name shows as ``\\n``), ``cell`` (also ``|`` and line breaks, for table cells), ``blocks`` (a section body as
escaped HTML, each ``[n]`` a link to ``#src-n``, or to ``links[n]`` when :func:`render` is given ``links``),
``cited`` (one line of text as escaped HTML with ``[n]`` links).
"""

from __future__ import annotations

import json
import re
from datetime import date, timedelta
from pathlib import Path

from briefing import config
from briefing.answer.render import md, md_line
from briefing.errors import UsageError

FORMATS = ("md", "html", "json")


# ---- the context ---------------------------------------------------------------------------------------------------
def context(memo, links: dict[int, str] | None = None) -> dict:
    """Everything a template can use (listed in the module docstring); ``links`` maps citation numbers to the
    address each ``[n]`` opens (default: its entry in the memo's own source list)."""
    from briefing.memo.model import EXTRACTIVE_NOTE
    from briefing.memo.window import dating_hint
    from briefing.answer.render import citation_json
    from briefing.written_dates import DateRef, describe

    cited_docs: dict[str, int] = {}
    citations = []
    by_id = {d.id: d for d in memo.documents}
    copy_of = {c: o for o, cs in memo.copies.items() for c in cs}

    def where(doc_id: str) -> str:
        d = by_id.get(doc_id)
        if d is None:
            return doc_id
        return f"“{short(d.title, 60)}” ({', '.join(x for x in (d.source, config.display_path(d.path)) if x)})"

    for c in memo.citations:
        entry = citation_json(c)
        entry["undated"] = c.hit.doc.published is None
        entry["also_in"] = [where(x) for x in memo.copies.get(c.hit.doc.id, ())]
        entry["flag"] = memo.flagged.get(c.hit.doc.id, "")
        s = c.quote_span
        entry["lines"] = f"L{s.line_start}" if s.line_start == s.line_end else f"L{s.line_start}-L{s.line_end}"
        entry["short_title"] = short(c.hit.doc.title)
        entry["href"] = (links or {}).get(c.n)
        citations.append(entry)
        cited_docs[c.hit.doc.id] = cited_docs.get(c.hit.doc.id, 0) + 1
    timeline = []
    for i, e in enumerate(memo.timeline, 1):
        ref = DateRef(0, 0, e.phrase, e.first, e.last, e.approximate, e.relative)
        timeline.append({"id": i, "date": describe(ref), "first": e.first.isoformat(), "last": e.last.isoformat(),
                         "event": e.text, "citations": list(e.citations), "phrase": e.phrase,
                         "published": e.published.isoformat(), "relative": e.relative,
                         "approximate": e.approximate, "weekday": e.first.strftime("%a") if e.first == e.last else ""})
    sections = [{"key": s.key, "heading": s.heading, "body": s.body} for s in memo.sections]
    if memo.llm == "extractive":
        note = EXTRACTIVE_NOTE
    else:
        used = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in memo.usage.items())
        note = (f"Written by {memo.llm}, one section at a time from that section's passages"
                f"{'; ' + used if used else ''}. Timeline and disagreements are found by rules.")
    return {
        "memo": memo,
        "title": memo.title,
        "since": memo.window.since.isoformat(),
        "until": memo.window.until.isoformat(),
        "window_how": memo.window.how,
        "llm": memo.llm,
        "extractive": memo.llm == "extractive",
        "note": note,
        "sources_checked": memo.sources_checked,
        "topics": list(memo.topics),
        "sections": sections,
        "section": {s["key"]: s for s in sections},
        "timeline": timeline,
        "disagreements": [{"subject": d.subject, "kind": d.kind, "note": d.note,
                           "sides": [{"value": s.value, "text": s.text, "citations": list(s.citations),
                                      "path": s.path} for s in d.sides]} for d in memo.disagreements],
        "citations": citations,
        "documents": [{"path": config.display_path(d.path), "title": d.title, "short_title": short(d.title),
                       "source": d.source,
                       "published": d.published.isoformat() if d.published else None, "url": d.url,
                       "link": d.url if re.match(r"https?://", d.url or "", re.IGNORECASE) else None,
                       "cited": cited_docs.get(d.id, 0), "undated": d.published is None,
                       "copy_of": where(copy_of[d.id]) if d.id in copy_of else None,
                       "flag": memo.flagged.get(d.id, "")} for d in memo.documents],
        "undated_included": memo.undated_included,
        "copies": len(copy_of),
        "undated": [{"path": config.display_path(d.path), "title": d.title, "short_title": short(d.title),
                     "hint": dating_hint(d)}
                    for d in memo.undated],
        "warnings": list(memo.warnings),
        "chart": chart(memo),
    }


def short(title: str | None, limit: int = 90) -> str:
    """A title on one line, cut at a word near ``limit`` characters (for lists; JSON keeps the whole title)."""
    flat = " ".join((title or "untitled").split())
    return flat if len(flat) <= limit else flat[:limit].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def memo_json(memo) -> dict:
    """The JSON document: title, window, sections, timeline, disagreements, citations (the fields of ``ask``),
    documents, undated, warnings, llm."""
    ctx = context(memo)
    return {
        "title": ctx["title"], "since": ctx["since"], "until": ctx["until"], "window": ctx["window_how"],
        "topics": ctx["topics"],
        "sections": [{"heading": s["heading"], "body": s["body"], "key": s["key"]} for s in ctx["sections"]],
        "timeline": [{"date": e["first"], "end": e["last"], "event": e["event"], "citations": e["citations"],
                      "phrase": e["phrase"], "published": e["published"], "relative": e["relative"],
                      "approximate": e["approximate"]} for e in ctx["timeline"]],
        "disagreements": ctx["disagreements"],
        # the fields of ``ask``; undated, also_in and flag only where they say something
        "citations": [{k: v for k, v in c.items() if k not in ("lines", "short_title", "href") and (k not in _OPTIONAL or v)}
                      for c in ctx["citations"]],
        "documents": [{k: v for k, v in d.items() if k not in ("short_title", "link") and (k not in _OPTIONAL or v)}
                      for d in ctx["documents"]],
        "undated_included": ctx["undated_included"],
        "undated": [{k: v for k, v in d.items() if k != "short_title"} for d in ctx["undated"]],
        "warnings": ctx["warnings"],
        "llm": ctx["llm"],
        "note": ctx["note"],
        "sources_checked": ctx["sources_checked"],
        "usage": memo.usage,
    }


_OPTIONAL = ("undated", "also_in", "flag", "copy_of")


# ---- the SVG timeline ----------------------------------------------------------------------------------------------
def chart(memo, width: int = 720) -> dict:
    """Geometry of the HTML timeline: one column per day from the window's start (or the earliest event) to its
    end (or the latest event), the window shaded, each event a numbered marker (a bar for a span of days) stacked
    in lanes so none overlap. All numbers are computed here; the template only draws them."""
    events = memo.timeline
    lo = min([memo.window.since] + [e.first for e in events])
    hi = max([memo.window.until] + [e.last for e in events])
    days = (hi - lo).days + 1
    pad, top, lane_h = 16, 12, 24
    col = (width - 2 * pad) / days

    def x(d: date) -> float:
        return round(pad + (d - lo).days * col, 1)

    lanes: list[list[tuple[date, date]]] = []
    marks = []
    for i, e in enumerate(events, 1):
        lane = next((n for n, taken in enumerate(lanes)
                     if all(e.last < a - timedelta(days=0) or e.first > b for a, b in taken)), None)
        if lane is None:
            lanes.append([])
            lane = len(lanes) - 1
        lanes[lane].append((e.first, e.last))
        y = top + lane * lane_h + lane_h / 2
        x0, x1 = x(e.first), x(e.last) + col
        marks.append({"id": i, "single": e.first == e.last, "cx": round((x0 + x1) / 2, 1), "cy": y,
                      "x": round(x0 + 2, 1), "w": round(max(x1 - x0 - 4, 6), 1), "y": y - 8, "h": 16,
                      "title": f"{e.first.isoformat()}{'' if e.first == e.last else ' – ' + e.last.isoformat()}: "
                               f"{e.text}"})
    axis = top + max(len(lanes), 1) * lane_h + 6
    ticks = []
    month = None
    for n in range(days):
        d = lo + timedelta(days=n)
        if days <= 21 or d.weekday() == 0:  # every day for a week or three, else Mondays
            label = f"{d.strftime('%b')} {d.day}" if d.month != month else str(d.day)
            month = d.month
            ticks.append({"x": round(x(d) + col / 2, 1), "label": label,
                          "weekday": d.strftime("%a")[:1 if col < 30 else 3] if days <= 21 else ""})
    return {"width": width, "height": axis + 34, "axis": axis, "pad": pad, "top": top,
            "band_x": x(memo.window.since), "band_w": round(x(memo.window.until) + col - x(memo.window.since), 1),
            "marks": marks, "ticks": ticks, "col": round(col, 1)}


# ---- filters -------------------------------------------------------------------------------------------------------
_CITE = re.compile(r"\[(\d+)(\?)?\]")
_BOLD = re.compile(r"\*\*(.+?)\*\*")




def cell(text: str) -> str:
    """Text for a Markdown table cell."""
    return md(" ".join(str(text).split())).replace("|", "\\|")


def _inline(text: str, links: dict[int, str] | None = None):
    from markupsafe import Markup, escape

    html = str(escape(text))
    html = _BOLD.sub(r"<strong>\1</strong>", html)
    html = _CITE.sub(lambda m: f'<a class="cite{" unverified" if m.group(2) else ""}" '
                               f'href="{escape((links or {}).get(int(m.group(1)), f"#src-{m.group(1)}"))}">'
                               f'[{m.group(1)}{m.group(2) or ""}]</a>', html)
    return Markup(html)


def cited(text: str, links: dict[int, str] | None = None):
    """One line of text as HTML: escaped, ``**bold**`` kept, each ``[n]`` a link to its source entry (or to
    ``links[n]``)."""
    return _inline(" ".join(str(text).split()), links)


def blocks(body: str, links: dict[int, str] | None = None):
    """A section body (Markdown subset: ``### `` headings, ``- `` bullets, paragraphs) as escaped HTML; each
    ``[n]`` links to ``links[n]`` when given, else to its source entry."""
    from markupsafe import Markup

    out: list[str] = []
    items: list[str] = []
    para: list[str] = []

    def flush() -> None:
        if items:
            out.append("<ul>" + "".join(f"<li>{_inline(i, links)}</li>" for i in items) + "</ul>")
            items.clear()
        if para:
            out.append(f"<p>{_inline(' '.join(para), links)}</p>")
            para.clear()

    for line in str(body).splitlines():
        stripped = line.strip()
        if not stripped:
            flush()
        elif stripped.startswith("#"):
            flush()
            out.append(f"<h3>{_inline(stripped.lstrip('#').strip(), links)}</h3>")
        elif re.match(r"[-*•]\s+", stripped):
            if para:
                flush()
            items.append(re.sub(r"^[-*•]\s+", "", stripped))
        else:
            if items:
                flush()
            para.append(stripped)
    flush()
    return Markup("\n".join(out))


# ---- rendering -----------------------------------------------------------------------------------------------------
def _environment(loader, html: bool, links: dict[int, str] | None = None):
    from functools import partial

    import jinja2
    from jinja2.sandbox import SandboxedEnvironment

    env = SandboxedEnvironment(loader=loader, autoescape=html, undefined=jinja2.StrictUndefined,
                               trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=True)
    env.filters.update(md=md, md_line=md_line, cell=cell, blocks=partial(blocks, links=links),
                       cited=partial(cited, links=links))
    return env


def render(memo, fmt: str = "md", template: str | Path | None = None, links: dict[int, str] | None = None) -> str:
    """The memo as ``md``, ``html`` or ``json``, or through ``template`` (a Jinja2 file) with the same context;
    ``links`` (citation number to address) sends each ``[n]`` elsewhere than the memo's source list."""
    import jinja2

    if fmt not in FORMATS:
        raise UsageError(f"unknown --format {fmt!r}; choose md, html or json")
    if template is None and fmt == "json":
        return json.dumps(memo_json(memo), ensure_ascii=False, indent=2) + "\n"
    if template is not None:
        path = Path(template)
        html = fmt == "html" or ".htm" in path.name.lower()
        env = _environment(jinja2.FileSystemLoader(str(path.parent.resolve())), html, links)
        name = path.name
    else:
        from importlib import resources

        html = fmt == "html"
        name = f"memo.{fmt}.j2"
        env = _environment(jinja2.FunctionLoader(
            lambda n: resources.files("briefing.templates").joinpath(n).read_text(encoding="utf-8")), html, links)
    try:
        return env.get_template(name).render(**context(memo, links))
    except UnicodeDecodeError as exc:
        raise UsageError(f"template {name} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    except jinja2.exceptions.SecurityError as exc:
        raise UsageError(f"template {name} was refused: {exc}; a template can only read the memo's variables"
                         ) from None
    except jinja2.TemplateSyntaxError as exc:
        raise UsageError(f"template {exc.filename or name}, line {exc.lineno}: {exc.message}") from None
    except jinja2.UndefinedError as exc:
        raise UsageError(f"template {name}: {exc.message}; the variables are: {', '.join(sorted(context(memo)))}"
                         ) from None
