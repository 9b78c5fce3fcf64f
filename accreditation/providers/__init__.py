"""Provider organisations: details, people, properties, insurance, policies, file rosters,
and the application task list."""

from flask import Blueprint

bp = Blueprint("providers", __name__, url_prefix="/provider")
