"""Compressed responses for what a tablet downloads: static assets and the inspector's pages.

Only responses that echo nothing an outsider could choose are compressed: a compressed page
that carries a secret (the CSRF token) next to text from the address (a search box) would
leak the secret through its size (BREACH). Static files hold no secrets, and the inspector's
pages show only what signed-in inspectors entered.
"""

from __future__ import annotations

from flask import Flask, request
from flask_compress import Compress

COMPRESSED_PREFIXES = ("/static/", "/inspections/")


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_REGISTER", False)  # only the responses chosen below
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    compress = Compress(app)

    @app.after_request
    def compress_chosen_responses(response):
        if request.path.startswith(COMPRESSED_PREFIXES):
            return compress.after_request(response)
        return response
