"""Errors that carry a one-line remedy; the CLI prints them without a traceback."""

from __future__ import annotations


class BriefingError(Exception):
    """A failure the user can act on. ``str(err)`` is one line: what went wrong and what to do."""

    exit_code = 1


class UsageError(BriefingError):
    """Bad input from the user: a malformed option value, an empty question, a missing path."""

    exit_code = 2


class IndexError_(BriefingError):
    """The index is missing, corrupt, locked or was built with other settings."""


class ModelError(BriefingError):
    """The embedding model cannot be loaded or failed its integrity check."""


class LLMError(BriefingError):
    """The configured LLM endpoint failed in a way retries could not fix."""


class LocalInstallError(BriefingError):
    """``briefing local install`` cannot build the llama.cpp bindings or assemble the model."""
