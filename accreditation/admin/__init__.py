"""Commissioners' pages: staff and invitations, providers, the audit trail."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/commissioner")
