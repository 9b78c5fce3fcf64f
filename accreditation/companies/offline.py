"""A company register read from files: for the demo, for tests, and for working offline."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from .errors import CompanyNotFound, RegistryUnavailable
from .numbers import normalise_company_number
from .registry import JSON, match_strength

DEFAULT_OFFLINE_PATH = Path(__file__).resolve().parent.parent / "data" / "companies"


class OfflineCompanyRegistry:
    """A ``CompanyRegistry`` over a directory of ``<company number>.json`` files.

    Each file holds one company in the API's shapes::

        {"profile": {...}, "officers": {...}, "insolvency": {...}, "disqualified": [...]}

    ``insolvency`` and ``disqualified`` may be left out. The ``disqualified`` lists of all
    files together stand for the register of disqualified officers, which (like the real one)
    is searched across companies. Files are read on every call, so edits show at once.
    """

    def __init__(self, directory: str | Path = DEFAULT_OFFLINE_PATH):
        self.directory = Path(directory)
        self.source = f"offline company register ({self.directory.name}, not live data)"
        self.live = False

    def company_profile(self, number: str) -> JSON:
        return self._part(number, "profile")

    def officers(self, number: str) -> JSON:
        return self._part(number, "officers", {"items": [], "total_results": 0})

    def insolvency(self, number: str) -> JSON:
        return self._part(number, "insolvency", {"cases": []})

    def disqualifications(self, officer: Mapping[str, Any]) -> list[JSON]:
        return [
            copy.deepcopy(record)
            for record in self._disqualified_register()
            if match_strength(officer, record) is not None
        ]

    def company_numbers(self) -> list[str]:
        """The numbers of every company on file, sorted."""
        return sorted(p.stem for p in self.directory.glob("*.json"))

    def _part(self, number: str, part: str, default: JSON | None = None) -> JSON:
        number = normalise_company_number(number)
        document = self._read(self.directory / f"{number}.json")
        if document is None:
            raise CompanyNotFound(number)
        value = document.get(part, default)
        if not isinstance(value, dict):
            raise RegistryUnavailable(
                f"The offline company register file for {number} has no valid '{part}'. Ask "
                "your administrator to fix it or to switch to the live Companies House API."
            )
        return copy.deepcopy(value)

    def _disqualified_register(self) -> Iterator[JSON]:
        for path in sorted(self.directory.glob("*.json")):
            document = self._read(path) or {}
            for record in document.get("disqualified") or []:
                if isinstance(record, dict):
                    yield record

    def _read(self, path: Path) -> JSON | None:
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except OSError as error:
            raise RegistryUnavailable(
                f"The offline company register file {path.name} cannot be read "
                f"({error.strerror}). Ask your administrator to check "
                "ACCREDITATION_COMPANIES_HOUSE_OFFLINE_PATH."
            ) from None
        try:
            document = json.loads(text)
        except ValueError:
            document = None
        if not isinstance(document, dict):
            raise RegistryUnavailable(
                f"The offline company register file {path.name} is not a valid JSON object. "
                "Ask your administrator to fix it."
            )
        return document
