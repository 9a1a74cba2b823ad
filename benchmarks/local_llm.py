"""The local model (``--llm local``) against the extractive generator: key-fact recall on nuggets-dev per prompt
budget, abstentions, unverifiable quotes; then speed: ``ask`` and ``memo`` wall time (fresh processes, model load
included; cold, then with the system prompts' state kept on disk) and tokens/s through briefing against llama.cpp's
own counters on the same prompt.

    .venv/bin/python benchmarks/local_llm.py [--budgets 1200,2000,3000] [--work /tmp/briefing-bench-local]
        [--local-model PATH.gguf] [--skip-quality] [--skip-speed] [--json OUT.json]

Key-fact recall: each answerable question lists key facts, each a list of alternative strings (``nuggets``); a fact
is found when one alternative occurs in the answer (the eval's answer matching: normalised, whole words). The
score is the mean share of facts found per answerable question."""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.common import BRIEFING, ROOT, SHARED, timed  # noqa: E402

NUGGETS = SHARED / "eval" / "nuggets-dev.jsonl"
CORPORA = {"seeds": ROOT / "examples" / "articles", "realtimeqa": SHARED / "corpus" / "realtimeqa-2025-01"}
ASK_QUESTIONS = ("what did Macron announce",
                 "What limit did the initial US peace proposal put on Ukraine's military?",
                 "What did the White House say about security guarantees for Ukraine?")


def key_fact_recall(text: str, nuggets: list[list[str]]) -> float:
    from briefing.evaluate.metrics import contains, normalise

    norm = normalise(text)
    found = sum(any(contains(norm, normalise(alt)) for alt in alts) for alts in nuggets)
    return found / len(nuggets) if nuggets else 0.0


def build_indexes(work: Path, names) -> dict[str, Path]:
    """An index per corpus under ``work``, built unless it is there (``briefing index`` is incremental anyway)."""
    out = {}
    for name in names:
        src, index = CORPORA[name], work / f"index-{name}"
        if not (index / "briefing.sqlite").exists():
            print(f"indexing {name} ...", file=sys.stderr, flush=True)
            subprocess.run([BRIEFING, "index", str(src), "--index", str(index), "-q"], check=True,
                           stdout=subprocess.DEVNULL)
        out[name] = index
    return out


def quality(indexes: dict[str, Path], generator, label: str, corpus: str | None = None) -> dict:
    from briefing.answer.ask import answer
    from briefing.answer.session import Session
    from briefing.evaluate.metrics import DiskText, citation_resolves

    sessions = {name: Session(path) for name, path in indexes.items()}
    read = DiskText()
    recalls, seconds, rows = [], [], []
    abstained = false_abstain = unanswerable = citations = unresolved = unsupported = fallbacks = 0
    for line in NUGGETS.read_text(encoding="utf-8").splitlines():
        q = json.loads(line)
        if corpus and q["corpus"] != corpus:
            continue
        start = time.perf_counter()
        a = answer(sessions[q["corpus"]], q["question"], generator)
        seconds.append(time.perf_counter() - start)
        citations += len(a.citations)
        unresolved += sum(not citation_resolves(c, read) for c in a.citations)
        unsupported += sum(not c.supported for c in a.citations)
        fallbacks += a.llm.startswith("extractive (after")
        row = {"question": q["question"], "answer": a.text, "llm": a.llm, "seconds": round(seconds[-1], 1)}
        if q["answerable"]:
            recalls.append(key_fact_recall(a.text, q["nuggets"]))
            false_abstain += a.insufficient_evidence
            row["recall"] = recalls[-1]
        else:
            unanswerable += 1
            abstained += a.insufficient_evidence
        rows.append(row)
        print(f"  [{label}] {seconds[-1]:5.1f}s {row.get('recall', 'abstain' if a.insufficient_evidence else 'ans')}"
              f" {q['question'][:70]}", file=sys.stderr, flush=True)
    return {"generator": label, "key_fact_recall": round(statistics.mean(recalls), 3),
            "abstentions": f"{abstained}/{unanswerable}", "false_abstentions": false_abstain,
            "citations": citations, "unverifiable_quotes": unresolved, "unsupported_citations": unsupported,
            "extractive_fallbacks": fallbacks, "median_s": round(statistics.median(seconds), 1), "rows": rows}


def throughput(index: Path, model: str | None, budget: int) -> dict:
    """One ask prompt through briefing's LocalChat (structured, as ``--llm local`` runs it) and through llama.cpp
    directly (the same chat messages, no schema), each on a fresh context; llama.cpp's counters for both."""
    from briefing.answer.local import LocalChat, load
    from briefing.answer.prompting import ask_messages
    from briefing.answer.retrieve import SearchSettings
    from briefing.answer.session import Session
    from briefing.answer import prefix_cache
    from briefing.answer.structured import StructuredChat, with_instruction

    session = Session(index)
    hits = session.search(ASK_QUESTIONS[0], SearchSettings(k=6))
    messages, _ = ask_messages(ASK_QUESTIONS[0], hits, max_context=budget)
    chat = LocalChat(model, max_context=budget)
    wrapped = StructuredChat(chat)
    out = {}
    for label in ("warm-up", "briefing", "llama.cpp"):
        llm = load(chat.path, 0)
        llm.reset()  # no reused prefix: both runs evaluate the whole prompt
        kept = prefix_cache.location(chat.path, with_instruction(messages)[0]["content"])
        if kept is not None and label != "llama.cpp":
            kept.unlink(missing_ok=True)  # nor one kept on disk (briefing's run keeps it again, for later asks)
        if label == "llama.cpp":
            import llama_cpp

            llama_cpp.llama_perf_context_reset(llm._ctx.ctx)
            start = time.perf_counter()
            llm.create_chat_completion(messages=messages, temperature=0.0, max_tokens=chat.max_tokens)
            wall = time.perf_counter() - start
            d = llama_cpp.llama_perf_context(llm._ctx.ctx)
            perf = {"prompt_n": d.n_p_eval, "prompt_ms": d.t_p_eval_ms, "eval_n": d.n_eval, "eval_ms": d.t_eval_ms,
                    "wall_ms": wall * 1000}
        else:
            wrapped.complete(messages)
            perf = chat.last_perf
        tokens = perf["prompt_n"] + perf["eval_n"]
        out[label] = {"prompt_tokens": perf["prompt_n"], "generated": perf["eval_n"],
                      "prompt_tok_s": round(perf["prompt_n"] / (perf["prompt_ms"] / 1000), 1),
                      "gen_tok_s": round(perf["eval_n"] / max(perf["eval_ms"] / 1000, 1e-9), 1),
                      "wall_s": round(perf["wall_ms"] / 1000, 1),
                      "tok_s_wall": round(tokens / (perf["wall_ms"] / 1000), 1),
                      "tok_s_llama": round(tokens / ((perf["prompt_ms"] + perf["eval_ms"]) / 1000), 1),
                      "overhead": round(perf["wall_ms"] / (perf["prompt_ms"] + perf["eval_ms"]) - 1, 3)}
    out.pop("warm-up")
    return out


def speed(index: Path, model: str | None, budget: int | None) -> dict:
    env = {"BRIEFING_LLM": "local"}
    if model:
        env["BRIEFING_LOCAL_MODEL"] = model
    extra = ["--max-context", str(budget)] if budget else []
    from briefing import config

    # cold: no process has kept the model's state after the system prompts yet (answer/prefix_cache.py), as on the
    # first ask after install; then every question again, as every later ask runs
    shutil.rmtree(config.cache_dir() / "prompt-prefix", ignore_errors=True)
    cold = timed([BRIEFING, "ask", ASK_QUESTIONS[0], "--index", str(index), *extra], env=env)[0]
    memo_cold, _ = timed([BRIEFING, "memo", "--since", "2025-11-20", "--until", "2025-11-28", "--index", str(index),
                          *extra, "-o", str(index.parent / "memo-local.md")], env=env)
    asks = [timed([BRIEFING, "ask", q, "--index", str(index), *extra], env=env)[0] for q in ASK_QUESTIONS]
    memo, rss = timed([BRIEFING, "memo", "--since", "2025-11-20", "--until", "2025-11-28", "--index", str(index),
                       *extra, "-o", str(index.parent / "memo-local.md")], env=env)
    return {"ask_cold_s": round(cold, 1), "ask_s": [round(s, 1) for s in asks],
            "ask_median_s": round(statistics.median(asks), 1), "memo_cold_s": round(memo_cold, 1),
            "memo_s": round(memo, 1), "memo_peak_rss_mb": rss}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/briefing-bench-local"))
    ap.add_argument("--budgets", default="1200,2000,3000")
    ap.add_argument("--local-model", default=None)
    ap.add_argument("--speed-budget", type=int, default=None, help="--max-context for the speed runs")
    ap.add_argument("--corpus", choices=sorted(CORPORA), default=None, help="only this corpus's questions")
    ap.add_argument("--skip-quality", action="store_true")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    from briefing.answer.generate import make_generator

    args.work.mkdir(parents=True, exist_ok=True)
    indexes = build_indexes(args.work, [args.corpus] if args.corpus else sorted(CORPORA))
    report: dict = {"quality": [], "speed": None}
    if not args.skip_quality:
        report["quality"].append(quality(indexes, make_generator("extractive"), "extractive", args.corpus))
        for budget in (int(b) for b in args.budgets.split(",") if b):
            gen = make_generator("local", max_context=budget, local_model=args.local_model)
            report["quality"].append(quality(indexes, gen, f"{gen.name} @{budget}", args.corpus))
    if not args.skip_speed:
        seeds = build_indexes(args.work, ["seeds"])["seeds"]
        report["speed"] = speed(seeds, args.local_model, args.speed_budget)
        report["throughput"] = throughput(seeds, args.local_model, args.speed_budget or 2000)
    print("| generator | key-fact recall | abstentions | false abstentions | citations | unverifiable quotes | "
          "unsupported | extractive fallbacks | median s |")
    print("|---|---|---|---|---|---|---|---|---|")
    for q in report["quality"]:
        print(f"| {q['generator']} | {q['key_fact_recall']} | {q['abstentions']} | {q['false_abstentions']} | "
              f"{q['citations']} | {q['unverifiable_quotes']} | {q['unsupported_citations']} | "
              f"{q['extractive_fallbacks']} | {q['median_s']} |")
    if report["speed"]:
        print(json.dumps(report["speed"]))
        print(json.dumps(report["throughput"]))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")


if __name__ == "__main__":
    main()
