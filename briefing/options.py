"""Click option types and options shared by several commands."""

from __future__ import annotations

from datetime import date

import click

from . import config
from .errors import UsageError


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
index_option = click.option("--index", "index_path", envvar="BRIEFING_INDEX", default=config.DEFAULT_INDEX,
                            show_default=True, type=click.Path(file_okay=False),
                            help="Index directory [env BRIEFING_INDEX].")


def check_window(since: date | None, until: date | None) -> None:
    if since and until and since > until:
        raise UsageError(f"--since {since} is after --until {until}")
