"""Click option types and options shared by several commands."""

from __future__ import annotations

from datetime import date

import click

from briefing import config
from briefing.errors import UsageError


class DateType(click.ParamType):
    """An ISO date (YYYY-MM-DD)."""

    name = "DATE"

    def convert(self, value, param, ctx):
        if isinstance(value, date):
            return value
        try:
            return date.fromisoformat(value)
        except ValueError:
            self.fail(f"{value!r} is not a date like 2025-11-26", param, ctx)


DATE = DateType()
index_option = click.option("--index", "index_path", envvar=config.ENV_INDEX, default=config.DEFAULT_INDEX,
                            show_default=True, type=click.Path(file_okay=False),
                            help="Index directory, or a postgresql://user@host:port/db URL [env BRIEFING_INDEX].")

LLM_CHOICES = ["auto", "openai", "local", "extractive", "stub"]


def llm_option(choices=LLM_CHOICES, what: str = "Generator"):
    """``--llm``: which generator writes; ``auto`` means openai when an endpoint is configured."""
    return click.option("--llm", type=click.Choice(choices), envvar=config.ENV_LLM, default="auto", show_default=True,
                        help=f"{what}: auto is openai when OPENAI_API_KEY or OPENAI_BASE_URL is set, else the local "
                             "model when installed (briefing local install), else extractive [env BRIEFING_LLM].")


local_model_option = click.option("--local-model", envvar=config.ENV_LOCAL_MODEL, default=None, metavar="PATH.gguf",
                                  help="A GGUF chat model for --llm local (Ollama's, llama.cpp's), or an installed "
                                       "model's name [env BRIEFING_LOCAL_MODEL; default the installed model].")
check_sources_option = click.option(
    "--check-sources/--no-check-sources", default=None,
    help="Score each source's fluency with the smallest local model to flag machine-rewritten or garbled text "
         "[default: on when a local model is installed].")
structured_option = click.option("--structured/--no-structured", default=None,
                                 help="Constrain the reply to JSON sentences with their cited passage numbers "
                                      "(servers that accept response_format json_schema; plain text where "
                                      "refused) [env BRIEFING_STRUCTURED; default on for --llm local, off for "
                                      "openai].")


chat_model_option = click.option("--model", envvar=config.ENV_CHAT_MODEL, default=None,
                                 help="Chat model for --llm openai [env BRIEFING_MODEL; default gpt-4o-mini].")
strict_option = click.option("--strict", is_flag=True,
                             help="Exit 1 when any warning remains (unverified or uncited text).")


def max_context_option(what: str = "Prompt token budget; passages are trimmed to fit"):
    return click.option("--max-context", type=click.IntRange(256, 1_000_000), envvar=config.ENV_MAX_CONTEXT,
                        default=None, help=f"{what} [env BRIEFING_MAX_CONTEXT; default {config.DEFAULT_MAX_CONTEXT}, "
                                           f"{config.DEFAULT_LOCAL_MAX_CONTEXT} for --llm local].")


def window_options(since_help: str = "Only articles published on or after this date.",
                   until_help: str = "Only articles published on or before this date."):
    """``--since`` and ``--until`` (inclusive ISO dates)."""
    def wrap(f):
        f = click.option("--until", type=DATE, help=until_help)(f)
        return click.option("--since", type=DATE, help=since_help)(f)
    return wrap


def check_window(since: date | None, until: date | None) -> None:
    if since and until and since > until:
        raise UsageError(f"--since {since} is after --until {until}")


def check_text(text: str, what: str = "the question") -> str:
    """``text`` from the command line, refused in one line when it is not UTF-8 (the terminal or a script passed
    other bytes, which Python hands over as lone surrogates)."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise UsageError(f"{what} is not valid UTF-8 text (a stray byte at character {exc.start + 1}); "
                         "check the terminal's or the script's encoding") from None
    return text


BATCH_LIMIT = 10_000_000  # bytes of questions read from --batch: a few hundred thousand questions


def read_batch(name: str, limit: int = BATCH_LIMIT) -> list[str]:
    """The non-blank lines of ``--batch FILE`` (``-`` for stdin), stripped. Reads at most ``limit`` bytes, so an
    endless file (``/dev/zero``, a runaway pipe) is refused instead of read forever; bytes that are not UTF-8 are
    one line naming where."""
    import sys

    try:
        if name == "-":
            data = sys.stdin.buffer.read(limit + 1)
        else:
            with open(name, "rb") as f:
                data = f.read(limit + 1)
    except OSError as exc:
        raise UsageError(f"cannot read --batch {name}: {(exc.strerror or str(exc)).lower()}") from None
    if len(data) > limit:
        raise UsageError(f"--batch {name} holds more than {limit // 1_000_000} MB of questions (an endless "
                         "file?); split it into smaller files")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise UsageError(f"--batch {name} is not UTF-8 text (line {line}); save it as UTF-8") from None
    if "\x00" in text:
        raise UsageError(f"--batch {name} holds NUL bytes, not questions; give a text file with one question a line")
    return [q.strip() for q in text.splitlines() if q.strip()]


def check_output(output: str | None, index_dir) -> None:
    """Refuse ``-o FILE`` inside the index folder: writing there would overwrite the database or its vectors."""
    import os

    if not output or config.is_server_url(index_dir):  # an index on a server has no folder to write into
        return
    index = os.path.realpath(index_dir)
    target = os.path.realpath(output)
    if target == index or target.startswith(index.rstrip(os.sep) + os.sep):
        raise UsageError(f"-o {output} is inside the index folder {index_dir}/, whose files briefing manages; "
                         "write to another folder")


verify_option = click.option(
    "--verify", type=click.Choice(["rules", "llm"]), envvar=config.ENV_VERIFY, default="rules", show_default=True,
    help="How citations are checked: the rules alone, or the rules and then a yes/no from the LLM on each "
         "citation they pass (it can only add flags) [env BRIEFING_VERIFY].")
