"""The local model's state after reading a system prompt, kept on disk so that a new process (each ``briefing ask``)
does not read the same ~600 tokens of rules again: about 6 of a default answer's 17 seconds on 2 cores.

A file holds llama.cpp's KV cache for the prompt's tokens up to the end of the system message, and those tokens
(``llama_state_save_file``). It is named by what determines that state: the model file, the llama.cpp bindings'
version and the system message. Restoring it only seeds the model's token history; llama.cpp's own prefix match
(``Llama.generate``) then reuses the tokens the new prompt shares with it and reads the rest, so a stale or
mismatched file costs a re-read, never a wrong answer. A file that will not load is deleted."""

from __future__ import annotations

import ctypes
import hashlib
import os
from pathlib import Path

from briefing import config

KEEP = 8  # files kept (the answer's, the memo's, the verifier's prompts, for a model or two); the oldest go first
TAIL = 64  # characters of the system message's end looked for in the prompt's text


def location(model: Path, system: str) -> Path | None:
    """Where the state for ``system`` read by ``model`` is kept, or None when the cache folder cannot be named."""
    import llama_cpp

    try:
        stat = model.stat()
        folder = config.cache_dir() / "prompt-prefix"
    except (OSError, RuntimeError):
        return None
    key = hashlib.sha256(f"{model.resolve()}|{stat.st_size}|{stat.st_mtime_ns}|{llama_cpp.__version__}|{system}"
                         .encode("utf-8")).hexdigest()[:20]
    return folder / f"{model.stem}-{key}.state"


def restore(llm, file: Path | None) -> int:
    """Seed a freshly loaded ``llm`` (nothing read yet) with the state in ``file``; the number of tokens restored."""
    import llama_cpp

    if file is None or llm.n_tokens or not file.is_file():
        return 0
    capacity = llm.n_ctx()
    tokens = (llama_cpp.llama_token * capacity)()
    count = ctypes.c_size_t(0)
    if not llama_cpp.llama_state_load_file(llm._ctx.ctx, str(file).encode(), tokens, capacity, ctypes.byref(count)):
        llm.reset()
        llm._ctx.kv_cache_clear()
        file.unlink(missing_ok=True)
        return 0
    n = int(count.value)
    llm.input_ids[:n] = tokens[:n]
    llm.n_tokens = n
    llm._requires_eval = True  # the logits are not those of a live decode: the next prompt's tail refreshes them
    try:
        os.utime(file)  # recently used: kept when older files are pruned
    except OSError:
        pass
    return n


def save(llm, file: Path | None, system: str) -> None:
    """Keep the state of ``llm``'s tokens up to the end of ``system`` in ``file``. The model's history is cut back
    to that prefix (a later prompt in this process matches only that much of it anyway)."""
    import llama_cpp

    if file is None or file.exists():
        return
    end = _system_end(llm, system)
    if end <= 0 or not llm._ctx.kv_cache_seq_rm(-1, end, -1):
        return
    llm.n_tokens = end
    llm._requires_eval = True
    tokens = (llama_cpp.llama_token * end)(*llm.input_ids[:end])
    try:
        file.parent.mkdir(parents=True, exist_ok=True)
        part = file.with_name(f"{file.name}.{os.getpid()}.part")
        if llama_cpp.llama_state_save_file(llm._ctx.ctx, str(part).encode(), tokens, end):
            os.replace(part, file)
        else:
            part.unlink(missing_ok=True)
        _prune(file.parent)
    except OSError:
        pass  # a cache that cannot be written only costs time


def _system_end(llm, system: str) -> int:
    """How many of ``llm``'s tokens it takes for the text read so far to hold all of ``system``: the shortest
    prefix whose text ends with the system message's last characters (0 when the prompt does not hold them)."""
    tail = system.strip()[-TAIL:]
    if not tail:
        return 0
    ids = [int(t) for t in llm.input_ids[: llm.n_tokens]]

    def holds(n: int) -> bool:
        return tail in llm.detokenize(ids[:n]).decode("utf-8", errors="replace")

    if not holds(len(ids)):
        return 0
    low, high = 1, len(ids)
    while low < high:
        mid = (low + high) // 2
        if holds(mid):
            high = mid
        else:
            low = mid + 1
    return low


def _prune(folder: Path) -> None:
    files = sorted(folder.glob("*.state"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in files[KEEP:]:
        old.unlink(missing_ok=True)
