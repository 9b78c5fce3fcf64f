"""One permission mechanism, deny by default.

Every view declares who may use it with exactly one of ``@public``, ``@signed_in`` or
``@allow(Role...)``. A ``before_request`` hook enforces the declaration for every request;
a view without one is refused (and ``tests/test_permissions.py`` fails for it).

Row-level access (a provider sees only its own organisation's records) is answered by
``can_see``; ``get_visible_or_404`` loads a record and refuses, with an audit event, when
the user may not see it. Refusals answer 404 so that other providers' ids are not confirmed.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, redirect, request, url_for
from flask_login import current_user

from ..denials import record_request_denial
from ..errors import NotFound, NotPermitted, Unauthenticated
from ..extensions import db
from .models import Role

ACCESS_ATTRIBUTE = "access_rule"


@dataclass(frozen=True)
class AccessRule:
    public: bool = False
    roles: frozenset[Role] = frozenset()  # empty with public=False: any signed-in user

    def describe(self) -> str:
        if self.public:
            return "public"
        if not self.roles:
            return "signed in"
        return ", ".join(sorted(role.value for role in self.roles))


def _declare(view: Callable, rule: AccessRule) -> Callable:
    if hasattr(view, ACCESS_ATTRIBUTE):
        raise RuntimeError(f"{view.__name__} declares its access twice")
    setattr(view, ACCESS_ATTRIBUTE, rule)
    return view


def public(view: Callable) -> Callable:
    """Anyone, signed in or not."""
    return _declare(view, AccessRule(public=True))


def signed_in(view: Callable) -> Callable:
    """Any signed-in user, whatever the role."""
    return _declare(view, AccessRule())


def allow(*roles: Role) -> Callable[[Callable], Callable]:
    """Signed-in users with one of these roles."""
    if not roles:
        raise ValueError("allow() needs at least one role; use @signed_in for any role")

    def decorator(view: Callable) -> Callable:
        return _declare(view, AccessRule(roles=frozenset(roles)))

    return decorator


def rule_for(view: Callable) -> AccessRule | None:
    return getattr(view, ACCESS_ATTRIBUTE, None)


def enforce_access_rule():
    """``before_request``: apply the view's declaration; refuse views without one."""
    if request.endpoint is None:  # no such route: let the 404/405 handler answer
        return None
    view = current_app.view_functions.get(request.endpoint)
    rule = rule_for(view) if view else None
    if rule is None:
        record_request_denial("route declares no access rule")
        raise NotPermitted("You do not have permission to see this page.")
    if rule.public:
        return None
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            raise Unauthenticated("Send a valid API token: Authorization: Bearer <token>.")
        return redirect(url_for("auth.sign_in", next=request.full_path.rstrip("?")))
    if rule.roles and current_user.role not in rule.roles:
        record_request_denial("role not allowed", required=rule.describe())
        raise NotPermitted("You do not have permission to see this page.")
    return None


def can_see(user, record) -> bool:
    """Row-level rule: providers see only records of their own organisation."""
    if user.role is Role.PROVIDER:
        return getattr(record, "organisation_id", None) == user.organisation_id
    return True


def get_visible_or_404(model, record_id, user=None):
    """Load ``model`` by id if ``user`` (default: the current user) may see it; else 404.

    A record that exists but belongs to someone else is refused exactly like a missing one,
    and the attempt is audited.
    """
    user = user or current_user
    record = db.session.get(model, record_id)
    if record is None:
        raise NotFound("We could not find that page. Check the address and try again.")
    if not can_see(user, record):
        record_request_denial("record belongs to another organisation",
                              subject_type=model.__tablename__, subject_id=str(record_id))
        raise NotFound("We could not find that page. Check the address and try again.")
    return record


def init_app(app: Flask) -> None:
    app.before_request(enforce_access_rule)
    # Flask's own static route is public; give it its declaration here.
    static_view = app.view_functions.get("static")
    if static_view is not None:
        def static(**kwargs):
            return static_view(**kwargs)

        app.view_functions["static"] = public(static)
