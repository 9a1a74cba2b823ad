"""JSON and JSONL articles: one article per record, or a list of them (RealTimeQA dumps)."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator

from briefing.ingest.fields import _authors, _clean_title, _domain, _fallback_title, _field, _field_str, _header, _to_date
from briefing.ingest.article import _decoded, _make
from briefing.types import Document, Skipped


_TEXT_KEYS = ("text", "body", "content")
_DATE_KEYS = ("published", "publish_date", "date", "published_at", "publishedAt")
_SOURCE_KEYS = ("source", "sitename")
_LIST_KEYS = ("search_result", "articles")  # a record holding a list of articles (RealTimeQA dumps use search_result)
_MAX_BAD_LINES = 10  # report this many invalid lines one by one, then one summary entry


def _load_jsonl(data: bytes, display_path: str) -> tuple[list[Document], list[Skipped]]:
    text = _decoded(data, display_path)
    if isinstance(text, Skipped):
        return [], [text]
    return _json_documents(_jsonl_records(text), display_path)


def _jsonl_records(text: str) -> Iterator[tuple[int, object]]:
    """``(line, value)`` per non-blank line; ``(line, None)`` for a line that is not valid JSON."""
    # Split on "\n" only: str.splitlines would also split on U+2028 and friends, which JSON strings may contain.
    for n, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line, parse_int=_parse_int)
        except ValueError:
            yield n, None
            continue
        if value is None:  # a literal "null" line carries nothing; treat it like a record without text
            value = {}
        yield n, value


def _parse_int(digits: str) -> int | str:
    """A JSON integer; one too long for Python's int conversion (over 4300 digits, an id or a hash in a scraper's
    dump) stays the digit string, since no field briefing reads is such a number."""
    return int(digits) if len(digits) <= 4000 else digits


def _load_json(data: bytes, display_path: str) -> tuple[list[Document], list[Skipped]]:
    text = _decoded(data, display_path)
    if isinstance(text, Skipped):
        return [], [text]
    try:
        items = _json_items(text)
    except _NotOneValue:
        # Several values one after another: this ".json" file is really JSON Lines.
        return _json_documents(_jsonl_records(text), display_path)
    except json.JSONDecodeError as err:
        return [], [Skipped(display_path, f"invalid json on line {err.lineno}")]
    return _json_documents(items, display_path)


class _NotOneValue(Exception):
    """The text holds more than one top-level JSON value."""


def _json_items(text: str) -> list[tuple[int, object]]:
    """Top-level items of a JSON document with the line each starts on: the elements of an array, else the value.

    Parsing element by element (instead of ``json.loads`` once) costs the same and tells where each one starts.
    """
    decoder = json.JSONDecoder(parse_int=_parse_int)
    ws = re.compile(r"\s*")
    i = ws.match(text, 0).end()
    if not text.startswith("[", i):
        value, end = decoder.raw_decode(text, i)
        if ws.match(text, end).end() != len(text):
            raise _NotOneValue
        return [(text.count("\n", 0, i) + 1, value)]
    items: list[tuple[int, object]] = []
    line, counted = 1, 0
    i = ws.match(text, i + 1).end()
    if text.startswith("]", i):
        i += 1
    else:
        while True:
            line += text.count("\n", counted, i)
            counted = i
            value, i = decoder.raw_decode(text, i)
            items.append((line, value))
            i = ws.match(text, i).end()
            if text.startswith(",", i):
                i = ws.match(text, i + 1).end()
            elif text.startswith("]", i):
                i += 1
                break
            else:
                raise json.JSONDecodeError("Expecting ',' delimiter", text, i)
    if ws.match(text, i).end() != len(text):
        raise json.JSONDecodeError("Extra data", text, i)
    return items


def _json_documents(items: Iterable[tuple[int, object]], display_path: str) -> tuple[list[Document], list[Skipped]]:
    docs: list[Document] = []
    skipped: list[Skipped] = []
    bad_lines: list[int] = []
    record = 0  # running index over the file's records (articles), with or without text
    textless = 0
    for line, value in items:
        if value is None:
            bad_lines.append(line)
            continue
        for article in _articles(value):
            doc = _json_document(article, display_path, line, record)
            record += 1
            if doc is not None:
                docs.append(doc)
            elif article.get("title") or article.get("url"):
                textless += 1
    skipped += [Skipped(display_path, f"invalid json on line {n}") for n in bad_lines[:_MAX_BAD_LINES]]
    if len(bad_lines) > _MAX_BAD_LINES:
        skipped.append(Skipped(display_path, f"invalid json on {len(bad_lines) - _MAX_BAD_LINES} more lines"))
    if not docs and not bad_lines:
        # Name the count only for records that look like articles (a title or url), not for quiz or other records.
        reason = "no article text"
        if textless:
            reason += f" ({textless} article{'s' if textless > 1 else ''} without text)"
        skipped.append(Skipped(display_path, reason))
    return docs, skipped


def _articles(value: object) -> Iterator[dict]:
    """The article records inside one JSON value: a dump record's list, an array's objects, or the object itself."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                yield from _articles(item)
        return
    if not isinstance(value, dict):
        return
    for key in _LIST_KEYS:
        inner = value.get(key)
        if isinstance(inner, list):
            yield from (item for item in inner if isinstance(item, dict))
            return
    yield value


def _json_document(article: dict, display_path: str, line: int, record: int) -> Document | None:
    text = next((v for k in _TEXT_KEYS if isinstance(v := article.get(k), str) and v.strip()), None)
    if text is None:
        return None
    text = _valid_unicode(text)
    url = _field_str(article, "url", "link")
    title = _field_str(article, "title", "headline") or _header(text, 0)["title"]
    source = _field(article, *_SOURCE_KEYS)
    if isinstance(source, dict):  # NewsAPI style {"id": ..., "name": ...}
        source = source.get("name")
    return _make(
        text,
        display_path,
        _clean_title(title) if title else _fallback_title(display_path),
        "jsonl",
        published=_to_date(_field(article, *_DATE_KEYS)),
        source=(source.strip() if isinstance(source, str) and source.strip() else None) or _domain(url),
        url=url,
        authors=_authors(_field(article, "authors", "author")),
        verbatim=False,
        line=line,
        record=record,
    )


# json.loads accepts lone surrogates ("\ud800"), which cannot be encoded (hashing, SQLite). It pairs valid ones
# into one character, so any surrogate left in a decoded string is lone.
_SURROGATE = re.compile("[\ud800-\udfff]")


def _valid_unicode(text: str) -> str:
    return _SURROGATE.sub("\ufffd", text)
