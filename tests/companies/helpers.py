"""Shared test data for the company register tests."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

TODAY = date(2026, 11, 22)
DROP = object()  # in write_company(profile=...): leave this field out of the profile
API_KEY = "test-key-3f9a2c7e-0000-4b1d-9e55-a1b2c3d4e5f6"


class Sleeps(list[float]):
    """An injected ``sleep`` that records how long the client wanted to wait."""

    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def write_company(directory: Path, number: str, **parts: Any) -> Path:
    """One offline company file, for tests that need a company the demo does not have."""
    document = {"profile": {"company_number": number, "company_name": f"TEST {number} LTD",
                            "company_status": "active", "has_insolvency_history": False,
                            "has_been_liquidated": False},
                "officers": {"items": [], "total_results": 0}}
    for name, value in parts.items():
        if name == "profile":
            merged = {**document["profile"], **value}
            document["profile"] = {k: v for k, v in merged.items() if v is not DROP}
        else:
            document[name] = value
    path = directory / f"{number}.json"
    path.write_text(json.dumps(document), encoding="utf-8")
    return path
