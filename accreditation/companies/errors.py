"""What can go wrong when asking a company register, as domain errors a commissioner can act on."""

from __future__ import annotations

from ..errors import DomainError, NotFound, ValidationFailed


class InvalidCompanyNumber(ValidationFailed):
    """The text is not a Companies House company number; nothing was asked of the register."""

    def __init__(self, message: str):
        super().__init__(message, field="company_number")


class CompanyNotFound(NotFound):
    """The register has no company with this (valid) number."""

    title = "Company not found"

    def __init__(self, number: str):
        super().__init__(
            f"There is no company with number {number} on the Companies House register. Check "
            "the number with the provider: it is on their certificate of incorporation.",
            field="company_number",
        )
        self.number = number


class RegistryUnavailable(DomainError):
    """The register could not answer now; nothing was checked, so nothing should be recorded."""

    status_code = 503
    title = "Companies House is not available"
