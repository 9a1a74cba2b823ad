"""Plain text and Markdown articles: the whole file is the text; a header or YAML front matter gives the metadata."""

from __future__ import annotations

import re

from briefing.ingest.fields import _authors, _clean_title, _domain, _fallback_title, _field, _field_str, _header, _to_date
from briefing.ingest.article import _decoded, _make
from briefing.types import Document, Skipped


def _load_txt(data: bytes, display_path: str) -> tuple[list[Document], list[Skipped]]:
    text = _decoded(data, display_path)
    if isinstance(text, Skipped):
        return [], [text]
    head = _header(text, 0)
    title = head["title"] or _fallback_title(display_path)
    doc = _make(
        text,
        display_path,
        title,
        "txt",
        published=head["published"],
        source=head["source"],
        url=head["url"],
        verbatim=True,
        body_start=0,
    )
    return [doc], []


# Front matter: a '---' line at the very top, YAML, then a closing '---' (or '...') line.
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(?P<yaml>.*?)^(?:---|\.\.\.)[ \t]*\r?(?:\n|\Z)", re.S | re.M)
_MD_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*\r?$", re.M)


def _load_md(data: bytes, display_path: str) -> tuple[list[Document], list[Skipped]]:
    text = _decoded(data, display_path)
    if isinstance(text, Skipped):
        return [], [text]
    meta: dict = {}
    body_start = 0
    m = _FRONT_MATTER.match(text)
    if m:
        body_start = m.end()
        meta = _yaml_mapping(m.group("yaml"))
    head = _header(text, body_start)
    h1 = _MD_H1.search(text, body_start)
    title = _field_str(meta, "title") or (h1 and _clean_title(h1.group(1))) or head["title"]
    url = _field_str(meta, "url", "link") or head["url"]
    published = _to_date(_field(meta, "date", "published", "publish_date", "pubDate")) or head["published"]
    source = _field_str(meta, "source", "sitename", "site") or _domain(url) or head["source"]
    doc = _make(
        text,
        display_path,
        _clean_title(title) if title else _fallback_title(display_path),
        "md",
        published=published,
        source=source,
        url=url,
        authors=_authors(_field(meta, "authors", "author")),
        verbatim=True,
        body_start=body_start,
    )
    return [doc], []


def _yaml_mapping(block: str) -> dict:
    """The front matter as a dict; ``{}`` when it is not valid YAML or not a mapping (the block is still skipped)."""
    import yaml

    try:
        value = yaml.safe_load(block)
    except Exception:  # noqa: BLE001 - yaml raises several error types; bad metadata is not fatal
        return {}
    return value if isinstance(value, dict) else {}
