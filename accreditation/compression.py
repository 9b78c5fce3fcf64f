"""Compressed responses for what a tablet downloads: static assets and the inspector's pages.

Only responses that echo nothing an outsider could choose are compressed: a compressed page
that carries a secret (the CSRF token) next to text from the address (a search box) would
leak the secret through its size (BREACH). Static files hold no secrets, and the inspector's
pages show only what signed-in inspectors entered. The open data feed carries no secret at
all (it is the same for everyone, signed in or not).
"""

from __future__ import annotations

from flask import Flask, request
from flask_compress import Compress

COMPRESSED_PREFIXES = ("/static/", "/inspections/", "/openreferral/")


def init_app(app: Flask) -> None:
    app.config.setdefault("COMPRESS_REGISTER", False)  # only the responses chosen below
    app.config.setdefault("COMPRESS_ALGORITHM", ["br", "gzip"])
    compress = Compress(app)

    @app.after_request
    def compress_chosen_responses(response):
        if not request.path.startswith(COMPRESSED_PREFIXES):
            return response
        if response.direct_passthrough and response.status_code == 200:
            # A static file is streamed from disk; read it (small) and close it here, so the
            # compressor gets a plain body and no file is left open.
            body = b"".join(response.response)
            response.close()
            response.direct_passthrough = False
            response.set_data(body)
        return compress.after_request(response)
