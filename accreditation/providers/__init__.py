"""Provider organisations, their properties and (later) rosters."""

from flask import Blueprint

bp = Blueprint("providers", __name__, url_prefix="/provider")
