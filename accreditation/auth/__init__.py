"""Accounts: sign-in, provider registration, staff invitations, passwords."""

from flask import Blueprint

from ..extensions import db, login_manager
from .models import Role, User

bp = Blueprint("auth", __name__)

login_manager.login_view = "auth.sign_in"
login_manager.login_message = "Sign in to continue."
login_manager.login_message_category = "info"


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """Session ids are ``<user id>.<session generation>``; an old generation is signed out."""
    user_id, _, generation = session_id.partition(".")
    if not (user_id.isdigit() and generation.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.is_active or user.session_generation != int(generation):
        return None
    return user



__all__ = ["Role", "User", "bp"]
