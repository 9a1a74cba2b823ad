"""The memo's data model: the window it covers, its sections, timeline events and disagreements, and the memo."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from briefing.types import Citation, Document

EXTRACTIVE_NOTE = "Extractive memo: every line is a sentence quoted from the sources, chosen by rules; no LLM was used."


@dataclass(frozen=True)
class Section:
    """A prose section: ``body`` is Markdown (``### label`` sub-headings, ``- `` bullets) with ``[n]`` markers."""

    key: str  # summary | developments | actors | watch
    heading: str
    body: str


@dataclass(frozen=True)
class Window:
    """The inclusive publication-date window and how it was chosen (shown in the memo's header)."""

    since: date
    until: date
    how: str


@dataclass(frozen=True)
class Event:
    """A timeline entry: the day(s) it happened, what happened (cited) and the date expression it was read from."""

    first: date
    last: date
    text: str
    citations: tuple[int, ...]
    phrase: str
    published: date
    approximate: bool = False
    relative: bool = False


@dataclass(frozen=True)
class Side:
    """One side of a disagreement: the value an article gives and its cited sentence."""

    value: str
    text: str
    citations: tuple[int, ...]
    path: str


@dataclass(frozen=True)
class Disagreement:
    """Conflicting figures, dates or claims (``kind``) about one ``subject``, each side cited."""

    subject: str
    kind: str  # figure | date | claim
    sides: tuple[Side, ...]
    note: str = ""


@dataclass(frozen=True)
class Memo:
    """Everything a template renders. Every ``[n]`` in any text resolves to ``citations[n-1]``."""

    title: str
    window: Window
    sections: tuple[Section, ...]
    timeline: tuple[Event, ...]
    disagreements: tuple[Disagreement, ...]
    citations: tuple[Citation, ...]
    documents: tuple[Document, ...]
    undated: tuple[Document, ...]
    warnings: tuple[str, ...]
    llm: str
    topics: tuple[str, ...] = ()
    usage: dict = field(default_factory=dict)
    undated_included: bool = False  # the undated articles are used (and in ``documents``), their citations marked
    copies: dict = field(default_factory=dict)  # original doc id -> ids of its syndicated copies ("also in")
    flagged: dict = field(default_factory=dict)  # doc id -> why its text is of low quality (``quality``)
    sources_checked: str = ""  # how the sources' fluency was checked, or why it was not (``quality.checked_note``)

    def section(self, key: str) -> Section | None:
        """The section with ``key`` (summary, developments, actors or watch), or None when the memo has none."""
        return next((s for s in self.sections if s.key == key), None)
