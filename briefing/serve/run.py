"""Run the web app with uvicorn on a socket bound here, so a taken port or a bad host is one clear line."""

from __future__ import annotations

import errno
import ipaddress
import socket
import sys
from pathlib import Path

from briefing import config
from briefing.errors import BriefingError, UsageError

def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (port 0: any free one)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror as exc:
        raise UsageError(f"--host {host!r} is not an address of this machine ({exc.strerror})") from None
    family, _, _, _, address = infos[0]
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind(address)
        sock.listen(128)
    except OSError as exc:
        sock.close()
        if exc.errno == errno.EADDRINUSE:
            raise BriefingError(f"port {port} on {host} is in use; stop what runs there or pass --port N") from None
        if exc.errno in (errno.EACCES, errno.EPERM):
            raise BriefingError(f"no permission to listen on port {port}; use a port above 1023") from None
        raise UsageError(f"cannot listen on {host}:{port} ({exc.strerror}); check --host") from None
    sock.set_inheritable(True)
    return sock


def url(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{f'[{host}]' if ':' in host else host}:{port}/"


def serve(index: Path, host: str, port: int, generator, max_context: int) -> None:
    """Serve ``index`` until interrupted. A host other than loopback is served only because it was asked for, with a
    warning: anyone who can reach it can read the whole index."""
    try:
        import uvicorn

        from briefing.serve.app import Options, create_app
    except ImportError as exc:
        raise BriefingError(f"briefing serve needs {exc.name or 'its web packages'}: pip install 'briefing[serve]'") \
            from None

    if not is_loopback(host):
        print(f"warning: serving on {host}: anyone who can reach this machine on port {port} can read every indexed "
              "article and spend the configured LLM's budget; use the default --host 127.0.0.1 to keep it local",
              file=sys.stderr)
    # the Host check against DNS rebinding knows the loopback names; a host asked for is added, and a wildcard
    # address (every interface) accepts whatever name the machine is reached by
    hosts = () if is_loopback(host) else ("*",) if host in ("0.0.0.0", "::", "") else (host,)
    from briefing.memo.fluency import local_scorer

    app = create_app(Options(index if config.is_server_url(index) else Path(index), generator, max_context, hosts=hosts,
                             fluency=local_scorer()))
    try:
        app.state.reader.warm()  # a missing or damaged index fails here, before the port is opened
        sock = bind(host, port)
        print(f"briefing serve: {url(sock)} over {index}/ (answers by {generator.name}); Ctrl-C stops",
              file=sys.stderr)
        server_config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on", server_header=False)
        try:
            uvicorn.Server(server_config).run(sockets=[sock])
        except KeyboardInterrupt:  # uvicorn stops on Ctrl-C, then raises it again
            pass
        finally:
            sock.close()
    finally:
        app.state.reader.close()
    print("briefing serve: stopped", file=sys.stderr)
