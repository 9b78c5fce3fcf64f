"""Files the service makes for a person to save (letters, checklists, exports, bundles): one
shape of response for all of them."""

from __future__ import annotations

from flask import Response

from .evidence.filenames import content_disposition


def attachment(data: bytes | str, filename: str, mimetype: str) -> Response:
    """``data`` to save as ``filename``: never kept by a browser's or a proxy's cache, since
    such files hold what only the signed-in person may read."""
    response = Response(data, mimetype=mimetype)
    response.headers["Content-Disposition"] = content_disposition(filename)
    response.headers["Cache-Control"] = "private, no-store"
    return response
