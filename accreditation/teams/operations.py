"""Changes to a provider organisation's team.

The person who registered an organisation is its first administrator. Administrators invite
colleagues (as administrators or members) and remove access; members do everything else on
the application, evidence, vacancies and conditions. An organisation always keeps at least one
administrator. Each operation checks who may act, writes the audit event and commits once.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from .. import audit
from ..auth.models import Invitation, Role, User
from ..auth.operations import close_account, send_invitation
from ..auth.throttle import normalise_email
from ..database import utcnow
from ..denials import refuse
from ..errors import NotFound, NotPermitted, ValidationFailed
from ..extensions import db
from ..notifications.outbox import queue_email
from ..providers.models import Organisation

NOT_AN_ADMINISTRATOR = ("Only your organisation's administrators can manage its team: ask one "
                        "of them.")
NOT_FOUND = "We could not find that page. Check the address and try again."


def is_team_administrator(user: User) -> bool:
    return (user.role is Role.PROVIDER and user.is_active
            and user.is_organisation_administrator)


def ensure_team_administrator(actor: User) -> None:
    """Refuse (audited, 403) anyone but an administrator of a provider organisation."""
    if not is_team_administrator(actor):
        refuse(actor, NotPermitted(NOT_AN_ADMINISTRATOR),
               "not an administrator of the organisation")


def _ensure_in_team(actor: User, record, kind: str) -> None:
    """Someone else's colleague or invitation is refused like a missing one (audited, 404)."""
    if record.organisation_id is None or record.organisation_id != actor.organisation_id:
        refuse(actor, NotFound(NOT_FOUND), "record belongs to another organisation",
               subject_type=kind, subject_id=str(record.id))


@dataclass(frozen=True)
class Team:
    people: list[User]  # who has access now
    invitations: list[Invitation]  # waiting to be accepted


def team_of(organisation: Organisation) -> Team:
    people = db.session.scalars(sa.select(User).where(
        User.organisation_id == organisation.id, User.is_active)
        .order_by(User.is_organisation_administrator.desc(), User.full_name)).all()
    invitations = [invitation for invitation in db.session.scalars(
        sa.select(Invitation).where(Invitation.organisation_id == organisation.id,
                                    Invitation.accepted_at.is_(None),
                                    Invitation.revoked_at.is_(None))
        .order_by(Invitation.created_at.desc())) if invitation.status == "pending"]
    return Team(people=list(people), invitations=invitations)


def leaves_no_administrator(user: User) -> bool:
    """Would the organisation have no active administrator without ``user``?"""
    if not (user.is_active and user.is_organisation_administrator):
        return False
    others = db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.organisation_id == user.organisation_id, User.id != user.id, User.is_active,
        User.is_organisation_administrator))
    return others == 0


def invite_colleague(actor: User, *, email: str, full_name: str, administrator: bool,
                     accept_url_for) -> Invitation | None:
    """An administrator invites a colleague by e-mail, as an administrator or a member. The
    link works once, until ``INVITATION_DAYS`` have passed; only its hash is kept.

    An address that already has an account gets no link, but an e-mail saying so; the caller
    answers as if invited (None is returned), so a provider cannot find out who has an
    account."""
    ensure_team_administrator(actor)
    organisation = actor.organisation
    email = normalise_email(email)
    holder = db.session.scalar(sa.select(User).where(User.email == email))
    # A colleague whose access was removed may be invited back: accepting reopens the account.
    returning = (holder is not None and not holder.is_active
                 and holder.organisation_id == organisation.id)
    if holder is not None and not returning:
        service = current_app.config["SERVICE_NAME"]
        queue_email(to=email, subject=f"You have been invited to {service}", body=(
            f"{actor.full_name} of {organisation.name} has invited you to {service}, but this "
            "email address already has an account with it, so no new account was made.\n\n"
            f"If you should be in {organisation.name}'s team, ask {actor.full_name} to invite "
            "another address of yours, or contact the commissioning team. If you were not "
            "expecting this, you can ignore this email.\n"))
        audit.record("team.invitation_sent", actor=actor, details={
            "organisation_id": organisation.id, "administrator": administrator,
            "address_has_an_account": True})
        db.session.commit()
        return None
    invited_as = (f"{'an administrator' if administrator else 'a member'} of "
                  f"{organisation.name}")
    invitation = send_invitation(
        actor, email=email, full_name=full_name, role=Role.PROVIDER,
        organisation=organisation, organisation_administrator=administrator,
        accept_url_for=accept_url_for, invited_as=invited_as, reopening=returning)
    audit.record("team.invitation_sent", actor=actor, subject=invitation,
                 details={"organisation_id": organisation.id, "administrator": administrator,
                          **({"returning_user_id": holder.id} if returning else {})})
    db.session.commit()
    return invitation


def withdraw_invitation(actor: User, invitation: Invitation) -> None:
    ensure_team_administrator(actor)
    _ensure_in_team(actor, invitation, "invitation")
    if invitation.status != "pending":
        raise ValidationFailed(f"The invitation to {invitation.email} cannot be withdrawn: it "
                               f"is {invitation.status}.")
    invitation.revoked_at = utcnow()
    audit.record("team.invitation_withdrawn", actor=actor, subject=invitation,
                 details={"organisation_id": invitation.organisation_id})
    db.session.commit()


def remove_from_team(actor: User, user: User) -> None:
    """An administrator removes a colleague's access: the account closes, every session of
    it ends at once (its next request is signed out) and every token of it is withdrawn. The
    organisation's last administrator cannot be removed."""
    ensure_team_administrator(actor)
    _ensure_in_team(actor, user, "user")
    if not user.is_active:
        raise ValidationFailed(f"{user.full_name} no longer has access.")
    if leaves_no_administrator(user):
        raise ValidationFailed(
            f"{user.full_name} is the only administrator of {user.organisation.name}. An "
            "organisation always keeps at least one: invite another administrator first.")
    close_account(user, actor=actor, reason="removed from the organisation's team")
    service = current_app.config["SERVICE_NAME"]
    queue_email(to=user.email, subject=f"Your access to {service} has been removed", body=(
        f"Dear {user.full_name},\n\n{actor.full_name} has removed your access to "
        f"{service} for {user.organisation.name}. You have been signed out.\n\n"
        f"If you think this is wrong, contact {actor.full_name}.\n"))
    audit.record("team.member_removed", actor=actor, subject=user,
                 details={"organisation_id": user.organisation_id,
                          "administrator": user.is_organisation_administrator})
    db.session.commit()


def change_access(actor: User, user: User, *, administrator: bool) -> None:
    """An administrator makes a colleague (or themself) an administrator or a member. The
    organisation's last administrator stays one."""
    ensure_team_administrator(actor)
    _ensure_in_team(actor, user, "user")
    if not user.is_active:
        raise ValidationFailed(f"{user.full_name} no longer has access.")
    if user.is_organisation_administrator == administrator:
        return
    if not administrator and leaves_no_administrator(user):
        raise ValidationFailed(
            f"{user.full_name} is the only administrator of {user.organisation.name}. An "
            "organisation always keeps at least one: make someone else an administrator "
            "first.")
    user.is_organisation_administrator = administrator
    audit.record("team.access_changed", actor=actor, subject=user,
                 details={"organisation_id": user.organisation_id,
                          "administrator": administrator})
    db.session.commit()
