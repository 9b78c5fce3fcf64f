"""Malware scanning hook: ClamAV's clamd when configured, otherwise no scanning.

The caller keeps a file quarantined (not downloadable) until a scan says ``clean``. An
unreachable or failing scanner gives ``error``, never ``clean``: the check fails closed.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from typing import BinaryIO, Literal, Protocol
from urllib.parse import urlsplit

from ..config import ConfigurationError

ScanStatus = Literal["clean", "infected", "error"]
CHUNK = 64 * 1024
MAX_REPLY = 4096


@dataclass(frozen=True)
class ScanResult:
    status: ScanStatus
    detail: str = ""


class Scanner(Protocol):
    configured: bool

    def scan(self, stream: BinaryIO) -> ScanResult:
        """Scan the whole stream (rewound first if seekable). Never raises for scanner
        trouble: that is an ``error`` result."""
        ...

    def health(self) -> dict[str, str]: ...


class NoScanner:
    """No scanner configured: every file is released at once (recorded as not scanned)."""

    configured = False

    def scan(self, stream: BinaryIO) -> ScanResult:
        return ScanResult("clean", "not scanned: no scanner configured")

    def health(self) -> dict[str, str]:
        return {"status": "ok", "backend": "none"}


def parse_reply(reply: bytes) -> ScanResult:
    """A clamd INSTREAM reply (``stream: OK``, ``stream: <name> FOUND``, ``... ERROR``)."""
    text = reply.rstrip(b"\x00\r\n ").decode("utf-8", "replace")
    body = text.split(":", 1)[1].strip() if text.startswith("stream:") else text
    if body == "OK":
        return ScanResult("clean", "")
    if body.endswith(" FOUND"):
        return ScanResult("infected", body.removesuffix(" FOUND").strip())
    return ScanResult("error", body[:200] or "no reply from the scanner")


class ClamdScanner:
    """Speaks clamd's ``zINSTREAM`` command over TCP (``tcp://host:3310``) or a Unix socket
    (``unix:///run/clamav/clamd.ctl``). Keep clamd's ``StreamMaxLength`` above the upload
    limit, or large files come back as ``error``."""

    configured = True

    def __init__(self, url: str, *, timeout: float = 60.0):
        parts = urlsplit(url)
        if parts.scheme == "tcp" and parts.hostname and parts.port:
            self._family = socket.AF_INET6 if ":" in parts.hostname else socket.AF_INET
            self._address: str | tuple[str, int] = (parts.hostname, parts.port)
        elif parts.scheme == "unix" and parts.path:
            self._family = socket.AF_UNIX
            self._address = parts.path
        else:
            raise ConfigurationError(
                "ACCREDITATION_SCANNER_URL must look like tcp://127.0.0.1:3310 or "
                f"unix:///run/clamav/clamd.ctl, not {url!r}.")
        self.timeout = timeout

    def _connect(self) -> socket.socket:
        sock = socket.socket(self._family, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._address)
        except BaseException:
            sock.close()
            raise
        return sock

    @staticmethod
    def _read_reply(sock: socket.socket) -> bytes:
        reply = b""
        while b"\x00" not in reply and len(reply) < MAX_REPLY:
            data = sock.recv(MAX_REPLY)
            if not data:
                break
            reply += data
        return reply.split(b"\x00", 1)[0]

    def scan(self, stream: BinaryIO) -> ScanResult:
        if stream.seekable():
            stream.seek(0)
        try:
            with self._connect() as sock:
                sock.sendall(b"zINSTREAM\x00")
                try:
                    while chunk := stream.read(CHUNK):
                        sock.sendall(len(chunk).to_bytes(4, "big") + chunk)
                    sock.sendall(b"\x00\x00\x00\x00")
                except OSError:
                    # clamd hangs up early (e.g. size limit) but may have said why first.
                    return ScanResult("error", parse_reply(self._read_reply(sock)).detail)
                return parse_reply(self._read_reply(sock))
        except OSError as error:
            return ScanResult("error", f"scanner unavailable ({type(error).__name__})")

    def ping(self) -> bool:
        try:
            with self._connect() as sock:
                sock.settimeout(min(self.timeout, 2.0))
                sock.sendall(b"zPING\x00")
                return self._read_reply(sock) == b"PONG"
        except OSError:
            return False

    def health(self) -> dict[str, str]:
        return {"status": "ok" if self.ping() else "unavailable", "backend": "clamd"}


def scanner_from_config(config: Mapping) -> Scanner:
    """``ClamdScanner`` if ``SCANNER_URL`` is set (``SCANNER_TIMEOUT_SECONDS``, default 60),
    else ``NoScanner``."""
    url = config.get("SCANNER_URL")
    if not url:
        return NoScanner()
    return ClamdScanner(url, timeout=float(config.get("SCANNER_TIMEOUT_SECONDS") or 60))
