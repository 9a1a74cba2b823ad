"""The memo's prose sections: what each is made from, and its text written extractively or by an LLM, then verified."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from typing import Sequence

from briefing.memo.actors import speakers, statements
from briefing.memo.pool import Salience, Sentence, pick
from briefing.memo.model import Section, Window
from briefing.memo.register import Register
from briefing.memo.themes import Theme, pick_summary
from briefing.memo.watch import ahead as watch_items
from briefing.types import Hit



@dataclass(frozen=True)
class Plan:
    """What one prose section is made from: its sentences (extractive) and the task an LLM gets for it."""

    key: str
    heading: str
    kind: str
    label: str
    sentences: tuple[Sentence, ...]
    lines: tuple[str, ...]  # the extractive text, one line per sentence, citing [k] = sentences[k-1]


def plan_sections(themes: Sequence[Theme], pool: Sequence[Sentence], salience: Salience, window: Window,
                  meaning: dict) -> list[Plan]:
    """The prose sections' plans in memo order: the summary, up to three sentences per theme, who said what and
    what to watch. The summary, the themes and what to watch share no sentence; who said what may repeat one."""
    used: list[Sentence] = []
    summary = pick_summary(pool, salience, window, meaning)
    used += summary
    plans = [Plan("summary", "Executive summary", "summary", "", tuple(summary), _bullets(summary))]
    per_theme = 3 if len(themes) <= 5 else 2  # every story gets its theme; many themes get fewer lines each
    for t in themes:
        chosen = pick(t.members, per_theme, used)
        if chosen:
            plans.append(Plan("developments", "Key developments", "theme", t.label, tuple(chosen),
                              _bullets(chosen)))
    quotes = speakers(statements(pool), salience, pool=pool)
    lines, said = [], []
    for name, sents in quotes:
        lines.append(("\n" if lines else "") + f"**{_md_plain(name[:1].upper() + name[1:])}**")
        for s in sents:
            said.append(s)
            lines.append(f"- {s.plain} [{len(said)}]")
    plans.append(Plan("actors", "Who said what", "actors", "", tuple(said), tuple(lines)))
    forward = watch_items(pool, salience, window)
    ahead = pick(forward, 5, [s for p in plans for s in p.sentences if p.key != "actors"], per_doc=3)
    if len(ahead) < 2:  # a short window: better to repeat a sentence than to miss what comes next
        ahead += pick([s for s in forward if s not in ahead], 2 - len(ahead), list(ahead), per_doc=3)
    plans.append(Plan("watch", "What to watch next", "watch", "", tuple(ahead), _bullets(ahead)))
    return plans


def _bullets(chosen: Sequence[Sentence]) -> tuple[str, ...]:
    return tuple(f"- {s.plain} [{i}]" for i, s in enumerate(chosen, 1))


def _md_plain(text: str) -> str:
    return text.replace("*", "").replace("[", "(").replace("]", ")")


_EMPTY = {
    "summary": "The window's articles yielded no sentence that summarises them.",
    "actors": "No named person is quoted with a stated position in the window's articles.",
    "watch": "The window's articles announce nothing still ahead when the window ends (planned, expected or "
             "undecided).",
}


def write_sections(plans: Sequence[Plan], register: Register, llm, max_context: int, window: Window
                   ) -> tuple[list[Section], dict]:
    """Each plan written (by ``llm`` or extractively), verified, and gathered into sections in plan order."""
    bodies: dict[str, list[str]] = {}
    headings: dict[str, str] = {}
    usage: Counter = Counter()
    for plan in plans:
        headings.setdefault(plan.key, plan.heading)
        where = plan.heading + (f" / {plan.label}" if plan.label else "")
        text = None
        if llm is not None and plan.sentences:
            text, used = _llm_text(llm, plan, max_context, window, usage)
            state, seen = register.checkpoint(), len(register.warnings)
            body, cited = register.verify(text, used, where) if text else ("", ())
            if not register.supported(cited):  # prose the sources do not back is not shown at all
                why = register.warnings[seen:]  # what the checks found wrong with it, kept for the reader
                register.restore(state)
                register.warnings.append(f"{where}: the LLM's text had no verified citation; "
                                         "the sources' own sentences are shown instead")
                # its citation numbers were given back with it: the reasons name the sentences, not numbers
                register.warnings.extend(
                    re.sub(r"^(.*?: )(?:\[\d+\??\])+ ", r"\1the cited passage ", line) + " (in the LLM's text, not shown)"
                    for line in why)
                text = None
        if text is None:
            # the sources' own sentences, verbatim: the rules check them, a second opinion would add nothing
            body, _ = register.verify("\n".join(plan.lines), [s.hit() for s in plan.sentences], where, second=False)
        if plan.label:
            body = f"### {_md_plain(plan.label)}\n\n{body}"
        bodies.setdefault(plan.key, []).append(body.strip())
    sections = []
    for key, parts in bodies.items():
        body = "\n\n".join(p for p in parts if p) or _EMPTY.get(key, "Nothing found.")
        sections.append(Section(key, headings[key], body))
    return sections, dict(usage)


def _llm_text(llm, plan: Plan, max_context: int, window: Window, usage: Counter) -> tuple[str, list[Hit]]:
    """The LLM's text for one section, written from that section's own passages (the chunks holding its
    sentences), and the passages it was given, numbered as in the prompt. Article text goes in as data only."""
    from briefing.answer.prompting import TOKENS_PER_MESSAGE, estimate_tokens, neutralise, passage_fields, prompt_env

    hits: list[Hit] = []
    seen: set = set()
    for s in plan.sentences:
        key = s.chunk.id if s.chunk else (s.doc.id, s.start)
        if key not in seen:
            seen.add(key)
            hits.append(Hit(s.chunk, s.doc, 1.0) if s.chunk else s.hit())
    env = prompt_env()
    system = env.get_template("memo_system.j2").render()
    template = env.get_template("memo_section.j2")
    label = neutralise(" ".join(plan.label.split()))

    def user(passages: list[dict]) -> str:
        return template.render(kind=plan.kind, heading=plan.heading, label=label, since=window.since.isoformat(),
                               until=window.until.isoformat(), passages=passages)

    passages: list[dict] = []
    used: list[Hit] = []
    for hit in hits:
        candidate = [*passages, passage_fields(len(used) + 1, hit, hit.chunk.text)]
        if estimate_tokens(system) + estimate_tokens(user(candidate)) + 2 * TOKENS_PER_MESSAGE <= max_context:
            passages, used = candidate, [*used, hit]
    if not used:
        return "", []
    done = llm.complete([{"role": "system", "content": system}, {"role": "user", "content": user(passages)}])
    usage.update({k: v for k, v in done.usage.items() if isinstance(v, int)})
    return done.text, used
