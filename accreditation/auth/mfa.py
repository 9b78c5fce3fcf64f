"""The second factor: an authenticator app (TOTP, RFC 6238) and one-off recovery codes.

Commissioners decide accreditations and inspectors see young people's homes and staff files,
so both must prove a second factor at every sign-in. Codes are checked against the service's
clock (one 30-second step either side, for a phone's drift) and each works only once.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

import pyotp
import segno
from flask import current_app
from markupsafe import Markup

from ..database import utcnow
from .models import Role, User

ROLES_NEEDING_A_SECOND_FACTOR = frozenset({Role.COMMISSIONER, Role.INSPECTOR})
STEP_SECONDS = 30
DRIFT_STEPS = 1
RECOVERY_CODE_COUNT = 10
# Lower-case letters and digits that cannot be mistaken for each other when copied by hand.
_RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"
_SIX_DIGITS = re.compile(r"[0-9]{6}")

# The demo commissioners and inspector share this authenticator key (published in the README;
# on the development demo the code page also shows their current code).
DEMO_TOTP_SECRET = "DEMOACCOUNTSSHAREONEPUBLISHEDKEY"  # noqa: S105 (published demo key)


def required_for(user: User) -> bool:
    return user.role in ROLES_NEEDING_A_SECOND_FACTOR


def new_secret() -> str:
    """160 random bits, base32 (what authenticator apps expect)."""
    return pyotp.random_base32(32)


def provisioning_uri(email: str, secret: str) -> str:
    """The ``otpauth://`` link an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(
        name=email, issuer_name=current_app.config["SERVICE_NAME"])


def qr_code_svg(uri: str) -> Markup:
    """The enrolment link as an inline SVG QR code (no script, no request to anyone else)."""
    svg = segno.make(uri, error="m").svg_inline(
        scale=5, border=4, dark="#0b0c0c", light="#ffffff",
        title="QR code for your authenticator app")
    return Markup(svg)  # noqa: S704 (segno's own markup; the URI inside is escaped by segno)


def spaced_secret(secret: str) -> str:
    """The secret in groups of four, for typing into an app by hand."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def current_step() -> int:
    return int(utcnow().timestamp()) // STEP_SECONDS


def code_for(secret: str, step: int) -> str:
    return pyotp.TOTP(secret).at(step * STEP_SECONDS)


def matching_step(secret: str, code: str, *, used_up_to: int | None) -> int | None:
    """The time step whose code this is, if it is valid now and later than any used before."""
    code = re.sub(r"\s", "", code or "")
    if not _SIX_DIGITS.fullmatch(code):
        return None
    now = current_step()
    for step in range(now - DRIFT_STEPS, now + DRIFT_STEPS + 1):
        if used_up_to is not None and step <= used_up_to:
            continue
        if hmac.compare_digest(code_for(secret, step), code):
            return step
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes like ``k7rm-2qxd-9fhe`` (about 62 bits each)."""
    return ["-".join("".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(4))
                     for _ in range(3)) for _ in range(RECOVERY_CODE_COUNT)]


def recovery_code_hash(code: str) -> str:
    """Codes are random and long, so a plain SHA-256 is enough (no password hashing)."""
    normalised = re.sub(r"[\s-]", "", (code or "").lower())
    return hashlib.sha256(normalised.encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len(re.sub(r"[\s-]", "", code or "")) == 12
