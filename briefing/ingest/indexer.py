"""Incremental indexing: walk the folders, load and chunk new or changed files, embed only what is new, and apply
everything to the store in one atomic step."""

from __future__ import annotations

import importlib
import json
import os
import threading
import time
from array import array
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Sequence

import numpy as np

from briefing.ingest.chunking import ChunkSettings, Tokens, chunk_with_ids
from briefing.errors import UsageError
from briefing import config
from briefing.embed import select
from briefing.embed.malloc import kept_freed_memory
from briefing.store import store_writer
from briefing.store.sqlite import FileState
from briefing.types import Chunk, Document, Skipped

Progress = Callable[[str, int, int], None]  # (stage, done, total)


@dataclass(frozen=True)
class IndexReport:
    """What one ``briefing index`` run did."""

    files_seen: int
    files_changed: int
    files_removed: int
    documents_added: int
    chunks_added: int
    embedded: int
    duplicates: tuple[tuple[str, str], ...]  # (path, the path it duplicates)
    skipped: tuple[Skipped, ...]
    seconds: float
    counts: dict = field(default_factory=dict)
    generation: int = 0


TITLE_CHARS = 120  # about 25 model tokens: with a full passage still under the model's 256


def embed_text(doc: Document, chunk: Chunk) -> str:
    """The text given to the embedding model: the chunk, preceded by its article's title for context."""
    title = embed_title(doc, chunk)
    return f"{title}\n{chunk.text}" if title else chunk.text


def embed_title(doc: Document, chunk: Chunk) -> str:
    """The title line :func:`embed_text` puts before ``chunk`` ("" when the chunk already starts with it)."""
    title = " ".join(doc.title.split())
    if not title or chunk.text.startswith(title[:60]):
        return ""
    if len(title) > TITLE_CHARS:
        title = title[:TITLE_CHARS].rsplit(" ", 1)[0]
    return title


def _under(path: str, roots: Sequence[str]) -> bool:
    return any(path == r or path.startswith(r.rstrip(os.sep) + os.sep) for r in roots)


def build_index(
    paths: Sequence[Path],
    root: str | Path,
    *,
    model=None,
    rebuild: bool = False,
    max_bytes: int = 20_000_000,
    settings: ChunkSettings | None = None,
    embedder=None,
    tokens: Tokens | None = None,
    progress: Progress | None = None,
    backend: str = "auto",
    quantize: str = "auto",
) -> IndexReport:
    """Bring the index at ``root`` in line with the files under ``paths``.

    Unchanged files (same size and mtime, or same content hash) are not read again; files that vanished from under
    ``paths`` lose their passages; identical articles are stored once. ``embedder``/``tokens`` replace the model
    (tests use fakes); otherwise ``model`` names a local sentence-transformers model (default all-MiniLM-L6-v2),
    which is only loaded when something needs embedding. ``backend``: "onnx" embeds with onnxruntime, "bf16" with
    torch in bfloat16 (fast on CPUs with AMX), "torch" with sentence-transformers in float32, "auto" (default)
    picks one (see :func:`briefing.embed.select.index_variant`). The model's ONNX export goes into the index even when nothing needs
    embedding, since queries use it. ``quantize`` ("auto", "yes", "no") chooses dynamic int8 ONNX vectors for a
    new index ("auto": when the CPU has VNNI instructions and no AMX-BF16); an existing index keeps the variant it
    was built with, so passages and queries are always embedded alike.
    """
    from briefing.ingest.boilerplate import is_boilerplate
    from briefing.ingest.loaders import load_file
    from briefing.ingest.walk import iter_files, regular_sha256, safe_name

    started = time.perf_counter()
    progress = progress or (lambda stage, done, total: None)
    if not paths:
        raise UsageError("give at least one file or folder to index")
    if embedder is None:
        from briefing.embed.model import resolve_model
        from briefing.embed.tokens import HFTokens

        info = resolve_model(model)
        model_name, model_sha, dim = info.name, info.sha256, info.dim
        tokens = tokens or HFTokens(info.path / "tokenizer.json")
    else:
        model_name, model_sha, dim = embedder.name, "", embedder.dim
        if tokens is None:
            raise ValueError("a custom embedder needs its tokens")
    roots = [safe_name(os.path.abspath(p)) for p in paths]
    listed = list(iter_files((Path(p) for p in paths), exclude=[] if config.is_server_url(root) else [root]))

    with store_writer(root, rebuild=rebuild) as store:
        if settings is None:
            # An existing index keeps the chunking it was built with; a new one takes the defaults.
            stored = json.loads(store.meta().get("chunking") or "{}")
            settings = ChunkSettings.from_dict(stored) if stored else ChunkSettings()
        store.check_model(model_name, model_sha, dim, settings.as_dict())
        backend, int8 = select.index_variant(store.meta(), backend, quantize) if embedder is None else ("custom", False)
        known = store.files()
        known_skips: dict[str, list[str]] = {}
        for p, r in store.skips():
            known_skips.setdefault(p, []).append(r)
        seen: set[str] = set()
        touched: list[FileState] = []
        restamped: list[FileState] = []
        skips: dict[str, list[str]] = {}
        skipped: list[Skipped] = []
        new_docs: dict[str, tuple[Document, list, list[Chunk]]] = {}
        aliases: list[tuple[str, str, int, int | None]] = []
        duplicates: list[tuple[str, str]] = []
        touched_paths: set[str] = set()
        warm: threading.Thread | None = None
        chunk_ids: dict[str, list] = {}  # per new document, its chunks' token ids from chunking (or None)

        for i, (path, skip) in enumerate(listed):
            progress("files", i, len(listed))
            apath = safe_name(os.path.abspath(path))  # a name that is not UTF-8 is stored with \xNN escapes
            if apath in seen:
                continue
            seen.add(apath)
            old = known.get(apath)
            if skip is not None:
                skipped.append(Skipped(apath, skip.reason))
                if old is None or old.status != "skipped" or old.reason != skip.reason:
                    touched.append(FileState(apath, 0, 0, "", "skipped", skip.reason))
                    skips[apath] = [skip.reason]
                continue
            try:
                st = path.stat()
                if old and old.size == st.st_size and old.mtime_ns == st.st_mtime_ns:
                    skipped.extend(Skipped(apath, r) for r in known_skips.get(apath, ()))
                    continue
                sha = regular_sha256(path)
            except OSError as exc:
                reason = f"unreadable: {(exc.strerror or str(exc)).lower()}"  # as loaders word it
                skipped.append(Skipped(apath, reason))
                touched.append(FileState(apath, 0, 0, "", "skipped", reason))
                skips[apath] = [reason]
                continue
            if old and old.sha256 == sha and old.status == "ok":
                restamped.append(FileState(apath, st.st_size, st.st_mtime_ns, sha, old.status, old.reason))
                continue
            docs, file_skips = load_file(path, apath, max_bytes=max_bytes)
            touched_paths.add(apath)
            skipped.extend(Skipped(apath, s.reason) for s in file_skips)
            skips[apath] = [s.reason for s in file_skips]
            status = "ok" if docs else "skipped"
            reason = None if docs else (file_skips[0].reason if file_skips else "no article text")
            if not docs and not file_skips:
                skipped.append(Skipped(apath, reason))
                skips[apath] = [reason]
            touched.append(FileState(apath, st.st_size, st.st_mtime_ns, sha, status, reason))
            for doc in docs:
                record = doc.record if doc.record is not None else 0
                if doc.id in new_docs:
                    new_docs[doc.id][1].append((apath, record, doc.line))
                    duplicates.append((_where(doc), _where(new_docs[doc.id][0])))
                    continue
                if store.has_document(doc.id):
                    aliases.append((doc.id, apath, record, doc.line))
                    first = store.occurrences(doc.id)
                    others = [p for p, r in first if p not in touched_paths and (p, r) != (apath, record)]
                    if others:
                        duplicates.append((_where(doc), others[0]))
                    continue
                if warm is None and embedder is None and select.warm_imports(backend):
                    warm = _import_in_background(*select.warm_imports(backend))
                pairs = chunk_with_ids(doc, tokens, settings, is_boilerplate)
                if not pairs:
                    skipped.append(Skipped(_where(doc), "no text left after removing page boilerplate"))
                    continue
                chunks = [chunk for chunk, _ in pairs]
                chunk_ids[doc.id] = [ids for _, ids in pairs]
                new_docs[doc.id] = (doc, [(apath, record, doc.line)], chunks)
        progress("files", len(listed), len(listed))

        removed = [p for p in known if p not in seen and _under(p, roots)]
        if embedder is None and select.needs_export(backend):
            # Queries always embed with the index's ONNX export (no torch at query time), whatever built the passages.
            if rebuild and store.local_dir is not None:
                select.drop_broken_export(store.local_dir, int8)
            select.ensure_export(info, store.local_dir, int8)
        all_chunks = [(doc, c) for doc, _, chunks in new_docs.values() for c in chunks]
        vectors = np.zeros((0, dim), dtype="float32")
        if warm is not None:
            warm.join()
        if all_chunks:
            emb = embedder if embedder is not None else select.index_embedder(info, store.local_dir, backend, int8)
            vectors = np.empty((len(all_chunks), dim), dtype="float32")
            # Passages go to the model shortest first, so each batch holds passages of about one length and little
            # of its compute goes to padding (9% of the tokens on news, against 12% when sorted 256 at a time).
            texts = [embed_text(doc, chunk) for doc, chunk in all_chunks]
            order = sorted(range(len(texts)), key=lambda i: len(texts[i]))
            token_ids = _passage_ids(emb, tokens, all_chunks, texts,
                                     [ids for doc, _, _ in new_docs.values() for ids in chunk_ids[doc.id]])
            step = 256
            with kept_freed_memory():  # no page faults for each batch's activations (5% of a torch build)
                for lo in range(0, len(order), step):
                    progress("chunks", lo, len(all_chunks))
                    part = order[lo : lo + step]
                    extra = {"token_ids": [token_ids(i) for i in part]} if token_ids else {}
                    vectors[part] = emb.embed([texts[i] for i in part], **extra)
            progress("chunks", len(all_chunks), len(all_chunks))
        gen = store.generation()
        if touched or removed or rebuild or not store.meta():
            batches, pos = [], 0
            for doc, occs, chunks in new_docs.values():
                batches.append((doc, occs, chunks, vectors[pos : pos + len(chunks)]))
                pos += len(chunks)
            meta = {"model": model_name, "model_sha256": model_sha, "dim": str(dim), "int8": str(int(int8)),
                    "backend": backend,
                    "chunking": json.dumps(settings.as_dict(), sort_keys=True),
                    "built_at": time.strftime("%Y-%m-%dT%H:%M:%S%z")}
            gen = store.apply(meta=meta, touched=touched, removed=removed, new_docs=batches, aliases=aliases,
                              skips=skips, restamped=restamped)
        else:
            if restamped:
                store.restamp(restamped)
            store.ensure_manifest()
        return IndexReport(
            files_seen=len(seen), files_changed=len(touched_paths), files_removed=len(removed),
            documents_added=len(new_docs), chunks_added=len(all_chunks), embedded=len(all_chunks),
            duplicates=tuple(duplicates), skipped=tuple(skipped), seconds=time.perf_counter() - started,
            counts=store.counts(), generation=gen)


def _passage_ids(emb, tokens: Tokens, all_chunks: list, texts: list[str],
                 chunk_ids: list) -> Callable[[int], Sequence[int] | None] | None:
    """For passage ``i`` of ``all_chunks``, the token ids of its :func:`embed_text` ``texts[i]`` (title ids, then the
    chunk's ids from chunking), or None where the embedder must tokenize the text itself; None for all when the embedder
    cannot take ids, or when they differ from its own tokenizing on a sample (a tokenizer that is not the model's)."""
    if not getattr(emb, "accepts_token_ids", False) or not hasattr(tokens, "encode"):
        return None
    titles: dict[str, array] = {}

    def ids(i: int) -> Sequence[int] | None:
        doc, chunk = all_chunks[i]
        own = chunk_ids[i]
        title = embed_title(doc, chunk)
        if own is None or not title:
            return own
        if title not in titles:
            titles[title] = array("i", tokens.encode([title])[0][1])
        return titles[title] + own

    sample = [i for i in range(len(all_chunks)) if chunk_ids[i] is not None][:8]
    return ids if emb.tokenizes_as([texts[i] for i in sample], [ids(i) for i in sample]) else None


def _import_in_background(*modules: str) -> threading.Thread:
    """Start importing ``modules`` on a thread, so that torch's 2-3 s import overlaps reading and chunking the
    articles (about 1 s saved on 200 articles). Failures are left for the real import to report."""

    def run() -> None:
        for name in modules:
            try:
                importlib.import_module(name)
            except Exception:  # reported by the import that needs it
                return

    thread = threading.Thread(target=run, name="briefing-import", daemon=True)
    thread.start()
    return thread


def _where(doc: Document) -> str:
    return doc.path if doc.record is None or doc.kind != "jsonl" else f"{doc.path}:{doc.line}"
