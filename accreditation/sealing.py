"""Secrets the service must read back, kept sealed in the database.

An authenticator app's secret cannot be hashed like a password: the service needs it to work
out the codes. So it is encrypted (Fernet: AES-128-CBC with an HMAC-SHA256, from the
``cryptography`` package) with a key that is not in the database: a copy of the database, a
backup or a leaked dump, is not enough to make anyone's codes.

The keys come from ``ACCREDITATION_DATA_KEYS``, comma-separated: the first seals, every one
opens. To change the key, put a new one first, run ``accreditation keys reseal`` (every
sealed value is sealed again with the first key), then drop the old one. The key is separate
from the secret key on purpose: rotating the secret key (which signs cookies) must not lock
anyone out of their authenticator app.
"""

from __future__ import annotations

import sqlalchemy as sa
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app
from sqlalchemy.types import TypeDecorator

# For development and tests only: the app refuses it in production.
DEVELOPMENT_DATA_KEY = "ZGV2ZWxvcG1lbnQtb25seS1kYXRhLWtleS0wMDAwMDA="  # noqa: S105


class SealedValueError(RuntimeError):
    """A sealed value that none of the configured keys opens."""


def keys_from_setting(value: str) -> MultiFernet:
    """The keys in ``ACCREDITATION_DATA_KEYS`` (comma-separated); ``ValueError`` names a bad
    one by its position, never by its value."""
    names = [part.strip() for part in value.split(",") if part.strip()]
    if not names:
        raise ValueError("no key given")
    keys = []
    for position, key in enumerate(names, start=1):
        try:
            keys.append(Fernet(key))
        except (ValueError, TypeError):
            raise ValueError(
                f"key {position} is not a Fernet key (32 bytes in URL-safe base64)") from None
    return MultiFernet(keys)


def _keys() -> MultiFernet:
    return current_app.extensions["data_keys"]


def seal(value: str) -> str:
    return _keys().encrypt(value.encode()).decode("ascii")


def unseal(sealed: str) -> str:
    try:
        return _keys().decrypt(sealed.encode("ascii")).decode()
    except InvalidToken:
        raise SealedValueError(
            "A sealed value could not be opened: ACCREDITATION_DATA_KEYS does not hold the key "
            "it was sealed with.") from None


class Sealed(TypeDecorator):
    """A string column stored sealed: Python sees the value, the database only its sealed
    form (about 140 characters for a 32-character secret). Sealing is randomised, so the
    column cannot be searched or compared, only read and written."""

    impl = sa.String(255)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        return None if value is None else seal(value)

    def process_result_value(self, value, dialect):
        return None if value is None else unseal(value)


def reseal(connection: sa.Connection, column: sa.Column) -> int:
    """Seal every value of ``column`` again with the first key (after a new key was put
    first); returns how many. The table's primary key must be one column."""
    table = column.table
    (primary_key,) = table.primary_key.columns
    raw = sa.type_coerce(column, sa.String)  # the sealed form, not the value
    rows = connection.execute(sa.select(primary_key, raw).where(column.is_not(None))).all()
    keys = _keys()
    for row_id, sealed in rows:
        try:
            resealed = keys.rotate(sealed.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise SealedValueError(
                f"{table.name} {row_id}: no configured key opens its {column.name}.") from None
        connection.execute(sa.update(table).where(primary_key == row_id)
                           .values({column.name: sa.type_coerce(resealed, sa.String)}))
    return len(rows)
