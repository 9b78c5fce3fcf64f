"""The browser tests' server must behave like a production one when a tablet drops a reply.

A browser that navigates away cuts connections mid-reply. werkzeug's development server then
skipped closing the response, so a static file stayed open (a ResourceWarning that failed an
unrelated test later) and the request stayed counted as in flight, making the next test wait.
"""

from __future__ import annotations

import gc
import socket
import struct
import threading
import time
import warnings

from accreditation import create_app

from ..conftest import config_for
from .conftest import LiveServer


def _reset_after_sending(port: int, request: bytes) -> None:
    connection = socket.create_connection(("127.0.0.1", port))
    connection.sendall(request)
    connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    connection.close()  # a reset, as a browser abandoning the page sends


def test_a_dropped_reply_is_closed_and_not_left_in_flight():
    app = create_app(config_for("sqlite:///:memory:"))
    with LiveServer(app) as server, warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        etag = app.test_client().get("/static/favicon.svg").headers["ETag"]
        request = (
            b"GET /static/favicon.svg HTTP/1.1\r\nHost: localhost\r\n"
            b"If-None-Match: " + etag.encode() + b"\r\n\r\n"
        )
        for attempt in range(60):
            _reset_after_sending(server.server.server_port, request)
            if attempt % 2:
                time.sleep(0.002)
        server.wait_until_idle(timeout=5)
        in_flight = server.in_flight
        gc.collect()
    assert in_flight == 0
    assert not [w for w in caught if issubclass(w.category, ResourceWarning)]


def test_waiting_for_quiet_covers_a_request_whose_headers_are_still_arriving():
    """A page closed by the last test may have sent a request that the server has accepted but
    not yet read: waiting for the server to be idle must also wait for that one."""
    app = create_app(config_for("sqlite:///:memory:"))
    served = []
    with LiveServer(app) as server:
        connection = socket.create_connection(("127.0.0.1", server.server.server_port))

        def finish_slowly():
            time.sleep(0.1)
            connection.sendall(b"Host: localhost\r\nConnection: close\r\n\r\n")
            served.append(connection.recv(64))

        connection.sendall(b"GET /healthz HTTP/1.1\r\n")
        sender = threading.Thread(target=finish_slowly)
        sender.start()
        server.wait_until_idle(timeout=5)
        answered_by_then = bool(served)
        sender.join()
        connection.close()
    assert answered_by_then
