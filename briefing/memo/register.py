"""The memo's one sources list: memo text checked against its own passages, its citations numbered memo-wide."""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Sequence

from briefing.answer.cite import check
from briefing.types import Citation, Hit

# A marker as ``cite.check`` leaves it: "[3]", or "[3?]" when unverified; "[3](url)" is a link, not a marker.
_MARK = re.compile(r"\[(\d+)(\?)?\](?!\()")


class Register:
    """One memo-wide sources list. Each piece of memo text is checked by ``cite.check`` against the passages it
    was written from; its citations are then renumbered globally, in order of first appearance: the same quote of
    the same article (with the same verdict) keeps one number wherever it is cited."""

    def __init__(self, second=None) -> None:
        """``second``: a ``cite.SecondOpinion`` (``--verify llm``) asked about memo text the rules pass; quotes
        taken verbatim from their passage (``verify_quote``) are not asked about."""
        self.second = second
        self.keys: dict[tuple, int] = {}
        self.citations: list[Citation] = []
        self.warnings: list[str] = []

    def verify(self, text: str, hits: Sequence[Hit], where: str, *, second: bool = True
               ) -> tuple[str, tuple[int, ...]]:
        """``text`` (citing ``[k]`` = ``hits[k-1]``) checked and renumbered, and the memo numbers it cites."""
        checked = check(text, hits, second=self.second if second else None)
        notes = getattr(self.second, "notes", None)
        while notes:
            line = f"{where}: {notes.pop(0)}"
            if line not in self.warnings:
                self.warnings.append(line)
        local: dict[int, int] = {}
        for c in checked.citations:
            key = (c.hit.doc.id, c.quote_span.char_start, c.quote_span.char_end, c.supported)
            if key not in self.keys:
                self.keys[key] = len(self.citations) + 1
                self.citations.append(replace(c, n=self.keys[key]))
            local[c.n] = self.keys[key]
        cited: list[int] = []

        def renumber(m: re.Match) -> str:
            n = local.get(int(m.group(1)))
            if n is None:
                return ""
            cited.append(n)
            return f"[{n}{m.group(2) or ''}]"

        out = _MARK.sub(renumber, checked.text)
        for w in checked.warnings:
            w = re.sub(r"^\[(\d+)\]", lambda m: f"[{local.get(int(m.group(1)), m.group(1))}]", w)
            line = f"{where}: {w}"
            if line not in self.warnings:
                self.warnings.append(line)
        return out, tuple(dict.fromkeys(cited))


    def checkpoint(self) -> tuple:
        """The register's state, for ``restore`` when a piece of text checked is then not used."""
        return dict(self.keys), list(self.citations), list(self.warnings)

    def restore(self, state: tuple) -> None:
        self.keys, self.citations, self.warnings = dict(state[0]), list(state[1]), list(state[2])

    def supported(self, numbers) -> bool:
        """Whether any of the memo ``numbers`` is a verified citation."""
        return any(self.citations[n - 1].supported for n in numbers)

    def verify_quote(self, text: str, hit: Hit, where: str) -> tuple[str, tuple[int, ...]]:
        """``text`` taken from the one passage ``hit``, verified like ``verify``: the text without its citation
        marker, and the memo numbers it cites (none when the check rejected it)."""
        body, cited = self.verify(f"{text} [1]", [hit], where, second=False)
        return _MARK.sub("", body).strip(), cited
