"""Fixtures for the company register: the shipped offline files and a fake API server."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from accreditation.companies import (
    DEFAULT_OFFLINE_PATH,
    CompaniesHouseClient,
    OfflineCompanyRegistry,
)

from .fake_companies_house import FakeCompaniesHouse
from .helpers import API_KEY, Sleeps


@pytest.fixture
def offline() -> OfflineCompanyRegistry:
    return OfflineCompanyRegistry(DEFAULT_OFFLINE_PATH)


@pytest.fixture
def fake_api() -> Iterator[FakeCompaniesHouse]:
    server = FakeCompaniesHouse(API_KEY, DEFAULT_OFFLINE_PATH).start()
    yield server
    server.stop()


@pytest.fixture
def sleeps() -> Sleeps:
    return Sleeps()


@pytest.fixture
def make_client(fake_api: FakeCompaniesHouse, sleeps: Sleeps):
    def make(**options: Any) -> CompaniesHouseClient:
        settings: dict[str, Any] = {
            "base_url": fake_api.base_url, "sleep": sleeps, "proxies": {}, "timeout": 5.0,
        }
        settings.update(options)
        return CompaniesHouseClient(settings.pop("api_key", API_KEY), **settings)

    return make


@pytest.fixture
def client(make_client) -> CompaniesHouseClient:
    return make_client()
