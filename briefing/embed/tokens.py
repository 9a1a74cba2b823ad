"""The embedding model's own tokenizer, used to size passages and to hand their token ids to the embedder."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Sequence


class HFTokens:
    """The model's own fast tokenizer (``tokenizer.json`` via ``tokenizers``: no torch), used to size chunks; the
    token ids of that one pass also go to the embedder (:meth:`encode`), so passages are not tokenized twice.

    The tokenizer holds every encoding of a call at once (ids, tokens, offsets, masks: a few hundred bytes a
    token), so it is never given much at a time: texts go to it in batches of about ``BATCH_CHARS`` characters, and
    a text longer than ``WINDOW_CHARS`` (a huge sentence, a one-line article) in windows cut just before a space
    that follows a letter, digit, punctuation or symbol. No token spans such a cut (the WordPiece, byte-level BPE
    and Metaspace pre-tokenizers all end a word there), so the offsets are those of one call over the whole text."""

    BATCH_CHARS = 1_000_000
    BATCH_TEXTS = 2048
    WINDOW_CHARS = 100_000

    def __init__(self, tokenizer_json: Path):
        from tokenizers import Tokenizer

        self._tok = Tokenizer.from_file(str(tokenizer_json))
        self._tok.no_truncation()
        self._tok.no_padding()

    def offsets(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        return [offsets for offsets, _ in self.encode(texts)]

    def encode(self, texts: Sequence[str]) -> list[tuple[list[tuple[int, int]], list[int]]]:
        """Per text, its tokens' character offsets and their ids (no special tokens), from one tokenizer pass."""
        out: list[tuple[list[tuple[int, int]], list[int]]] = [([], []) for _ in texts]
        batch: list[tuple[int, int, str]] = []  # (which text, where the piece starts in it, the piece)
        size = 0
        for i, text in enumerate(texts):
            for lo, hi in _windows(text, self.WINDOW_CHARS):
                batch.append((i, lo, text[lo:hi]))
                size += hi - lo
                if size >= self.BATCH_CHARS or len(batch) >= self.BATCH_TEXTS:
                    self._encode(batch, out)
                    batch, size = [], 0
        if batch:
            self._encode(batch, out)
        return out

    def _encode(self, batch: list[tuple[int, int, str]], out: list[tuple[list, list]]) -> None:
        encodings = self._tok.encode_batch([piece for _, _, piece in batch], add_special_tokens=False)
        for (i, base, _), e in zip(batch, encodings):
            offsets, ids = out[i]
            offsets.extend([(base + a, base + b) for a, b in e.offsets] if base else e.offsets)
            ids.extend(e.ids)

    def count(self, text: str) -> int:
        return len(self.offsets([text])[0])


def _windows(text: str, size: int) -> list[tuple[int, int]]:
    """``(start, end)`` pieces covering ``text``, each about ``size`` characters at most, cut only before a space
    whose previous character is a letter, digit, punctuation or symbol (not a space, control or combining mark,
    which tokenizers may merge with what follows). A stretch with no such space is not cut."""
    out, lo = [], 0
    while len(text) - lo > size:
        cut = _cut_before(text, lo, lo + size)
        if cut is None:
            break
        out.append((lo, cut))
        lo = cut
    out.append((lo, len(text)))
    return out


def _cut_before(text: str, lo: int, hi: int) -> int | None:
    """The last safe cut in ``(lo, hi]``, else the first one after ``hi``, else None."""
    p = text.rfind(" ", lo + 1, hi + 1)
    while p > lo:
        if unicodedata.category(text[p - 1])[0] in "LNPS":
            return p
        p = text.rfind(" ", lo + 1, p)
    p = text.find(" ", hi + 1)
    while p != -1:
        if unicodedata.category(text[p - 1])[0] in "LNPS":
            return p
        p = text.find(" ", p + 1)
    return None
