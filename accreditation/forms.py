"""Form helpers shared by every blueprint."""

from __future__ import annotations

from flask_wtf import FlaskForm

from .errors import ValidationFailed
from .routing import MAX_RECORD_ID


def whole_number(value: object, *, maximum: int = MAX_RECORD_ID) -> int | None:
    """A posted id, version or revision as a whole number the database can hold, else None.

    Hidden fields and selects come back as the browser (or an attacker) sends them: Python's
    ``isdigit`` accepts "²", which ``int`` refuses, and 10**20 overflows a database column.
    """
    text = str(value if value is not None else "").strip()
    if not (text.isascii() and text.isdigit()) or len(text) > len(str(maximum)):
        return None
    number = int(text)
    return number if number <= maximum else None


def first_error(form: FlaskForm) -> str:
    """The form's first error message, for a form that answers with a redirect and a flash."""
    for errors in form.errors.values():
        for message in errors:
            return message
    return "Your form was incomplete. Try again."


def show_error(form: FlaskForm, error: ValidationFailed) -> None:
    """Show a domain validation error on the field it names, or on the form as a whole."""
    field = getattr(form, error.field, None) if error.field else None
    if field is not None:
        field.errors = [*field.errors, error.message]
    else:
        form.form_errors.append(error.message)


def form_error_summary(form: FlaskForm) -> dict:
    """Parameters for ``govukErrorSummary``: each error links to the field it is about."""
    items = []
    for field in form._fields.values():
        for message in field.errors if isinstance(field.errors, list | tuple) else []:
            items.append({"text": message, "href": f"#{_first_input_id(field)}"})
    first = next(iter(form._fields.values()), None)
    for message in form.form_errors:
        items.insert(0, {"text": message, "href": f"#{first.id}" if first else "#main-content"})
    return {"titleText": "There is a problem", "errorList": items}


def _first_input_id(field) -> str:
    """Where an error link should land: the first of a date's three inputs, the first radio."""
    from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovRadioInput

    if isinstance(field.widget, GovDateInput):
        return f"{field.name}-day"
    if isinstance(field.widget, GovRadioInput):
        return field.id
    return field.id
