"""Evaluation of retrieval and cited answers against a JSONL question set: metrics, thresholds and the runner."""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Sequence

from briefing.errors import LLMError, UsageError
from briefing.evaluate.facts import Facts, answer_body, answer_parts, check_facts, contains, normalise, parse_nuggets  # noqa: F401
from briefing.types import Answer, Citation, Hit

DEPTH = 10  # one ranking per question, deep enough for hit@5 and MRR@10
HIT_KS = (1, 3, 5)
RECALL_KS = (1, 3, 5)
# Threshold keys name metrics where higher is better; hit@N and recall@N take any N up to the search depth.
FIXED_METRICS = ("mrr", "abstain", "resolved", "supported", "cited_expected", "facts", "fully_answered",
                 "facts_in_passages", "answer_stated")

NOT_RETRIEVED = "not retrieved"
NOT_CITED = "retrieved but not cited"
SHOULD_ABSTAIN = "answered when it should abstain"
WRONG_ABSTAIN = "abstained but answerable"
NO_ANSWER_STRING = "answer string not in top k"
MISSED_FACTS = "missed key facts"


@dataclass(frozen=True)
class Question:
    """One line of the question file; ``line`` is its 1-based line number."""

    question: str
    expected_paths: tuple[str, ...] = ()
    expected_answer: str | None = None
    answerable: bool = True
    line: int = 0
    nuggets: tuple[tuple[str, ...], ...] = ()  # key facts, each as alternative strings (see evaluate/facts.py)


@dataclass(frozen=True)
class AnswerCheck:
    """What ``ask`` produced for a question, checked: citation counts, uncited sentences, timing."""

    insufficient: bool
    citations: int
    resolved: int
    supported: int
    uncited: int
    cited_expected: bool | None  # None when the question names no expected file
    seconds: float
    error: str | None = None
    text: str = ""  # the answer as shown, with its [n] markers
    llm: str = ""  # the generator that wrote it ("extractive (after local)" for a fallback)
    warnings: tuple[str, ...] = ()
    cited: tuple[dict, ...] = ()  # per citation: n, path, line, supported, quote


@dataclass(frozen=True)
class Result:
    """One question's outcome: ranked document paths, the ranks that matter, the abstention verdict, the answer."""

    question: Question
    paths: tuple[str, ...]
    rank: int | None  # 1-based rank of the first passage from an expected file, None if absent or not labelled
    answer_rank: int | None  # 1-based rank of the first passage containing the expected answer string
    insufficient: bool
    reason: str
    answer: AnswerCheck | None = None
    misses: tuple[str, ...] = ()
    facts: Facts | None = None  # None when the question has no key facts
    stated_answer: bool | None = None  # whether the answer's text states the expected answer string (when asked)


@dataclass(frozen=True)
class Metric:
    """A summary figure: ``value`` (None when no question applies) over ``n`` questions or citations."""

    name: str
    value: float | None
    n: int


@dataclass(frozen=True)
class Threshold:
    """A minimum for one metric, from ``--min-hit hit@3=0.8``."""

    metric: str
    minimum: float


@dataclass(frozen=True)
class Report:
    """The results, the summary and the settings they were measured with."""

    results: tuple[Result, ...]
    summary: tuple[Metric, ...]
    k: int
    depth: int
    llm: str | None


# ---------------------------------------------------------------------------------------------------------------
# Reading questions


def load_questions(path: Path) -> list[Question]:
    """Parse a JSONL question file; a malformed line or a missing file raises ``UsageError`` naming it."""
    try:
        raw = Path(path).read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise UsageError(f"questions file not found: {path}") from None
    except IsADirectoryError:
        raise UsageError(f"{path} is a directory; give a .jsonl file of questions") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"cannot read {path}: {exc}") from None
    out = [parse_question(line, n, path) for n, line in enumerate(raw.splitlines(), 1) if line.strip()]
    if not out:
        raise UsageError(f"{path} holds no questions; expected one JSON object per line")
    return out


def parse_question(line: str, n: int = 0, source: object = "<questions>") -> Question:
    """One JSONL line to a ``Question``; anything malformed raises a one-line ``UsageError`` with ``file:line``."""
    where = f"{source}:{n}"
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise UsageError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
    if not isinstance(obj, dict):
        raise UsageError(f"{where}: expected a JSON object with a \"question\"")
    q = obj.get("question")
    if not isinstance(q, str) or not q.strip():
        raise UsageError(f"{where}: \"question\" must be a non-empty string")
    paths = obj.get("expected_paths", [])
    if paths is None:
        paths = []
    if not isinstance(paths, list) or not all(isinstance(p, str) and p.strip() for p in paths):
        raise UsageError(f"{where}: \"expected_paths\" must be a list of file names")
    expected = obj.get("expected_answer")
    if expected is not None and not isinstance(expected, str):
        raise UsageError(f"{where}: \"expected_answer\" must be a string")
    answerable = obj.get("answerable", True)
    if not isinstance(answerable, bool):
        raise UsageError(f"{where}: \"answerable\" must be true or false")
    nuggets = parse_nuggets(obj.get("nuggets"))
    if nuggets is None:
        raise UsageError(f"{where}: \"nuggets\" must be a list of key facts, each a list of alternative strings")
    return Question(q.strip(), tuple(p.strip() for p in paths), expected if expected and expected.strip() else None,
                    answerable, n, nuggets)


# ---------------------------------------------------------------------------------------------------------------
# Metrics on one question


def path_matches(path: str, expected: str) -> bool:
    """Whether a document ``path`` is the ``expected`` file: same base name, or ``path`` ends with it. A
    document is also known by its url (``path`` may be one, for articles of a JSONL dump): an expected
    ``https://...`` matches it exactly, ignoring a trailing slash."""
    if re.match(r"https?://", expected.strip()):
        return path.strip().rstrip("/") == expected.strip().rstrip("/")
    p, e = path.replace("\\", "/"), expected.replace("\\", "/").strip("/")
    if "/" not in e:
        return p.rsplit("/", 1)[-1] == e
    return p == e or p.endswith("/" + e)


def doc_name(doc, expected: Sequence[str]) -> str:
    """What to compare with ``expected``: the document's url when the labels are urls (an article of a JSONL
    dump is known by its url, its file holds hundreds of them), else its path."""
    if doc.url and any(re.match(r"https?://", e.strip()) for e in expected):
        return doc.url
    return doc.path


def first_rank(paths: Sequence[str], expected: Sequence[str]) -> int | None:
    """1-based position of the first ``paths`` entry matching any ``expected`` path; None if none does."""
    for i, p in enumerate(paths, 1):
        if any(path_matches(p, e) for e in expected):
            return i
    return None


def hit_at(rank: int | None, k: int) -> bool:
    """Whether a relevant item sits within the top ``k``."""
    return rank is not None and rank <= k


def reciprocal_rank(rank: int | None, cutoff: int = DEPTH) -> float:
    """``1/rank`` when ranked within ``cutoff``, else 0."""
    return 1.0 / rank if rank is not None and rank <= cutoff else 0.0


def answer_rank(texts: Iterable[str], answer: str) -> int | None:
    """The smallest k such that the first k passage texts contain every part of ``answer`` (normalised both
    sides, see :func:`answer_parts`), 1-based; None if they never do."""
    missing = set(answer_parts(answer))
    if not missing:
        return None
    for i, t in enumerate(texts, 1):
        text = normalise(t)
        missing = {p for p in missing if not contains(text, p)}
        if not missing:
            return i
    return None


def citation_resolves(c: Citation, read: Callable[[str], str | None] | None = None) -> bool:
    """Whether a citation's quote is its document's text at its span, and (verbatim documents, when ``read`` is
    given) also the file's text on disk at those offsets."""
    s = c.quote_span
    if c.hit.doc.text[s.char_start : s.char_end] != c.quote:
        return False
    if read is not None and c.hit.doc.verbatim:
        disk = read(c.hit.doc.path)
        return disk is not None and disk[s.char_start : s.char_end] == c.quote
    return True


class DiskText:
    """Reads and decodes article files the way the loader does, once per path; None when unreadable."""

    def __init__(self) -> None:
        self._cache: dict[str, str | None] = {}

    def __call__(self, path: str) -> str | None:
        if path not in self._cache:
            from briefing.ingest.decode import decode

            try:
                self._cache[path] = decode(Path(path).read_bytes())
            except OSError:
                self._cache[path] = None
        return self._cache[path]


def check_answer(a: Answer, q: Question, seconds: float, read: Callable[[str], str | None] | None = None
                 ) -> AnswerCheck:
    """Count an answer's citations that resolve and that are supported, its uncited sentences, and whether it
    cites an expected file."""
    cited = None
    if q.expected_paths:
        cited = any(first_rank([doc_name(c.hit.doc, q.expected_paths)], q.expected_paths) for c in a.citations)
    return AnswerCheck(
        insufficient=a.insufficient_evidence,
        citations=len(a.citations),
        resolved=sum(citation_resolves(c, read) for c in a.citations),
        supported=sum(c.supported for c in a.citations),
        uncited=sum(w.startswith("uncited sentence") for w in a.warnings),
        cited_expected=cited,
        seconds=seconds,
        text=a.text,
        llm=a.llm,
        warnings=tuple(a.warnings),
        cited=tuple({"n": c.n, "path": c.hit.doc.path, "line": c.quote_span.line_start,
                     "supported": c.supported, "quote": c.quote} for c in a.citations),
    )


def misses(q: Question, rank: int | None, ans_rank: int | None, insufficient: bool, k: int,
           answer: AnswerCheck | None, facts: Facts | None = None) -> tuple[str, ...]:
    """Why a question failed, in pipeline order; empty when it did not."""
    out = [f"error: {answer.error}"] if answer is not None and answer.error else []
    if q.expected_paths and rank is None:
        out.append(NOT_RETRIEVED)
    if answer is not None and rank is not None and not answer.insufficient and not answer.cited_expected:
        out.append(NOT_CITED)
    if not q.answerable and not insufficient:
        out.append(SHOULD_ABSTAIN)
    if q.answerable and insufficient:
        out.append(WRONG_ABSTAIN)
    if q.answerable and q.expected_answer and not hit_at(ans_rank, k):
        out.append(NO_ANSWER_STRING)
    if answer is not None and facts is not None and facts.missed and q.answerable:
        out.append(f"{MISSED_FACTS}: " + ", ".join(facts.missed))
    return tuple(out)


# ---------------------------------------------------------------------------------------------------------------
# Running


def evaluate_question(session, q: Question, *, k: int = 6, depth: int = DEPTH, generator=None,
                      read: Callable[[str], str | None] | None = None,
                      clock: Callable[[], float] = time.perf_counter) -> Result:
    """Search once at ``depth`` for the ranking metrics; then ``ask`` with ``k`` passages unless ``generator`` is
    None, in which case the evidence check on the top ``k`` passages decides abstention."""
    from briefing.answer.ask import answer
    from briefing.answer.evidence import assess
    from briefing.answer.retrieve import SearchSettings

    hits: list[Hit] = session.search(q.question, SearchSettings(k=max(depth, k)))
    paths = tuple(h.doc.path for h in hits)
    names = [doc_name(h.doc, q.expected_paths) for h in hits]
    rank = first_rank(names[:depth], q.expected_paths) if q.expected_paths else None
    ans_rank = answer_rank((h.chunk.text for h in hits), q.expected_answer) if q.expected_answer else None
    checked, said = None, None
    if generator is None:
        verdict = assess(q.question, hits[:k])
        insufficient, reason = not verdict.sufficient, verdict.reason
    else:
        start = clock()
        try:
            a = answer(session, q.question, generator, k=k)
        except LLMError as exc:
            checked = AnswerCheck(True, 0, 0, 0, 0, False if q.expected_paths else None, clock() - start, str(exc))
            insufficient, reason = True, f"error: {exc}"
        else:
            checked = check_answer(a, q, clock() - start, read)
            insufficient = a.insufficient_evidence
            said = None if insufficient else a.text
            reason = "ok"
            if insufficient:
                reason = next((w for w in a.warnings if w.startswith("insufficient evidence")),
                              a.warnings[-1] if a.warnings else "no citation survived the check")
    facts = None
    if q.nuggets:
        facts = check_facts(q.nuggets, said, (h.chunk.text for h in hits[:k]))
    stated = None
    if checked is not None and q.expected_answer:
        stated = bool(said) and answer_rank([answer_body(said)], q.expected_answer) == 1
    return Result(q, paths, rank, ans_rank, insufficient, reason, checked,
                  misses(q, rank, ans_rank, insufficient, k, checked, facts), facts, stated)


def run(session, questions: Sequence[Question], *, k: int = 6, generator=None, depth: int = DEPTH,
        verify_files: bool = True, progress: Callable[[int, int], None] | None = None) -> Report:
    """Evaluate every question against ``session`` (a ``Session`` or anything with its ``search``); ``generator``
    None evaluates retrieval and the evidence check only."""
    read = DiskText() if verify_files else None
    results = []
    for i, q in enumerate(questions, 1):
        results.append(evaluate_question(session, q, k=k, depth=depth, generator=generator, read=read))
        if progress:
            progress(i, len(questions))
    name = getattr(generator, "name", None)
    return Report(tuple(results), summarise(results, k, depth), k, depth, name)


# ---------------------------------------------------------------------------------------------------------------
# Aggregation and thresholds


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def percentile(values: Sequence[float], p: float) -> float | None:
    """Nearest-rank percentile (``p`` in 0..100); None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(p / 100 * len(ordered)) - 1)]


def metric(results: Sequence[Result], name: str, depth: int = DEPTH) -> Metric:
    """One summary figure by name: ``hit@N``, ``recall@N`` (N up to ``depth``), ``mrr``, ``abstain``,
    ``false_abstain``, ``answer_stated`` (answers whose text states the expected answer string), ``resolved``, ``supported``, ``cited_expected``, ``uncited``, ``latency_p50``/``p90``,
    and over the answerable questions with key facts: ``facts`` (key-fact recall: the mean share of a question's
    facts its answer states, an abstention stating none), ``fully_answered`` (the share whose answer states every
    one) and ``facts_in_passages`` (the mean share held by the top k passages, what an answer could state)."""
    labelled = [r for r in results if r.question.expected_paths]
    with_answer = [r for r in results if r.question.answerable and r.question.expected_answer]
    asked = [r.answer for r in results if r.answer is not None]
    m = re.fullmatch(r"(hit|recall)@(\d+)", name)
    if m:
        n = int(m.group(2))
        if m.group(1) == "hit":
            return Metric(name, _mean([float(hit_at(r.rank, n)) for r in labelled]), len(labelled))
        return Metric(name, _mean([float(hit_at(r.answer_rank, n)) for r in with_answer]), len(with_answer))
    if name == "mrr":
        return Metric(name, _mean([reciprocal_rank(r.rank, depth) for r in labelled]), len(labelled))
    if name in ("abstain", "false_abstain"):
        group = [r for r in results if r.question.answerable == (name == "false_abstain")]
        return Metric(name, _mean([float(r.insufficient) for r in group]), len(group))
    if name in ("resolved", "supported"):
        total = sum(a.citations for a in asked)
        part = sum(getattr(a, name) for a in asked)
        return Metric(name, part / total if total else None, total)
    if name == "cited_expected":
        group = [a for a in asked if a.cited_expected is not None and not a.insufficient]
        return Metric(name, _mean([float(a.cited_expected) for a in group]), len(group))
    if name == "uncited":
        return Metric(name, float(sum(a.uncited for a in asked)) if asked else None, len(asked))
    if name == "answer_stated":
        group = [r for r in with_answer if r.stated_answer is not None]
        return Metric(name, _mean([float(r.stated_answer) for r in group]), len(group))
    if name in ("facts", "fully_answered", "facts_in_passages"):
        group = [r.facts for r in results if r.facts is not None and r.question.answerable
                 and (name == "facts_in_passages" or r.answer is not None)]
        if name == "facts":
            values = [f.recall for f in group]
        elif name == "fully_answered":
            values = [float(not f.missed) for f in group]
        else:
            values = [f.in_passages / f.total for f in group]
        return Metric(name, _mean(values), len(group))
    if name in ("latency_p50", "latency_p90"):
        return Metric(name, percentile([a.seconds for a in asked], 50 if name.endswith("50") else 90), len(asked))
    raise UsageError(f"unknown metric {name!r}")


def summarise(results: Sequence[Result], k: int = 6, depth: int = DEPTH) -> tuple[Metric, ...]:
    """The summary: hit@1/3/5, MRR@10, answer recall @1/3/5/@k, abstention, and the answer checks when asked."""
    names = [f"hit@{n}" for n in HIT_KS] + ["mrr"]
    names += [f"recall@{n}" for n in sorted(set(RECALL_KS) | {k})] + ["abstain", "false_abstain"]
    asked = any(r.answer is not None for r in results)
    if any(r.facts is not None for r in results):
        names += (["facts", "fully_answered"] if asked else []) + ["facts_in_passages"]
    if asked:
        names += ["answer_stated"] if any(r.stated_answer is not None for r in results) else []
        names += ["resolved", "supported", "cited_expected", "uncited", "latency_p50", "latency_p90"]
    return tuple(metric(results, n, depth) for n in names)


def parse_threshold(text: str, depth: int = DEPTH) -> Threshold:
    """``3=0.8``, ``hit3=0.8``, ``hit@3=0.8``, ``mrr=0.5``, ``recall@5=0.4``, ``abstain=1`` -> ``Threshold``;
    anything else raises a one-line ``UsageError``."""
    key, sep, value = text.partition("=")
    key = key.strip().lower().replace(" ", "")
    if not sep or not key:
        raise UsageError(f"--min-hit {text!r}: expected METRIC=VALUE, e.g. hit@3=0.8")
    try:
        minimum = float(value)
    except ValueError:
        raise UsageError(f"--min-hit {text!r}: {value.strip()!r} is not a number between 0 and 1") from None
    if not 0.0 <= minimum <= 1.0:
        raise UsageError(f"--min-hit {text!r}: the minimum must be between 0 and 1")
    m = re.fullmatch(r"(?:(hit|recall)@?)?(\d+)", key)
    if m:
        n = int(m.group(2))
        if not 1 <= n <= depth:
            raise UsageError(f"--min-hit {text!r}: N in hit@N / recall@N must be 1..{depth}")
        return Threshold(f"{m.group(1) or 'hit'}@{n}", minimum)
    if key in ("mrr@10", f"mrr@{depth}"):
        key = "mrr"
    if key not in FIXED_METRICS:
        raise UsageError(f"--min-hit {text!r}: unknown metric {key!r}; use hit@N, recall@N, "
                         + ", ".join(FIXED_METRICS))
    return Threshold(key, minimum)


def failures(report: Report, thresholds: Sequence[Threshold]) -> list[str]:
    """One line per threshold not met; a metric no question applies to counts as not met."""
    out = []
    for t in thresholds:
        m = metric(report.results, t.metric, report.depth)
        if m.value is None:
            out.append(f"{t.metric}: no value (no question applies), minimum {t.minimum:g}")
        elif m.value < t.minimum - 1e-12:
            out.append(f"{t.metric} {m.value:.3f} < {t.minimum:g}")
    return out

