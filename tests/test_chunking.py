"""Chunking: exact spans into the original text, token limits of the real tokenizer, overlap, boilerplate breaks."""

from __future__ import annotations

import bisect
import dataclasses
import hashlib
import re

import pytest

from briefing.ingest.chunking import ChunkSettings, chunk_document
from briefing.embed.tokens import HFTokens, _windows
from briefing.testing import WhitespaceTokens
from briefing.embed.model import resolve_model
from briefing.text import make_span
from briefing.types import Document, Span

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
        assert tokens.count(c.text) <= ChunkSettings().max_tokens
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
            assert tokens.count(c.text) <= ChunkSettings().max_tokens


class _CountedText(str):
    """A document text that adds up how many characters its newline counts read."""

    scanned = 0

    def count(self, sub, start=None, end=None):
        if sub == "\n":
            lo, hi, _ = slice(start, end).indices(len(self))
            self.scanned += max(0, hi - lo)
        return super().count(sub, start, end)


def test_a_multi_megabyte_article_numbers_its_lines_in_one_pass():
    """5 MB (CRLF, unicode, one very long line): exact spans and lines, and the newline counting of all passages
    reads the text about once over, where counting from the top for each passage read it thousands of times."""
    para = ("Paragraph {i}: the minister said talks on item {i} would continue, Zelenskyy’s “coalition” agreed in "
            "Kyiv 🇺🇦.{crlf}\n")
    parts = ["A very long bulletin\n\n"]
    for i in range(45_000):
        parts.append(para.format(i=i, crlf="\r" if i % 3 == 0 else ""))
        if i == 20_000:
            parts.append(SENT * 2000 + "\n")  # one 180 KB line
    text = _CountedText("".join(parts))
    assert len(text) > 5_000_000
    chunks = chunk_document(_doc(text), WhitespaceTokens(), ChunkSettings(), _no_chrome)
    assert len(chunks) > 2_000
    assert text.scanned < 3 * len(text)
    starts = [0] + [m.end() for m in re.finditer("\n", text)]  # offset where each line starts
    for c in chunks:
        s = c.span
        assert text[s.char_start : s.char_end] == c.text
        assert s.line_start == bisect.bisect_right(starts, s.char_start)
        assert s.line_end == bisect.bisect_right(starts, max(s.char_start, s.char_end - 1))


def test_make_span_in_any_order_is_exact():
    """With or without a known earlier span to count from, in any order."""
    text = "".join(f"line {i}\r\n" if i % 2 else f"ligne {i} é\n" for i in range(300))
    doc = _doc(text)
    offsets = list(range(0, len(text), 7))
    for lo in offsets[::-1] + offsets[::3] + offsets[::-5] + [0, len(text), 5]:
        hi = min(len(text), lo + 40)
        expected = text.count("\n", 0, lo) + 1
        assert make_span(doc, lo, hi) == Span(lo, hi, expected, expected + text.count("\n", lo, max(lo, hi - 1)))
    other = _doc(text.replace("\r\n", "\n"))  # another document never takes the first one's place
    assert make_span(other, 100, 110).line_start == other.text.count("\n", 0, 100) + 1
    known = make_span(doc, 700, 740)
    for lo in offsets[::3]:  # counted from a known span when it starts before, from the top otherwise
        hi = min(len(text), lo + 40)
        expected = text.count("\n", 0, lo) + 1
        assert make_span(doc, lo, hi, after=known) == Span(lo, hi, expected,
                                                           expected + text.count("\n", lo, max(lo, hi - 1)))


class _SpyTokenizer:
    """Wraps a ``tokenizers.Tokenizer`` and records the longest text and the most characters given in one call."""

    def __init__(self, tok):
        self.tok, self.longest, self.most, self.calls = tok, 0, 0, 0

    def encode_batch(self, texts, **kw):
        self.calls += 1
        self.longest = max([self.longest, *map(len, texts)])
        self.most = max(self.most, sum(map(len, texts)))
        return self.tok.encode_batch(texts, **kw)


def test_the_tokenizer_gets_bounded_windows_with_the_offsets_of_one_call(tokens, monkeypatch):
    """A 300 KB sentence goes to the tokenizer in windows cut before a space; the offsets, chunks and spans are
    those of tokenizing it whole."""
    text = ("Zelenskyy’s “coalition” met in Kyiv, Ukraine 🇺🇦 and the Élysée; naïve café talks went on. "
            "A \u0301mark, 中文字 and ΣΑΣ. " + "word " * 1500) * 40
    whole = [tuple(o) for o in tokens._tok.encode(text, add_special_tokens=False).offsets]
    doc = _doc("Headline\n" + text)
    before = chunk_document(doc, tokens, ChunkSettings(), _no_chrome)

    spy = _SpyTokenizer(tokens._tok)
    monkeypatch.setattr(tokens, "_tok", spy)
    monkeypatch.setattr(tokens, "WINDOW_CHARS", 1000)
    monkeypatch.setattr(tokens, "BATCH_CHARS", 20_000)
    assert tokens.offsets(["", text, "short"])[1] == whole
    assert spy.longest <= 1000 and spy.most < 21_000 and spy.calls > len(text) // 21_000
    assert tokens.count(text) == len(whole)
    assert chunk_document(doc, tokens, ChunkSettings(), _no_chrome) == before
    assert len(before) > 100
    for c in before:
        s = c.span
        assert doc.text[s.char_start : s.char_end] == c.text
        assert (s.line_start, s.line_end) == (1 if s.char_start < 9 else 2, 2)


def test_a_text_with_no_space_to_cut_at_goes_whole():
    assert _windows("ab" * 5000, 1000) == [(0, 10_000)]
    assert _windows("ab" * 500 + "   x" + "ab" * 1000, 1000) == [(0, 1000), (1000, 3004)]
    assert _windows("", 1000) == [(0, 0)]


def test_title_and_passage_fit_the_model_window(tokens):
    """The title prefixed for embedding is cut so that a full-size passage is not truncated by the model."""
    from briefing.ingest.indexer import TITLE_CHARS, embed_text

    title = ("Live updates: Macron and Starmer meet the leaders of the coalition of the willing in Paris as the talks "
             "on security guarantees for Ukraine continue late into the night, with Rubio joining by video link")
    text = title + "\n\n" + " ".join(f"The coalition met in Paris on day {i} to discuss guarantees." for i in range(200))
    doc = dataclasses.replace(_doc(text), title=title)
    chunks = chunk_document(doc, tokens, ChunkSettings(), _no_chrome)
    assert len(chunks) > 3
    for c in chunks[1:]:
        embedded = embed_text(doc, c)
        head = embedded.split("\n", 1)[0]
        assert len(head) <= TITLE_CHARS and title.startswith(head) and not head.endswith(" ")
        assert tokens.count(embedded) <= 254  # 256 minus [CLS] and [SEP]


@pytest.mark.parametrize(("max_tokens", "overlap"), [(100, 51), (0, 0), (100, -1)])
def test_chunk_settings_refuse_impossible_sizes(max_tokens, overlap):
    with pytest.raises(ValueError):
        ChunkSettings(max_tokens, overlap)
    assert ChunkSettings(100, 50).overlap_tokens == 50  # exactly half is allowed


def test_chunk_ids_are_the_tokenizers_ids_for_the_passage(tokens):
    """The indexer embeds passages from the token ids chunking already made. Wherever a chunk has ids they must be
    exactly the tokenizer's ids for the chunk's text, whatever the text holds; where joining could differ (glued
    sentences, control characters the normaliser drops, a word cut in two) the chunk has none."""
    from briefing.embed.batched import BatchedEmbedder
    from briefing.ingest.chunking import chunk_with_ids

    emb = BatchedEmbedder()
    emb.max_tokens, emb._lower = 256, False
    emb._init_tokenizer(resolve_model(None).path / "tokenizer.json")
    assert emb.accepts_token_ids
    tricky = ('He left."Next one" came in. ΟΔΟΣ ΣΑΣ, İstanbul, Élysée, naïve 中文字 🇺🇦 tab\there, '
              "nbsp\u00a0here. Odd\x1cjoin and\x0bvertical and\u200bzero width. \u0301A mark starts this. "
              + ",".join(map(str, range(300))) + ". " + "Plain words go on and on. " * 30 + "\n"
              + ",".join(["qx\x1czy"] * 120) + ".\n")  # \x1c: a space to Python, dropped by the normaliser
    texts = [p.read_text(encoding="utf-8") for p in sorted(ARTICLES.glob("*.txt"))] + [tricky * 2]
    settings = ChunkSettings(max_tokens=60)
    reused = fallback = 0
    for text in texts:
        doc = _doc("Headline\n" + text, body_start=9)
        pairs = chunk_with_ids(doc, tokens, settings, _no_chrome)
        assert [c for c, _ in pairs] == chunk_document(doc, tokens, settings, _no_chrome)
        for chunk, ids in pairs:
            if ids is None:
                fallback += 1
                continue
            reused += 1
            assert emb._framed(ids) == emb._tokenizer.encode(chunk.text).ids, chunk.text
    assert reused >= 100 and fallback >= 4  # most chunks reuse ids; the tricky ones do not


def test_token_ids_are_framed_and_cut_like_the_tokenizer(tokens):
    """Ids given to the embedder get the model's special tokens and are cut to its window as tokenizing would."""
    from briefing.embed.batched import BatchedEmbedder

    emb = BatchedEmbedder()
    emb.max_tokens, emb._lower = 256, False
    emb._init_tokenizer(resolve_model(None).path / "tokenizer.json")
    text = "Macron announced a working group. " * 60  # about 420 tokens
    ids = tokens.encode([text])[0][1]
    assert len(ids) > 256 and emb._framed(ids) == emb._tokenizer.encode(text).ids
    assert emb.tokenizes_as([text], [ids]) and not emb.tokenizes_as([text], [ids[1:]])
    with pytest.raises(ValueError):
        emb.embed([text, text], token_ids=[ids])  # one id list short: an error, not rows left unwritten
    emb._lower = True  # a model that lowercases before tokenizing: its ids must come from its own tokenizing
    emb._init_tokenizer(resolve_model(None).path / "tokenizer.json")
    assert not emb.accepts_token_ids and not emb.tokenizes_as([text], [ids])


def test_ids_join_only_across_spaces():
    """Pieces' ids are joined only across characters the tokenizer treats as spaces."""
    from array import array

    from briefing.ingest.chunking import _joined_ids

    text = "Alpha beta\x0bgamma delta"
    a, b = (0, 10, 2, array("i", [1, 2])), (11, 16, 1, array("i", [3]))
    assert list(_joined_ids("Alpha beta gamma", [a, b])) == [1, 2, 3]
    assert _joined_ids(text, [a, b]) is None  # \v is dropped: "betagamma" is one word
    assert _joined_ids("Alpha betagamma", [a, (10, 15, 1, array("i", [3]))]) is None  # glued
    assert _joined_ids("Alpha beta gamma", [a, (11, 16, 1, None)]) is None
