"""``briefing eval``: score retrieval and cited answers on a JSONL question set, as a table or JSON."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from briefing import config
from briefing.options import chat_model_option, index_option, local_model_option, structured_option

@click.command("eval")
@click.argument("questions", type=click.Path(path_type=Path))
@index_option
@click.option("-k", type=click.IntRange(1, 50), default=config.DEFAULT_K, show_default=True,
              help="Passages for the answer, and the N of recall@N.")
@click.option("--llm", type=click.Choice(["auto", "openai", "local", "extractive", "stub", "none"]), default="auto",
              show_default=True, help="Generator for the answers; none evaluates retrieval and abstention only.")
@chat_model_option
@local_model_option
@structured_option
@click.option("--min-hit", "min_hit", multiple=True, metavar="METRIC=MIN",
              help="Exit 1 when a metric is below MIN: hit@3=0.8, 3=0.8, mrr=0.5, recall@5=0.4, abstain=1 "
                   "(repeatable).")
@click.option("--json", "as_json", is_flag=True, help="Per-question records and the summary as JSON.")
def eval_command(questions, index_path, k, llm, model, local_model, structured, min_hit, as_json):
    """Score search and ask on QUESTIONS.jsonl: hit@k, MRR@10, answer recall, abstention and citation checks.

    Each line: {"question": ..., "expected_paths": [...], "expected_answer": ..., "answerable": true}.
    """
    from briefing.evaluate import metrics as evaluate
    from briefing.evaluate.report import print_rich, report_json, report_text
    from briefing.output import progress_bar
    from briefing.answer.session import Session

    thresholds = [evaluate.parse_threshold(t) for t in min_hit]
    qs = evaluate.load_questions(questions)
    generator = None
    if llm != "none":
        from briefing.answer.generate import make_generator

        generator = make_generator(llm, model, local_model=local_model, structured=structured)
    session = Session(config.index_location(index_path))
    with progress_bar() as bar:
        report = evaluate.run(session, qs, k=k, generator=generator,
                              progress=(lambda done, total: bar("questions", done, total)) if bar else None)
    failed = evaluate.failures(report, thresholds)
    if as_json:
        click.echo(json.dumps(report_json(report, thresholds, str(questions)), ensure_ascii=False, indent=2))
    elif sys.stdout.isatty():
        print_rich(report)
    else:
        click.echo(report_text(report))
    for line in failed:
        click.echo(f"below threshold: {line}", err=True)
    if failed:
        sys.exit(1)
