"""``briefing eval``'s reports: per-question JSON records, the summary, and the terminal table."""

from __future__ import annotations

from typing import Sequence

from briefing import config

_QUESTION_WIDTH = 52


# ---------------------------------------------------------------------------------------------------------------
# JSON


def result_json(r, k: int) -> dict:
    """One question's record."""
    from briefing.evaluate.metrics import hit_at, reciprocal_rank

    q, a = r.question, r.answer
    labelled = bool(q.expected_paths)
    rec = {
        "line": q.line, "question": q.question, "expected_paths": list(q.expected_paths),
        "expected_answer": q.expected_answer, "answerable": q.answerable,
        "rank": r.rank,
        **{f"hit@{n}": hit_at(r.rank, n) if labelled else None for n in (1, 3, 5)},
        "reciprocal_rank": reciprocal_rank(r.rank) if labelled else None,
        "answer_rank": r.answer_rank,
        f"answer@{k}": hit_at(r.answer_rank, k) if q.expected_answer else None,
        "insufficient": r.insufficient, "reason": r.reason, "answer_stated": r.stated_answer,
        "retrieved": [config.display_path(p) for p in r.paths],
        "answer": None if a is None else {
            "insufficient": a.insufficient, "citations": a.citations, "resolved": a.resolved,
            "supported": a.supported, "uncited": a.uncited, "cited_expected": a.cited_expected,
            "seconds": round(a.seconds, 4), "error": a.error,
            "llm": a.llm, "text": a.text, "warnings": list(a.warnings),
            "cited": [{**c, "path": config.display_path(c["path"])} for c in a.cited]},
        "misses": list(r.misses),
    }
    if q.nuggets:
        f = r.facts
        rec["facts"] = {"total": f.total, "in_passages": f.in_passages,
                        "stated": list(f.stated) if a is not None else None,
                        "missed": list(f.missed) if a is not None else None,
                        "recall": round(f.recall, 4) if a is not None else None}
    return rec


def report_json(report, thresholds: Sequence, source: str) -> dict:
    """The whole report: settings, per-question records, summary values and their denominators, thresholds."""
    from briefing.evaluate.metrics import metric

    checks = []
    for t in thresholds:
        m = metric(report.results, t.metric, report.depth)
        checks.append({"metric": t.metric, "minimum": t.minimum, "value": m.value,
                       "ok": m.value is not None and m.value >= t.minimum - 1e-12})
    return {
        "settings": {"questions": source, "k": report.k, "depth": report.depth, "llm": report.llm},
        "questions": [result_json(r, report.k) for r in report.results],
        "summary": {m.name: m.value for m in report.summary},
        "counts": {m.name: m.n for m in report.summary},
        "thresholds": checks,
    }


# ---------------------------------------------------------------------------------------------------------------
# Text


def _short(text: str, width: int = _QUESTION_WIDTH) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def _rank(rank: int | None, applies: bool) -> str:
    return "n/a" if not applies else ("-" if rank is None else str(rank))


def question_rows(report) -> tuple[list[str], list[list[str]]]:
    """Headers and one row of cells per question."""
    asked = report.llm is not None
    facts = any(r.facts is not None for r in report.results)
    headers = ["#", "question", "file rank", "answer rank", "verdict"]
    if facts:
        headers += ["facts stated/all" if asked else "facts in passages"]
    if asked:
        headers += ["cites ok/sup/all", "uncited", "cited exp", "secs"]
    headers.append("result")
    rows = []
    for i, r in enumerate(report.results, 1):
        q, a = r.question, r.answer
        row = [str(i), _short(q.question), _rank(r.rank, bool(q.expected_paths)),
               _rank(r.answer_rank, bool(q.expected_answer and q.answerable)),
               "abstained" if r.insufficient else "answered"]
        if facts:
            f = r.facts
            row.append("" if f is None else f"{len(f.stated) if asked else f.in_passages}/{f.total}")
        if asked:
            if a is None:
                row += ["", "", "", ""]
            else:
                exp = "n/a" if a.cited_expected is None else ("yes" if a.cited_expected else "no")
                row += [f"{a.resolved}/{a.supported}/{a.citations}", str(a.uncited), exp, f"{a.seconds:.2f}"]
        row.append("ok" if not r.misses else "MISS")
        rows.append(row)
    return headers, rows


def _value(m) -> str:
    if m.value is None:
        return "n/a"
    if m.name.startswith("latency"):
        return f"{m.value:.2f}s"
    if m.name == "uncited":
        return str(int(m.value))
    return f"{m.value:.3f}"


_LABELS = {"mrr": "MRR@10", "abstain": "abstained when unanswerable", "false_abstain": "abstained when answerable",
           "resolved": "citations resolving to a real quote", "supported": "citations judged supported",
           "cited_expected": "answers citing an expected file", "uncited": "uncited sentences",
           "latency_p50": "latency median", "latency_p90": "latency p90",
           "answer_stated": "answers stating the answer string", "facts": "key-fact recall (answer)", "fully_answered": "answers stating every key fact",
           "facts_in_passages": "key facts held by the top k passages"}


def summary_rows(report) -> list[list[str]]:
    """``[metric, value, over n]`` per summary figure."""
    rows = []
    for m in report.summary:
        label = _LABELS.get(m.name, m.name)
        if m.name.startswith("hit@"):
            label = f"{m.name} (expected file)"
        elif m.name.startswith("recall@"):
            label = f"{m.name} (answer string)"
        unit = "citation" if m.name in ("resolved", "supported") else "question"
        rows.append([label, _value(m), f"{m.n} {unit}{'' if m.n == 1 else 's'}"])
    return rows


def miss_lines(report) -> list[str]:
    """``#2 question: why; why`` for every question with a miss."""
    return [f"#{i} {_short(r.question.question, 70)}: {'; '.join(r.misses)}"
            for i, r in enumerate(report.results, 1) if r.misses]


def _columns(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> list[str]:
    widths = [max(len(str(c)) for c in col) for col in zip(headers, *rows)]
    fmt = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return [fmt(headers), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]


def _title(report) -> str:
    how = f"answers by {report.llm}, k={report.k}" if report.llm else f"retrieval only, k={report.k}"
    return f"{len(report.results)} questions; ranking depth {report.depth}; {how}"


def report_text(report) -> str:
    """The plain-text report: per-question table, summary, misses."""
    headers, rows = question_rows(report)
    out = [_title(report), ""] + _columns(headers, rows) + [""]
    out += _columns(["metric", "value", "over"], summary_rows(report))
    lines = miss_lines(report)
    out += ["", f"misses ({len(lines)}):" if lines else "misses: none"] + [f"  {line}" for line in lines]
    return "\n".join(out)


def print_rich(report) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    headers, rows = question_rows(report)
    table = Table(title=_title(report), title_justify="left")
    for h in headers:
        table.add_column(h, justify="left" if h in ("question", "verdict") else "right",
                         overflow="fold" if h == "question" else "ellipsis")
    for row in rows:
        table.add_row(*row[:-1], "[green]ok[/]" if row[-1] == "ok" else "[red]MISS[/]")
    console.print(table)
    summary = Table(title="summary", title_justify="left")
    for h, j in (("metric", "left"), ("value", "right"), ("over", "right")):
        summary.add_column(h, justify=j)
    for row in summary_rows(report):
        summary.add_row(*row)
    console.print(summary)
    lines = miss_lines(report)
    console.print(f"[bold]misses ({len(lines)}):[/]" if lines else "misses: none", highlight=False)
    for line in lines:
        console.print(f"  {line}", highlight=False, markup=False)
