"""HTML articles: the main text and metadata through trafilatura (never tag stripping)."""

from __future__ import annotations


from briefing.ingest.boilerplate import is_boilerplate
from briefing.ingest.dates import parse_date
from briefing.ingest.fields import _authors, _clean_title, _domain, _fallback_title, _header, _quiet
from briefing.ingest.article import _decoded, _make, _short
from briefing.types import Document, Skipped


def _load_html(data: bytes, display_path: str) -> tuple[list[Document], list[Skipped]]:
    import trafilatura

    html = _decoded(data, display_path)
    if isinstance(html, Skipped):
        return [], [html]
    try:
        with _quiet("trafilatura", "htmldate", "courlan", "justext"):
            # extensive_search off: htmldate otherwise turns a footer's "Copyright 2025" into 2025-01-01. Without
            # a date in the markup we fall back to a date line in the text, like the other formats.
            result = trafilatura.bare_extraction(
                html,
                with_metadata=True,
                include_comments=False,
                include_tables=True,
                date_extraction_params={"extensive_search": False, "original_date": True},
            )
    except Exception as err:  # noqa: BLE001 - lxml/trafilatura raise many types on hostile markup
        return [], [Skipped(display_path, f"no article text (extraction failed: {_short(err)})")]
    raw = (getattr(result, "text", None) or "") if result is not None else ""
    # The text is extracted anyway (not verbatim), so drop chrome lines trafilatura kept ("Share this article").
    text = "\n".join(line for line in raw.splitlines() if not is_boilerplate(line)).strip()
    if not text:
        return [], [Skipped(display_path, "no article text")]
    head = _header(text, 0)
    url = getattr(result, "url", None) or head["url"]
    title = getattr(result, "title", None) or head["title"]
    doc = _make(
        text,
        display_path,
        _clean_title(title) if title else _fallback_title(display_path),
        "html",
        published=parse_date(getattr(result, "date", None) or "") or head["published"],
        source=getattr(result, "sitename", None) or getattr(result, "hostname", None) or _domain(url) or head["source"],
        url=url,
        authors=_authors(getattr(result, "author", None)),
        verbatim=False,
    )
    return [doc], []
