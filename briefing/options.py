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
                            help="Index directory [env BRIEFING_INDEX].")

LLM_CHOICES = ["auto", "openai", "extractive", "stub"]


def llm_option(choices=LLM_CHOICES, what: str = "Generator"):
    """``--llm``: which generator writes; ``auto`` means openai when an endpoint is configured."""
    return click.option("--llm", type=click.Choice(choices), envvar=config.ENV_LLM, default="auto", show_default=True,
                        help=f"{what}: openai when OPENAI_API_KEY or OPENAI_BASE_URL is set, else extractive "
                             "[env BRIEFING_LLM].")


chat_model_option = click.option("--model", envvar=config.ENV_CHAT_MODEL, default=None,
                                 help="Chat model for --llm openai [env BRIEFING_MODEL; default gpt-4o-mini].")
strict_option = click.option("--strict", is_flag=True,
                             help="Exit 1 when any warning remains (unverified or uncited text).")


def max_context_option(what: str = "Prompt token budget; passages are trimmed to fit"):
    return click.option("--max-context", type=click.IntRange(256, 1_000_000), envvar=config.ENV_MAX_CONTEXT,
                        default=config.DEFAULT_MAX_CONTEXT, show_default=True, help=f"{what} [env BRIEFING_MAX_CONTEXT].")


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


verify_option = click.option(
    "--verify", type=click.Choice(["rules", "llm"]), envvar=config.ENV_VERIFY, default="rules", show_default=True,
    help="How citations are checked: the rules alone, or the rules and then a yes/no from the LLM on each "
         "citation they pass (it can only add flags) [env BRIEFING_VERIFY].")
