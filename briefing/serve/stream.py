"""An answer streamed as server-sent events: ``token`` events while the LLM writes, then one ``answer`` event with
the verified answer (its rendered HTML and its JSON record), or ``failed`` with the one-line error."""

from __future__ import annotations

import asyncio
import json
import logging
from typing import AsyncIterator, Awaitable, Callable

from briefing.errors import BriefingError

log = logging.getLogger("briefing.serve")


def event(name: str, data: dict) -> str:
    return f"event: {name}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


async def answer_events(start: Callable[[Callable[[str], None]], Awaitable], finish: Callable[[object], dict]
                        ) -> AsyncIterator[str]:
    """Run ``start(on_token)`` (the answer, on a worker thread) and turn what it writes into events; ``finish`` makes
    the final event's data from its result. Tokens are handed over with ``call_soon_threadsafe``, so every token
    is queued before the result arrives."""
    loop = asyncio.get_running_loop()
    tokens: asyncio.Queue[str] = asyncio.Queue()
    task = asyncio.ensure_future(start(lambda text: loop.call_soon_threadsafe(tokens.put_nowait, text)))
    try:
        while not task.done():
            getter = asyncio.ensure_future(tokens.get())
            await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
            if getter.done():
                yield event("token", {"text": getter.result()})
            else:
                getter.cancel()
        while not tokens.empty():
            yield event("token", {"text": tokens.get_nowait()})
        try:
            result = task.result()
        except BriefingError as exc:
            yield event("failed", {"error": str(exc)})
            return
        except Exception:
            log.exception("error while streaming an answer")
            yield event("failed", {"error": "internal error; the server's log has the details"})
            return
        yield event("answer", finish(result))
    finally:
        if not task.done():  # the browser went away: the answer finishes on its thread, unread
            task.add_done_callback(lambda t: t.exception())
