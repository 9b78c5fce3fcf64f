"""Applications for accreditation: the case pages, actions and decisions."""

from flask import Blueprint

bp = Blueprint("cases", __name__, url_prefix="/cases")
