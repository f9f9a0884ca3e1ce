"""Typer's own words in Ukrainian: usage lines, help panels and argument-parser errors.

Typer (0.29, with its vendored Click) writes these in English with no translation catalogue, so
the `course` app uses command classes that say them in Ukrainian: the usage prefix and the help
option's text are set where Click builds them, the help panels' titles are Typer's module
constants, and a parser error is re-raised with its English message translated (the messages are
Click's and Typer's fixed sentences, matched whole by the patterns below).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import typer
from typer import rich_utils
from typer._click.exceptions import ClickException, UsageError  # Typer's vendored Click
from typer.core import TyperCommand, TyperGroup

USAGE_PREFIX = "Використання: "
OPTIONS_METAVAR = "[ПАРАМЕТРИ]"
SUBCOMMAND_METAVAR = "КОМАНДА [АРГУМЕНТИ]..."
HELP_OPTION_TEXT = "Показати цю довідку й вийти."

rich_utils.ARGUMENTS_PANEL_TITLE = "Аргументи"
rich_utils.OPTIONS_PANEL_TITLE = "Параметри"
rich_utils.COMMANDS_PANEL_TITLE = "Команди"
rich_utils.ERRORS_PANEL_TITLE = "Помилка"
rich_utils.ABORTED_TEXT = "Перервано."
rich_utils.RICH_HELP = "Довідка: [blue]'{command_path} {help_option}'[/]"
rich_utils.DEFAULT_STRING = "[типово: {}]"
rich_utils.REQUIRED_LONG_STRING = "[обов'язково]"
rich_utils.ENVVAR_STRING = "[змінна оточення: {}]"
rich_utils.DEPRECATED_STRING = "(застаріле) "

# (English sentence, Ukrainian template): matched whole; `rest` is translated again.
MESSAGES: tuple[tuple[str, str], ...] = (
    (r"Invalid value for (?P<hint>.+?): (?P<rest>.*)", "Неправильне значення {hint}: {rest}"),
    (r"Invalid value: (?P<rest>.*)", "Неправильне значення: {rest}"),
    (r"Missing argument (?P<name>.+?)\.(?P<rest>.*)", "Бракує аргументу {name}.{rest}"),
    (r"Missing option (?P<name>.+?)\.(?P<rest>.*)", "Бракує параметра {name}.{rest}"),
    (r"Missing parameter: (?P<name>.+)", "Бракує параметра {name}"),
    (
        r"No such option: (?P<name>\S+) \(Possible options: (?P<options>.+)\)",
        "Немає параметра {name} (можливо, {options})",
    ),
    (r"No such option: (?P<name>.+)", "Немає параметра {name}"),
    (r"Option (?P<name>'.+?') requires an argument\.", "Параметр {name} потребує значення."),
    (r"Option (?P<name>'.+?') requires (?P<n>\d+) arguments\.", "Параметр {name}: потрібно {n}."),
    (r"Option (?P<name>'.+?') does not take a value\.", "Параметр {name} не приймає значення."),
    (
        r"No such command (?P<name>'.+?')\. Did you mean (?P<options>.+)\?",
        "Немає команди {name}. Можливо, {options}?",
    ),
    (r"No such command (?P<name>'.+?')\.", "Немає команди {name}."),
    (r"Missing command\.", "Бракує команди."),
    (r"Got unexpected extra argument\(s\) \((?P<args>.*)\)", "Зайві аргументи: {args}"),
    (r"Input should be a valid integer.*", "потрібне ціле число"),
    (r"Input should be a valid number.*", "потрібне число"),
    (r"Input should be a valid boolean.*", "потрібно так чи ні (true/false)"),
)
_COMPILED = tuple((re.compile(pattern, re.DOTALL), template) for pattern, template in MESSAGES)


def translate(message: str) -> str:
    """A parser message in Ukrainian; one the table does not know stays as it is."""
    for pattern, template in _COMPILED:
        match = pattern.fullmatch(message.strip())
        if match:
            parts = match.groupdict()
            if parts.get("rest"):
                parts["rest"] = translate(parts["rest"])
            return template.format(**{key: value or "" for key, value in parts.items()})
    return message


def _ukrainian_error(error: ClickException) -> ClickException:
    if type(error).__name__ == "NoArgsIsHelpError":  # not an error: shows the help
        return error
    message = translate(error.format_message())
    if isinstance(error, UsageError):
        translated: ClickException = UsageError(message, error.ctx)
    else:
        translated = ClickException(message)
    translated.exit_code = error.exit_code
    return translated


def _in_ukrainian(call: Callable[[], Any]) -> Any:
    try:
        return call()
    except ClickException as error:
        translated = _ukrainian_error(error)
        if translated is error:
            raise
        raise translated from None


class _UkrainianHelp:
    """The usage line and the --help option of a command, in Ukrainian."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.options_metavar = OPTIONS_METAVAR

    def format_usage(self, ctx: Any, formatter: Any) -> None:
        pieces = self.collect_usage_pieces(ctx)  # type: ignore[attr-defined]
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE_PREFIX)

    def get_help_option(self, ctx: Any) -> Any:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = HELP_OPTION_TEXT
        return option


class UkrainianCommand(_UkrainianHelp, TyperCommand):
    """A command of the `course` app."""


class UkrainianGroup(_UkrainianHelp, TyperGroup):
    """The `course` app: every parser error of it and its commands passes through here."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.subcommand_metavar = SUBCOMMAND_METAVAR

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        return _in_ukrainian(lambda: super(UkrainianGroup, self).make_context(*args, **kwargs))

    def invoke(self, ctx: Any) -> Any:
        return _in_ukrainian(lambda: super(UkrainianGroup, self).invoke(ctx))


class UkrainianTyper(typer.Typer):
    """A Typer app whose commands are UkrainianCommand unless told otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(cls=UkrainianGroup, **kwargs)

    def command(self, *args: Any, cls: type[TyperCommand] | None = None, **kwargs: Any) -> Any:
        return super().command(*args, cls=cls or UkrainianCommand, **kwargs)
