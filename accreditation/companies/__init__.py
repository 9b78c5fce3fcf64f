"""Company register checks for due diligence (Companies House).

``registry_from_config(app.config)`` gives a ``CompanyRegistry``: the live public data API
(``CompaniesHouseClient``) or recorded files (``OfflineCompanyRegistry``, the default).
``run_company_checks(registry, number, today=...)`` asks it about one company and returns
the automatic checks, with the due-diligence answers they suggest.
"""

from __future__ import annotations

from .checks import (
    CHECK_ITEMS,
    CheckOutcome,
    CompanyCheckResult,
    long_date,
    run_company_checks,
)
from .errors import CompanyNotFound, InvalidCompanyNumber, RegistryUnavailable
from .http_client import DEFAULT_BASE_URL, CompaniesHouseClient
from .numbers import normalise_company_number
from .offline import DEFAULT_OFFLINE_PATH, OfflineCompanyRegistry
from .registry import CompanyRegistry, match_strength
from .settings import registry_from_config, settings_from_environment, uses_offline_register

__all__ = [
    "CHECK_ITEMS",
    "DEFAULT_BASE_URL",
    "DEFAULT_OFFLINE_PATH",
    "CheckOutcome",
    "CompaniesHouseClient",
    "CompanyCheckResult",
    "CompanyNotFound",
    "CompanyRegistry",
    "InvalidCompanyNumber",
    "OfflineCompanyRegistry",
    "RegistryUnavailable",
    "long_date",
    "match_strength",
    "normalise_company_number",
    "registry_from_config",
    "run_company_checks",
    "settings_from_environment",
    "uses_offline_register",
]
