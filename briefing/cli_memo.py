"""``briefing memo``: the command; building is :mod:`briefing.memo.build`, rendering :mod:`briefing.memo.render`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from briefing import config
from briefing.errors import UsageError
from briefing.options import (chat_model_option, check_sources_option, check_output, index_option, llm_option, local_model_option,
                              max_context_option, strict_option, structured_option, verify_option, window_options)

FORMATS = ("md", "html", "json")


# ---- the command ---------------------------------------------------------------------------------------------------
@click.command("memo")
@click.option("--week", help="An ISO week, e.g. 2025-W48 (Monday to Sunday).")
@window_options("First publication date of the window (inclusive).", "Last publication date of the window (inclusive).")
@click.option("--topic", "topics", multiple=True,
              help="A theme to cover (repeatable); without it themes come from the window's articles.")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default=None,
              help="Output format [default: from -o's extension, else md].")
@click.option("-o", "--output", type=click.Path(dir_okay=False), help="Write the memo to FILE.")
@llm_option(what="Writer")
@chat_model_option
@local_model_option
@structured_option
@max_context_option("Prompt token budget per section")
@click.option("--template", type=click.Path(exists=True, dir_okay=False),
              help="Your own Jinja2 template, rendered with the memo's context (see the docs of briefing.memo.render).")
@click.option("--include-undated", is_flag=True,
              help="Also use the undated articles (the header counts them and every citation of one says undated).")
@check_sources_option
@strict_option
@verify_option
@index_option
def memo(week, since, until, topics, fmt, output, llm, model, local_model, structured, max_context, template,
         include_undated, check_sources, strict, verify, index_path):
    """A weekly briefing memo: summary, developments by theme, timeline, who said what, where sources disagree
    and what to watch, every line cited to an exact quote.

    \b
    Without a window: the seven days ending at the newest dated article. Undated articles are listed, not used,
    unless --include-undated.
      briefing memo --since 2025-11-20 --until 2025-11-28 -o memo.html
      briefing memo --week 2025-W48 --topic "security guarantees" --format json
    """
    from briefing.answer.generate import make_generator
    from briefing.answer.session import Session
    from briefing.memo.build import build_memo
    from briefing.memo.render import render
    from briefing.memo.window import choose_window, parse_week

    if week:
        parse_week(week)  # a malformed week fails before the index is opened
    topics = tuple(" ".join(t.split()) for t in topics)
    if any(not t for t in topics):
        raise UsageError('--topic is empty; give a few words, e.g. --topic "security guarantees"')
    check_output(output, config.index_location(index_path))
    if fmt is None:
        suffix = Path(output).suffix.lower() if output else ""
        fmt = {".html": "html", ".htm": "html", ".json": "json"}.get(suffix, "md")
    from briefing.answer.verify import make_verifier

    generator = make_generator(llm, model, max_context, local_model=local_model, structured=structured)
    verifier = make_verifier(verify, generator, model)
    from briefing.memo.fluency import local_scorer

    fluency = local_scorer(check_sources, local_model)
    session = Session(config.index_location(index_path))
    window = choose_window(session.store, week, since, until)
    result = build_memo(session, window, topics=topics, llm=getattr(generator, "llm", None),
                        max_context=getattr(generator, "max_context", None) or config.max_context(max_context),
                        include_undated=include_undated, verifier=verifier, fluency=fluency)
    text = render(result, fmt, template)
    if output:
        Path(output).write_text(text, encoding="utf-8")
        click.echo(f"wrote {output}: {len(result.documents)} articles from {window.since} to {window.until}, "
                   f"{len(result.citations)} citations, {len(result.warnings)} warnings", err=True)
    else:
        click.echo(text, nl=False)
    for w in result.warnings:
        click.echo(f"warning: {w}", err=True)
    if strict and result.warnings:
        sys.exit(1)
