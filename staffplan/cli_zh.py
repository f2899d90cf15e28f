"""The command line's own words in Chinese: help headings, usage lines and usage errors.

typer 0.29 carries its own copy of click whose messages are fixed English strings (no gettext hook),
so the words are translated where they leave the program: ``ZhCommand``/``ZhGroup`` translate help and
usage text, and ``ZhGroup.main`` prints usage errors itself (用法 line, 帮助 hint, 错误 sentence, exit 2).
The translations are a table, ``data/cli_messages.csv``.
"""
from __future__ import annotations

import functools
import re
import sys
from typing import Any

import typer
from typer import _click
from typer.core import TyperCommand, TyperGroup
from typer.exceptions import Abort

from .paths import data_rows

EXIT_USAGE = 2


@functools.lru_cache(maxsize=1)
def _catalogue() -> tuple[list[tuple[str, str]], list[tuple[re.Pattern, str]]]:
    help_pairs: list[tuple[str, str]] = []
    errors: list[tuple[re.Pattern, str]] = []
    for row in data_rows("cli_messages.csv"):
        if row["kind"] == "help":
            help_pairs.append((row["english"], row["chinese"]))
        else:
            errors.append((re.compile(row["english"], re.DOTALL), row["chinese"]))
    return help_pairs, errors


def zh_help(text: str) -> str:
    """Help or usage text with the framework's fixed English words in Chinese."""
    for english, chinese in _catalogue()[0]:
        text = text.replace(english, chinese)
    return text


def zh_error(message: str) -> str:
    """One framework error message in Chinese (nested details translated too); unknown text is kept."""
    text = message.strip()
    for pattern, template in _catalogue()[1]:
        m = pattern.fullmatch(text)
        if m:
            parts = {k: (zh_error(v) if k.startswith("msg") else _zh_list(v) if k.startswith("list") else v)
                     for k, v in m.groupdict().items()}
            return template.format(**parts)
    return text


def _zh_list(text: str) -> str:
    """"'cbc', 'highs'" → "cbc、highs"."""
    return "、".join(item.strip().strip("'\"") for item in text.split(","))


class ZhCommand(TyperCommand):
    def get_help(self, ctx: Any) -> str:
        return zh_help(super().get_help(ctx))

    def get_usage(self, ctx: Any) -> str:
        return zh_help(super().get_usage(ctx))


class ZhGroup(TyperGroup):
    def get_help(self, ctx: Any) -> str:
        return zh_help(super().get_help(ctx))

    def get_usage(self, ctx: Any) -> str:
        return zh_help(super().get_usage(ctx))

    def main(self, args=None, prog_name=None, complete_var=None, standalone_mode: bool = True, **extra):
        """Run the command; print usage errors in Chinese (exit 2) instead of the framework's English."""
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            rv = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except _click.exceptions.NoArgsIsHelpError as exc:
            typer.echo(exc.format_message(), err=True)
            sys.exit(EXIT_USAGE)
        except _click.exceptions.UsageError as exc:
            typer.echo(usage_error_text(exc), err=True)
            sys.exit(exc.exit_code)
        except _click.exceptions.ClickException as exc:
            typer.echo(f"错误：{zh_error(exc.format_message())}", err=True)
            sys.exit(exc.exit_code)
        except Abort:
            typer.echo(zh_error("Aborted!"), err=True)
            sys.exit(1)
        sys.exit(rv if isinstance(rv, int) else 0)


def usage_error_text(exc: Any) -> str:
    """用法 line, where to find help, and the error as one Chinese sentence."""
    lines = []
    ctx = exc.ctx
    if ctx is not None:
        lines.append(ctx.get_usage())
        if ctx.command.get_help_option(ctx) is not None:
            lines.append(f"运行「{ctx.command_path} {ctx.help_option_names[0]}」查看帮助。")
        lines.append("")
    lines.append(f"错误：{zh_error(exc.format_message())}")
    return "\n".join(lines)
