"""Article metadata from fields and header lines: titles, dates, authors, outlets."""

from __future__ import annotations

import logging
import re
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from briefing.ingest.boilerplate import is_boilerplate
from briefing.ingest.dates import _line_date, parse_date
from briefing.ingest.article import HEADER_LINES, TITLE_MAX, _lines
from briefing.text import sentences


def _field(mapping: dict, *keys: str):
    """The first present, non-empty value among ``keys``."""
    for key in keys:
        value = mapping.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def _field_str(mapping: dict, *keys: str) -> str | None:
    value = _field(mapping, *keys)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        return " ".join(str(value).split()) or None
    return None


def _to_date(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        return parse_date(value)
    return None


def _authors(value) -> tuple[str, ...]:
    """Author names from a list (of names or ``{"name": ...}``) or a ``;``-separated string, de-duplicated."""
    if isinstance(value, str):
        items = value.split(";")
    elif isinstance(value, (list, tuple)):
        items = [v.get("name") if isinstance(v, dict) else v for v in value]
    else:
        return ()
    out: list[str] = []
    for item in items:
        if isinstance(item, str):
            name = " ".join(item.split())
            if name and name not in out:
                out.append(name)
    return tuple(out)


def _domain(url: str | None) -> str | None:
    """The host of ``url`` without ``www.`` ("https://www.example.com/x" -> "example.com"); None if it has none."""
    if not url:
        return None
    try:
        host = urlsplit(url if "//" in url else "//" + url).hostname
    except ValueError:
        return None
    if not host or "." not in host:
        return None
    return host[4:] if host.startswith("www.") else host


# A line that is only a domain ("global.espreso.tv") or only a URL.
_DOMAIN_LINE = re.compile(r"(?:www\.)?(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+[a-z]{2,}/?", re.I)
_URL_LINE = re.compile(r"https?://\S+", re.I)


def _header(text: str, start: int) -> dict:
    """Title, date line, source and url guessed from the first non-empty lines of ``text[start:]``."""
    out: dict = {"title": None, "published": None, "source": None, "url": None}
    for n, line in enumerate(_lines(text, start)):
        if n >= HEADER_LINES and out["title"]:
            break
        found = _line_date(line) if n < HEADER_LINES else None
        if found:
            when, rest = found
            out["published"] = out["published"] or when
            # " date 2025-11-26 European leaders are ..." - the text after the date is the start of the article.
            if out["title"] is None and len(rest.split()) >= 4 and _meaningful(rest):
                out["title"] = _clean_title(rest)
            continue
        if _URL_LINE.fullmatch(line):
            if n < HEADER_LINES:
                out["url"] = out["url"] or line
                out["source"] = out["source"] or _domain(line)
            continue
        if _DOMAIN_LINE.fullmatch(line):
            if n < HEADER_LINES:
                out["source"] = out["source"] or _domain(line)
            continue
        if out["title"] is None and _meaningful(line):
            out["title"] = _clean_title(line)
    return out


def _meaningful(line: str) -> bool:
    return not is_boilerplate(line) and any(c.isalpha() for c in line)


def _clean_title(title: str) -> str:
    """One line, no markdown heading marks, at most ~200 characters (first sentence, else cut at a word)."""
    title = " ".join(str(title).split()).lstrip("#").strip()
    if len(title) <= TITLE_MAX:
        return title
    spans = sentences(title)
    if spans and spans[0][1] - spans[0][0] <= TITLE_MAX:
        return title[spans[0][0] : spans[0][1]]
    cut = title.rfind(" ", 0, TITLE_MAX)
    return title[: cut if cut > TITLE_MAX // 2 else TITLE_MAX].rstrip(" ,;:-") + "…"


def _fallback_title(display_path: str) -> str:
    return Path(display_path).stem or display_path


@contextmanager
def _quiet(*loggers: str):
    """Silence library warnings ("Ignoring wrong pointing object") during one call: the Skipped reason says enough."""
    saved = [(logging.getLogger(name), logging.getLogger(name).level) for name in loggers]
    for logger, _ in saved:
        logger.setLevel(logging.CRITICAL)
    try:
        yield
    finally:
        for logger, level in saved:
            logger.setLevel(level)
