"""The ``accreditation`` command: Flask's CLI with the app loaded (its own commands: ``cli.py``)."""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from . import create_app
from .config import ConfigurationError


def _create_app(*_args, **_kwargs) -> Flask:
    try:
        return create_app()
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None


cli = FlaskGroup(create_app=_create_app, help="Accreditation of supported accommodation providers.")


def main() -> None:
    cli(prog_name="accreditation")
