"""``accreditation backup`` and ``accreditation restore``: a consistent copy of the database
and the evidence files, and putting one back into an empty database and an empty store.

The database is copied first, in one snapshot (``pg_dump``, or SQLite's backup API), then the
evidence objects. A file is stored before its record commits and is never changed after, so
every record in the copy has its file in the copy, whatever was uploaded meanwhile; files
uploaded after the snapshot are copied too and have no record (``evidence sweep`` removes them
after a restore). The copy is a folder:

    database.dump    (PostgreSQL, pg_dump's custom format)  or  database.sqlite
    evidence/...     every stored object under its key
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

import click
import sqlalchemy as sa

from .extensions import db

DUMP = "database.dump"
SQLITE_COPY = "database.sqlite"
EVIDENCE = "evidence"


def _libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """The database's address for pg_dump and pg_restore, and their environment: the password
    goes in ``PGPASSWORD``, never on a command line others can read."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = url.password
    address = url.set(drivername="postgresql", password=None)
    return address.render_as_string(hide_password=False), environment


def take(folder: Path) -> dict[str, int]:
    """Copy the database, then every evidence object, into ``folder`` (new or empty)."""
    from .evidence.operations import storage
    from .evidence.storage import KEY_PREFIX

    if folder.exists() and any(folder.iterdir()):
        raise click.ClickException(f"{folder} is not empty: give a new folder for the backup.")
    folder.mkdir(parents=True, exist_ok=True)
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        address, environment = _libpq(url)
        subprocess.run(["pg_dump", "--format=custom", "--no-owner", "--file",  # noqa: S603, S607 (the PostgreSQL client tools, fixed arguments)
                        str(folder / DUMP), address], env=environment, check=True)
    else:
        with closing(sqlite3.connect(url.database)) as source, \
                closing(sqlite3.connect(folder / SQLITE_COPY)) as copy:
            source.backup(copy)
    db.session.remove()
    store = storage()
    objects = 0
    for key in store.list_keys(KEY_PREFIX):
        target = folder / EVIDENCE / key
        target.parent.mkdir(parents=True, exist_ok=True)
        with closing(store.open(key)) as stream, target.open("wb") as out:
            shutil.copyfileobj(stream, out)
        objects += 1
    return {"objects": objects}


def restore(folder: Path) -> dict[str, int]:
    """Put a backup back: into the configured database, which must have no tables, and the
    configured evidence store, which must hold no evidence."""
    from .evidence.operations import storage
    from .evidence.storage import KEY_PREFIX

    store = storage()
    if next(iter(store.list_keys(KEY_PREFIX)), None) is not None:
        raise click.ClickException("The evidence store is not empty: restore into a new one.")
    if sa.inspect(db.engine).get_table_names():
        raise click.ClickException("The database is not empty: restore into a new one.")
    db.session.remove()
    url = db.engine.url
    if url.get_backend_name() == "postgresql":
        address, environment = _libpq(url)
        db.engine.dispose()
        subprocess.run(["pg_restore", "--no-owner", "--no-privileges",  # noqa: S603, S607 (the PostgreSQL client tools, fixed arguments)
                        "--exit-on-error", "--single-transaction", "--dbname", address,
                        str(folder / DUMP)], env=environment, check=True)
    else:
        db.engine.dispose()
        with closing(sqlite3.connect(folder / SQLITE_COPY)) as copy, \
                closing(sqlite3.connect(url.database)) as target:
            copy.backup(target)
    objects = 0
    root = folder / EVIDENCE
    for path in sorted(root.rglob("*")) if root.exists() else []:
        if path.is_file():
            with path.open("rb") as stream:
                store.put(path.relative_to(root).as_posix(), stream,
                          content_type="application/octet-stream", size=path.stat().st_size)
            objects += 1
    return {"objects": objects}


@click.command("backup")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
def backup_command(folder: Path) -> None:
    """Copy the database (one consistent snapshot) and then every evidence file into FOLDER,
    a new or empty folder. Safe while the service runs."""
    copied = take(folder)
    click.echo(f"Backed up the database and {copied['objects']} evidence object(s) to {folder}.")


@click.command("restore")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
def restore_command(folder: Path) -> None:
    """Put the backup in FOLDER into the configured database (it must have no tables) and
    evidence store (it must hold no evidence). Then run: accreditation audit verify and
    accreditation evidence verify."""
    restored = restore(folder)
    click.echo(f"Restored the database and {restored['objects']} evidence object(s) from "
               f"{folder}.")
