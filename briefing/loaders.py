"""Find article files and turn each into ``Document``s (txt, md, html, pdf, json/jsonl), or say why it was skipped."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import logging
import os
import re
import stat
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path
from urllib.parse import urlsplit

from .errors import UsageError
from .text import sentences
from .types import Document, Skipped

SUPPORTED: frozenset[str] = frozenset({".txt", ".md", ".markdown", ".html", ".htm", ".pdf", ".jsonl", ".json"})

_KIND = {
    ".txt": "txt",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".pdf": "pdf",
    ".jsonl": "jsonl",
    ".json": "jsonl",
}
TITLE_MAX = 200
HEADER_LINES = 10  # how many non-empty lines at the top may hold a title, a date line or a source


# --------------------------------------------------------------------------------------------------------------
# Walking the input paths


def iter_files(paths: Iterable[Path]) -> Iterator[tuple[Path, Skipped | None]]:
    """Yield ``(path, None)`` for each supported file under ``paths`` and ``(path, Skipped)`` for the others.

    Folders are walked recursively in sorted order; symlinks are followed, but a directory (or file) already seen
    through another name is not visited again, so symlink loops terminate. Hidden entries found while walking are
    ignored. Raises ``UsageError`` if an explicitly given path does not exist.
    """
    paths = [Path(p) for p in paths]
    # Check every argument before yielding anything, so a typo in the last one fails before any work is done.
    for p in paths:
        if not p.exists():
            raise UsageError(f"no such file or folder: {p}")
    seen: set[tuple[int, int]] = set()
    for p in paths:
        if p.is_dir():
            yield from _walk(p, seen)
        else:
            yield from _file_entry(p, seen)


def _walk(folder: Path, seen: set[tuple[int, int]]) -> Iterator[tuple[Path, Skipped | None]]:
    try:
        st = folder.stat()
    except OSError as err:
        yield folder, Skipped(str(folder), f"unreadable: {_why(err)}")
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:  # a symlink back to a folder we are already in (or already walked)
        return
    seen.add(key)
    try:
        names = sorted(os.listdir(folder))
    except OSError as err:
        yield folder, Skipped(str(folder), f"unreadable: {_why(err)}")
        return
    for name in names:
        if name.startswith("."):
            continue
        child = folder / name
        if child.is_dir():
            yield from _walk(child, seen)
        elif not child.exists():
            yield child, Skipped(str(child), f"unreadable: {_dangling(child)}")
        else:
            yield from _file_entry(child, seen)


def _dangling(link: Path) -> str:
    """Why a name that exists does not resolve: a symlink pointing at itself (or round a cycle), or at nothing."""
    try:
        link.stat()
    except OSError as err:
        if err.errno == errno.ELOOP:
            return "symlink loop"
    return "broken symlink"


def _file_entry(path: Path, seen: set[tuple[int, int]]) -> Iterator[tuple[Path, Skipped | None]]:
    try:
        st = path.stat()
    except OSError as err:
        yield path, Skipped(str(path), f"unreadable: {_why(err)}")
        return
    key = (st.st_dev, st.st_ino)
    if key in seen:  # the same file reached through a symlink or a second argument
        return
    seen.add(key)
    if not stat.S_ISREG(st.st_mode):
        # Reading a FIFO or a device would block or never end.
        yield path, Skipped(str(path), "unreadable: not a regular file")
    elif path.suffix.lower() not in SUPPORTED:
        yield path, Skipped(str(path), _unsupported(path))
    else:
        yield path, None


def _unsupported(path: Path) -> str:
    suffix = path.suffix.lower()
    return f"unsupported file type {suffix}" if suffix else "unsupported file type (no extension)"


def _why(err: OSError) -> str:
    """A short lower-case reason for an OS error: 'permission denied', 'is a directory'..."""
    return (err.strerror or str(err) or type(err).__name__).lower()


# --------------------------------------------------------------------------------------------------------------
# Loading one file


def load_file(path: Path, display_path: str, *, max_bytes: int = 20_000_000) -> tuple[list[Document], list[Skipped]]:
    """Load the articles of one file; problems come back as ``Skipped`` entries, never as exceptions.

    ``display_path`` is stored as ``Document.path`` and ``Skipped.path``. A json(l) file may give many documents
    and skip some of its lines; every other kind gives at most one document.
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED:
        return [], [Skipped(display_path, _unsupported(path))]
    try:
        st = path.stat()
        if not stat.S_ISREG(st.st_mode):
            return [], [Skipped(display_path, "unreadable: not a regular file")]
        # Check the size before reading, so a huge file costs nothing.
        if st.st_size > max_bytes:
            return [], [Skipped(display_path, f"too large ({_mb(st.st_size)} MB > limit {_mb(max_bytes)} MB)")]
        data = path.read_bytes()
    except OSError as err:
        return [], [Skipped(display_path, f"unreadable: {_why(err)}")]
    if not data.strip():
        return [], [Skipped(display_path, "empty")]
    loader = {
        "txt": _load_txt,
        "md": _load_md,
        "html": _load_html,
        "pdf": _load_pdf,
        "jsonl": _load_json if suffix == ".json" else _load_jsonl,
    }[_KIND[suffix]]
    try:
        return loader(data, display_path)
    except Exception as err:  # noqa: BLE001 - last-resort guard: one odd file must not stop a whole index run
        return [], [Skipped(display_path, f"unreadable: {type(err).__name__}: {_short(err)}")]


def _mb(n: int) -> str:
    x = n / 1_000_000
    return f"{round(x, 1):g}" if x >= 0.1 else f"{x:.2g}"


def _short(err: BaseException, limit: int = 120) -> str:
    msg = " ".join(str(err).split()) or type(err).__name__
    return msg if len(msg) <= limit else msg[: limit - 1] + "…"


def _make(text: str, path: str, title: str, kind: str, **fields) -> Document:
    return Document(
        id=hashlib.sha256(text.encode("utf-8")).hexdigest(), path=path, title=title, text=text, kind=kind, **fields
    )


def _decoded(data: bytes, display_path: str) -> str | Skipped:
    text = decode(data)
    if text is None:
        return Skipped(display_path, "binary")
    if not text.strip():
        return Skipped(display_path, "empty")
    return text


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


_JUNK_PDF_TITLE = re.compile(r"^(?:untitled|microsoft \w+ - .*|.*\.(?:docx?|odt|rtf|pdf|txt|indd|tex))$", re.I)


def _load_pdf(data: bytes, display_path: str) -> tuple[list[Document], list[Skipped]]:
    from pypdf import PdfReader

    try:
        with _quiet("pypdf"):
            reader = PdfReader(io.BytesIO(data))
            if reader.is_encrypted:
                try:
                    unlocked = reader.decrypt("")  # many PDFs are "encrypted" with an empty password
                except Exception:  # noqa: BLE001 - missing crypto backend, unknown handler...
                    unlocked = 0
                if not unlocked:
                    return [], [Skipped(display_path, "corrupt pdf: encrypted (password required)")]
            pages = []
            for page in reader.pages:
                try:
                    pages.append(page.extract_text() or "")
                except Exception:  # noqa: BLE001 - one broken page should not lose the others
                    pages.append("")
            info = _pdf_info(reader)
    except Exception as err:  # noqa: BLE001 - pypdf raises many types on damaged files
        return [], [Skipped(display_path, f"corrupt pdf: {_short(err)}")]
    text = "\n\n".join(p.strip() for p in pages if p.strip())
    if not text:
        return [], [Skipped(display_path, "no article text")]
    head = _header(text, 0)
    meta_title = (info.get("title") or "").strip()
    if not meta_title or _JUNK_PDF_TITLE.match(meta_title) or is_boilerplate(meta_title):
        meta_title = ""
    title = meta_title or head["title"]
    doc = _make(
        text,
        display_path,
        _clean_title(title) if title else _fallback_title(display_path),
        "pdf",
        published=head["published"] or info.get("created"),
        source=head["source"],
        url=head["url"],
        authors=_authors(info.get("author")),
        verbatim=False,
    )
    return [doc], []


def _pdf_info(reader) -> dict:
    """Title, author and creation date from the PDF's info dictionary; whatever is unreadable is left out."""
    out: dict = {}
    try:
        meta = reader.metadata
    except Exception:  # noqa: BLE001
        return out
    if not meta:
        return out
    for key, attr in (("title", "title"), ("author", "author")):
        try:
            value = getattr(meta, attr)
        except Exception:  # noqa: BLE001
            value = None
        if isinstance(value, str) and value.strip():
            out[key] = value.strip()
    try:
        created = meta.creation_date  # pypdf parses "D:20251126..." and raises on malformed values
    except Exception:  # noqa: BLE001
        created = None
    if isinstance(created, datetime):
        out["created"] = created.date()
    return out


# JSON(L): which keys hold what, first match wins.
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
            value = json.loads(line)
        except ValueError:
            yield n, None
            continue
        if value is None:  # a literal "null" line carries nothing; treat it like a record without text
            value = {}
        yield n, value


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
    decoder = json.JSONDecoder()
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


# --------------------------------------------------------------------------------------------------------------
# Metadata helpers


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


def _lines(text: str, start: int) -> Iterator[str]:
    """Non-empty lines of ``text[start:]``, stripped."""
    for m in re.finditer(r"[^\r\n]+", text[start:]):
        line = m.group().strip()
        if line:
            yield line


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


# --------------------------------------------------------------------------------------------------------------
# Decoding


# Characters cp1252 gives for bytes that, in real text, mostly mean another code page (Polish ł -> ³, ą -> ¹,
# ż -> ¿ is left out as Spanish uses it; Turkish ş -> þ, ğ -> ð; Cyrillic р -> ð ...).
_CP1252_SUSPECT = frozenset("¹³¥¯Ÿ¾ÐðÝýÞþ¦¨¸")
# Languages written with letters cp1252 lacks: if the detector names one of these, do not assume cp1252.
_NON_WESTERN = frozenset(
    "Polish Czech Slovak Hungarian Romanian Croatian Slovene Bosnian Serbian Lithuanian Latvian Estonian".split()
)
_WESTERN_CODECS = frozenset({"cp1252", "latin_1", "iso8859_15"})
# Checked longest first: the UTF-32-LE BOM begins with the UTF-16-LE one.
_BOMS = (
    ("utf-32", b"\xff\xfe\x00\x00"),
    ("utf-32", b"\x00\x00\xfe\xff"),
    ("utf-16", b"\xff\xfe"),
    ("utf-16", b"\xfe\xff"),
)


def decode(data: bytes) -> str | None:
    """Bytes to text: UTF-8 (BOM stripped) first, else a detected encoding; None for binary data.

    Newlines are never translated. charset_normalizer alone is unreliable on short Western text (it answers
    cp1250, or even big5, for a latin-1 headline), so text that reads as plausible cp1252 (a superset of latin-1's
    printable range) is taken as cp1252 unless the detector recognises a Central European language; otherwise the
    detector's first candidate that is not a rejected Western reading wins.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    for encoding, bom in _BOMS:
        if data.startswith(bom):
            try:
                return _text_or_none(data.decode(encoding))  # the utf-16/32 codecs consume the BOM
            except UnicodeDecodeError:
                return None
    if b"\x00" in data:
        return None
    try:
        return _text_or_none(data.decode("utf-8"))
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    matches = list(from_bytes(data))
    western = _plausible_cp1252(data)
    if western is not None and not any(m.language in _NON_WESTERN for m in matches):
        return _text_or_none(western)
    for match in matches:
        if match.encoding in _WESTERN_CODECS:  # cp1252 was just judged implausible
            continue
        try:
            return _text_or_none(data.decode(match.encoding))
        except (UnicodeDecodeError, LookupError):
            continue
    return _text_or_none(western) if western is not None else None


def _plausible_cp1252(data: bytes) -> str | None:
    """``data`` read as cp1252 if it looks like Western text: no byte undefined in cp1252, none of the letters
    other code pages produce, and accented letters a minority (Cyrillic or Greek read as cp1252 is all accents)."""
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return None
    if _CP1252_SUSPECT.intersection(text):
        return None
    letters = [c for c in text[:100_000] if c.isalpha()]
    accented = sum(1 for c in letters if c > "\x7f")
    return text if accented <= 0.25 * len(letters) else None


# Control characters that do not occur in text files (tab, newlines, vertical tab and form feed do).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _text_or_none(text: str) -> str | None:
    """``text``, or None when more than 1% of its characters are control characters: binary data."""
    sample = text[:100_000]
    return None if len(_CONTROL.findall(sample)) > len(sample) / 100 else text


# --------------------------------------------------------------------------------------------------------------
# Dates

_MONTHS = {
    name: n
    for n, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_NAMES = "|".join(sorted(_MONTHS, key=len, reverse=True))  # longest first: "sept" before "sep"
_WEEKDAY = (
    r"(?:(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|wed|thu(?:rs?)?|fri|sat|sun)"
    r"\b\.?,?\s+)?"
)
_ORD = r"(?:st|nd|rd|th)?"
_DATE = (
    _WEEKDAY
    + r"(?:(?P<iy>\d{4})(?P<sep>[-/.])(?P<im>\d{1,2})(?P=sep)(?P<id>\d{1,2})"  # 2025-11-26, 2025/01/03
    + rf"|(?P<mon>{_MONTH_NAMES})\b\.?\s+(?P<md>\d{{1,2}}){_ORD},?\s+(?P<my>\d{{4}})"  # November 26, 2025
    + rf"|(?P<dd>\d{{1,2}}){_ORD}\s+(?P<dmon>{_MONTH_NAMES})\b\.?,?\s+(?P<dy>\d{{4}})"  # 26 Nov 2025
    + r")"
)
# An optional time after the date: "T10:00:00Z", " 11:52:00 +0200", ", 3:15 p.m. EST", "/00:09".
_TIME = (
    r"(?:(?:T|[\s,/]+(?:at\s+)?)\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
    r"(?:\s*[ap]\.?m\.?)?(?:\s*(?:Z|[+-]\d{2}:?\d{2}|(?-i:[A-Z]{2,5})\b))?)?"
)
_DATE_RE = re.compile(_DATE + _TIME + r"(?![\d:])", re.I)
# Words that introduce a date line: "Published: ...", "date 2025-11-26 ...", "Updated on ...".
_LABEL = re.compile(
    r"(?:(?:first\s+|last\s+)?(?:published|posted|updated|modified|dated|date|pubdate)"
    r"(?:\s+(?:on|at))?\s*[:|\-–—]?\s*)?",
    re.I,
)
# A short byline-like line may carry its date after a separator: "By Jane Doe | Nov 26, 2025".
_SEPARATOR = re.compile(r"\s[|·•—–]\s*")
_SHORT_LINE = 100


def parse_date(value: str) -> date | None:
    """A calendar date from a whole string such as "2025-11-26", "Nov 26, 2025", "26 November 2025",
    "Thu, 27 Nov 2025 11:52:00 +0200" or "2025-11-26T10:00:00Z"; None if the string is not just a date.

    The date is the one written (no time-zone conversion): the day the article says it was published.
    """
    if not isinstance(value, str):
        return None
    value = value.strip()
    m = _DATE_RE.match(value)
    if m and m.end() == len(value):
        return _match_date(m)
    try:  # other ISO 8601 shapes, e.g. the compact "20251126"
        parsed = datetime.fromisoformat(value).date() if len(value) >= 8 else None
    except ValueError:
        return None
    return parsed if parsed and 1900 <= parsed.year <= 2100 else None


def _match_date(m: re.Match) -> date | None:
    g = m.groupdict()
    if g["iy"]:
        y, mo, d = int(g["iy"]), int(g["im"]), int(g["id"])
    elif g["my"]:
        y, mo, d = int(g["my"]), _MONTHS[g["mon"].lower()], int(g["md"])
    else:
        y, mo, d = int(g["dy"]), _MONTHS[g["dmon"].lower()], int(g["dd"])
    if not 1900 <= y <= 2100:
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def _line_date(line: str) -> tuple[date, str] | None:
    """``(date, text after it)`` if ``line`` is a date line: it starts with a date, maybe after a label like
    "Published:", or it is short and has the date after a separator. Else None."""
    line = line.strip()
    label = _LABEL.match(line)
    m = _DATE_RE.match(line, label.end())
    if m is None and len(line) <= _SHORT_LINE:
        for sep in _SEPARATOR.finditer(line):
            m = _DATE_RE.match(line, _LABEL.match(line, sep.end()).end())
            if m:
                break
    if m is None:
        return None
    when = _match_date(m)
    if when is None:
        return None
    rest = line[m.end() :].strip(" \t|·•—–-:,;")
    return when, rest


def find_date_line(text: str, start: int = 0) -> date | None:
    """The date of a date line among the first non-empty lines of ``text[start:]`` ("Published: November 26,
    2025 | ...", "Thu, 27 Nov 2025 11:52:00 +0200", " date 2025-11-26 European leaders ..."), else None.

    Only lines that begin with a date (after an optional label) count, or short byline-like lines with the date
    after a separator: a date mentioned inside a sentence is not a publication date.
    """
    for n, line in enumerate(_lines(text, start)):
        if n >= HEADER_LINES:
            break
        found = _line_date(line)
        if found:
            return found[0]
    return None


# --------------------------------------------------------------------------------------------------------------
# Boilerplate

# Whole lines (compared lower-cased, without trailing punctuation) that are page chrome, never article text.
_CHROME = frozenset(
    " ".join(item.split())
    for item in """
    by | in | on | and | search | search the website | search this site | search for | popular categories |
    categories | category | tags | share | share this | share this article | share this story | share this post |
    share article | tweet | pin | email | print | advertisement | advertisements | advertising | ad | sponsored |
    sponsored content | paid content | subscribe | subscribe now | subscribe today | sign up | sign in | log in |
    login | register | my account | read more | read next | read also | continue reading | see more | show more |
    load more | view more | more | skip to content | skip to main content | skip to navigation | menu | main menu |
    open menu | close menu | toggle navigation | navigation | home | close | back to top | top | related |
    related articles | related posts | related stories | related news | recommended | recommended for you |
    you may also like | you might also like | more stories | more from this author | most popular | most read |
    trending | trending now | latest news | leave a comment | leave a reply | comments | comment | no comments |
    view comments | show comments | previous article | next article | previous post | next post | previous | next |
    newsletter | follow us | privacy policy | terms of use | terms of service | terms and conditions |
    cookie policy | cookie settings | cookie preferences | cookie notice | accept cookies | accept all cookies |
    reject all | manage cookies | manage consent | manage preferences | all rights reserved | contact us |
    about us | facebook | twitter | linkedin | whatsapp | telegram | instagram | youtube | reddit | x | copy link |
    link copied | listen to this article | image | photo | video | loading | please wait
    """.split("|")
)
_SOCIAL = (
    r"(?:facebook|twitter|x|linkedin|whatsapp|telegram|instagram|youtube|reddit|pinterest|email|e-mail|print"
    r"|copy link)"
)
# Short lines with a recognisable chrome shape.
_CHROME_PATTERNS = [
    re.compile(r"share (?:this|on|via|to)\b.*"),
    re.compile(rf"(?:{_SOCIAL}[\s,|/·•]*){{2,}}"),  # "Facebook Twitter LinkedIn Email"
    re.compile(r"(?:follow us|find us|like us) on\b.*"),
    re.compile(r"(?:©|\(c\) ?\d{4}|copyright\s*(?:©|\(c\))?\s*\d{4}).{0,80}"),  # "Copyright lawsuits ..." is news
    re.compile(r"click here\b.{0,80}"),
    re.compile(r"sign up for (?:our|the|free)\b.*newsletter.*"),
    re.compile(r"(?:subscribe|sign up|register) (?:to|for) (?:our|the) (?:newsletter|channel|updates).*"),
    re.compile(r"advertisement\s*[-–—:|].{0,40}"),  # "Advertisement - scroll to continue"
    re.compile(r"(?:reading time\s*:?\s*\d+|\d+\s*min(?:ute)?s? read)\b.{0,15}"),
]
# Cookie / consent banners: recognised by how they begin, so an article sentence about cookies is not caught.
_COOKIE = re.compile(
    r"(?:we use cookies|we and our partners use|this (?:web)?site uses cookies|our (?:web)?site uses cookies|"
    r"by (?:continuing|using)\b.{0,40}\b(?:site|website)\b.{0,40}\bcookies)"
)


def is_boilerplate(line: str) -> bool:
    """True for page chrome that must not become a passage.

    Conservative by design: blank lines and lines of only punctuation/separators; a fixed list of whole-line
    navigation/sharing/subscription labels (a lone "by" or "in", "Search the website", "Popular Categories",
    "Advertisement", "Read more", "Skip to content"...); short lines shaped like sharing bars, copyright notices or
    "click here" prompts; and cookie/consent banners (matched by their opening words). A real sentence is not
    matched: the label list has no sentences, and the patterns apply only to short lines.
    """
    s = " ".join(line.split())
    if not any(c.isalnum() for c in s):
        return True
    key = s.lower().strip(" .:;,!?»«›‹>|•·-–—…*_#\"'()[]")
    if key in _CHROME:
        return True
    if _COOKIE.match(key) and len(s) <= 400:
        return True
    if len(s) > 100:
        return False
    return any(p.fullmatch(key) for p in _CHROME_PATTERNS)
