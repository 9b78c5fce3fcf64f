"""Users, roles, invitations, registrations waiting for their e-mail link, links e-mailed
about a person's own account, sign-in attempts."""

from __future__ import annotations

import enum
from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..database import UTCDateTime, enum_type, utcnow
from ..extensions import db
from ..sealing import Sealed


class Role(enum.Enum):
    PROVIDER = "provider"
    INSPECTOR = "inspector"
    COMMISSIONER = "commissioner"
    SOCIAL_WORKER = "social_worker"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]

    @property
    def is_staff(self) -> bool:
        """Consortium or council staff, invited by a commissioner (everyone but providers)."""
        return self is not Role.PROVIDER


ROLE_LABELS = {
    Role.PROVIDER: "Provider",
    Role.INSPECTOR: "Inspector",
    Role.COMMISSIONER: "Commissioner",
    Role.SOCIAL_WORKER: "Social worker",
}


class User(UserMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(enum_type(Role, "role"))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    organisation_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organisation.id"), index=True
    )
    council_id: Mapped[int | None] = mapped_column(sa.ForeignKey("council.id"), index=True)
    is_active: Mapped[bool] = mapped_column(default=True)
    # A provider organisation's administrators manage its team (invite colleagues, remove
    # access); its other members do everything else. Nobody else administers an organisation.
    is_organisation_administrator: Mapped[bool] = mapped_column(default=False,
                                                                server_default=sa.false())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_signed_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of the session identity: bumping it signs the user out everywhere.
    session_generation: Mapped[int] = mapped_column(default=1)
    # Authenticator app (TOTP, RFC 6238): set once a code from the app has been confirmed.
    # The last time step used is kept so that each code works only once.
    # Sealed (``sealing.py``): the service must read it back to check codes, so it cannot be
    # hashed, and a copy of the database alone must not be enough to make anyone's codes.
    totp_secret: Mapped[str | None] = mapped_column(Sealed())
    totp_confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)

    organisation = relationship("Organisation", back_populates="users")
    council = relationship("Council")

    __table_args__ = (
        # A provider user belongs to exactly one organisation; nobody else belongs to one.
        sa.CheckConstraint(
            "(role = 'provider') = (organisation_id IS NOT NULL)", name="provider_has_organisation"
        ),
        # Social workers are council staff.
        sa.CheckConstraint(
            "role != 'social_worker' OR council_id IS NOT NULL", name="social_worker_has_council"
        ),
        sa.CheckConstraint("email = lower(email)", name="email_lower_case"),
        sa.CheckConstraint("role = 'provider' OR NOT is_organisation_administrator",
                           name="only_providers_administer_organisations"),
    )

    def get_id(self) -> str:
        return f"{self.id}.{self.session_generation}"

    @property
    def has_authenticator(self) -> bool:
        return self.totp_secret is not None

    def has_role(self, *roles: Role) -> bool:
        return self.role in roles

    def __repr__(self) -> str:
        return f"<User {self.id} {self.role.value}>"


class Invitation(db.Model):
    """An invitation by e-mail, the link carrying a one-off token: a commissioner's to a member
    of staff, or a provider organisation administrator's to a colleague (``organisation_id``).
    """

    __tablename__ = "invitation"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    role: Mapped[Role] = mapped_column(enum_type(Role, "invitation_role"))
    council_id: Mapped[int | None] = mapped_column(sa.ForeignKey("council.id"))
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisation.id"),
                                                        index=True)
    organisation_administrator: Mapped[bool] = mapped_column(default=False,
                                                             server_default=sa.false())
    invited_by_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    # Only a hash of the token is stored: a database reader cannot accept an invitation.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    council = relationship("Council")
    organisation = relationship("Organisation")
    invited_by = relationship("User")

    __table_args__ = (
        # Colleagues of a provider join its organisation; staff join none.
        sa.CheckConstraint("(role = 'provider') = (organisation_id IS NOT NULL)",
                           name="provider_has_organisation"),
        sa.CheckConstraint(
            "role != 'social_worker' OR council_id IS NOT NULL", name="social_worker_has_council"
        ),
    )

    @property
    def status(self) -> str:
        if self.accepted_at:
            return "accepted"
        if self.revoked_at:
            return "revoked"
        if self.expires_at <= utcnow():
            return "expired"
        return "pending"


class RecoveryCode(db.Model):
    """A one-off code that stands in for the authenticator app; only a hash is stored."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    __table_args__ = (sa.UniqueConstraint("user_id", "code_hash"),)


class PendingRegistration(db.Model):
    """A provider's registration, waiting for the link e-mailed to its address to be followed.

    Nothing can be used until then: the account and the organisation are made only when the
    link is followed with the password chosen here. Only a hash of the link's token is kept.
    """

    __tablename__ = "pending_registration"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), index=True)
    full_name: Mapped[str] = mapped_column(sa.String(120))
    organisation_name: Mapped[str] = mapped_column(sa.String(160))
    company_number: Mapped[str | None] = mapped_column(sa.String(8))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)

    __table_args__ = (sa.CheckConstraint("email = lower(email)", name="email_lower_case"),)


# What a throttled attempt was: signing in (and confirming a password or code), or asking to
# register (every request counts, not only failures), or asking for a link about one's own
# account (a new password, a new e-mail address; every request counts too).
SIGN_IN_ATTEMPT = "sign_in"
REGISTRATION_ATTEMPT = "registration"
PASSWORD_RESET_ATTEMPT = "password_reset"  # noqa: S105 (a label, not a secret)
EMAIL_CHANGE_ATTEMPT = "email_change"
ATTEMPT_PURPOSES = (SIGN_IN_ATTEMPT, REGISTRATION_ATTEMPT, PASSWORD_RESET_ATTEMPT,
                    EMAIL_CHANGE_ATTEMPT)


class LoginAttempt(db.Model):
    """One sign-in or registration attempt, kept for throttling (per account and per client)."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    attempted_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    # sha256 of the normalised e-mail address: throttles unknown accounts too, without
    # keeping the address typed.
    account_key: Mapped[str] = mapped_column(sa.String(64))
    client: Mapped[str] = mapped_column(sa.String(64))
    succeeded: Mapped[bool] = mapped_column()
    purpose: Mapped[str] = mapped_column(sa.String(20), default=SIGN_IN_ATTEMPT,
                                         server_default=SIGN_IN_ATTEMPT)

    __table_args__ = (
        sa.Index("ix_login_attempt_account_key_attempted_at", "account_key", "attempted_at"),
        sa.Index("ix_login_attempt_client_attempted_at", "client", "attempted_at"),
        sa.CheckConstraint("purpose IN ({})".format(
            ", ".join(f"'{purpose}'" for purpose in ATTEMPT_PURPOSES)), name="known_purpose"),
    )


class ApiToken(db.Model):
    """A bearer token for the JSON API, acting as its user. Only a hash is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Short-lived tokens (a tablet's) stop working at this time; others until revoked.
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")


class CalendarLink(db.Model):
    """An inspector's private calendar feed of their visits (``stages/calendar.py``). Only a
    hash of its token is stored; a new link replaces the old, and either can be withdrawn."""

    __tablename__ = "calendar_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # The inspector chose to have the properties' addresses in the feed.
    with_addresses: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")


# What an account link is for: setting a new password after forgetting it, or confirming a new
# e-mail address.
PASSWORD_RESET = "password_reset"  # noqa: S105 (a label, not a secret)
EMAIL_CHANGE = "email_change"


class AccountLink(db.Model):
    """A link e-mailed about a person's own account: to set a new password after forgetting
    it, or to confirm a new e-mail address.

    Only a hash of its token is kept. It works once, until ``expires_at``, and only while the
    account's password is the one it was sent under (``password_fingerprint``): a new password
    ends every link sent before it.
    """

    __tablename__ = "account_link"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    purpose: Mapped[str] = mapped_column(sa.String(20))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    # sha256 of the account's password hash when the link was sent (the hash is salted, so
    # any new password, even the same one again, changes it).
    password_fingerprint: Mapped[str] = mapped_column(sa.String(64))
    # The address to confirm (e-mail changes only).
    new_email: Mapped[str | None] = mapped_column(sa.String(254))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    user = relationship("User")

    __table_args__ = (
        sa.CheckConstraint(f"purpose IN ('{PASSWORD_RESET}', '{EMAIL_CHANGE}')",
                           name="known_purpose"),
        sa.CheckConstraint(f"(purpose = '{EMAIL_CHANGE}') = (new_email IS NOT NULL)",
                           name="new_email_only_for_email_change"),
        sa.CheckConstraint("new_email = lower(new_email)", name="new_email_lower_case"),
    )
