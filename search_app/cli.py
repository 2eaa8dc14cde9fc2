"""The ``efirst`` command: one click group gathering every package's commands."""

from __future__ import annotations

import importlib

import click

__all__ = ["main"]

# Each package exposes ``commands: list[click.Command]`` in its own cli module.
COMMAND_MODULES = (
    "indexer.cli",
    "indexer.harvest.cli",
    "indexer.es_cli",
    "router.cli",
    "resolver.cli",
    "search_app.serve_cli",
    "search_app.demo",
    "search_app.staff_cli",
    "search_app.admin_cli",
    "search_app.usage_cli",
    "search_app.delivery_cli",
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def main() -> None:
    """efirst: E-first discovery and document delivery for library consortia."""


def _register() -> None:
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:
                raise
            continue
        for command in getattr(module, "commands", []):
            main.add_command(command)


_register()
