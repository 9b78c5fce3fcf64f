"""The three stages of accreditation: due diligence, file sampling, property inspection."""

from flask import Blueprint

bp = Blueprint("stages", __name__)
