"""What the ONNX and torch embedders share: the model's own tokenizer, length-sorted batches padded per batch, and
sentence-transformers pooling and normalisation in numpy. Subclasses only run the transformer."""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

import numpy as np

# Texts are tokenized this many at a time: the length sort then works within a window, and memory for the
# tokenizers' Encoding objects stays bounded however many texts the caller passes.
TOKENIZE_WINDOW = 4096


class BatchedEmbedder:
    """Base of :class:`~briefing.embed.onnx.OnnxEmbedder` and :class:`~briefing.embed.bf16.TorchEmbedder`.

    Subclasses call :meth:`_init_tokenizer` and implement :meth:`_hidden` (token states for one padded batch)."""

    name: str
    dim: int
    max_tokens: int
    _pooling: str
    _lower: bool

    def _init_tokenizer(self, tokenizer_json: Path) -> None:
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(tokenizer_json))
        # tokenizer.json carries its own truncation/padding (128 and fixed-length padding for all-MiniLM);
        # sentence-transformers truncates at max_seq_length instead, and we pad per batch ourselves.
        padding = self._tokenizer.padding or {}
        pad = padding.get("pad_id", self._tokenizer.token_to_id("[PAD]"))
        self._pad_id = 0 if pad is None else int(pad)
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=self.max_tokens)
        # The special tokens around a text ([CLS] ... [SEP] for BERT), found by encoding one word with and without.
        framed, bare = self._tokenizer.encode("a").ids, self._tokenizer.encode("a", add_special_tokens=False).ids
        at = next((i for i in range(len(framed)) if framed[i:i + len(bare)] == bare), None)
        self._frame = (framed[:at], framed[at + len(bare):]) if bare and at is not None else None
        # Token ids from the chunker can stand for a text only where tokenizing is word by word with words ending at
        # every whitespace (WordPiece after BERT's pre-tokenizer and normaliser) and nothing is lowercased first.
        from tokenizers import models, normalizers, pre_tokenizers

        self.accepts_token_ids = bool(
            self._frame and not self._lower and isinstance(self._tokenizer.model, models.WordPiece)
            and isinstance(self._tokenizer.pre_tokenizer, pre_tokenizers.BertPreTokenizer)
            and isinstance(self._tokenizer.normalizer, (normalizers.BertNormalizer, type(None))))

    def _hidden(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Token states ``(batch, seq, dim)`` as float32 for int64 ``ids`` and ``mask`` of shape ``(batch, seq)``."""
        raise NotImplementedError

    def _pooled(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """One float32 vector per row, before normalisation (subclasses may pool where the states already are)."""
        return pool(self._hidden(ids, mask), mask, self._pooling)

    def embed(self, texts: Sequence[str], batch_size: int = 32, token_ids: Sequence | None = None) -> np.ndarray:
        """Embed ``texts``; return float32 ``(len(texts), dim)`` with L2-normalised rows, in the input order.

        Texts longer than ``max_tokens`` tokens are truncated. Rows are always normalised (the index compares by
        inner product), whether or not the source model had a Normalize module. ``token_ids``, where given and
        :attr:`accepts_token_ids`, are the texts' token ids without special tokens (None for a text to tokenize
        here), from the tokenizer that chunked them: the indexer's way of tokenizing each passage only once.
        """
        if isinstance(texts, str):
            raise TypeError("embed() takes a sequence of strings, not a single string")
        if token_ids is not None and len(token_ids) != len(texts):
            raise ValueError(f"{len(token_ids)} token id lists for {len(texts)} texts")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        batch_size = max(1, int(batch_size))
        known = token_ids if token_ids is not None and self.accepts_token_ids else [None] * len(texts)
        for start in range(0, len(texts), TOKENIZE_WINDOW):
            seqs = [None if ids is None else self._framed(ids) for ids in known[start:start + TOKENIZE_WINDOW]]
            todo = [i for i, seq in enumerate(seqs) if seq is None]
            for i, ids in zip(todo, self._token_ids([texts[start + i] for i in todo])):
                seqs[i] = ids
            # Sorting by length means each batch pads to a similar length, so little compute goes to padding.
            order = sorted(range(len(seqs)), key=lambda i: len(seqs[i]))
            for b in range(0, len(order), batch_size):
                idx = order[b:b + batch_size]
                out[[start + i for i in idx]] = self._embed_batch([seqs[i] for i in idx])
        return out

    def tokenizes_as(self, texts: Sequence[str], token_ids: Sequence) -> bool:
        """Whether ``token_ids`` would embed exactly as ``texts`` do (the indexer checks a sample before using ids)."""
        if not self.accepts_token_ids:
            return False
        return all(self._framed(ids) == own for ids, own in zip(token_ids, self._token_ids(texts), strict=True))

    def _token_ids(self, texts: Sequence[str]) -> list[list[int]]:
        """The model's input ids for ``texts``, special tokens included, truncated to ``max_tokens``."""
        if not texts:
            return []
        encodings = self._tokenizer.encode_batch([t.lower() if self._lower else t for t in texts])
        return [e.ids for e in encodings]

    def _framed(self, ids: Sequence[int]) -> list[int]:
        """Special tokens around ``ids``, cut like the tokenizer's truncation so the whole fits ``max_tokens``."""
        head, tail = self._frame
        return [*head, *ids[: self.max_tokens - len(head) - len(tail)], *tail]

    def _embed_batch(self, seqs: list) -> np.ndarray:
        length = max(len(seq) for seq in seqs)
        ids = np.full((len(seqs), length), self._pad_id, dtype=np.int64)
        mask = np.zeros((len(seqs), length), dtype=np.int64)
        for row, seq in enumerate(seqs):
            ids[row, : len(seq)] = seq
            mask[row, : len(seq)] = 1
        vectors = self._pooled(ids, mask)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return (vectors / np.maximum(norms, 1e-12)).astype(np.float32, copy=False)


def pool(hidden: np.ndarray, mask: np.ndarray, mode: str) -> np.ndarray:
    """Reduce token states ``(batch, seq, dim)`` to one vector per row, ignoring padding like sentence-transformers."""
    if mode == "cls":
        return hidden[:, 0]
    weights = mask[..., None].astype(hidden.dtype)
    if mode == "max":
        return np.where(weights > 0, hidden, np.float32(-1e9)).max(axis=1)
    counts = np.maximum(weights.sum(axis=1), 1e-9)
    summed = (hidden * weights).sum(axis=1)
    return summed / (np.sqrt(counts) if mode == "mean_sqrt_len" else counts)
