"""Every response carries the security headers: pages, the API, static files, downloads,
the open data feed, refusals and error pages (404, 405, expired forms, server errors).

Every route of the access matrix world (``world.py``) is requested as someone allowed to use
it (reads; writes as someone refused, so nothing changes), and each response is checked
against the same rules: a Content Security Policy without inline script (a nonce only on
HTML pages, and every inline script on the page carries it), HSTS, ``nosniff``, no framing,
a same-origin referrer, Permissions-Policy, cross-origin isolation, nothing cached.
"""

from __future__ import annotations

import re
import socket
import time

import pytest
import requests
from flask_migrate import upgrade

from accreditation import create_app
from accreditation.auth.permissions import public
from accreditation.secret_paths import SECRET_PATH_PREFIXES, redact

from ..conftest import PRODUCTION_DATA_KEY, config_for
from ..faults.stack import Gunicorn, app_environment
from .matrix import STATE_CHANGING, is_api, listed_routes, route_id
from .test_access_matrix import access_for, matrix  # noqa: F401 (the access matrix's world)
from .world import ANONYMOUS, PROVIDER_A

ROUTES = listed_routes()
READS = [(rule, method) for rule, method in ROUTES if method == "GET"]
WRITES = [(rule, method) for rule, method in ROUTES if method in STATE_CHANGING]
SCRIPT_SOURCES_NEVER = ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:",
                        "blob:", "http:", "https:", "'strict-dynamic'")
STRICT_REFERRERS = {"no-referrer", "same-origin", "strict-origin",
                    "strict-origin-when-cross-origin"}
OPEN_FEED = "/openreferral/"
SANDBOXED = "evidence.download"  # served with its own sandboxing policy


def policy(response) -> dict[str, list[str]]:
    directives = {}
    for part in response.headers.get("Content-Security-Policy", "").split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


def check_headers(response, path: str) -> None:
    """What every response must carry; raises naming the path and the header."""
    headers = response.headers
    where = f"{response.status_code} {path}"
    csp = policy(response)
    assert csp, f"{where}: no Content-Security-Policy"
    assert csp.get("frame-ancestors") == ["'none'"], where
    if "sandbox" in csp:  # a download: nothing in it may run at all
        assert csp.get("default-src") == ["'none'"], where
    else:
        scripts = csp.get("script-src", csp.get("default-src"))
        assert scripts and "'self'" in scripts, where
        assert not set(scripts) & set(SCRIPT_SOURCES_NEVER), f"{where}: script-src {scripts}"
        assert csp.get("object-src") == ["'none'"] and csp.get("base-uri") == ["'none'"], where
        nonces = [source for source in scripts if source.startswith("'nonce-")]
        if response.mimetype == "text/html":
            check_page_scripts(response, nonces, where)
        else:
            assert nonces == [], f"{where}: a nonce on a {response.mimetype} response"
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert headers.get("Referrer-Policy") in STRICT_REFERRERS, where
    permissions = headers.get("Permissions-Policy", "")
    for feature in ("geolocation=()", "microphone=()", "payment=()", "usb=()"):
        assert feature in permissions, f"{where}: Permissions-Policy lacks {feature}"
    assert headers.get("Cross-Origin-Opener-Policy") == "same-origin", where
    if path.startswith(OPEN_FEED):
        assert headers.get("Access-Control-Allow-Origin") == "*", where
        assert headers.get("Cross-Origin-Resource-Policy") == "cross-origin", where
    else:
        assert "Access-Control-Allow-Origin" not in headers, where
        assert headers.get("Cross-Origin-Resource-Policy") == "same-origin", where
    # The test client speaks HTTPS (PREFERRED_URL_SCHEME), so HSTS is expected everywhere.
    hsts = headers.get("Strict-Transport-Security", "")
    assert re.fullmatch(r"max-age=(\d+); includeSubDomains", hsts), f"{where}: HSTS {hsts!r}"
    assert int(hsts.split("=")[1].split(";")[0]) >= 31536000, where
    assert "X-Powered-By" not in headers and "Server" not in headers, where
    if not path.startswith("/static/") and not path.startswith(OPEN_FEED):
        cache = headers.get("Cache-Control", "")
        assert "no-store" in cache or "no-cache" in cache, f"{where}: Cache-Control {cache!r}"


def check_page_scripts(response, nonces: list[str], where: str) -> None:
    """An HTML page: its inline scripts carry the header's nonce, and nothing else inline
    would run (event handler attributes, ``javascript:`` links, style attributes)."""
    page = response.get_data(as_text=True)
    assert len(nonces) <= 1, where
    inline = re.findall(r"<script(?![^>]*\ssrc=)([^>]*)>", page)
    for attributes in inline:
        found = re.search(r'nonce="([^"]+)"', attributes)
        assert found and nonces == [f"'nonce-{found.group(1)}'"], \
            f"{where}: an inline script without the response's nonce"
    assert not re.search(r"<[^>]+\son[a-z]+\s*=", page), f"{where}: an inline event handler"
    assert not re.search(r"""(href|src|action)\s*=\s*["']?\s*javascript:""", page, re.I), where
    assert not re.search(r"<[^>]+\sstyle\s*=", page), f"{where}: a style attribute (CSP blocks it)"


def first_allowed(rule) -> str:
    access = access_for(rule)
    for actor in (PROVIDER_A, *sorted(access.may)):
        if actor in access.may:
            return actor
    raise AssertionError(f"nobody may use {rule.endpoint}")


def read(matrix, rule, actor: str, method: str = "GET"):  # noqa: F811 (the fixture)
    url = matrix.url(rule)
    if is_api(rule):
        client = matrix.app.test_client()
        response = client.open(url, method=method, headers=matrix.world.bearer(actor))
    else:
        response = matrix.client(actor).open(url, method=method)
    response.get_data()
    response.close()
    return url, response


@pytest.mark.parametrize("route", READS, ids=route_id)
def test_every_page_and_read_carries_the_headers(matrix, route):  # noqa: F811 (the fixture)
    rule, _ = route
    url, response = read(matrix, rule, first_allowed(rule))
    assert response.status_code < 500, (url, response.status_code)
    check_headers(response, url)


def test_refusals_carry_the_headers(matrix):  # noqa: F811 (the fixture)
    """Every read as an anonymous visitor (sent to sign in; 401 on the API), every page
    write without a CSRF token (400) and every API write without a token (401)."""
    for rule, method in READS + WRITES:
        url = matrix.url(rule)
        if is_api(rule):
            response = matrix.app.test_client().open(url, method=method)
        elif method == "GET":
            response = matrix.client(ANONYMOUS).open(url, method=method)
        else:
            response = matrix.client(PROVIDER_A).open(url, method=method, data={})
        response.close()
        assert response.status_code in (200, 302, 400, 401, 404, 405), (method, url)
        check_headers(response, url)


@pytest.mark.parametrize("path", ["/no-such-page", "/api/v1/no-such-thing",
                                  "/static/no-such-file.js", "/openreferral/no-such-thing",
                                  "/cases/99999999999999999999"])
def test_not_found_carries_the_headers(matrix, path):  # noqa: F811 (the fixture)
    response = matrix.client(PROVIDER_A).get(path)
    assert response.status_code == 404
    check_headers(response, path)


@pytest.mark.parametrize(("method", "path"), [
    ("POST", "/accessibility"), ("TRACE", "/"), ("OPTIONS", "/provider/"),
    ("DELETE", "/api/v1/cases"), ("PUT", "/openreferral/services"), ("OPTIONS", "/static/app.css"),
])
def test_method_not_allowed_carries_the_headers(matrix, method, path):  # noqa: F811
    response = matrix.client(PROVIDER_A).open(path, method=method)
    assert response.status_code == 405
    check_headers(response, path)


def test_an_expired_form_carries_the_headers(matrix):  # noqa: F811 (the fixture)
    response = matrix.client(PROVIDER_A).post("/provider/properties/new", data={})
    assert response.status_code == 400
    check_headers(response, "/provider/properties/new")


def test_the_open_feed_preflight_carries_the_headers(matrix):  # noqa: F811 (the fixture)
    response = matrix.app.test_client().options("/openreferral/services", headers={
        "Origin": "https://directory.example.org", "Access-Control-Request-Method": "GET"})
    assert response.status_code == 200
    check_headers(response, "/openreferral/services")


def test_a_server_error_carries_the_headers():
    app = create_app(config_for("sqlite://"))

    @app.route("/broken")
    @public
    def broken():
        raise RuntimeError("a bug")

    with app.app_context():
        page = app.test_client().get("/broken")
        api = app.test_client().get("/api/v1/cases/1", headers={"Authorization": "Bearer x"})
    assert page.status_code == 500
    check_headers(page, "/broken")
    assert "a bug" not in page.get_data(as_text=True)
    assert api.status_code == 401
    check_headers(api, "/api/v1/cases/1")


# --- HSTS: production always, whatever the proxy lets gunicorn see ----------------------------

def headers_over_http(config: dict, path: str = "/accessibility"):
    app = create_app({**config_for("sqlite://"), **config})
    with app.app_context():
        return app.test_client().get(path, base_url="http://localhost").headers


def test_production_sends_hsts_even_when_the_proxy_forwards_plain_http():
    headers = headers_over_http({"ENV_NAME": "production", "SECRET_KEY": "s" * 40,
                                 "DATA_KEYS": PRODUCTION_DATA_KEY,
                                 "BASE_URL": "https://localhost"})
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"


@pytest.mark.parametrize("environment", ["development", "testing"])
def test_development_over_plain_http_leaves_hsts_out(environment):
    headers = headers_over_http({"ENV_NAME": environment})
    assert "Strict-Transport-Security" not in headers
    assert headers["X-Frame-Options"] == "DENY"  # the rest stays


# --- under gunicorn with the repository's settings: no version banner ----------------------------

SERVICE_HOST = "accreditation.example.gov.uk"


@pytest.fixture(scope="module")
def gunicorn(tmp_path_factory):
    """The production set-up: gunicorn with ``gunicorn.conf.py``, ``ACCREDITATION_ENV``
    production, plain HTTP (as behind the TLS-terminating proxy)."""
    directory = tmp_path_factory.mktemp("gunicorn")
    database = f"sqlite:///{directory / 'accreditation.sqlite'}"
    with create_app(config_for(database)).app_context():
        upgrade()
    environment = app_environment(
        database, ACCREDITATION_ENV="production", ACCREDITATION_DATA_KEYS=PRODUCTION_DATA_KEY,
        ACCREDITATION_STORAGE_LOCAL_PATH=str(directory / "evidence"),
        # The tests reach gunicorn by its address, as a load balancer's health check would.
        ACCREDITATION_BASE_URL=f"https://{SERVICE_HOST}", ACCREDITATION_ALLOWED_HOSTS="127.0.0.1")
    server = Gunicorn(environment, workers=1, threads=None, log_path=directory / "gunicorn.log",
                      access_log=True).start()
    yield server
    server.stop()


def raw_request(server, request: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as connection:
        connection.sendall(request)
        received = b""
        while chunk := connection.recv(65536):
            received += chunk
    return received


def test_gunicorn_names_no_version_and_production_sends_every_header(gunicorn):
    for path in ("/accessibility", "/no-such-page", "/openreferral/services",
                 "/static/favicon.svg", "/api/v1/cases"):
        response = requests.get(gunicorn.url + path, timeout=10)
        assert response.status_code in (200, 401, 404), path
        server = response.headers.get("Server", "")
        assert not re.search(r"\d|/", server), f"{path}: Server {server!r} names a version"
        assert "X-Powered-By" not in response.headers
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert requests.request("TRACE", gunicorn.url + "/", timeout=10).status_code == 405
    assert requests.options(gunicorn.url + "/sign-in", timeout=10).status_code == 405


def test_gunicorn_in_production_answers_only_to_its_hosts(gunicorn):
    """Through the proxy (plain HTTP, the browser's ``Host`` passed on): the service's own
    name and the allowed address are served; any other name is a plain 400 with the headers."""
    assert requests.get(gunicorn.url + "/sign-in", headers={"Host": SERVICE_HOST},
                        timeout=10).status_code == 200
    for host in ("evil.example", f"evil.{SERVICE_HOST}", "localhost"):
        response = requests.post(gunicorn.url + "/sign-in", headers={"Host": host},
                                 data={"email": "a@example.org"}, timeout=10)
        assert response.status_code == 400, host
        assert response.headers["Content-Type"].startswith("text/plain")
        assert host not in response.text
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_gunicorn_refuses_malformed_requests_without_naming_itself(gunicorn):
    import gunicorn as installed

    for request in (b"GET / HTTP/9.9\r\n\r\n", b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n",
                    b"GET / HTTP/1.1\r\nHost: x\r\n" + b"X-Long: " + b"a" * 9000 + b"\r\n\r\n"):
        answer = raw_request(gunicorn, request)
        assert answer.startswith(b"HTTP/1.1 4"), answer[:200]
        assert installed.__version__.encode() not in answer
        assert b"Python" not in answer and b"Werkzeug" not in answer


def test_idle_connections_do_not_keep_others_waiting(gunicorn):
    """Connections that send nothing wait in the server's poller, not in the one worker: the
    health check still answers at once (sync workers would hold it until they were killed)."""
    idle = [socket.create_connection(("127.0.0.1", gunicorn.port), timeout=5) for _ in range(3)]
    try:
        started = time.monotonic()
        response = requests.get(gunicorn.url + "/healthz", timeout=5)
        assert response.status_code == 200
        assert time.monotonic() - started < 5
    finally:
        for connection in idle:
            connection.close()


# --- the access log: no tokens from the links people are e-mailed -------------------------------

def test_the_access_log_leaves_out_the_tokens_of_emailed_links(gunicorn):
    token = "Zq7" + "x" * 40
    for n, prefix in enumerate(SECRET_PATH_PREFIXES):
        link = f"{gunicorn.url}{prefix}{token}"
        assert requests.get(link, timeout=10).status_code in (200, 404)
        requests.get(f"{gunicorn.url}/accessibility?from={n}", headers={"Referer": link},
                     timeout=10)
    last = f"/accessibility?from={len(SECRET_PATH_PREFIXES) - 1}"
    deadline = time.monotonic() + 10
    while last not in gunicorn.log_tail(20000):  # written as they end
        assert time.monotonic() < deadline, gunicorn.log_tail()
        time.sleep(0.1)
    log = gunicorn.log_tail(20000)
    assert token not in log
    for prefix in SECRET_PATH_PREFIXES:
        assert log.count(f"{prefix}[redacted]") >= 2, prefix  # the request, and the referrer


@pytest.mark.parametrize("rule", [rule for rule in create_app(config_for("sqlite://")).url_map
                                  .iter_rules() if "token" in " ".join(rule.arguments)],
                         ids=str)
def test_every_address_that_carries_a_token_is_redacted(rule):
    address = rule.rule.replace("<token>", "SECRET-TOKEN-VALUE")
    assert "SECRET-TOKEN-VALUE" not in redact(f"GET {address} HTTP/1.1"), rule.rule
