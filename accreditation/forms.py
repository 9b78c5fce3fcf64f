"""Form helpers shared by every blueprint, and ``Form``, the base of every form."""

from __future__ import annotations

import re
from collections.abc import Iterator
from decimal import Decimal
from types import SimpleNamespace
from typing import ClassVar

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import GovTextInput
from wtforms import BooleanField, Field, RadioField, SelectField, SelectMultipleField

from .errors import ValidationFailed
from .numbers import NotANumber, NumberRule, read_number
from .routing import MAX_RECORD_ID

# --- GOV.UK messages in place of WTForms' own ---------------------------------------------------
#
# WTForms and Flask-WTF write their messages through the form's translations ("This field is
# required.", "Not a valid decimal value.", "Field cannot be longer than 160 characters.").
# ``Form``'s translations turn each into a marker that keeps its numbers; once the form is
# validated, each marker becomes a GOV.UK message naming the field ("Organisation name must
# be 160 characters or less"). A message a field or validator was given is left as it is.

_MARK, _SEP = "\x00", "\x1f"
_MARKED = re.compile(f"{_MARK}(\\w+){_MARK}(.*?){_MARK}", re.DOTALL)
_SPECIFIER = re.compile(r"%\((\w+)\)[sd]|%s|\{(\w+)\}")
_FILE_SIZE = re.compile(r"File must be between (\d+) and (\d+) bytes\.")

# Their messages (as written in their source), and what each says.
DEFAULT_MESSAGES = {
    "This field is required.": "required",
    "Field must be equal to %(other_name)s.": "must_match",
    "Invalid field name '%s'.": "must_match",
    "Field must be at least %(min)d character long.": "too_short",
    "Field must be at least %(min)d characters long.": "too_short",
    "Field cannot be longer than %(max)d character.": "too_long",
    "Field cannot be longer than %(max)d characters.": "too_long",
    "Field must be exactly %(max)d character long.": "exact_length",
    "Field must be exactly %(max)d characters long.": "exact_length",
    "Field must be between %(min)d and %(max)d characters long.": "length_between",
    "Number must be at least %(min)s.": "number_min",
    "Number must be at most %(max)s.": "number_max",
    "Number must be between %(min)s and %(max)s.": "number_between",
    "Date must be at least %(min)s.": "date_min",
    "Date must be at most %(max)s.": "date_max",
    "Date must be between %(min)s and %(max)s.": "date_between",
    "Invalid input.": "format",
    "Invalid email address.": "email",
    "Invalid IP address.": "format",
    "Invalid Mac address.": "format",
    "Invalid URL.": "format",
    "Invalid UUID.": "format",
    "Invalid value, must be one of: %(values)s.": "choice",
    "Invalid value, can't be any of: %(values)s.": "not_allowed",
    "This field cannot be edited.": "read_only",
    "This field is disabled and cannot have a value.": "read_only",
    "Invalid Choice: could not coerce.": "choice",
    "Invalid choice(s): one or more data inputs could not be coerced.": "choice",
    "Not a valid choice.": "choice",
    "'%(value)s' is not a valid choice for this field.": "choice",
    "'%(value)s' are not valid choices for this field.": "choice",
    "Not a valid datetime value.": "not_datetime",
    "Not a valid date value.": "not_date",
    "Not a valid time value.": "not_time",
    "Not a valid week value.": "not_week",
    "Not a valid integer value.": "not_whole_number",
    "Not a valid decimal value.": "not_number",
    "Not a valid float value.": "not_number",
    "File does not have an approved extension: {extensions}": "file_type",
    "File does not have an approved extension.": "file_type",
    "Invalid CSRF Token.": "expired",
    "CSRF token missing.": "expired",
    "CSRF failed.": "expired",
    "CSRF token expired.": "expired",
}
# Not messages for people: a programming error's.
NOT_SHOWN = {"Choices cannot be None."}

# What each says, GOV.UK style: ``{What}`` starts a sentence, ``{what}`` is within one.
_WORDS = {
    "required": {"text": "Enter {what}", "choice": "Select {what}", "file": "Select {what}"},
    "choice": {"text": "Enter {what} again", "choice": "Select {what} from the options",
               "list": "Select {what} from the list", "file": "Select {what}"},
    "must_match": "{What} does not match",
    "too_short": "{What} must be {min} characters or more",
    "too_long": "{What} must be {max} characters or less",
    "exact_length": "{What} must be {max} characters",
    "length_between": "{What} must be between {min} and {max} characters",
    "number_min": "{What} must be {min} or more",
    "number_max": "{What} must be {max} or less",
    "number_between": "{What} must be between {min} and {max}",
    "date_min": "{What} must be on or after {min}",
    "date_max": "{What} must be on or before {max}",
    "date_between": "{What} must be between {min} and {max}",
    "format": "Enter {what} in the correct format",
    "email": "Enter an email address in the correct format, like name@example.org",
    "not_allowed": "Enter a different value for {what}",
    "read_only": "{What} cannot be changed",
    "not_datetime": "{What} must be a real date and time",
    "not_date": "{What} must be a real date",
    "not_time": "{What} must be a real time",
    "not_week": "{What} must be a real week",
    "not_whole_number": "{What} must be a whole number, like 12",
    "not_number": "{What} must be a number, like 12 or 2.5",
    "file_type": "The selected file must be a type this page accepts",
    "file_size": "The selected file must be smaller than {max} bytes",
    "expired": "Your form has expired. Reload the page and try again",
}
# Words a name begins with that need no "the" before them within a sentence.
_NO_ARTICLE = {"a", "an", "the", "your", "their", "its", "this", "these", "who", "what",
               "when", "where", "which", "how", "whether"}


class _Messages:
    """The form's translations: WTForms' own messages become markers, all else passes."""

    def gettext(self, string: str) -> str:
        if key := DEFAULT_MESSAGES.get(string):
            names = [percent or brace or "value"
                     for percent, brace in _SPECIFIER.findall(string)]
            specifiers = [match.group(0) for match in _SPECIFIER.finditer(string)]
            values = _SEP.join(f"{name}={spec}" for name, spec in zip(names, specifiers,
                                                                         strict=True))
            return f"{_MARK}{key}{_MARK}{values}{_MARK}"
        if size := _FILE_SIZE.fullmatch(string):  # written with its numbers already in
            return f"{_MARK}file_size{_MARK}min={size.group(1)}{_SEP}max={size.group(2)}{_MARK}"
        return string

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.gettext(singular if n == 1 else plural)


MESSAGES = _Messages()


def _kind(field: Field) -> str:
    if isinstance(field, FileField):
        return "file"
    if isinstance(field, RadioField | SelectMultipleField | BooleanField):
        return "choice"
    if isinstance(field, SelectField):
        return "list"
    return "text"


def field_name(form: FlaskForm, field: Field) -> tuple[str, str]:
    """How messages name ``field``: (at the start of a sentence, within one).

    From the form's ``field_names`` (a name, or the pair), else the field's own ``what``, else
    its label (without "(optional)"); a label that asks a question is quoted.
    """
    name = getattr(form, "field_names", {}).get(field.name) or getattr(field, "what", None)
    if isinstance(name, tuple):
        return name
    label = name or re.sub(r"\s*\(optional\)\s*$", "", str(field.label.text)).strip()
    if not label:
        return "This answer", "this answer"
    if label.endswith("?"):
        return f"Your answer to \u201c{label}\u201d", f"your answer to \u201c{label}\u201d"
    first = label.split()[0]
    proper = len(first) > 1 and (first.isupper() or any(char.isupper() for char in first[1:]))
    within = label if proper else label[0].lower() + label[1:]
    if first.lower() not in _NO_ARTICLE:
        within = f"the {within}"
    return label[0].upper() + label[1:], within


def govuk_message(form: FlaskForm, field: Field, message: str) -> str:
    """``message``, or the GOV.UK message for the WTForms one it stands for."""
    marked = _MARKED.fullmatch(str(message))
    if marked is None:
        return message
    key, values = marked.group(1), marked.group(2)
    words = _WORDS[key]
    if isinstance(words, dict):
        kind = _kind(field)
        words = words.get(kind) or words["text"]
    start, within = field_name(form, field)
    if _kind(field) == "file" and not getattr(form, "field_names", {}).get(field.name):
        start, within = "A file", "a file"
    arguments = dict(value.split("=", 1) for value in values.split(_SEP) if "=" in value)
    return words.format(What=start, what=within, **arguments)


class Form(FlaskForm):
    """The base of every form of the service.

    Its messages are GOV.UK ones naming the field: WTForms' own ("This field is required.",
    "Not a valid integer value.") never reach a page. ``field_names`` may name a field whose
    label does not read well in a sentence (a question, a long checklist item).
    """

    field_names: ClassVar[dict[str, str | tuple[str, str]]] = {}

    class Meta:
        def get_translations(self, form):
            return MESSAGES

    def validate(self, extra_validators=None) -> bool:
        valid = super().validate(extra_validators)
        for field in self:
            if isinstance(field.errors, list | tuple):
                field.errors = [govuk_message(self, field, message) for message in field.errors]
        for form, field in _answers(self):
            if isinstance(field.data, str) and "\x00" in field.data:
                # Nobody types one (only a crafted request holds it); no database keeps it.
                field.errors = [*field.errors, f"{field_name(form, field)[0]} must not "
                                               "contain hidden control characters"]
                valid = False
        return valid


def _answers(form) -> Iterator[tuple[object, Field]]:
    """Every field of ``form`` with the form it belongs to, inside lists and sub-forms too."""
    for field in form:
        yield from _leaves(form, field)


def _leaves(form, field: Field) -> Iterator[tuple[object, Field]]:
    if field.type == "FieldList":
        for entry in field.entries:
            yield from _leaves(form, entry)
    elif field.type == "FormField":
        yield from _answers(field.form)
    else:
        yield form, field


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


class NumberField(Field):
    """A number typed in a text box (GOV.UK: not ``type=number``), read as a person writes one
    (``numbers.read_number``: "2.5", "1,500", "£5", with ``millions`` "£2.5m"; never "1e9");
    blank is None. Its data is a ``Decimal``. ``invalid`` is the message for text that is not
    a number; with a ``rule`` (and ``what`` it is, for the messages) the number is checked
    against it too."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, invalid: str,
                 rule: NumberRule | None = None, what: str = "", millions: bool = False,
                 **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid, self.rule, self.what, self.millions = invalid, rule, what, millions

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        if self.data is None:
            return ""
        return f"{Decimal(str(self.data)).normalize():f}"  # 2.50 from the database: "2.5"

    def process_formdata(self, valuelist):
        raw = valuelist[0] if valuelist else ""
        self.data = None
        try:
            value = read_number(raw, millions=self.millions)
        except NotANumber:
            raise ValueError(self.invalid) from None
        if value is not None and self.rule is not None:
            problem = self.rule.problem(value, self.what)
            if problem:
                raise ValueError(problem)
        self.data = value


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
    for field in _fields_of(form):
        for message in field.errors if isinstance(field.errors, list | tuple) else []:
            items.append({"text": message, "href": f"#{_first_input_id(field)}"})
    first = next(iter(form._fields.values()), None)
    general = []
    for message in form.form_errors:
        # A problem with the form as a whole links to its first field, or to where it is
        # put right when it names the place: (message, address).
        text, href = message if isinstance(message, tuple) else (
            message, f"#{first.id}" if first else "#main-content")
        general.append({"text": text, "href": href})
    return {"titleText": "There is a problem", "errorList": general + items}


def _fields_of(form):
    """The form's fields in order, those of repeated sub-forms (``FieldList`` of
    ``FormField``) included, each on its own; a list's own errors too."""
    from wtforms import FieldList, FormField

    for field in form:
        if isinstance(field, FieldList):
            own = [error for error in field.errors if isinstance(error, str)]
            if own:  # about the list as a whole (none yet, too many...)
                yield SimpleNamespace(errors=own, id=field.id, widget=None)
            for entry in field.entries:
                yield from _fields_of([entry])
        elif isinstance(field, FormField):
            yield from _fields_of(field.form)
        else:
            yield field


def _first_input_id(field) -> str:
    """Where an error link should land: the first of a date's three inputs, the first radio."""
    from govuk_frontend_wtf.wtforms_widgets import GovDateInput, GovRadioInput

    if isinstance(field.widget, GovDateInput):
        return f"{field.name}-day"
    if isinstance(field.widget, GovRadioInput):
        return field.id
    return field.id
