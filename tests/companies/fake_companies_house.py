"""A stand-in for the Companies House public data API: a real HTTP server on 127.0.0.1.

It serves the recorded-format files the offline registry reads, checks the Basic-auth key
like the real API, and can be told to answer the next requests to a path with canned
responses (429 with Retry-After, 500s, garbage) before behaving normally again.
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from accreditation.companies.registry import name_tokens


@dataclass(frozen=True)
class Canned:
    status: int
    headers: dict[str, str]
    body: bytes = b'{"errors": [{"error": "canned"}]}'
    delay: float = 0.0
    content_length: int | None = None  # claim a length other than the body's (a cut-off answer)


@dataclass(frozen=True)
class Seen:
    path: str
    query: dict[str, list[str]]
    authorization: str | None


class FakeCompaniesHouse:
    def __init__(self, api_key: str, data_dir: Path, *, page_size_cap: int = 100):
        self.api_key = api_key
        self.page_size_cap = page_size_cap
        self.companies: dict[str, dict[str, Any]] = {
            path.stem: json.loads(path.read_text(encoding="utf-8"))
            for path in sorted(Path(data_dir).glob("*.json"))
        }
        self.requests: list[Seen] = []
        self._canned: dict[str, list[Canned]] = {}
        self._lock = threading.Lock()
        self._server = _QuietServer(("127.0.0.1", 0), self._handler_class())
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeCompaniesHouse:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def queue(self, path: str, *responses: Canned) -> None:
        """Answer the next requests to ``path`` with ``responses``, in order."""
        with self._lock:
            self._canned.setdefault(path, []).extend(responses)

    def paths(self) -> list[str]:
        with self._lock:
            return [seen.path for seen in self.requests]

    # --- answering ---------------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, list[str]], authorization: str | None):
        with self._lock:
            self.requests.append(Seen(path, query, authorization))
            canned = self._canned.get(path)
            if canned:
                return canned.pop(0)
        expected = "Basic " + base64.b64encode(f"{self.api_key}:".encode()).decode()
        if authorization != expected:
            return _json(401, {"error": "Invalid Authorization", "type": "ch:service"})
        parts = path.strip("/").split("/")
        if parts[0] == "company" and len(parts) in (2, 3):
            return self._company(parts[1], parts[2] if len(parts) == 3 else "profile", query)
        if path == "/search/disqualified-officers":
            return _json(200, self._search((query.get("q") or [""])[0]))
        if parts[0] == "disqualified-officers" and len(parts) == 3:
            for record in self._disqualified():
                if record["links"]["self"] == path:
                    return _json(200, record)
        return _not_found()

    def _company(self, number: str, part: str, query: dict[str, list[str]]):
        document = self.companies.get(number)
        if document is None or part not in ("profile", "officers", "insolvency"):
            return _not_found()
        if part == "insolvency":
            return _json(200, document["insolvency"]) if "insolvency" in document \
                else _not_found()
        if part == "officers":
            officers = document["officers"]
            size = min(int((query.get("items_per_page") or ["35"])[0]), self.page_size_cap)
            start = int((query.get("start_index") or ["0"])[0])
            page = officers["items"][start:start + size]
            return _json(200, {**officers, "items": page, "items_per_page": size,
                               "start_index": start})
        return _json(200, document["profile"])

    def _disqualified(self) -> list[dict[str, Any]]:
        return [r for document in self.companies.values() for r in document.get("disqualified", [])]

    def _search(self, q: str) -> dict[str, Any]:
        wanted = set(name_tokens(q))
        items = []
        for record in self._disqualified():
            title = " ".join(
                p for p in (record.get("forename"), record.get("other_forenames"),
                            record.get("surname")) if p
            )
            if wanted & set(name_tokens(record.get("surname"))):
                address = record["disqualifications"][0]["address"]
                items.append({
                    "kind": "searchresults#disqualified-officer",
                    "title": title,
                    "date_of_birth": record["date_of_birth"],
                    "description": f"Born on {record['date_of_birth']}",
                    "description_identifiers": ["born-on"],
                    "address": address,
                    "address_snippet": ", ".join(str(v) for v in address.values()),
                    "links": {"self": record["links"]["self"]},
                    "snippet": "",
                })
        return {"kind": "search#disqualified-officers", "items": items,
                "items_per_page": 50, "start_index": 0, "total_results": len(items)}

    def _handler_class(self):
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - the http.server API
                url = urlsplit(self.path)
                answer = fake.answer(url.path, parse_qs(url.query),
                                     self.headers.get("Authorization"))
                if answer.delay:
                    threading.Event().wait(answer.delay)
                self.send_response(answer.status)
                for name, value in {"Content-Type": "application/json", **answer.headers}.items():
                    self.send_header(name, value)
                length = answer.content_length
                self.send_header("Content-Length", str(len(answer.body) if length is None
                                                       else length))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format, *args):  # keep test output quiet
                pass

        return Handler


class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        # A client that gave up (the timeout tests) leaves a broken pipe: not a failure.
        pass


def _json(status: int, data: Any, headers: dict[str, str] | None = None) -> Canned:
    return Canned(status, headers or {}, json.dumps(data).encode())


def _not_found() -> Canned:
    return _json(404, {"errors": [{"error": "not-found", "type": "ch:service"}]})


def canned_json(status: int, data: Any, **headers: str) -> Canned:
    return _json(status, data, {k.replace("_", "-"): v for k, v in headers.items()})
