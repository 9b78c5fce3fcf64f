"""ClamdScanner against a small fake clamd speaking the real INSTREAM protocol; failures of
the scanner are ``error`` (the file stays quarantined), never ``clean``."""

from __future__ import annotations

import io
import socketserver
import threading
import time

import pytest

from accreditation.config import ConfigurationError
from accreditation.evidence.scanning import (
    ClamdScanner,
    NoScanner,
    ScanResult,
    parse_reply,
    scanner_from_config,
)

from ..services import free_port

EICAR = rb"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*"


def _read_exactly(stream, count: int) -> bytes:
    data = stream.read(count)
    if len(data) != count:
        raise ConnectionError("short read")
    return data


class FakeClamd(socketserver.StreamRequestHandler):
    """Answers ``zPING`` and ``zINSTREAM`` as clamd does; ``mode`` makes it misbehave."""

    def handle(self) -> None:
        command = b""
        while not command.endswith(b"\x00"):
            byte = self.rfile.read(1)
            if not byte:
                return
            command += byte
        mode = self.server.mode  # type: ignore[attr-defined]
        if command == b"zPING\x00":
            self.wfile.write(b"PONG\x00")
            return
        if command != b"zINSTREAM\x00":
            self.wfile.write(b"UNKNOWN COMMAND\x00")
            return
        if mode == "silent":
            time.sleep(2)
            return
        received = b""
        while True:
            length = int.from_bytes(_read_exactly(self.rfile, 4), "big")
            if length == 0:
                break
            received += _read_exactly(self.rfile, length)
            if mode == "limit" and len(received) > 1024:
                self.wfile.write(b"INSTREAM size limit exceeded. ERROR\x00")
                return
        self.server.received.append(received)  # type: ignore[attr-defined]
        if EICAR in received:
            self.wfile.write(b"stream: Eicar-Signature FOUND\x00")
        else:
            self.wfile.write(b"stream: OK\x00")


class ThreadedTCP(socketserver.ThreadingMixIn, socketserver.TCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ThreadedUnix(socketserver.ThreadingMixIn, socketserver.UnixStreamServer):
    daemon_threads = True


def serve(server, mode: str):
    server.mode = mode
    server.received = []
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    return server, thread


@pytest.fixture
def clamd(request):
    """A fake clamd on 127.0.0.1; ``request.param`` picks its behaviour."""
    server, thread = serve(ThreadedTCP(("127.0.0.1", 0), FakeClamd),
                           getattr(request, "param", "normal"))
    host, port = server.server_address
    yield server, f"tcp://{host}:{port}"
    server.shutdown()
    server.server_close()
    thread.join()


def test_clean_file(clamd):
    server, url = clamd
    data = b"%PDF-1.7\n" + bytes(200_000)
    stream = io.BytesIO(data)
    stream.seek(50)  # scanning always covers the whole file
    assert ClamdScanner(url, timeout=5).scan(stream) == ScanResult("clean", "")
    assert server.received == [data]


def test_infected_file(clamd):
    _server, url = clamd
    result = ClamdScanner(url, timeout=5).scan(io.BytesIO(EICAR))
    assert result == ScanResult("infected", "Eicar-Signature")


def test_unix_socket(tmp_path):
    path = tmp_path / "clamd.ctl"
    server, thread = serve(ThreadedUnix(str(path), FakeClamd), "normal")
    try:
        scanner = ClamdScanner(f"unix://{path}", timeout=5)
        assert scanner.scan(io.BytesIO(EICAR)).status == "infected"
        assert scanner.health() == {"status": "ok", "backend": "clamd"}
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def test_unreachable_scanner_is_an_error_not_clean():
    scanner = ClamdScanner(f"tcp://127.0.0.1:{free_port()}", timeout=2)
    result = scanner.scan(io.BytesIO(b"%PDF-1.7"))
    assert result.status == "error"
    assert "unavailable" in result.detail
    assert scanner.health() == {"status": "unavailable", "backend": "clamd"}


@pytest.mark.parametrize("clamd", ["silent"], indirect=True)
def test_a_scanner_that_does_not_answer_times_out_as_an_error(clamd):
    _server, url = clamd
    started = time.monotonic()
    result = ClamdScanner(url, timeout=0.5).scan(io.BytesIO(b"%PDF-1.7" * 10))
    assert result.status == "error"
    assert time.monotonic() - started < 2


@pytest.mark.parametrize("clamd", ["limit"], indirect=True)
def test_size_limit_reply_is_an_error(clamd):
    _server, url = clamd
    result = ClamdScanner(url, timeout=5).scan(io.BytesIO(bytes(300_000)))
    assert result.status == "error"


def test_health_and_ping(clamd):
    _server, url = clamd
    assert ClamdScanner(url, timeout=5).ping() is True


@pytest.mark.parametrize(("reply", "expected"), [
    (b"stream: OK\x00", ScanResult("clean", "")),
    (b"stream: Win.Test.EICAR_HDB-1 FOUND\x00", ScanResult("infected", "Win.Test.EICAR_HDB-1")),
    (b"INSTREAM size limit exceeded. ERROR\x00",
     ScanResult("error", "INSTREAM size limit exceeded. ERROR")),
    (b"", ScanResult("error", "no reply from the scanner")),
])
def test_parse_reply(reply, expected):
    assert parse_reply(reply) == expected


def test_no_scanner_releases_files_and_says_so():
    scanner = scanner_from_config({})
    assert isinstance(scanner, NoScanner) and scanner.configured is False
    assert scanner.scan(io.BytesIO(EICAR)).status == "clean"
    assert scanner.health() == {"status": "ok", "backend": "none"}


@pytest.mark.parametrize("url", ["tcp://127.0.0.1:3310", "unix:///run/clamav/clamd.ctl"])
def test_scanner_from_config(url):
    scanner = scanner_from_config({"SCANNER_URL": url, "SCANNER_TIMEOUT_SECONDS": 5})
    assert isinstance(scanner, ClamdScanner) and scanner.timeout == 5


@pytest.mark.parametrize("url", ["http://127.0.0.1:3310", "tcp://127.0.0.1", "unix://"])
def test_bad_scanner_url_names_the_variable(url):
    with pytest.raises(ConfigurationError, match="ACCREDITATION_SCANNER_URL"):
        scanner_from_config({"SCANNER_URL": url})

