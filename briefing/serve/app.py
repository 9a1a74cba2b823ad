"""``briefing serve``'s web app (Starlette): the ask/search box, answers whose every ``[n]`` opens the article at the
highlighted quote, the weekly memo, index status, and a JSON API mirroring the CLI's ``--json``.

Safe by default: read-only (GET and HEAD only), articles addressed by document id, every field escaped by Jinja2's
autoescape, a strict Content-Security-Policy (no inline script or style; the memo's own stylesheet is allowed by
its hash), a Host check against DNS rebinding, and no setting (API keys included) ever rendered."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import logging
import re
from dataclasses import dataclass
from functools import partial
from datetime import date
from pathlib import Path

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from briefing import config
from briefing.errors import BriefingError, IndexError_, LLMError, ModelError, UsageError
from briefing.serve import views
from briefing.serve.reader import Reader
from briefing.serve.stream import answer_events

log = logging.getLogger("briefing.serve")

CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
HEADERS = {"x-content-type-options": "nosniff", "referrer-policy": "no-referrer", "x-frame-options": "DENY",
           "cache-control": "no-store"}
LOCAL_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"]
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


@dataclass(frozen=True)
class Options:
    """What the server was started with."""

    index: Path
    generator: object  # from answer.generate.make_generator
    max_context: int = config.DEFAULT_MAX_CONTEXT
    hosts: tuple[str, ...] = ()  # extra Host names accepted besides the loopback ones
    workers: int = 4
    fluency: object = None  # the memo's source-fluency scorer (memo.fluency.Scorer), None: sources not checked


# ---- the pieces every page shares ----------------------------------------------------------------------------------
def _templates():
    from importlib import resources

    import jinja2

    from briefing.memo.render import blocks, short

    env = jinja2.Environment(loader=jinja2.FunctionLoader(
        lambda n: resources.files("briefing.serve").joinpath("templates", n).read_text(encoding="utf-8")),
        autoescape=True, undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    env.filters.update(blocks=blocks, short=short, display_path=config.display_path)
    return env


class SecurityHeaders:
    """Adds the CSP (unless the response set its own) and the other safety headers to every response."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)

        async def wrapped(message):
            if message["type"] == "http.response.start":
                headers = [(k, v) for k, v in message.get("headers", [])]
                names = {k.lower() for k, _ in headers}
                if b"content-security-policy" not in names:
                    headers.append((b"content-security-policy", CSP.encode()))
                headers += [(k.encode(), v.encode()) for k, v in HEADERS.items() if k.encode() not in names]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, wrapped)


def _status(exc: Exception) -> int:
    if isinstance(exc, UsageError):
        return 400
    if isinstance(exc, IndexError_):
        return 503
    if isinstance(exc, (LLMError, ModelError)):
        return 502 if isinstance(exc, LLMError) else 503
    return 422 if isinstance(exc, BriefingError) else 500


def _question(request: Request) -> str:
    q = " ".join(request.query_params.get("q", "").split())
    if not q:
        raise UsageError('the question is empty; type one, e.g. "what did Macron announce"')
    if len(q) > 1000:
        raise UsageError("the question is over 1000 characters; ask something shorter")
    return q


def _int(request: Request, name: str, default: int, lo: int, hi: int) -> int:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except ValueError:
        raise UsageError(f"{name} must be a whole number, not {raw!r}") from None
    if not lo <= value <= hi:
        raise UsageError(f"{name} must be between {lo} and {hi}")
    return value


def _date(request: Request, name: str) -> date | None:
    raw = request.query_params.get(name) or None
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        raise UsageError(f"{name} {raw!r} is not a date like 2025-11-26") from None


def _window(request: Request) -> tuple[date | None, date | None]:
    since, until = _date(request, "since"), _date(request, "until")
    if since and until and since > until:
        raise UsageError(f"since {since} is after until {until}")
    return since, until


# ---- the app -------------------------------------------------------------------------------------------------------
def create_app(options: Options) -> Starlette:
    """The web app over ``options.index``; pages and API share one :class:`Reader` (bounded worker threads)."""
    reader = Reader(options.index, options.workers)
    env = _templates()
    generator = options.generator
    streams = getattr(generator, "llm", None) is not None  # an LLM writes: worth showing as it comes

    def page(name: str, code: int = 200, **values) -> HTMLResponse:
        return HTMLResponse(env.get_template(name).render(llm=generator.name, **values), status_code=code)

    def error_page(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else _status(exc)
        message = exc.detail if isinstance(exc, HTTPException) else str(exc)
        if not isinstance(exc, (BriefingError, HTTPException)):
            log.exception("error while serving %s", request.url.path)
            message = "internal error; the server's log has the details"
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": message}, status_code=status)
        return page("error.html", status, message=message, status=status, q="")

    # pages
    async def home(request: Request):
        def work(session):
            return {"weeks": views.recent_weeks(session.store), "counts": session.store.counts()}
        return page("home.html", q="", **await reader.run(work))

    async def ask(request: Request):
        work = _ask(request)
        if streams and request.query_params.get("stream") != "0":  # the page streams /api/ask/stream (ask.js)
            query = request.url.query
            return page("answer.html", q=_question(request), stream=f"/api/ask/stream?{query}",
                        plain=f"/ask?{query}&stream=0")
        result = await reader.run(work)
        return page("answer.html", q=result.question, stream=None, **_answer_values(result))

    def _answer_values(result) -> dict:
        return {"answer": result, "links": views.links(result.citations), "note": _note(result)}

    async def search(request: Request):
        question, hits = await reader.run(_search(request))
        return page("search.html", q=question, hits=[(h, views.article_href(h.doc.id, h.chunk.span)) for h in hits])

    async def article(request: Request):
        doc_id = request.path_params["doc_id"]
        start = _int(request, "start", None, 0, 10**9)
        end = _int(request, "end", None, 0, 10**9)
        n = _int(request, "n", None, 1, 10**6)
        if not views.DOC_ID.fullmatch(doc_id):
            raise HTTPException(404, "no such article: articles are addressed by their 64-character id")

        def work(session):
            return session.store.documents([doc_id]).get(doc_id)
        doc = await reader.run(work)
        if doc is None:
            raise HTTPException(404, "this article is not in the index (it may have changed since the link was made; "
                                     "ask again)")
        return page("article.html", q="", view=views.article_view(doc, start, end, n))

    async def memo_page(request: Request):
        memo = await reader.run(*_memo(request))
        from briefing.memo.render import render

        html = render(memo, "html", links=views.links(memo.citations))
        styles = " ".join(f"'sha256-{base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()}'"
                          for s in _STYLE.findall(html))
        csp = CSP.replace("style-src 'self'", f"style-src 'self' {styles}".rstrip())
        return HTMLResponse(html, headers={"content-security-policy": csp})

    async def status(request: Request):
        info = await reader.run(_status_info)
        return page("status.html", q="", info=info)

    # the JSON API
    async def api_search(request: Request):
        question, hits = await reader.run(_search(request))
        return JSONResponse(views.hits_record(question, hits))

    async def api_ask(request: Request):
        return JSONResponse(views.answer_record(await reader.run(_ask(request))))

    async def api_ask_stream(request: Request):
        work = _ask(request)

        def finish(result) -> dict:
            html = env.get_template("answer_body.html").render(**_answer_values(result))
            return {"html": html, "record": views.answer_record(result)}

        events = answer_events(lambda on_token: reader.run(partial(work, on_token=on_token)), finish)
        return StreamingResponse(events, media_type="text/event-stream", headers={"x-accel-buffering": "no"})

    async def api_memo(request: Request):
        from briefing.memo.render import memo_json

        memo = await reader.run(*_memo(request))
        return JSONResponse(views.with_hrefs(memo_json(memo), memo.citations))

    async def api_status(request: Request):
        return JSONResponse(await reader.run(_status_info))

    # the work each route hands to a reader thread
    def _ask(request: Request):
        from briefing.answer.ask import answer

        question, (since, until) = _question(request), _window(request)
        k = _int(request, "k", config.DEFAULT_K, 1, 50)

        def work(session, on_token=None):
            return answer(session, question, generator, k=k, since=since, until=until, on_token=on_token)
        return work

    def _search(request: Request):
        from briefing.answer.retrieve import SearchSettings

        question, (since, until) = _question(request), _window(request)
        settings = SearchSettings(k=_int(request, "k", config.DEFAULT_SEARCH_K, 1, 100))
        return lambda session: (question, session.search(question, settings, since=since, until=until))

    def _memo(request: Request):
        from briefing.memo.build import build_memo
        from briefing.memo.window import choose_window, parse_week

        week = request.query_params.get("week") or None
        if week:
            parse_week(week)
        since, until = _window(request)
        topics = tuple(t for t in (" ".join(x.split()) for x in request.query_params.getlist("topic")) if t)

        def work(session):
            window = choose_window(session.store, week, since, until)
            return build_memo(session, window, topics=topics, llm=getattr(generator, "llm", None),
                              max_context=options.max_context, fluency=options.fluency)
        return work, ("memo", week, since, until, topics)

    routes = [
        Route("/", home), Route("/ask", ask), Route("/search", search), Route("/article/{doc_id}", article),
        Route("/memo", memo_page), Route("/status", status),
        Route("/api/search", api_search), Route("/api/ask", api_ask), Route("/api/ask/stream", api_ask_stream),
        Route("/api/memo", api_memo), Route("/api/status", api_status),
        Route("/favicon.ico", lambda request: Response(_static("favicon.svg"), media_type="image/svg+xml")),
        Mount("/static", app=StaticFiles(packages=[("briefing.serve", "static")]), name="static"),
    ]
    hosts = LOCAL_HOSTS + list(options.hosts)
    handlers = {BriefingError: error_page, HTTPException: error_page, Exception: error_page}
    app = Starlette(routes=routes, exception_handlers=handlers,
                    middleware=[Middleware(SecurityHeaders), Middleware(TrustedHostMiddleware, allowed_hosts=hosts)],
                    lifespan=_closing(reader))
    app.state.reader = reader
    return app


def _closing(reader: Reader):
    @contextlib.asynccontextmanager
    async def lifespan(app):
        yield
        reader.close()
    return lifespan


def _static(name: str) -> bytes:
    from importlib import resources

    return resources.files("briefing.serve").joinpath("static", name).read_bytes()


def _note(result) -> str:
    from briefing.answer.extractive import NOTE

    if result.llm == "extractive" and not result.insufficient_evidence:
        return NOTE
    used = ", ".join(f"{k.replace('_', ' ')} {v}" for k, v in result.usage.items() if isinstance(v, int))
    return f"Written by {result.llm}{'; ' + used if used else ''}." if result.usage else ""


def _status_info(session) -> dict:
    store = session.store
    info = store.manifest()
    info["size_bytes"] = store.size_on_disk()
    info["skipped"] = [{"path": config.display_path(p), "reason": r} for p, r in store.skips()]
    return info
