"""Changes commissioners make to the consortium itself: which councils are members, the list
of local authorities the service knows (loaded from the reference list it ships), and people
who leave (accounts deactivated and reactivated)."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app

from .. import audit
from ..auth.models import Invitation, Role, User
from ..auth.operations import _require_member, close_account
from ..cases.models import Case
from ..councils import COUNTY, Council, LocalAuthority, reference_list
from ..database import utcnow
from ..errors import NotPermitted, ValidationFailed
from ..extensions import db
from ..notifications.outbox import queue_email
from ..teams.operations import leaves_no_administrator
from ..workflow import ASSIGNING_STATUSES

# --- the reference list ------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedList:
    added: int
    renamed: int
    unchanged: int

    def message(self) -> str:
        return (f"Local authorities: {self.added} added, {self.renamed} renamed, "
                f"{self.unchanged} already up to date.")


def load_local_authorities(authorities: list[LocalAuthority] | None = None) -> LoadedList:
    """Bring the councils up to the shipped list of local authorities in England: add those
    missing (none a member), give each the name and county the list gives its ONS code.
    Councils not on the list are kept (properties and people refer to them). Idempotent;
    audited when it changes anything; commits."""
    authorities = reference_list() if authorities is None else authorities
    existing = {council.ons_code: council for council in db.session.scalars(sa.select(Council))}
    names = {council.name: council.ons_code for council in existing.values()}
    added = renamed = 0
    # Counties first: the districts name them.
    for authority in sorted(authorities, key=lambda a: (a.ons_code[:3] != COUNTY, a.ons_code)):
        council = existing.get(authority.ons_code)
        name = authority.name
        if names.get(name, authority.ons_code) != authority.ons_code:
            # Another council (one not on the list) has the name: keep both, told apart.
            name = f"{name} ({authority.ons_code})"
        county = existing[authority.county_code] if authority.county_code else None
        if council is None:
            council = Council(ons_code=authority.ons_code, name=name, in_consortium=False,
                              county=county)
            db.session.add(council)
            existing[authority.ons_code] = council
            added += 1
        elif council.name != name or council.county is not county:
            names.pop(council.name, None)
            council.name, council.county = name, county
            renamed += 1
        names[name] = authority.ons_code
        db.session.flush()  # one at a time: a rename may free a name the next one takes
    result = LoadedList(added, renamed, len(authorities) - added - renamed)
    if added or renamed:
        audit.record("councils.loaded", details={"added": added, "renamed": renamed})
    db.session.commit()
    return result


# --- member councils ---------------------------------------------------------------------------

def _require_commissioner(actor: User) -> None:
    if actor.role is not Role.COMMISSIONER:
        raise NotPermitted("Only commissioners change which councils are in the consortium.")


def join_consortium(actor: User, council: Council | None) -> None:
    """A council runs children's services and joins: its staff can then be invited."""
    _require_commissioner(actor)
    if council is None:
        raise ValidationFailed("Select the council that is joining the consortium",
                               field="council_id")
    if council.in_consortium:
        raise ValidationFailed(f"{council.name} is already a member of the consortium",
                               field="council_id")
    if not council.may_join:
        raise ValidationFailed(
            f"{council.name} is a district council: select the council that runs children's "
            f"services there{f', {council.county.name}' if council.county else ''}",
            field="council_id")
    council.in_consortium = True
    audit.record("council.joined", actor=actor, subject=council,
                 details={"ons_code": council.ons_code})
    db.session.commit()


@dataclass(frozen=True)
class Leaving:
    """What a council leaving the consortium means for the people who work for it."""

    council: Council
    social_workers: list[User]
    other_staff: list[User]
    invitations: list[Invitation]


def leaving(council: Council) -> Leaving:
    people = db.session.scalars(sa.select(User).where(
        User.council_id == council.id, User.is_active).order_by(User.full_name)).all()
    invitations = [invitation for invitation in db.session.scalars(
        sa.select(Invitation).where(Invitation.council_id == council.id))
        if invitation.status == "pending"]
    return Leaving(council, [user for user in people if user.role is Role.SOCIAL_WORKER],
                   [user for user in people if user.role is not Role.SOCIAL_WORKER],
                   invitations)


def leave_consortium(actor: User, council: Council) -> Leaving:
    """A council leaves. Its social workers' accounts are closed (their access to the register
    came with membership) and they are told by e-mail; invitations to its staff are withdrawn;
    inspectors and commissioners who worked for it stay, as the consortium's staff. Its
    properties stay on the register: a property can be anywhere."""
    _require_commissioner(actor)
    if not council.in_consortium:
        raise ValidationFailed(f"{council.name} is not a member of the consortium")
    effect = leaving(council)
    service = current_app.config["SERVICE_NAME"]
    for user in effect.social_workers:
        close_account(user, actor=actor, reason="council left the consortium")
        queue_email(to=user.email, subject=f"Your account with {service} has been closed",
                    body=(f"{council.name} has left the consortium of councils that uses "
                          f"{service}, so your account has been closed.\n\nIf you think this "
                          "is wrong, contact the commissioning team.\n"))
    for user in effect.other_staff:
        user.council = None
    for invitation in effect.invitations:
        invitation.revoked_at = utcnow()
    council.in_consortium = False
    audit.record("council.left", actor=actor, subject=council, details={
        "ons_code": council.ons_code,
        "accounts_closed": [user.id for user in effect.social_workers],
        "staff_kept": [user.id for user in effect.other_staff],
        "invitations_withdrawn": [invitation.id for invitation in effect.invitations]})
    db.session.commit()
    return effect


# --- leavers -----------------------------------------------------------------------------------


def needing_new_inspector(user: User | None = None) -> list[Case]:
    """Applications being assessed whose inspector's account is deactivated (of ``user``
    only, if given): a commissioner assigns another from the application's page."""
    query = (sa.select(Case).join(User, Case.inspector_id == User.id)
             .where(Case.status.in_(ASSIGNING_STATUSES), User.is_active.is_(False))
             .order_by(Case.id))
    if user is not None:
        query = query.where(Case.inspector_id == user.id)
    return list(db.session.scalars(query))


def _require_account_manager(actor: User) -> None:
    if actor.role is not Role.COMMISSIONER:
        raise NotPermitted("Only commissioners deactivate and reactivate accounts.")


def _active_commissioners() -> int:
    return db.session.scalar(sa.select(sa.func.count(User.id)).where(
        User.role == Role.COMMISSIONER, User.is_active))


def deactivate_account(actor: User, user: User) -> list[Case]:
    """A commissioner deactivates someone who has left: a member of staff, or a provider's
    account. They cannot sign in (told only what a wrong password is told), every session ends
    at once and every token is withdrawn. Nobody deactivates themself or the last active
    commissioner, nor a provider's last administrator while its other accounts are open.
    Returns the applications being assessed that now need another inspector."""
    _require_account_manager(actor)
    if user.id == actor.id:
        raise ValidationFailed("You cannot deactivate your own account: ask another "
                               "commissioner.")
    if not user.is_active:
        raise ValidationFailed(f"{user.full_name}'s account is already deactivated.")
    if user.role is Role.COMMISSIONER and _active_commissioners() <= 1:
        raise ValidationFailed(f"{user.full_name} is the last active commissioner: invite "
                               "another before you deactivate this account.")
    if user.role is Role.PROVIDER and leaves_no_administrator(user) and any(
            colleague.is_active and colleague.id != user.id
            for colleague in user.organisation.users):
        raise ValidationFailed(
            f"{user.full_name} is the only administrator of {user.organisation.name}: "
            "deactivate its other accounts first, or ask it to make someone else an "
            "administrator.")
    close_account(user, actor=actor, reason="account deactivated by a commissioner")
    cases = needing_new_inspector(user)
    audit.record("user.deactivated", actor=actor, subject=user, details={
        "role": user.role.value, "cases_needing_an_inspector": [case.id for case in cases]})
    db.session.commit()
    return cases


def reactivate_account(actor: User, user: User) -> None:
    """A commissioner reopens a member of staff's account (someone who came back). Sessions
    and tokens ended at deactivation stay ended: they sign in again. A social worker whose
    council has left the consortium cannot be reopened."""
    _require_account_manager(actor)
    if not user.role.is_staff:
        raise ValidationFailed("Only staff accounts can be reactivated.")
    if user.is_active:
        raise ValidationFailed(f"{user.full_name}'s account is already active.")
    if user.role is Role.SOCIAL_WORKER:
        _require_member(user.council)
    user.is_active = True
    audit.record("user.reactivated", actor=actor, subject=user,
                 details={"role": user.role.value})
    db.session.commit()
