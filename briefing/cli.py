"""The ``briefing`` command line: a thin shell over the pipeline's functions."""

from __future__ import annotations

import errno
import gc
import json
import sqlite3
import sys
from pathlib import Path

import click

from briefing import config
from briefing.embed.select import BACKENDS
from briefing.errors import BriefingError, UsageError
from briefing.options import (chat_model_option, check_output, check_text, check_window, index_option, llm_option,
                              local_model_option, max_context_option, read_batch, strict_option, structured_option,
                              verify_option, window_options)


def _err(msg: str) -> None:
    click.echo(f"error: {msg}", err=True)


INTERRUPTED = "interrupted; the index is unchanged unless the run had finished"


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning user mistakes into one line on stderr and an exit code (2 usage, 1 other)."""
    try:
        cli.main(args=argv, prog_name="briefing", standalone_mode=False)
    except click.exceptions.Abort:
        # click turns Ctrl-C (KeyboardInterrupt) inside a command into Abort, after a blank line closing the "^C"
        _err(INTERRUPTED)
        sys.exit(130)
    except click.ClickException as exc:
        _err(exc.format_message())
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BriefingError as exc:
        if config.debug():
            raise
        _err(str(exc))
        sys.exit(exc.exit_code)
    except KeyboardInterrupt:
        _err(INTERRUPTED)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    except sqlite3.Error as exc:
        # an index file damaged past its first pages fails only when a query reaches the bad page
        if config.debug():
            raise
        from briefing.store.sqlite import db_error

        _err(str(db_error(exc)))
        sys.exit(1)
    except OSError as exc:
        # the machine, not briefing: a full disk (while exporting the model, say), a read-only or vanished folder
        if config.debug():
            raise
        _err(_os_error(exc))
        sys.exit(1)
    except Exception as exc:
        # a database server's error (the PostgreSQL store: a dropped connection, say) is one line too
        from briefing.store import server_error

        err = server_error(exc)
        if err is None or config.debug():
            raise
        _err(str(err))
        sys.exit(1)


def run() -> None:
    """The console script: :func:`main`, then a quicker exit. The process ends right after the command, so what is
    left in memory (all of torch after an index run) is frozen out of the garbage collector's last passes over every
    object: 0.6 s of teardown becomes 0.2 s. The index and files are closed by then; stdout and stderr are still
    flushed at exit."""
    try:
        main()
    finally:
        gc.freeze()


def _os_error(exc: OSError) -> str:
    what = exc.strerror or str(exc) or type(exc).__name__
    # a failed copy names its source first; a full disk is the destination's (the index's, not the model cache's)
    name = exc.filename2 if exc.errno in (errno.ENOSPC, errno.EDQUOT) and exc.filename2 else exc.filename
    where = f" ({name})" if name else ""
    hint = {errno.ENOSPC: "free some space and run again", errno.EROFS: "use a writable place (--index DIR)",
            errno.EACCES: "check the permissions", errno.EPERM: "check the permissions",
            errno.ENOENT: "check the path"}.get(exc.errno or 0, "see BRIEFING_DEBUG=1")
    return " ".join(f"{what}{where}; {hint}".split())


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="briefing")
def cli() -> None:
    """Turn a folder of news articles into sourced briefings.

    \b
      briefing index examples/articles          build or update the index
      briefing search "what did Macron announce"  find passages
      briefing ask "what did Macron announce"     a cited answer
    """


@cli.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@index_option
@click.option("--model", envvar=config.ENV_EMBED_MODEL, default=None,
              help="Local sentence-transformers model directory [env BRIEFING_EMBED_MODEL; default all-MiniLM-L6-v2].")
@click.option("--rebuild", is_flag=True, help="Drop the index and build it again from scratch.")
@click.option("--max-file-mb", type=click.FloatRange(min=0.001), envvar=config.ENV_MAX_FILE_MB,
              default=config.DEFAULT_MAX_FILE_MB, show_default=True,
              help="Skip files larger than this [env BRIEFING_MAX_FILE_MB].")
@click.option("--backend", type=click.Choice(list(BACKENDS)), envvar=config.ENV_BACKEND,
              default="auto", show_default=True,
              help="What embeds the passages: ONNX Runtime (the model's export in the index), torch in bfloat16 "
                   "(fast on CPUs with AMX), or sentence-transformers; auto: bf16 with AMX, else onnx "
                   "[env BRIEFING_BACKEND].")
@click.option("--int8", "quantize", type=click.Choice(["auto", "yes", "no"]), envvar=config.ENV_INT8,
              default="auto", show_default=True,
              help="Dynamic int8 ONNX model for a new index, about 2x faster to build (auto: when the CPU has the "
                   "VNNI or dot-product instructions that make it fast and exact; no: fp32) [env BRIEFING_INT8].")
@click.option("--chunk-tokens", type=click.IntRange(32, 254), default=None,
              help="Passage size in model tokens for a new index or --rebuild [default 224; an existing index keeps "
                   "its own].")
@click.option("--overlap-tokens", type=click.IntRange(0, 127), default=None,
              help="Tokens of whole sentences repeated at the start of the next passage [default 0].")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
def index(paths, index_path, model, rebuild, max_file_mb, backend, quantize, chunk_tokens, overlap_tokens, quiet,
          as_json):
    """Index files and folders of articles (txt, md, html, pdf, jsonl/json), incrementally."""
    from briefing.ingest.chunking import ChunkSettings
    from briefing.ingest.indexer import build_index
    from briefing.output import index_summary, progress_bar

    settings = None
    if chunk_tokens is not None or overlap_tokens is not None:
        default = ChunkSettings()
        try:
            settings = ChunkSettings(chunk_tokens or default.max_tokens,
                                     default.overlap_tokens if overlap_tokens is None else overlap_tokens)
        except ValueError as exc:
            raise UsageError(f"--chunk-tokens/--overlap-tokens: {exc}") from None
    with progress_bar(enabled=not quiet) as progress:
        report = build_index(list(paths), config.index_location(index_path), model=model, rebuild=rebuild,
                             max_bytes=int(max_file_mb * 1_000_000), progress=progress, backend=backend,
                             quantize=quantize, settings=settings)
    click.echo(index_summary(report, as_json=as_json))
    if report.counts.get("documents", 0) == 0:
        why = f"all {len(report.skipped)} files were skipped (reasons above)" if report.skipped else \
            "no txt, md, html, pdf or json(l) file was found"
        _err(f"the index holds no document: {why}; add articles and run `briefing index` again")
        sys.exit(1)


@cli.command()
@click.argument("question", required=False)
@index_option
@click.option("-k", type=click.IntRange(1, 100), default=config.DEFAULT_SEARCH_K, show_default=True,
              help="Number of passages.")
@window_options()
@click.option("--per-doc", type=click.IntRange(1, 100), default=config.DEFAULT_PER_DOC, show_default=True,
              help="At most this many passages from one article.")
@click.option("--batch", help="Read one question per line from FILE ('-' for stdin; at most 10 MB).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per question per line.")
def search(question, index_path, k, since, until, per_doc, batch, as_json):
    """Find the passages that best match QUESTION (hybrid dense + keyword search)."""
    from briefing.answer.render import hits_json, hits_text
    from briefing.answer.retrieve import SearchSettings
    from briefing.answer.session import Session

    if batch and question:
        raise UsageError("give either QUESTION or --batch FILE, not both")
    questions = read_batch(batch) if batch else [check_text(question or "")]
    if not questions or any(not q.strip() for q in questions):
        raise UsageError("the question is empty; try: briefing search \"what did Macron announce\"")
    check_window(since, until)
    session = Session(config.index_location(index_path))
    settings = SearchSettings(k=k, per_doc=per_doc)
    for q in questions:
        hits = session.search(q, settings, since=since, until=until)
        click.echo(hits_json(q, hits) if as_json else hits_text(q, hits, many=len(questions) > 1))


@cli.command()
@index_option
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--check", is_flag=True, help="Also verify the index: FAISS ids and SQLite rows agree, spans match.")
def status(index_path, as_json, check):
    """Show what the index holds: documents, undated ones, chunks, skipped files, model, size, last build."""
    from briefing.output import status_text
    from briefing.store import open_store

    store = open_store(config.index_location(index_path))
    info = store.manifest()
    info["size_bytes"] = store.size_on_disk()
    info["skipped"] = [{"path": config.display_path(p), "reason": r} for p, r in store.skips()]
    problems: list[str] = []
    if check:
        from briefing.store.check import check_index, with_remedy

        problems = with_remedy(check_index(store))
        info["problems"] = problems
    click.echo(json.dumps(info, indent=2) if as_json else status_text(info, check))
    if problems:
        sys.exit(1)


@cli.command()
@click.argument("question", required=False)
@index_option
@click.option("-k", type=click.IntRange(1, 50), default=config.DEFAULT_K, show_default=True,
              help="Passages retrieved for the answer.")
@llm_option()
@chat_model_option
@local_model_option
@structured_option
@max_context_option()
@window_options()
@click.option("--json", "as_json", is_flag=True, help="Print the answer, citations and warnings as JSON.")
@strict_option
@verify_option
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="Also write the result to FILE.")
def ask(question, index_path, k, llm, model, local_model, structured, max_context, since, until, as_json, strict,
        verify, output):
    """Answer QUESTION from the indexed articles; every [n] resolves to file:line and an exact quote."""
    from briefing.answer.ask import answer
    from briefing.answer.generate import make_generator
    from briefing.output import print_markdown
    from briefing.answer.render import answer_json, answer_markdown
    from briefing.answer.session import Session

    if not check_text(question or "").strip():
        raise UsageError('the question is empty; try: briefing ask "what did Macron announce"')
    check_window(since, until)
    from briefing.answer.verify import make_verifier

    check_output(output, config.index_location(index_path))
    generator = make_generator(llm, model, max_context, local_model=local_model, structured=structured)
    verifier = make_verifier(verify, generator, model)
    session = Session(config.index_location(index_path))
    tty = sys.stdout.isatty() and not as_json
    preview = (lambda t: click.echo(click.style(t, dim=True), nl=False, err=True)) if tty and llm != "extractive" \
        else None
    try:
        result = answer(session, question, generator, k=k, since=since, until=until,
                        on_token=preview if generator.name.startswith("openai") else None, verifier=verifier)
    finally:
        if preview:  # end the streamed preview's line, so an error after a cut stream gets a line of its own
            click.echo("", err=True)
    text = answer_json(result) if as_json else answer_markdown(result)
    if output:
        Path(output).write_text(text + "\n", encoding="utf-8")
    if tty:
        print_markdown(text)
    else:
        click.echo(text)
    if strict and result.warnings:
        sys.exit(1)


@cli.command()
@index_option
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; any but loopback makes the index readable from the network.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0: any free one).")
@llm_option()
@chat_model_option
@max_context_option()
def serve(index_path, host, port, llm, model, max_context):
    """A local web app: ask, search, weekly memos; every [n] opens the article at the highlighted quote."""
    from briefing.answer.generate import make_generator
    from briefing.serve.run import serve as run_server

    run_server(config.index_location(index_path), host, port, make_generator(llm, model, max_context), max_context)


def _register() -> None:
    """Commands that live in their own modules."""
    import importlib

    for module, name in (("cli_memo", "memo"), ("cli_eval", "eval_command"), ("cli_local", "local")):
        try:
            mod = importlib.import_module(f".{module}", __package__)
        except ModuleNotFoundError as exc:
            if exc.name != f"{__package__}.{module}":
                raise
            continue
        cli.add_command(getattr(mod, name))


_register()


if __name__ == "__main__":
    main()
