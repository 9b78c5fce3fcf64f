"""The Companies House public data API over HTTPS, with the standard library only.

Rate limit: 600 requests per key in any five minutes; beyond that every request gets HTTP 429
until the window resets. A due-diligence check makes about 3 + 2 per director requests, so the
limit is only reached when many checks run at once; the client then waits (``Retry-After``, or
a doubling backoff) a bounded number of times and otherwise gives up with RegistryUnavailable,
so a person waiting on a page is never kept for minutes.
"""

from __future__ import annotations

import base64
import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from datetime import UTC
from email.message import Message
from email.utils import parsedate_to_datetime
from http.client import HTTPException
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlencode, urlsplit
from urllib.request import (
    HTTPRedirectHandler,
    OpenerDirector,
    ProxyHandler,
    Request,
    build_opener,
)

from ..config import ConfigurationError
from .errors import CompanyNotFound, RegistryUnavailable
from .numbers import normalise_company_number
from .registry import JSON, match_strength, search_query

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://api.company-information.service.gov.uk"
MAX_BODY_BYTES = 5 * 1024 * 1024
OFFICER_PAGE_SIZE = 100  # the API's maximum
MAX_OFFICER_PAGES = 10
SEARCH_PAGE_SIZE = 50
# A disqualified-officer link is followed only if it is one of these paths: the client sends
# the API key, and must not send it wherever a response points.
_DISQUALIFIED_PATH = re.compile(r"/disqualified-officers/(?:natural|corporate)/[A-Za-z0-9_\-]+")
_LOOPBACK_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
_TRANSIENT_STATUSES = frozenset({500, 502, 503, 504})


class _NoRedirects(HTTPRedirectHandler):
    # The API does not redirect these resources; following one would forward the
    # Authorization header to another address.
    def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[override]
        return None


class CompaniesHouseClient:
    """A ``CompanyRegistry`` backed by the live Companies House public data API.

    ``sleep`` and ``clock`` are injectable so tests never wait. ``proxies`` as for
    ``urllib.request.ProxyHandler`` (None: from the environment, ``{}``: none).
    """

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        max_retries: int = 3,
        backoff_seconds: float = 1.0,
        max_wait_seconds: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
        proxies: Mapping[str, str] | None = None,
    ):
        if not api_key or not api_key.strip():
            raise ConfigurationError(
                "ACCREDITATION_COMPANIES_HOUSE_API_KEY is not set. Create a REST API key for "
                "a live application on the Companies House developer hub and set it."
            )
        self._base_url = _checked_base_url(base_url)
        # HTTP Basic with the key as user name and an empty password, as the API requires.
        token = base64.b64encode(f"{api_key.strip()}:".encode()).decode("ascii")
        self._authorization = f"Basic {token}"
        self._timeout = timeout
        self._max_retries = max(0, max_retries)
        self._backoff_seconds = backoff_seconds
        self._max_wait_seconds = max_wait_seconds
        self._sleep = sleep
        self._clock = clock
        self._opener: OpenerDirector = build_opener(
            ProxyHandler(None if proxies is None else dict(proxies)), _NoRedirects()
        )
        self.source = f"Companies House public data API ({self._base_url})"
        self.live = True

    def __repr__(self) -> str:  # never show the key
        return f"CompaniesHouseClient(base_url={self._base_url!r})"

    # --- CompanyRegistry -----------------------------------------------------------------------

    def company_profile(self, number: str) -> JSON:
        number = normalise_company_number(number)
        profile = self._get(f"/company/{number}")
        if profile is None:
            raise CompanyNotFound(number)
        return profile

    def officers(self, number: str) -> JSON:
        number = normalise_company_number(number)
        pages: list[JSON] = []
        items: list[Any] = []
        while len(pages) < MAX_OFFICER_PAGES:
            page = self._get(
                f"/company/{number}/officers",
                {"items_per_page": OFFICER_PAGE_SIZE, "start_index": len(items)},
            )
            if page is None:
                if pages:
                    break
                raise CompanyNotFound(number)
            pages.append(page)
            new = page.get("items") or []
            items.extend(new)
            if not new or len(items) >= int(page.get("total_results") or 0):
                break
        return {**pages[0], "items": items}

    def insolvency(self, number: str) -> JSON:
        number = normalise_company_number(number)
        # 404 here means "no insolvency cases", not "no such company".
        return self._get(f"/company/{number}/insolvency") or {"cases": []}

    def disqualifications(self, officer: Mapping[str, Any]) -> list[JSON]:
        query = search_query(officer)
        if not query:
            return []
        found = self._get(
            "/search/disqualified-officers", {"q": query, "items_per_page": SEARCH_PAGE_SIZE}
        )
        records: list[JSON] = []
        for item in (found or {}).get("items") or []:
            link = str((item.get("links") or {}).get("self", ""))
            # Only results that could be this officer are fetched, one request each: the
            # search is fuzzy and a common surname brings a page of strangers.
            if not _DISQUALIFIED_PATH.fullmatch(link) or match_strength(officer, item) is None:
                continue
            record = self._get(link)
            if record is not None and match_strength(officer, record) is not None:
                records.append(record)
        return records

    # --- HTTP --------------------------------------------------------------------------------

    def _get(self, path: str, query: Mapping[str, Any] | None = None) -> JSON | None:
        """The JSON object at ``path``; None for 404; RegistryUnavailable for anything else."""
        url = self._base_url + path + (f"?{urlencode(query)}" if query else "")
        request = Request(  # noqa: S310 - the scheme was checked in __init__
            url,
            headers={
                "Authorization": self._authorization,
                "Accept": "application/json",
                "User-Agent": "accreditation (due diligence checks)",
            },
        )
        for attempt in range(self._max_retries + 1):
            last = attempt == self._max_retries
            try:
                with self._opener.open(request, timeout=self._timeout) as response:
                    status = response.status
                    # With a Content-Length, read() raises IncompleteRead on a cut-off answer
                    # (retried below); read(n) would quietly return the part that came.
                    if response.length is not None and response.length <= MAX_BODY_BYTES:
                        body = response.read()
                    else:
                        body = response.read(MAX_BODY_BYTES + 1)
            except HTTPError as error:
                status, headers = error.code, error.headers
                error.close()
                # Query strings carry people's names: log the path only.
                log.info("Companies House GET %s -> %s", path, status)
                if status == 404:
                    return None
                if status == 429:
                    if last:
                        raise _rate_limited(self._retry_after(headers)) from None
                    self._wait(self._rate_limit_wait(headers, attempt))
                    continue
                if status in _TRANSIENT_STATUSES:
                    if last:
                        raise _server_trouble(status) from None
                    self._wait(self._retry_after(headers) or self._backoff(attempt))
                    continue
                raise _refused(status) from None
            except (OSError, HTTPException) as error:
                # URLError, timeouts, refused or reset connections, TLS failures, and
                # half-sent answers: all worth another try.
                reason = getattr(error, "reason", error)
                log.warning("Companies House GET %s failed: %s", path, type(reason).__name__)
                if last:
                    raise RegistryUnavailable(
                        "Companies House could not be reached. The automatic checks were not "
                        "run: try again in a few minutes, or answer the questions from the "
                        "Companies House website."
                    ) from None
                self._wait(self._backoff(attempt))
                continue
            log.info("Companies House GET %s -> %s", path, status)
            return _parse(body, path)
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        return self._backoff_seconds * 2**attempt

    def _retry_after(self, headers: Message | None) -> float | None:
        """Seconds from ``Retry-After`` (seconds or an HTTP date), if the response gave one."""
        value = (headers or {}).get("Retry-After")
        if not value:
            return None
        value = value.strip()
        if value.isascii() and value.isdigit():
            return float(value)
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        return max(0.0, when.timestamp() - self._clock())

    def _rate_limit_wait(self, headers: Message | None, attempt: int) -> float:
        wait = self._retry_after(headers)
        if wait is None:
            # Companies House has been seen to send the window's end as X-Ratelimit-Reset
            # (epoch seconds) rather than Retry-After; use it when it is plausible.
            reset = (headers or {}).get("X-Ratelimit-Reset", "")
            if reset.strip().isascii() and reset.strip().isdigit():
                wait = max(0.0, float(reset) - self._clock())
                wait = wait if wait <= 5 * 60 else None
        wait = self._backoff(attempt) if wait is None else wait
        if wait > self._max_wait_seconds:
            raise _rate_limited(wait)
        return wait

    def _wait(self, seconds: float) -> None:
        self._sleep(min(seconds, self._max_wait_seconds))


def _checked_base_url(base_url: str) -> str:
    parts = urlsplit(base_url.strip())
    loopback = (parts.hostname or "") in _LOOPBACK_HOSTS
    if not parts.hostname or parts.scheme not in ("https", "http") or (
        parts.scheme == "http" and not loopback
    ):
        # The API key travels in every request: plain HTTP only to this machine (tests).
        raise ConfigurationError(
            "ACCREDITATION_COMPANIES_HOUSE_BASE_URL must be an https:// address, for example "
            f"{DEFAULT_BASE_URL}, not {base_url!r}."
        )
    return base_url.strip().rstrip("/")


def _parse(body: bytes, path: str) -> JSON:
    if len(body) > MAX_BODY_BYTES:
        raise RegistryUnavailable(
            "Companies House sent an unexpectedly large answer. The automatic checks were not "
            "run: answer the questions from the Companies House website."
        )
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict):
        log.warning("Companies House GET %s: the answer was not a JSON object", path)
        raise RegistryUnavailable(
            "Companies House sent an answer this service could not read. The automatic checks "
            "were not run: try again later, or answer the questions from the Companies House "
            "website."
        )
    return data


def _rate_limited(wait: float | None = None) -> RegistryUnavailable:
    minutes = max(1, round(wait / 60)) if wait is not None else None
    when = {None: "in a few minutes", 1: "in about a minute"}.get(
        minutes, f"in about {minutes} minutes"
    )
    return RegistryUnavailable(
        "Companies House is limiting how often this service may ask it (600 requests every "
        f"5 minutes). The automatic checks were not run: try again {when}."
    )


def _server_trouble(status: int) -> RegistryUnavailable:
    return RegistryUnavailable(
        f"Companies House is having problems (it answered with error {status} several times). "
        "The automatic checks were not run: try again later, or answer the questions from the "
        "Companies House website."
    )


def _refused(status: int) -> RegistryUnavailable:
    if status in (401, 403):
        return RegistryUnavailable(
            "Companies House refused this service's API key. Ask your administrator to check "
            "ACCREDITATION_COMPANIES_HOUSE_API_KEY. Meanwhile, answer the questions from the "
            "Companies House website."
        )
    return RegistryUnavailable(
        f"Companies House could not answer this request (error {status}). The automatic checks "
        "were not run: answer the questions from the Companies House website."
    )
