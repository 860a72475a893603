"""The command line's usage errors, as click reports them here: every missing argument
named at once, an unknown command with the valid ones, a bad integer in plain words."""

from __future__ import annotations

import typing as t

import click
from typing_extensions import override


def param_name(param: click.Parameter) -> str:
    """A parameter as the messages name it: `entity`, `--config`."""
    return param.opts[0] if isinstance(param, click.Option) else str(param.name)


class Command(click.Command):
    """A command that names every required argument missing at once."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not ctx.resilient_parsing and not set(args) & set(ctx.help_option_names):
            with self.make_context(
                ctx.info_name, list(args), parent=ctx.parent, resilient_parsing=True
            ) as probe:
                missing = [
                    param_name(param)
                    for param in self.get_params(ctx)
                    if param.required and probe.params.get(str(param.name)) is None
                ]
            if missing:
                msg = f"the following arguments are required: {', '.join(missing)}"
                raise click.UsageError(msg, ctx)
        return super().parse_args(ctx, args)


class Group(click.Group):
    """The commands; an unknown one is a usage error that lists them."""

    command_class = Command

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        name = args[0]
        if not name.startswith("-") and self.get_command(ctx, name) is None:
            choices = ", ".join(repr(command) for command in self.commands)
            msg = f"argument command: invalid choice: {name!r} (choose from {choices})"
            raise click.UsageError(msg, ctx)
        return super().resolve_command(ctx, args)


class Integer(click.ParamType[int, str]):
    """An integer, refused as `invalid int value: 'ten'`."""

    name = "integer"

    @override
    def convert(
        self, value: t.Any, param: click.Parameter | None, ctx: click.Context | None
    ) -> int:
        try:
            return int(value)
        except (TypeError, ValueError):
            self.fail(f"invalid int value: {value!r}", param, ctx)
