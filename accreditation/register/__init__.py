"""The register of accredited providers, for council staff."""

from flask import Blueprint

bp = Blueprint("register", __name__, url_prefix="/register")
