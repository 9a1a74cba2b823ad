"""Check an answer's ``[n]`` markers: drop invalid ones, renumber, verify each against its passage, quote it."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from briefing.answer.claims import MIN_SUPPORT, best_window, judge
from briefing.answer.numbers import unmatched
from briefing.config import display_path
from briefing.text import make_span, sentences, stems
from briefing.types import Citation, Hit

# A second opinion on a claim the rules passed: given the claim and the quotes that support it, a reason why they do
# not state it, or None (``answer/verify.py`` asks an LLM). It can only add flags.
SecondOpinion = Callable[[str, Sequence[str]], "str | None"]

# A range marker like "[1-100000]" expands to at most this many numbers: no answer cites 20 passages in one marker.
MAX_RANGE = 20

_NUM = r"\d{1,9}"  # int() of thousands of digits raises; nine digits is plenty for a passage number
_ITEM = rf"{_NUM}(?:\s*[-–—]\s*{_NUM})?"
# A trailing "?" is our own unverified form "[2?]": if a model copies it, it is checked again, not left as text
# that looks like a citation but points nowhere.
_LIST = rf"\s*{_ITEM}(?:\s*,\s*{_ITEM})*\s*\??\s*"
# "[1]", "[1, 2]", "[1-3]", and the doubled "[[1]]" some models emit; "(?!\()" leaves markdown links "[1](url)" alone.
_MARKER = re.compile(rf"\[\[(?P<double>{_LIST})\]\](?!\()|\[(?P<single>{_LIST})\](?!\()")
_ITEM_PARTS = re.compile(rf"\s*({_NUM})\s*(?:[-–—]\s*({_NUM})\s*)?")
# Markers separated by nothing, spaces or one comma ("[1] [2]", "[1], [2]") form one group, written "[1][2]".
_GROUP_GAP = re.compile(r"[ \t]*,?[ \t]*")
_LIST_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_ONLY_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])?\s*$")
_BOLD_LINE = re.compile(r"^\s*(\*\*|__)[^\n]*\1\s*:?\s*$")  # "**Key points**" works as a heading
_CLOSERS = ".,;:!?)]}\"'”’…"
_QUOTE_DISPLAY = 300
_WARN_CHARS = 80


@dataclass(frozen=True)
class Marker:
    """A citation marker's position ``text[start:end]`` and the passage numbers it cites, in written order."""

    start: int
    end: int
    numbers: tuple[int, ...]


@dataclass(frozen=True)
class Checked:
    """The checked answer: renumbered ``text``, its ``citations`` (citation n is ``citations[n-1]``), ``warnings``."""

    text: str
    citations: tuple[Citation, ...]
    warnings: tuple[str, ...]


def parse_markers(text: str) -> list[Marker]:
    """Citation markers in ``text``, in order.

    ``[1]`` -> (1,); ``[1, 2]`` / ``[1,2]`` -> (1, 2); ``[1][2]`` -> two markers; ``[1-3]`` / ``[1–3]`` -> (1, 2, 3);
    ``[1, 1]`` -> (1,); ``[2?]`` (the unverified form ``check`` writes) -> (2,). Out-of-range numbers (``[0]``, ``[99]``) are parsed; ``check`` rejects them. Not markers:
    ``[citation needed]``, ``1]``, ``[a]``, ``[1.5]``, ``[]``, markdown links ``[text](url)`` and ``[1](url)``, and
    reversed ranges like ``[3-1]`` (more likely a score than a citation). Nested brackets: the doubled form ``[[1]]``
    (or ``[[1, 2]]``) is one marker covering all four brackets, so it is rewritten as plain ``[1]``; in any other
    nesting such as ``[see [1]]`` only the inner ``[1]`` is a marker. A range expands to at most ``MAX_RANGE``
    numbers from its start: ``[1-100000]`` -> (1, ..., 20).
    """
    out: list[Marker] = []
    for m in _MARKER.finditer(text):
        body = m.group("double") if m.group("double") is not None else m.group("single")
        numbers = _expand(body)
        if numbers:
            out.append(Marker(m.start(), m.end(), numbers))
    return out


def _expand(body: str) -> tuple[int, ...]:
    """The numbers of a marker body like ``1, 3-5``, de-duplicated; empty if a range is reversed."""
    numbers: list[int] = []
    for item in body.replace("?", "").split(","):
        m = _ITEM_PARTS.fullmatch(item)
        lo = int(m.group(1))
        hi = int(m.group(2)) if m.group(2) else lo
        if hi < lo:
            return ()
        numbers.extend(range(lo, min(hi, lo + MAX_RANGE - 1) + 1))
    return tuple(dict.fromkeys(numbers))


def support(claim: str, passage_text: str) -> tuple[float, tuple[int, int] | None]:
    """The lexical part of the check: how many of the claim's words ``passage_text`` has, and the best quote.

    ``(score, (lo, hi))`` into ``passage_text``. Windows are each sentence of the passage and each pair of adjacent
    sentences (``claims.best_window``). A window's score is the share of the claim's distinct content words
    (hyphenated words split, reduced by a tiny suffix stemmer so "troops"/"troop" and "announced"/"announce"
    match) that occur in the window; the best window has the highest score, the earlier one and a single sentence
    on ties. Every quantity in the claim ("600,000", "33", "forty-seven", "€210 billion") must be stated somewhere
    in the passage (``numbers.unmatched``), otherwise the score is 0 (the window is still returned, to show what
    the passage says). A claim without content words scores 0. Word overlap cannot see negation or who did what
    to whom: ``check`` judges claims with ``claims.judge``, of which this is one part. The window is ``None``
    only when the passage has no text.
    """
    score, window = best_window(claim, passage_text)
    if window is None:
        return 0.0, None
    if unmatched(claim, passage_text):
        return 0.0, window
    return score, window


@dataclass
class _Group:
    """Adjacent markers of one sentence, rewritten together as ``[1][2]``."""

    start: int
    end: int
    numbers: list[int]
    sentence: int | None


class _Numbering:
    """New numbers by first appearance, one per (passage, quote window, supported), and the warnings so far."""

    def __init__(self, hits: Sequence[Hit], min_support: float, second: SecondOpinion | None = None) -> None:
        self.hits = hits
        self.min_support = min_support
        self.second = second
        self.keys: dict[tuple[int, int, int, bool], int] = {}
        self.citations: list[Citation] = []
        self.warnings: dict[str, None] = {}  # an ordered set: the same line twice is noise

    def warn(self, line: str) -> None:
        self.warnings[line] = None

    def valid(self, k: int) -> bool:
        """Whether passage ``k`` exists; warns (once per number) when it does not."""
        if 1 <= k <= len(self.hits):
            return True
        total = len(self.hits)
        if total == 0:
            why = "there are no passages"
        elif k == 0:
            why = f"passages are numbered 1 to {total}"
        else:
            why = f"there {'is' if total == 1 else 'are'} only {total} passage{'' if total == 1 else 's'}"
        self.warn(f"removed citation [{k}]: {why}")
        return False

    def cite(self, claim: str, ks: Sequence[int]) -> list[str]:
        """Check ``claim`` against the union of passages ``ks`` (``claims.judge``) and return their new markers,
        ``[n]``, or ``[n?]`` for each citation that does not hold (the claim fails, or that passage states none of
        it), with a warning that says why."""
        verdict = judge(claim, [self.hits[k - 1].chunk.text for k in ks], self.min_support,
                        published=[self.hits[k - 1].doc.published for k in ks])
        reasons = list(verdict.reasons)
        quotes = []
        for k, window in zip(ks, verdict.windows):
            chunk = self.hits[k - 1].chunk
            lo, hi = window or (0, len(chunk.text))
            quotes.append(chunk.text[lo:hi])
        if not reasons and self.second is not None:
            held = [q for q, c in zip(quotes, verdict.contributes) if c]
            objection = self.second(claim, held)
            if objection:
                reasons.append(objection)
        marks: list[tuple[int, bool, bool]] = []
        for k, window, contributes in zip(ks, verdict.windows, verdict.contributes):
            hit = self.hits[k - 1]
            chunk = hit.chunk
            lo, hi = window or (0, len(chunk.text))
            span = make_span(hit.doc, chunk.span.char_start + lo, chunk.span.char_start + hi, after=chunk.span)
            quote = hit.doc.text[span.char_start : span.char_end]
            # The quote is always cut from the document itself; if the chunk disagrees with it, offsets are broken
            # upstream and nothing may be presented as sourced.
            intact = quote == chunk.text[lo:hi]
            ok = intact and window is not None and contributes and not reasons
            key = (k, lo, hi, ok)
            n = self.keys.get(key)
            if n is None:
                n = self.keys[key] = len(self.citations) + 1
                self.citations.append(Citation(n=n, hit=hit, quote=quote, quote_span=span, supported=ok))
            if not intact:
                self.warn(f"[{n}] passage text does not match {hit.doc.path} at its offsets; citation not verified")
            marks.append((n, ok, contributes))
        where = "".join(f"[{n}]" for n, _, c in marks if c) or "".join(f"[{n}]" for n, _, _ in marks)
        for n, ok, contributes in marks:
            if not contributes and not ok:
                self.warn(f'[{n}] does not support: "{_short(claim)}" ([{n}] does not state it)')
        failed = [n for n, ok, c in marks if c and not ok]
        if failed and reasons:
            why = "; ".join(r.replace("{where}", where) for r in reasons)
            self.warn(f'{"".join(f"[{n}]" for n in failed)} does not support: "{_short(claim)}" ({why})')
        return [f"[{n}]" if ok else f"[{n}?]" for n, ok, _ in marks]


def check(answer: str, hits: Sequence[Hit], *, min_support: float = MIN_SUPPORT,
          second: SecondOpinion | None = None) -> Checked:
    """Verify every citation of ``answer`` against ``hits`` (passage n is ``hits[n-1]``) and renumber them.

    Sentences come from ``text.sentences`` (so every line, list item included, is its own sentence). A marker
    belongs to the sentence it sits in; one between sentences ("spoke. [1] Next", "spoke.[1][2] Next") to the
    sentence before it on its line, and one at the start of a line to the sentence after it. Markers citing a
    passage that does not exist are removed with a warning. Each sentence is judged against the union of the
    passages it cites by ``claims.judge`` (names, actor, quantities, polarity, new content, and at least
    ``min_support`` of its content words, default 0.6); a citation holds when the sentence does and its passage
    states part of it. ``second`` (``--verify llm``) is then asked about each sentence the rules pass and can only
    add flags. An unsupported citation stays visible as ``[n?]``, with ``supported=False`` and a warning that says
    why. A sentence with content words but no valid citation is reported as uncited, except headings (``#``
    lines, lines that are entirely bold) and lead-ins ending with ``:``; a heading that carries a marker is checked.
    When a passage's chunk text differs from its document at the chunk's offsets, nothing from it is verified.

    Numbering: new numbers run 1..m by first appearance. One number stands for one (passage, quote, verdict):
    sentences supported by the same window of a passage share a number, while a sentence supported by another
    window of the same passage gets its own number, so every ``[n]`` resolves to a quote that supports that
    very sentence. Repeats of a passage within one sentence collapse to one; adjacent markers are written
    ``[1][2]``.
    """
    markers = parse_markers(answer)
    masked = _mask(answer, markers)
    sents = sentences(masked)
    groups = _group(answer, markers, sents)
    numbering = _Numbering(hits, min_support, second)
    replacement: dict[int, str] = {}
    for si, (lo, hi) in enumerate(sents):
        claim = _LIST_BULLET.sub("", masked[lo:hi])
        cited, seen, pending = False, set(), []
        for gi, group in enumerate(groups):
            if group.sentence != si:
                continue
            ks = []
            for k in group.numbers:
                if numbering.valid(k) and k not in seen:
                    seen.add(k)
                    ks.append(k)
            pending.append((gi, ks))
            cited = cited or bool(ks)
        all_ks = [k for _, ks in pending for k in ks]
        marks = iter(numbering.cite(claim, all_ks) if all_ks else [])
        for gi, ks in pending:
            replacement[gi] = "".join(next(marks) for _ in ks)
        pending.clear()
        if not cited and _is_claim(masked, lo, claim):
            numbering.warn(f'uncited sentence: "{_short(claim)}"')
    for gi, group in enumerate(groups):
        if group.sentence is None:
            for k in group.numbers:
                numbering.warn(f"removed citation [{k}]: it is not attached to any sentence")
            replacement[gi] = ""
    return Checked(
        text=_rewrite(answer, groups, replacement),
        citations=tuple(numbering.citations),
        warnings=tuple(numbering.warnings),
    )


def _mask(text: str, markers: Sequence[Marker]) -> str:
    """``text`` with markers blanked to spaces: offsets stay, and "spoke.[1] Next" splits like "spoke. Next"."""
    chars = list(text)
    for m in markers:
        chars[m.start : m.end] = " " * (m.end - m.start)
    return "".join(chars)


def _sentence_of(text: str, pos: int, sents: Sequence[tuple[int, int]]) -> int | None:
    """The sentence a marker at ``pos`` belongs to (see ``check``), or None when the answer has no sentences."""
    line_lo = max(text.rfind("\n", 0, pos), text.rfind("\r", 0, pos)) + 1
    line_hi = min(i for i in (text.find("\n", pos), text.find("\r", pos), len(text)) if i >= 0)
    before = [i for i, (lo, _) in enumerate(sents) if lo <= pos]
    after = [i for i, (lo, _) in enumerate(sents) if lo > pos]
    if before and sents[before[-1]][0] >= line_lo:
        return before[-1]
    if after and sents[after[0]][0] < line_hi:
        return after[0]
    if before:
        return before[-1]
    return after[0] if after else None


def _group(text: str, markers: Sequence[Marker], sents: Sequence[tuple[int, int]]) -> list[_Group]:
    """Markers merged into groups: same sentence, separated only by spaces or a comma."""
    groups: list[_Group] = []
    for m in markers:
        si = _sentence_of(text, m.start, sents)
        last = groups[-1] if groups else None
        if last and last.sentence == si and _GROUP_GAP.fullmatch(text, last.end, m.start):
            last.end = m.end
            last.numbers.extend(m.numbers)
        else:
            groups.append(_Group(m.start, m.end, list(m.numbers), si))
    return groups


def _is_claim(masked: str, lo: int, claim: str) -> bool:
    """Whether an uncited sentence should have had a citation: not a heading, a lead-in, a bullet or a rule."""
    line_lo = max(masked.rfind("\n", 0, lo), masked.rfind("\r", 0, lo)) + 1
    line_end = [i for i in (masked.find("\n", lo), masked.find("\r", lo)) if i >= 0]
    line = masked[line_lo : min(line_end) if line_end else len(masked)]
    if line.lstrip().startswith("#") or _BOLD_LINE.match(line) or _ONLY_BULLET.match(claim):
        return False
    if claim.rstrip().endswith(":"):
        return False
    return bool(stems(claim))


def _rewrite(text: str, groups: Sequence[_Group], replacement: dict[int, str]) -> str:
    """``text`` with each group replaced; a removed group takes the whitespace it would leave behind with it."""
    out, pos = [], 0
    for gi, group in enumerate(groups):
        start, end = group.start, group.end
        new = replacement.get(gi, "")
        if not new:
            start, end = _tidy(text, start, end, pos)
        out.append(text[pos:start])
        out.append(new)
        pos = end
    out.append(text[pos:])
    return "".join(out)


def _tidy(text: str, start: int, end: int, floor: int) -> tuple[int, int]:
    """The region to delete for a removed marker ``text[start:end]``, so no double or stray space remains."""
    left = start
    while left > floor and text[left - 1] in " \t":
        left -= 1
    right = end
    while right < len(text) and text[right] in " \t":
        right += 1
    after = text[right] if right < len(text) else "\n"
    if after in "\r\n":  # "spoke. [7]\n" -> "spoke.\n"
        return left, right
    if after in _CLOSERS:  # "spoke [7]." -> "spoke."
        return left, end
    if left < start or start == 0 or text[start - 1] in "\r\n":  # "spoke. [7] Next", "[7] Macron"
        return start, right
    return start, end  # "spoke.[7] Next", "Macron[7] spoke"


def _short(sentence: str) -> str:
    """A sentence on one line, cut to ``_WARN_CHARS`` characters for a warning."""
    flat = re.sub(r"\s+([.,;:!?])", r"\1", " ".join(sentence.split()))  # where a marker was cut out
    return flat if len(flat) <= _WARN_CHARS else flat[: _WARN_CHARS - 3].rstrip() + "..."


def format_sources(citations: Sequence[Citation]) -> str:
    """The sources list, one line per citation: ``[1] path:L5 — Title (outlet, 2025-11-26) — "quote"``.

    Lines are ``L5`` or ``L5-L7``; a missing title, outlet or date is left out; an unsupported citation ends with
    `` (unverified)``. For display only, the quote's whitespace is collapsed to single spaces (so each source
    stays on one line) and a quote over 300 characters is cut with an ellipsis; ``Citation.quote`` stays exact.
    """
    return "\n".join(_source_line(c) for c in citations)


def _source_line(c: Citation) -> str:
    doc, span = c.hit.doc, c.quote_span
    lines = f"L{span.line_start}" if span.line_start == span.line_end else f"L{span.line_start}-L{span.line_end}"
    parts = [f"[{c.n}] {display_path(doc.path)}:{lines}"]
    meta = ", ".join(x for x in (doc.source, doc.published.isoformat() if doc.published else None) if x)
    title = " ".join((doc.title or "").split())
    if title or meta:
        parts.append(" ".join(x for x in (title, f"({meta})" if meta else "") if x))
    parts.append(f'"{_display_quote(c.quote)}"')
    return " — ".join(parts) + ("" if c.supported else " (unverified)")


def _display_quote(quote: str) -> str:
    flat = " ".join(quote.split())
    if len(flat) <= _QUOTE_DISPLAY:
        return flat
    return flat[:_QUOTE_DISPLAY].rsplit(" ", 1)[0] + "…"
