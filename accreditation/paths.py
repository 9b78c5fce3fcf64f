"""Where the app's own folders are, in a source checkout and in an installed copy.

A checkout keeps ``templates/`` and ``migrations/`` at its top, beside the package (the
project's layout; the editable install of ``make install`` runs the package from there). A
wheel built from the checkout, and so a plain ``pip install /path/to/checkout``, carries them
inside the package instead, as ``accreditation/templates`` and ``accreditation/migrations``
(``setup.py`` maps them in). Which of the two this copy is decides everything here.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

PACKAGE = Path(__file__).resolve().parent


def checkout() -> Path | None:
    """The source checkout this package runs from; None for an installed copy (a wheel)."""
    return None if (PACKAGE / "templates").is_dir() else PACKAGE.parent


def folder(name: Literal["templates", "migrations"]) -> Path:
    """``templates/`` or ``migrations/``: at the top of the checkout, or in the installed
    package."""
    root = checkout()
    return (PACKAGE if root is None else root) / name


def instance_folder() -> str | None:
    """The app's folder for its files (the default SQLite database, local evidence files, the
    register page cache): ``instance/`` in the checkout. For an installed copy, None: Flask's
    own choice, ``<prefix>/var/accreditation-instance`` (``<prefix>`` is the virtual
    environment), never the installed package's folder."""
    root = checkout()
    return None if root is None else str(root / "instance")
