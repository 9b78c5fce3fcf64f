"""A provider organisation's team: who has access, inviting colleagues, removing access."""

from flask import Blueprint

bp = Blueprint("teams", __name__, url_prefix="/provider")
