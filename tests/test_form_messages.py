"""Every form speaks GOV.UK: WTForms' own messages ("This field is required.", "Not a valid
decimal value.", "Field cannot be longer than 160 characters.") never reach a page; what
replaces them names the field."""

from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import flask_wtf
import pytest
import wtforms
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict

import accreditation
from accreditation.checklists import shipped_versions
from accreditation.forms import DEFAULT_MESSAGES, NOT_SHOWN, Form
from accreditation.stages.forms import checklist_form

# What a person may type or a browser send that a form must refuse in words.
BAD_VALUES = ["", "   ", "x" * 5001, "abc", "1e999", "NaN", "-1", "1" * 30, "31 2 2027",
              "2027-02-31", "not one of the choices", "\u00b2", "<b>bold</b>"]


def _their_messages() -> set[str]:
    """Every message WTForms and Flask-WTF write through a form's translations, read from
    their source: a new one after an upgrade shows up here."""
    found = set()
    for package in (wtforms, flask_wtf):
        for path in Path(package.__file__).parent.rglob("*.py"):
            if "recaptcha" in path.parts:
                continue  # not used here
            for node in ast.walk(ast.parse(path.read_text())):
                if isinstance(node, ast.Call) and getattr(
                        node.func, "attr", getattr(node.func, "id", None)) in ("gettext",
                                                                               "ngettext"):
                    found |= {arg.value for arg in node.args
                              if isinstance(arg, ast.Constant) and isinstance(arg.value, str)}
    return found - NOT_SHOWN


THEIR_MESSAGES = _their_messages()


def _as_pattern(message: str) -> re.Pattern:
    parts = re.split(r"%\(\w+\)[sd]|%s|\{\w+\}", message)
    return re.compile(".*".join(re.escape(part) for part in parts), re.DOTALL)


THEIR_PATTERNS = [_as_pattern(message) for message in THEIR_MESSAGES] + [
    re.compile(r"File must be between \d+ and \d+ bytes\.")]  # Flask-WTF's FileSize


def form_classes() -> list[type[FlaskForm]]:
    """Every form class of the service (all its modules imported first)."""
    for module in pkgutil.walk_packages(accreditation.__path__, "accreditation."):
        importlib.import_module(module.name)
    classes, found = [FlaskForm], []
    while classes:
        cls = classes.pop()
        classes.extend(cls.__subclasses__())
        if cls.__module__.startswith("accreditation.") and not cls.__name__.startswith("Bound"):
            found.append(cls)
    return sorted(found, key=lambda cls: (cls.__module__, cls.__name__))


FORMS = form_classes()


def messages_for(form_class, value: str, **kwargs) -> dict[str, list[str]]:
    """Post ``value`` in every field of the form, as a browser would; the messages shown."""
    form = form_class(meta={"csrf": False}, **kwargs)
    data = MultiDict()
    for field in form:
        data.add(field.name, value)
        if field.widget.__class__.__name__ == "GovDateInput":
            data.add(field.name, value)
            data.add(field.name, value)
    form = form_class(formdata=data, meta={"csrf": False}, **kwargs)
    form.validate()
    return {name: list(errors) for name, errors in form.errors.items()}


def wtforms_defaults_in(messages: dict[str, list[str]]) -> list[str]:
    return [f"{name}: {message!r}" for name, shown in messages.items() for message in shown
            if any(pattern.fullmatch(message) for pattern in THEIR_PATTERNS)
            or re.search(r"[\x00\x1f]|%\(|\{\w*\}", message)]


def test_every_wtforms_message_has_a_govuk_one():
    assert THEIR_MESSAGES - set(DEFAULT_MESSAGES) == set()


@pytest.mark.parametrize("form_class", FORMS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_every_form_is_a_service_form(form_class):
    assert issubclass(form_class, Form), (
        f"{form_class.__name__}: derive it from accreditation.forms.Form, so that its "
        "messages are the service's")


@pytest.mark.parametrize("form_class", FORMS, ids=lambda cls: f"{cls.__module__}.{cls.__name__}")
def test_no_form_shows_a_wtforms_message_whatever_is_posted(app, form_class):
    found = []
    with app.test_request_context("/", method="POST"):
        for value in BAD_VALUES:
            found += wtforms_defaults_in(messages_for(form_class, value))
    assert found == []


def test_no_checklist_form_shows_a_wtforms_message_whatever_is_answered(app):
    found = []
    with app.test_request_context("/", method="POST"):
        for checklist in shipped_versions().values():
            form_class = type(checklist_form(checklist))
            for value in BAD_VALUES:
                found += wtforms_defaults_in(messages_for(form_class, value))
    assert found == []


@pytest.mark.parametrize(("form", "field", "value", "message"), [
    ("auth.forms.RegisterProviderForm", "organisation_name", "x" * 161,
     "Organisation name must be 160 characters or less"),
    ("auth.forms.RegisterProviderForm", "full_name", "x" * 121,
     "Your full name must be 120 characters or less"),
    ("auth.forms.InviteStaffForm", "council_id", "12", "Select the council from the list"),
    ("stages.forms.CaseActionForm", "due_on", "31 2 2027", "The deadline must be a real date"),
    ("stages.forms.CaseActionForm", "message", "x" * 4001,
     "What you need from the provider must be 4000 characters or less"),
    ("stages.forms.DecisionForm", "expires_on", "not a date",
     "The date accreditation expires must be a real date"),
    ("stages.forms.DecisionForm", "outcome", "maybe", "Select the decision from the options"),
])
def test_a_message_names_the_field(app, form, field, value, message):
    module, name = form.rsplit(".", 1)
    form_class = getattr(importlib.import_module(f"accreditation.{module}"), name)
    with app.test_request_context("/", method="POST"):
        form = form_class(formdata=MultiDict([(field, part) for part in value.split(" ")]
                                             if field == "due_on" else {field: value}),
                          meta={"csrf": False})
        form.validate()
        assert form[field].errors[0] == message


def test_a_checklist_number_is_named_by_its_item(app):
    checklist = shipped_versions()[("property_inspection", 1)]
    item = next(item for item in checklist.items if item.answer_type == "number")
    with app.test_request_context("/", method="POST"):
        form_class = type(checklist_form(checklist))
        form = form_class(formdata=MultiDict({f"item_{item.id}": "twelve"}),
                          meta={"csrf": False})
        form.validate()
        (message,) = form[f"item_{item.id}"].errors
        # Named by its item, and saying what kind of number its unit takes.
        assert message.startswith(f"{item.title} must be a ") and "number, like 12" in message


def test_a_hidden_control_character_is_refused_with_a_message_not_stored(app):
    """No database keeps a NUL character, and nobody types one: the form refuses it."""
    from accreditation.providers.forms import RespondToConditionForm

    with app.test_request_context("/", method="POST"):
        form = RespondToConditionForm(formdata=MultiDict({"response": "Fixed\x00it"}),
                                      meta={"csrf": False})
        assert not form.validate()
        assert form.response.errors == [
            "What you have done must not contain hidden control characters"]
