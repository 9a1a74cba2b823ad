"""The data model on one screen: frozen dataclasses passed between the pipeline's plain functions."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True)
class Span:
    """A region of a document's text: ``text[char_start:char_end]``, on 1-based lines ``line_start..line_end``."""

    char_start: int
    char_end: int
    line_start: int
    line_end: int


@dataclass(frozen=True)
class Document:
    """One article.

    ``text`` is the article's text that every span points into. For ``.txt`` and ``.md`` it is the whole file
    decoded (newlines untouched, so ``\\r\\n`` stays), and ``verbatim`` is true: a span's text is found at the same
    offsets in the file. For html, pdf and json(l) it is the extracted article text (``verbatim`` false), stored
    in the index so quotes can still be checked. ``body_start`` is where the article body starts in ``text``
    (after front matter). ``line`` is set for json(l) articles: the article lives on that one line of the file, so
    every span of it reports that line.
    """

    id: str  # sha256 of text (hex); identical articles share it
    path: str
    title: str
    text: str
    published: date | None = None
    source: str | None = None
    url: str | None = None
    authors: tuple[str, ...] = ()
    kind: str = "txt"  # txt | md | html | pdf | jsonl
    verbatim: bool = True
    body_start: int = 0
    line: int | None = None  # json(l): the 1-based file line holding this article
    record: int | None = None  # index of the article inside a json(l) file


@dataclass(frozen=True)
class Skipped:
    """A file (or record) that could not be indexed, and why: empty, binary, unreadable, unsupported, too large..."""

    path: str
    reason: str


@dataclass(frozen=True)
class Chunk:
    """A passage of a document. Invariant (tested): ``doc.text[span.char_start:span.char_end] == text``."""

    doc_id: str
    ord: int
    text: str
    span: Span
    id: int | None = None  # assigned by the store; also the FAISS id


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its document and scores: fused ``score``, cosine ``dense`` and keyword ``keyword`` rank."""

    chunk: Chunk
    doc: Document
    score: float
    dense: float | None = None
    keyword: float | None = None


@dataclass(frozen=True)
class Citation:
    """A verified reference ``[n]``: the passage it points to and the exact supporting span of the document."""

    n: int
    hit: Hit
    quote: str
    quote_span: Span
    supported: bool = True


@dataclass(frozen=True)
class Answer:
    """The result of ``ask``: text with ``[n]`` markers that all resolve to ``citations``."""

    question: str
    text: str
    citations: tuple[Citation, ...]
    insufficient_evidence: bool
    warnings: tuple[str, ...]
    llm: str
    usage: dict = field(default_factory=dict)
    passages: tuple[Hit, ...] = ()
