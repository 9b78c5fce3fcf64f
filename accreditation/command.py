"""The ``accreditation`` command: Flask's CLI with the app loaded (its own commands: ``cli.py``)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from . import create_app
from .cli import decisions_group
from .config import ConfigurationError


def _create_app(*_args, **_kwargs) -> Flask:
    try:
        return create_app()
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None


cli = FlaskGroup(create_app=_create_app, help="Accreditation of supported accommodation providers.")
# Found before the app is loaded, so that ``decisions verify-bundle`` needs no settings; its
# other commands load the app themselves.
cli.add_command(decisions_group)


def main() -> None:
    cli(prog_name="accreditation")
