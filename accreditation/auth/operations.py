"""Account operations: sign-in, provider registration and disputed company numbers,
invitations, user creation.

Each operation checks who may do it, changes state, writes the audit event and commits
once. Views and CLI commands call these; neither writes to the database itself.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import defer

from .. import audit
from ..companies.numbers import normalise_company_number
from ..councils import Council
from ..database import utcnow
from ..errors import NotFound, NotPermitted, TooManyAttempts, ValidationFailed
from ..extensions import db
from ..notifications.outbox import queue_email
from ..providers.models import CompanyNumberDispute, Organisation
from . import mfa, throttle
from .models import Invitation, PendingRegistration, RecoveryCode, Role, User
from .passwords import hash_password, needs_rehash, password_problem, verify_password
from .tokens import revoke_every_token, revoke_tablet_tokens


def _require_new_password(password: str) -> None:
    problem = password_problem(password)
    if problem:
        raise ValidationFailed(problem, field="password")


def _require_unused_email(email: str) -> str:
    email = throttle.normalise_email(email)
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        raise ValidationFailed(
            "An account with this email address already exists. Sign in instead, or ask "
            "a commissioner to reset it.",
            field="email",
        )
    return email


GENERIC_SIGN_IN_FAILURE = "Enter a correct email address and password"


def _duration(seconds: int) -> str:
    if seconds < 60:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


def _refuse_while_throttled(email: str, client: str, *, actor: User | None = None) -> None:
    """Raise ``TooManyAttempts`` (audited) while a sign-in limit holds for this account and
    client. Someone signed in is audited each time; otherwise the refusals are counted, not
    each chained (``audit.record_repeatable``), so nobody can grow the audit trail at will."""
    refusal = throttle.refusal_for(email, client)
    if refusal is None:
        return
    details = {"limit": refusal.limit}
    if actor is not None:
        audit.record("auth.sign_in_throttled", actor=actor, subject=actor, details=details)
    else:
        audit.record_repeatable("auth.sign_in_throttled", reason=f"limit: {refusal.limit}",
                                details=details)
    db.session.commit()
    wait = _duration(refusal.wait_seconds)
    if refusal.slowed:
        raise TooManyAttempts(
            "There have been many failed attempts to sign in to this account, so it is being "
            f"slowed down. Wait {wait} and try again. If this keeps happening, contact the "
            "consortium's commissioning team.")
    raise TooManyAttempts(
        f"There have been too many failed attempts to sign in. Wait {wait} and try again. "
        "If you cannot remember your password, contact the consortium's commissioning team.")


def authenticate(email: str, password: str, client: str) -> User:
    """Return the user for these credentials or raise.

    Raises ``TooManyAttempts`` while a sign-in limit holds for this account and client
    (``throttle.refusal_for``; without checking the password) and ``ValidationFailed`` with
    one message for every kind of failure, so a caller cannot tell which accounts exist.
    Success and failure are audited and committed. For a user who needs a second factor this
    is only the first step: the sign-in is complete once ``verify_second_factor`` (or adding
    an authenticator) has succeeded.
    """
    email = throttle.normalise_email(email)
    _refuse_while_throttled(email, client)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    ok = verify_password(user.password_hash if user else None, password)
    if ok and not user.is_active:
        ok = False
    if not ok:
        throttle.note_attempt(email, client, False)
        reason = "unknown account" if user is None else (
            "account deactivated" if not user.is_active else "wrong password")
        audit.record("auth.sign_in_failed", subject=user, details={"reason": reason})
        db.session.commit()
        raise ValidationFailed(GENERIC_SIGN_IN_FAILURE, field="email")
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    if mfa.required_for(user) or user.has_authenticator:
        # Not signed in yet: only the code's success is kept as one (``throttle.note_attempt``).
        audit.record("auth.password_accepted", actor=user, subject=user)
    else:
        throttle.note_attempt(email, client, True)
        _signed_in(user, second_factor=None)
    db.session.commit()
    return user


def _signed_in(user: User, *, second_factor: str | None) -> None:
    user.last_signed_in_at = utcnow()
    audit.record("auth.signed_in", actor=user, subject=user,
                 details={"second_factor": second_factor} if second_factor else None)


def _use_second_factor(user: User, code: str) -> str | None:
    """Spend a code: the authenticator's (each time step once) or an unused recovery code.

    Both are spent with a conditional UPDATE, so two requests racing with one code cannot
    both succeed. Returns what was used, or None.
    """
    if user.has_authenticator:
        step = mfa.matching_step(user.totp_secret, code, used_up_to=user.totp_last_step)
        if step is not None and db.session.execute(
            sa.update(User).where(
                User.id == user.id,
                sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
            ).values(totp_last_step=step).execution_options(synchronize_session="fetch")
        ).rowcount == 1:
            return "authenticator app"
    if mfa.looks_like_recovery_code(code) and db.session.execute(
        sa.update(RecoveryCode).where(
            RecoveryCode.user_id == user.id,
            RecoveryCode.code_hash == mfa.recovery_code_hash(code),
            RecoveryCode.used_at.is_(None),
        ).values(used_at=utcnow())
    ).rowcount == 1:
        audit.record("auth.recovery_code_used", actor=user, subject=user,
                     details={"left": unused_recovery_codes(user)})
        return "recovery code"
    return None


WRONG_CODE = ("Enter the 6-digit code your authenticator app shows now, or one of your "
              "recovery codes")


def _require_second_factor(user: User, code: str, client: str, *, failure: str,
                           signed_in: bool = False) -> str:
    """Throttled like passwords: a wrong code counts as a failed sign-in for the account."""
    _refuse_while_throttled(user.email, client, actor=user if signed_in else None)
    used = _use_second_factor(user, code)
    throttle.note_attempt(user.email, client, used is not None)
    if used is None:
        audit.record(failure, actor=user, subject=user, details={"reason": "wrong code"})
        db.session.commit()
        raise ValidationFailed(WRONG_CODE, field="code")
    return used


def verify_second_factor(user: User, code: str, client: str) -> None:
    """The second step of signing in; committed either way."""
    used = _require_second_factor(user, code, client, failure="auth.second_factor_failed")
    _signed_in(user, second_factor=used)
    db.session.commit()


def _refuse_wrong_password(user: User, password: str, client: str) -> None:
    """A signed-in person's password, given again: throttled like a sign-in, a wrong one
    counted, audited and refused (the failure is committed before the refusal)."""
    _refuse_while_throttled(user.email, client, actor=user)
    if not verify_password(user.password_hash, password):
        throttle.note_attempt(user.email, client, False)
        audit.record("auth.confirmation_failed", actor=user, subject=user,
                     details={"reason": "wrong password"})
        db.session.commit()
        raise ValidationFailed("Your password is not correct", field="password")


def confirm_password(user: User, password: str, client: str) -> None:
    """The password alone, confirmed (a change made by link, whose link is the second
    proof): refused as ``confirm_identity`` refuses it, counted as a sign-in when right."""
    _refuse_wrong_password(user, password, client)
    throttle.note_attempt(user.email, client, True)


def confirm_identity(user: User, *, password: str, code: str | None, client: str) -> None:
    """Re-authentication before a sensitive change: the password, and the second factor for
    those who have one. Failures count towards the account's sign-in limit."""
    _refuse_wrong_password(user, password, client)
    if user.has_authenticator:
        _require_second_factor(user, code or "", client, failure="auth.confirmation_failed",
                               signed_in=True)
    else:
        throttle.note_attempt(user.email, client, True)
    audit.record("auth.identity_confirmed", actor=user, subject=user)
    db.session.commit()


def unused_recovery_codes(user: User) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None)))


def _replace_recovery_codes(user: User) -> list[str]:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = mfa.new_recovery_codes()
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=mfa.recovery_code_hash(code))
                       for code in codes)
    return codes


def add_authenticator(user: User, *, secret: str, code: str) -> list[str]:
    """Keep ``secret`` as the user's authenticator once a code from it is shown to work.

    Replaces any earlier authenticator and recovery codes; returns the new recovery codes
    (shown once, stored only as hashes).
    """
    step = mfa.matching_step(secret, code, used_up_to=None)
    if step is None:
        raise ValidationFailed(
            "That code does not match. Enter the 6-digit code your app shows now; if it still "
            "does not work, check the time on your phone is set automatically", field="code")
    replacing = user.has_authenticator
    user.totp_secret, user.totp_confirmed_at, user.totp_last_step = secret, utcnow(), step
    codes = _replace_recovery_codes(user)
    audit.record("auth.authenticator_replaced" if replacing else "auth.authenticator_added",
                 actor=user, subject=user)
    db.session.commit()
    return codes


def replace_recovery_codes(user: User) -> list[str]:
    """New recovery codes; the old ones stop working."""
    if not user.has_authenticator:
        raise ValidationFailed("Set up an authenticator app first.")
    codes = _replace_recovery_codes(user)
    audit.record("auth.recovery_codes_replaced", actor=user, subject=user)
    db.session.commit()
    return codes


def _end_every_session(user: User, *, actor: User | None, reason: str) -> None:
    user.session_generation += 1
    revoke_tablet_tokens(user, actor=actor, reason=reason)


def close_account(user: User, *, actor: User | None, reason: str) -> None:
    """The account can no longer sign in; every session of it ends and every token of it (the
    API's and tablets') is withdrawn. The caller audits and commits."""
    user.is_active = False
    user.session_generation += 1
    # Every token, not only tablets': none comes back to life if the account is reopened.
    revoke_every_token(user, actor=actor, reason=reason)


def record_sign_out(user: User) -> None:
    """Signing out ends every session of the user, and withdraws their tablet tokens."""
    _end_every_session(user, actor=user, reason="signed out")
    audit.record("auth.signed_out", actor=user, subject=user)
    db.session.commit()


def _require_commissioner(actor: User, user: User, *, providers_too: bool = False) -> None:
    if actor.role is not Role.COMMISSIONER:
        raise NotPermitted("Only commissioners can manage other people's accounts.")
    if user.role is Role.PROVIDER and not providers_too:
        raise NotPermitted("Provider accounts are managed by their organisation.")


def end_sessions(actor: User, user: User) -> None:
    """A commissioner signs a member of staff out everywhere (a lost laptop or tablet)."""
    _require_commissioner(actor, user)
    _end_every_session(user, actor=actor, reason="sessions ended by a commissioner")
    audit.record("user.sessions_ended", actor=actor, subject=user)
    db.session.commit()


def reset_authenticator(actor: User, user: User) -> None:
    """A commissioner removes someone's authenticator (a lost phone, no recovery codes): a
    colleague's, who sets up a new one at their next sign-in, or a provider's who had added
    one, who signs in with their password again and may add a new one. Either way they are
    signed out everywhere, and their recovery codes go too."""
    _require_commissioner(actor, user, providers_too=True)
    if actor.id == user.id:
        raise ValidationFailed("You cannot reset your own authenticator: ask another "
                               "commissioner, or set up a new one from your account page.")
    if not user.has_authenticator:
        raise ValidationFailed(f"{user.full_name} has no authenticator app set up.")
    user.totp_secret = user.totp_confirmed_at = user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    _end_every_session(user, actor=actor, reason="authenticator reset by a commissioner")
    audit.record("user.authenticator_reset", actor=actor, subject=user)
    db.session.commit()


def reset_authenticators_from_command_line(emails: list[str] | None = None) -> list[str]:
    """The operator removes authenticator apps: of the people with these e-mail addresses,
    or of everyone who has one (``None``: after ``ACCREDITATION_DATA_KEYS`` was lost, when no
    sealed secret can be opened). Each sets up a new app at their next sign-in; they are
    signed out everywhere and their recovery codes go. Never opens a sealed secret. Audited;
    raises ``ValidationFailed`` naming any address with no account, and then changes
    nothing. Returns the addresses reset."""
    query = (sa.select(User).options(defer(User.totp_secret))
             .where(User.totp_secret.is_not(None)).order_by(User.id))
    if emails is not None:
        wanted = {email.strip().lower() for email in emails}
        known = set(db.session.scalars(sa.select(User.email).where(User.email.in_(wanted))))
        if unknown := sorted(wanted - known):
            raise ValidationFailed(f"No account has the e-mail address {', '.join(unknown)}.")
        query = query.where(User.email.in_(wanted))
    users = list(db.session.scalars(query))
    for user in users:
        user.totp_secret = user.totp_confirmed_at = user.totp_last_step = None
        db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
        _end_every_session(user, actor=None, reason="authenticator reset from the command line")
        audit.record("user.authenticator_reset", subject=user,
                     details={"by": "command line"})
    db.session.commit()
    return [user.email for user in users]


@dataclass(frozen=True)
class RegistrationLinks:
    """The addresses registration e-mails give (the view builds them: it knows the host)."""

    confirm_url_for: Callable[[str], str]  # the link to confirm an address, for a token
    sign_in: str
    register: str


def _company_number(text: str | None) -> str | None:
    text = (text or "").strip()
    return normalise_company_number(text) if text else None


def _refuse_registration_while_throttled(email: str, client: str) -> None:
    """Too many requests from this client or for this address: refused (audited). Otherwise
    the request counts towards both limits."""
    blocked = throttle.registration_throttled_by(email, client)
    if blocked:
        audit.record("registration.throttled", details={"limit": blocked})
        db.session.commit()
        raise TooManyAttempts(
            "There have been too many attempts to register. Wait "
            f"{throttle.registration_window_minutes()} minutes and try again.")
    throttle.note_registration(email, client)


def _new_registration_link(registration: PendingRegistration) -> str:
    """A new one-off token for ``registration`` (any earlier one stops working); only its
    hash is kept."""
    token = secrets.token_urlsafe(32)
    registration.token_hash = _token_hash(token)
    registration.expires_at = utcnow() + timedelta(
        hours=current_app.config["REGISTRATION_LINK_HOURS"])
    return token


def _someone_asked(service: str) -> str:
    return (f"Someone, we hope you, asked to register an organisation with {service} using "
            "this email address.")


def _queue_confirmation_email(email: str, token: str, links: RegistrationLinks) -> None:
    # Nothing the requester typed goes in: the address is not yet known to be theirs.
    service = current_app.config["SERVICE_NAME"]
    hours = current_app.config["REGISTRATION_LINK_HOURS"]
    queue_email(
        to=email, subject=f"Confirm your email address to register with {service}",
        body=(
            f"{_someone_asked(service)}\n\n"
            "To confirm it is your address and finish registering, open this link and enter "
            f"the password you chose:\n{links.confirm_url_for(token)}\n\n"
            f"The link works once and expires in {hours} hours. If you did not ask to "
            "register, you can ignore this email: nothing has been set up, and the link does "
            "not work without that password.\n"
        ),
    )


def _queue_existing_account_email(email: str, links: RegistrationLinks) -> None:
    service = current_app.config["SERVICE_NAME"]
    queue_email(
        to=email, subject=f"You already have an account with {service}",
        body=(
            f"{_someone_asked(service)} You already have an account with this address, so "
            "nothing new has been set up.\n\n"
            f"Sign in here:\n{links.sign_in}\n\n"
            "If you cannot sign in, contact the commissioning team. If you did not ask to "
            "register, you can ignore this email.\n"
        ),
    )


def request_registration(
    *, organisation_name: str, company_number: str | None, full_name: str, email: str,
    password: str, client: str, links: RegistrationLinks,
) -> str:
    """Someone asks to register a provider organisation; returns the address, normalised.

    Nothing can be used yet. An e-mail goes to the address in every case and the caller
    learns nothing else, so the answer is the same whether or not the address has an account:
    without one, a link to confirm the address (``confirm_registration``), which makes the
    account and the organisation; with one, how to sign in instead. The password is hashed
    either way, so the time taken says nothing either. Throttled per client and per address
    (``TooManyAttempts``); audited and committed.
    """
    _require_new_password(password)
    number = _company_number(company_number)
    email = throttle.normalise_email(email)
    _refuse_registration_while_throttled(email, client)
    password_hash = hash_password(password)
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    if existing is not None:
        _queue_existing_account_email(email, links)
        audit.record("registration.requested", subject=existing,
                     details={"existing_account": True})
    else:
        registration = PendingRegistration(
            email=email, full_name=full_name.strip(), organisation_name=organisation_name.strip(),
            company_number=number, password_hash=password_hash)
        token = _new_registration_link(registration)
        db.session.add(registration)
        db.session.flush()
        _queue_confirmation_email(email, token, links)
        audit.record("registration.requested", subject=registration)
    db.session.commit()
    return email


def send_registration_email_again(email: str, *, client: str, links: RegistrationLinks) -> None:
    """Send the e-mail of a registration again, to an address that asked to register.

    As for the first: an address with an account is told how to sign in; otherwise its newest
    registration still waiting gets a new link (the old one stops working), or, if it has
    expired, the address is told to register again. Throttled with the requests to register.
    """
    email = throttle.normalise_email(email)
    _refuse_registration_while_throttled(email, client)
    existing = db.session.scalar(sa.select(User).where(User.email == email))
    registration = None if existing else db.session.scalar(
        sa.select(PendingRegistration).where(PendingRegistration.email == email,
                                             PendingRegistration.expires_at > utcnow())
        .order_by(PendingRegistration.id.desc()).limit(1))
    if existing is not None:
        _queue_existing_account_email(email, links)
        audit.record("registration.link_sent_again", subject=existing,
                     details={"existing_account": True})
    elif registration is not None:
        _queue_confirmation_email(email, _new_registration_link(registration), links)
        audit.record("registration.link_sent_again", subject=registration)
    else:
        service = current_app.config["SERVICE_NAME"]
        queue_email(to=email, subject=f"Register with {service}", body=(
            f"{_someone_asked(service)} That registration has expired: nothing was set "
            f"up.\n\nTo register, start again here:\n{links.register}\n"))
        audit.record("registration.link_sent_again", details={"expired": True})
    db.session.commit()


REGISTRATION_LINK_UNUSABLE = ("This link has expired or has already been used. Register "
                              "again to get a new link.")


def find_open_registration(token: str) -> PendingRegistration:
    """The registration a link is for, while it works; ``NotFound`` otherwise. A link that
    worked once and has expired is refused in the audit trail (made-up ones are noise)."""
    registration = db.session.scalar(sa.select(PendingRegistration).where(
        PendingRegistration.token_hash == _token_hash(token)))
    if registration is not None and registration.expires_at <= utcnow():
        audit.record("registration.refused", subject=registration,
                     details={"reason": "link expired"})
        db.session.commit()
        registration = None
    if registration is None:
        raise NotFound(REGISTRATION_LINK_UNUSABLE)
    return registration


def company_number_registered(number: str | None) -> bool:
    return number is not None and db.session.scalar(
        sa.select(Organisation.id).where(Organisation.company_number == number)) is not None


def _organisation_claiming(name: str, number: str | None
                           ) -> tuple[Organisation, Organisation | None]:
    """A new organisation, written, and the one that already holds its company number (if
    any), which keeps it: the new one is then written without it. Another organisation
    registering the same number at the same moment is found when the write collides with it."""
    def holder_of() -> Organisation | None:
        return None if number is None else db.session.scalar(
            sa.select(Organisation).where(Organisation.company_number == number))

    holder = holder_of()
    organisation = Organisation(name=name, company_number=None if holder else number)
    try:
        with db.session.begin_nested():
            db.session.add(organisation)
    except IntegrityError:
        holder = holder_of()
        if holder is None:
            raise
        organisation = Organisation(name=name)
        db.session.add(organisation)
    return organisation, holder


def confirm_registration(token: str, *, password: str, client: str) -> User:
    """Follow a registration's link: with the password chosen when registering, the account
    and the organisation are made; the link then stops working. Returns the new user.

    Asking for the password means someone who is sent a link they did not ask for cannot
    make the account with it. Wrong passwords count towards the address's sign-in limit
    (``TooManyAttempts`` while it holds). ``NotFound`` when the link does not work (any more)
    or the address has had an account made since. A company number already registered by
    another organisation is not given to this one: the claim waits for a commissioner
    (``resolve_company_number_dispute``) and this organisation cannot apply meanwhile.
    """
    registration = find_open_registration(token)
    email = registration.email
    _refuse_while_throttled(email, client)
    if not verify_password(registration.password_hash, password):
        throttle.note_attempt(email, client, False)
        audit.record("registration.refused", subject=registration,
                     details={"reason": "wrong password"})
        db.session.commit()
        raise ValidationFailed("Your password is not correct", field="password")
    throttle.note_attempt(email, client, True)
    pending = {name: getattr(registration, name) for name in (
        "id", "full_name", "organisation_name", "company_number", "password_hash")}
    # Single use: of two requests racing with one link, only the one that removes it goes on.
    if db.session.execute(sa.delete(PendingRegistration).where(
            PendingRegistration.id == pending["id"])).rowcount != 1:
        db.session.rollback()
        raise NotFound(REGISTRATION_LINK_UNUSABLE)
    if db.session.scalar(sa.select(User.id).where(User.email == email)):
        # Made since this registration was asked for (another of its registrations, or an
        # invitation): whoever followed the link owns the address, so it may say so.
        audit.record("registration.refused", subject_type="pending_registration",
                     subject_id=pending["id"],
                     details={"reason": "address already has an account"})
        db.session.commit()
        raise NotFound("An account with this email address already exists: sign in instead.")
    organisation, holder = _organisation_claiming(pending["organisation_name"],
                                                  pending["company_number"])
    # Whoever registers an organisation is its first administrator: they manage its team.
    user = User(email=email, full_name=pending["full_name"], role=Role.PROVIDER,
                password_hash=pending["password_hash"], organisation=organisation,
                is_organisation_administrator=True)
    db.session.add(user)
    db.session.flush()
    audit.record("registration.verified", actor=user, subject=user,
                 details={"registration_id": pending["id"]})
    audit.record("organisation.registered", actor=user, subject=organisation)
    if holder:
        number = holder.company_number
        dispute = CompanyNumberDispute(company_number=number, holder_id=holder.id,
                                       claimant_id=organisation.id)
        db.session.add(dispute)
        db.session.flush()
        audit.record("company_number.disputed", actor=user, subject=dispute,
                     details={"company_number": number, "holder_id": holder.id,
                              "claimant_id": organisation.id})
    db.session.commit()
    return user


def forget_expired_registrations() -> int:
    """Remove registrations whose link has expired, password hash and all (run from
    ``tick``); audited. The caller commits. Returns how many."""
    expired = list(db.session.scalars(sa.select(PendingRegistration).where(
        PendingRegistration.expires_at <= utcnow())))
    for registration in expired:
        audit.record("registration.expired", subject=registration)
        db.session.delete(registration)
    return len(expired)


def resolve_company_number_dispute(actor: User, dispute: CompanyNumberDispute, *,
                                   keep: str) -> None:
    """A commissioner decides which of two organisations keeps a company number: the one
    that registered it first (``keep="holder"``) or the one that claimed it after
    (``"claimant"``).

    The other organisation loses the number and its accounts: each is deactivated and signed
    out everywhere, and told by e-mail. Its people may ask the commissioning team if that is
    wrong. Other claims to the same number are then against the organisation that keeps it.
    """
    if actor.role is not Role.COMMISSIONER:
        raise NotPermitted("Only commissioners decide who keeps a company number.")
    if dispute.resolved_at is not None:
        raise ValidationFailed("This dispute has already been decided.")
    number = dispute.company_number
    if keep not in ("holder", "claimant"):
        raise ValidationFailed(f"Select which organisation keeps company number {number}",
                               field="keep")
    winner, loser = ((dispute.holder, dispute.claimant) if keep == "holder"
                     else (dispute.claimant, dispute.holder))
    loser.company_number = None
    db.session.flush()  # the number is unique: free it before giving it
    winner.company_number = number
    dispute.resolved_at, dispute.resolved_by_id, dispute.kept_by_id = utcnow(), actor.id, winner.id
    db.session.execute(sa.update(CompanyNumberDispute).where(
        CompanyNumberDispute.company_number == number,
        CompanyNumberDispute.resolved_at.is_(None),
        CompanyNumberDispute.id != dispute.id,
    ).values(holder_id=winner.id))
    service = current_app.config["SERVICE_NAME"]
    closed = []
    for user in loser.users:
        if not user.is_active:
            continue
        user.is_active = False
        _end_every_session(user, actor=actor, reason="organisation lost its company number")
        closed.append(user.id)
        queue_email(to=user.email, subject=f"Your account with {service} has been closed", body=(
            f"The commissioning team has checked who company number {number} belongs to: it "
            f"belongs to another organisation registered with {service}. The accounts of "
            f"{loser.name} have been closed.\n\nIf you think this is wrong, contact the "
            "commissioning team.\n"))
    if keep == "claimant":
        for user in winner.users:
            if user.is_active:
                queue_email(to=user.email, subject=f"Company number {number} is yours", body=(
                    f"The commissioning team has checked who company number {number} belongs "
                    f"to, and it is now recorded for {winner.name}. You can apply for "
                    f"accreditation when you next sign in to {service}.\n"))
    audit.record("company_number.dispute_resolved", actor=actor, subject=dispute,
                 details={"company_number": number, "kept_by": winner.id, "lost_by": loser.id,
                          "accounts_closed": closed})
    db.session.commit()


def create_user(
    *, email: str, full_name: str, role: Role, password: str, council: Council | None = None,
    organisation: Organisation | None = None, actor: User | None = None,
) -> User:
    """Create an account directly (the CLI's ``users create``, for the first commissioner).
    A provider organisation's first account is its administrator, later ones members."""
    _require_new_password(password)
    email = _require_unused_email(email)
    if role is Role.SOCIAL_WORKER and council is None:
        raise ValidationFailed("A social worker needs a council", field="council")
    _require_member(council)
    if (role is Role.PROVIDER) != (organisation is not None):
        raise ValidationFailed(
            "A provider user needs an organisation, and only provider users have one",
            field="organisation",
        )
    user = User(
        email=email, full_name=full_name.strip(), role=role, password_hash=hash_password(password),
        council=council, organisation=organisation,
        # An organisation's first account is its administrator; later ones are members.
        is_organisation_administrator=role is Role.PROVIDER and db.session.scalar(
            sa.select(User.id).where(User.organisation_id == organisation.id,
                                     User.is_organisation_administrator,
                                     User.is_active)) is None,
    )
    db.session.add(user)
    db.session.flush()
    audit.record("user.created", actor=actor, subject=user, details={"role": role.value})
    db.session.commit()
    return user


def _require_member(council: Council | None) -> None:
    """Staff belong to a member council of the consortium, or to none (its own staff)."""
    if council is not None and not council.in_consortium:
        raise ValidationFailed(f"{council.name} is not a member of the consortium: select a "
                               "member council, or add it to the consortium first",
                               field="council_id")


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invite_staff(
    actor: User, *, email: str, full_name: str, role: Role, council: Council | None,
    accept_url_for,
) -> Invitation:
    """A commissioner invites an inspector, commissioner or social worker by e-mail.

    ``accept_url_for(token)`` builds the link; the token itself is never stored.
    """
    if actor.role is not Role.COMMISSIONER:
        raise NotPermitted("Only commissioners can invite staff.")
    if not role.is_staff:
        raise ValidationFailed(
            "Providers register their own organisation; invite staff only", field="role"
        )
    if role is Role.SOCIAL_WORKER and council is None:
        raise ValidationFailed("Select the council the social worker works for",
                               field="council_id")
    _require_member(council)
    invitation = send_invitation(
        actor, email=email, full_name=full_name, role=role, council=council,
        accept_url_for=accept_url_for, invited_as=role.label.lower())
    audit.record("invitation.sent", actor=actor, subject=invitation,
                 details={"role": role.value, "council_id": council.id if council else None})
    db.session.commit()
    return invitation


def send_invitation(
    actor: User, *, email: str, full_name: str, role: Role, accept_url_for,
    invited_as: str, council: Council | None = None, organisation: Organisation | None = None,
    organisation_administrator: bool = False, reopening: bool = False,
) -> Invitation:
    """Keep an invitation (only a hash of its one-off token) and queue its e-mail; the
    caller has checked who may invite whom, audits and commits. ``accept_url_for(token)``
    builds the link. With ``reopening`` the address is a closed account of the organisation,
    which accepting reopens (``accept_invitation``)."""
    email = throttle.normalise_email(email) if reopening else _require_unused_email(email)
    token = secrets.token_urlsafe(32)
    invitation = Invitation(
        email=email, full_name=full_name.strip(), role=role, council=council,
        organisation=organisation, organisation_administrator=organisation_administrator,
        invited_by_id=actor.id, token_hash=_token_hash(token),
        expires_at=utcnow() + timedelta(days=current_app.config["INVITATION_DAYS"]),
    )
    db.session.add(invitation)
    db.session.flush()
    service = current_app.config["SERVICE_NAME"]
    queue_email(
        to=email,
        subject=f"You have been invited to {service}",
        body=(
            f"Dear {invitation.full_name},\n\n"
            f"{actor.full_name} has invited you to {service} as {invited_as}.\n\n"
            f"Set your password and activate your account here:\n{accept_url_for(token)}\n\n"
            f"This link works once and expires in {current_app.config['INVITATION_DAYS']} days. "
            "If you were not expecting it, you can ignore this email.\n"
        ),
    )
    return invitation


def find_open_invitation(token: str) -> Invitation:
    invitation = db.session.scalar(
        sa.select(Invitation).where(Invitation.token_hash == _token_hash(token))
    )
    if invitation is None or invitation.status != "pending":
        raise ValidationFailed(
            "This invitation link has expired or has already been used. Ask the person who "
            "invited you to send a new one."
        )
    return invitation


def _returning_colleague(invitation: Invitation) -> User | None:
    """The closed account an invitation to a provider's team brings back, if any: the same
    address, closed, in the same organisation."""
    if invitation.organisation_id is None:
        return None
    return db.session.scalar(sa.select(User).where(
        User.email == invitation.email, User.is_active.is_(False),
        User.organisation_id == invitation.organisation_id))


def accept_invitation(token: str, *, password: str) -> User:
    """Make the invited account (or reopen a returning colleague's, with the new password and
    the access the invitation gives); the link then stops working."""
    invitation = find_open_invitation(token)
    _require_new_password(password)
    user = _returning_colleague(invitation)
    if user is not None:
        user.password_hash = hash_password(password)
        user.is_organisation_administrator = invitation.organisation_administrator
        user.is_active = True
    else:
        email = _require_unused_email(invitation.email)
        user = User(
            email=email, full_name=invitation.full_name, role=invitation.role,
            council_id=invitation.council_id, password_hash=hash_password(password),
            organisation_id=invitation.organisation_id,
            is_organisation_administrator=invitation.organisation_administrator,
        )
        db.session.add(user)
    invitation.accepted_at = utcnow()
    db.session.flush()
    audit.record("invitation.accepted", actor=user, subject=invitation,
                 details={"user_id": user.id})
    db.session.commit()
    return user


def revoke_invitation(actor: User, invitation: Invitation) -> None:
    if actor.role is not Role.COMMISSIONER:
        raise NotPermitted("Only commissioners can withdraw invitations.")
    if invitation.status != "pending":
        raise ValidationFailed("Only a pending invitation can be withdrawn.")
    invitation.revoked_at = utcnow()
    audit.record("invitation.withdrawn", actor=actor, subject=invitation)
    db.session.commit()


def change_password(user: User, *, current_password: str, new_password: str,
                    client: str) -> None:
    """Change a password; every other session of the user ends.

    The current password is a re-confirmation, throttled like signing in: a wrong one counts
    as a failed sign-in for the account and the client (audited), and while either is
    throttled the form is refused (``TooManyAttempts``) whatever password is given.
    """
    _refuse_while_throttled(user.email, client, actor=user)
    if not verify_password(user.password_hash, current_password):
        throttle.note_attempt(user.email, client, False)
        audit.record("auth.confirmation_failed", actor=user, subject=user,
                     details={"reason": "wrong current password"})
        db.session.commit()
        raise ValidationFailed("Your current password is not correct", field="current_password")
    _require_new_password(new_password)
    throttle.note_attempt(user.email, client, True)
    user.password_hash = hash_password(new_password)
    user.session_generation += 1
    audit.record("user.password_changed", actor=user, subject=user)
    db.session.commit()
