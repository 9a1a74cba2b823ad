"""Chunking: exact spans into the original text, token limits of the real tokenizer, overlap, boilerplate breaks."""

from __future__ import annotations

import hashlib

import pytest

from briefing.chunking import ChunkSettings, chunk_document
from briefing.embedder import HFTokens, WhitespaceTokens, resolve_model
from briefing.types import Document

from conftest import ARTICLES


def _doc(text: str, body_start: int = 0, line=None) -> Document:
    return Document(hashlib.sha256(text.encode()).hexdigest(), "x.txt", "t", text, body_start=body_start, line=line)


def _no_chrome(line: str) -> bool:
    return line.strip().lower() in {"by", "in", "popular categories", "search the website"}


@pytest.fixture(scope="module")
def tokens():
    return HFTokens(resolve_model(None).path / "tokenizer.json")


SENT = "The coalition met on Tuesday in Paris, and Macron announced a working group with the UK. "
CASES = {
    "crlf": "Title line\r\n\r\n" + (SENT.strip() + "\r\n") * 40,
    "unicode": "Zelenskyy’s “coalition” — Kyiv, Ukraine 🇺🇦 and Élysée.\n" + ("Ça va très bien, merci. " * 120),
    "single_line": "Headline " + SENT * 80,
    "front_matter": "---\ntitle: A\ndate: 2025-11-26\n---\n" + (SENT + "\n") * 30,
    "boilerplate": "Search the website\nPopular Categories\nby\nin\n" + SENT * 10 + "\nin\n" + SENT * 10,
    "long_sentence": "word " * 1500,
    "empty_lines": "\n\n\n   \n",
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_span_invariant_and_token_limit(name, tokens):
    text = CASES[name]
    body = text.index("---\n", 4) + 4 if name == "front_matter" else 0
    doc = _doc(text, body_start=body)
    chunks = chunk_document(doc, tokens, ChunkSettings(), _no_chrome)
    if name == "empty_lines":
        assert chunks == []
        return
    assert chunks
    for c in chunks:
        s = c.span
        assert text[s.char_start : s.char_end] == c.text
        assert s.char_start >= body
        assert s.line_start == text.count("\n", 0, s.char_start) + 1
        assert s.line_end == s.line_start + text.count("\n", s.char_start, s.char_end - 1)
        assert tokens.count(c.text) <= 200  # under the model's 256 with room for the title
        assert c.text == c.text.strip()
    assert [c.ord for c in chunks] == list(range(len(chunks)))


def test_chunks_cover_the_body_with_overlap(tokens):
    text = (SENT * 60).strip()
    chunks = chunk_document(_doc(text), tokens, ChunkSettings(max_tokens=100, overlap_tokens=30), _no_chrome)
    assert len(chunks) > 3
    assert chunks[0].span.char_start == 0 and chunks[-1].span.char_end == len(text)
    for a, b in zip(chunks, chunks[1:]):
        assert b.span.char_start < a.span.char_end  # overlapping sentence(s)
        assert b.span.char_start > a.span.char_start  # always moving forward


def test_boilerplate_lines_never_inside_a_chunk(tokens):
    text = CASES["boilerplate"]
    for c in chunk_document(_doc(text), tokens, ChunkSettings(), _no_chrome):
        assert all(not _no_chrome(line) for line in c.text.splitlines())


def test_json_record_spans_report_the_record_line():
    doc = _doc("First para.\n\nSecond para on another line.", line=7)
    chunks = chunk_document(doc, WhitespaceTokens(), ChunkSettings(), _no_chrome)
    assert all((c.span.line_start, c.span.line_end) == (7, 7) for c in chunks)


def test_seed_articles_round_trip(tokens):
    for path in sorted(ARTICLES.glob("*.txt")):
        text = path.read_bytes().decode("utf-8")
        for c in chunk_document(_doc(text), tokens, ChunkSettings(), _no_chrome):
            assert text[c.span.char_start : c.span.char_end] == c.text
            assert tokens.count(c.text) <= 200
