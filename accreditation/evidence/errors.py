"""Errors of the evidence layer that a provider sees."""

from __future__ import annotations

from ..errors import ValidationFailed

ALLOWED_TYPES_MESSAGE = "The file must be a PDF, JPEG, PNG, HEIC, DOCX or XLSX"
EMPTY_MESSAGE = "The file is empty"
LEGACY_OFFICE_MESSAGE = (
    "The file is an old-style Word or Excel file (.doc or .xls) or is password-protected. "
    "Save it as a .docx or .xlsx file without a password and upload that"
)


class UploadRejected(ValidationFailed):
    """The upload is not accepted; the message tells the provider what to do instead."""


class FileTooLarge(UploadRejected):
    """Over the size limit, by however little: 413 Content Too Large."""

    status_code = 413
