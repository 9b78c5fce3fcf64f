"""Password hashing with argon2id, and the password rule (length only, no composition rules)."""

from __future__ import annotations

import contextlib

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask import current_app

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 256  # long passphrases welcome; a bound stops hashing megabytes


def _hasher() -> PasswordHasher:
    config = current_app.config
    return PasswordHasher(
        time_cost=config["ARGON2_TIME_COST"],
        memory_cost=config["ARGON2_MEMORY_COST"],
        parallelism=config["ARGON2_PARALLELISM"],
    )


def password_problem(password: str) -> str | None:
    """Why a new password is not acceptable, or None. NIST SP 800-63B: length, not composition."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Password must be {MIN_PASSWORD_LENGTH} characters or more"
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Password must be {MAX_PASSWORD_LENGTH} characters or fewer"
    return None


def hash_password(password: str) -> str:
    return _hasher().hash(password)


# Verified against when the account does not exist, so that timing does not reveal it.
_DUMMY_HASH: dict[tuple, str] = {}


def verify_password(password_hash: str | None, password: str) -> bool:
    hasher = _hasher()
    if password_hash is None:
        key = (hasher.time_cost, hasher.memory_cost, hasher.parallelism)
        if key not in _DUMMY_HASH:
            _DUMMY_HASH[key] = hasher.hash("not a real password, only for timing")
        password_hash = _DUMMY_HASH[key]
        with contextlib.suppress(VerificationError):
            hasher.verify(password_hash, password)
        return False
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher().check_needs_rehash(password_hash)
