"""Forms for the stages: a checklist form built from a checklist version, and case actions."""

from __future__ import annotations

import re
from decimal import Decimal

import sqlalchemy as sa
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    DateField,
    FieldList,
    FormField,
    HiddenField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms import Form as FieldsForm  # a part of a form: no token of its own
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional

from ..auth.models import Role, User
from ..checklists import NOT_APPLICABLE, ChecklistVersion, Item
from ..extensions import db
from ..forms import Form, NumberField, whole_number
from ..numbers import as_plain
from ..providers.forms import DateField as DayMonthYearField
from . import visits

GRADES = [SelectChoice("3", "3 – good"), SelectChoice("2", "2 – adequate"),
          SelectChoice("1", "1 – poor"), SelectChoice("0", "0 – not met")]


def _item_field(item: Item):
    hint = item.guidance or None
    label = item.text
    if item.answer_type == "yes_no":
        choices = [SelectChoice("yes", "Yes"), SelectChoice("no", "No")]
        if item.allow_not_applicable:
            choices.append(SelectChoice(NOT_APPLICABLE, "Not applicable"))
        return RadioField(label, choices=choices, widget=GovRadioInput(), description=hint,
                          validators=[Optional()])
    if item.answer_type == "graded":
        choices = list(GRADES)
        if item.allow_not_applicable:
            choices.append(SelectChoice(NOT_APPLICABLE, "Not applicable"))
        return RadioField(label, choices=choices, widget=GovRadioInput(), description=hint,
                          validators=[Optional()])
    if item.answer_type == "number":
        # What the answer can be is the checklist's rule for the item's unit (the same rule
        # the operation that records it applies): the form says so on the field.
        unit = f" ({item.unit})" if item.unit else ""
        rule = item.number_rule
        return NumberField(label + unit, description=hint, rule=rule, what=item.title,
                           invalid=rule.not_a_number(item.title),
                           millions=item.unit == "£ million")
    return TextAreaField(label, widget=GovTextArea(), description=hint,
                         validators=[Optional(), Length(max=2000)])


class ChecklistForm(Form):
    """A form for one checklist; build the class for a version with ``checklist_form``."""

    submit = SubmitField("Save answers", widget=GovSubmitInput())

    items: list[Item] = []

    def answers(self) -> dict:
        """The answers as the scoring engine takes them; blanks are left out (not answered)."""
        answers = {}
        for item in self.items:
            value = self[f"item_{item.id}"].data
            if value in (None, ""):
                continue
            if item.answer_type == "graded" and value != NOT_APPLICABLE:
                value = int(value)
            elif item.answer_type == "number":
                # posted, or the saved answer the post left out
                value = as_plain(Decimal(str(value)))
            answers[item.id] = value
        return answers


def checklist_form(checklist: ChecklistVersion, *, category: str | None = None,
                   file_type: str | None = None, answers: dict | None = None) -> ChecklistForm:
    """A form with one field per item that applies (to this category or file type)."""
    context = category or file_type
    items = [item for item in checklist.items
             if item.applies(checklist.context_field, context)]
    attributes = {f"item_{item.id}": _item_field(item) for item in items}
    attributes["items"] = items
    attributes["field_names"] = {f"item_{item.id}": (f"The answer for {item.title}",
                                                      f"the answer for {item.title}")
                                 for item in items}
    form_class = type("BoundChecklistForm", (ChecklistForm,), attributes)
    data = {f"item_{item_id}": (str(value) if not isinstance(value, str) else value)
            for item_id, value in (answers or {}).items()}
    return form_class(data=data) if answers else form_class()


class ItemPhotoForm(Form):
    """A photo of one checklist item, from the checklist page (``client_id`` makes a form
    sent twice one photo)."""

    item_id = HiddenField(validators=[InputRequired("Choose the question the photo is for")])
    client_id = HiddenField(validators=[Optional(), Length(max=64)])
    file = FileField("Add a photo", validators=[FileRequired("Choose a photo to upload")])


class AcknowledgementForm(Form):
    """The provider's representative on site: name and role, or that they declined to sign.
    The tablet's script adds a drawn signature (``signature``: a PNG as a data URL) and sends
    the whole through its outbox; without the script this form is posted as it is."""

    field_names = {"name": "Name", "role": "Role", "reason": "Reason"}

    client_id = HiddenField(validators=[Optional(), Length(max=64)])
    name = StringField("Name of the provider's representative", widget=GovTextInput(),
                       validators=[Optional(), Length(max=120)])
    role = StringField("Their role", widget=GovTextInput(),
                       validators=[Optional(), Length(max=120)])
    declined = BooleanField("The provider's representative declined to sign",
                            widget=GovCheckboxInput())
    reason = TextAreaField("The reason they gave (optional)", widget=GovTextArea(),
                           validators=[Optional(), Length(max=1000)])
    signature = HiddenField()


class CaseActionForm(Form):
    """The fields any case action may need; each action's view reads the ones it uses."""

    field_names = {"message": "What you need from the provider", "due_on": "The deadline",
                   "response": "What you have sent or changed", "inspector_id": "an inspector"}

    version = HiddenField()
    message = TextAreaField("What do you need from the provider?", widget=GovTextArea(),
                            validators=[Optional(), Length(max=4000)])
    due_on = DateField("Deadline", widget=GovDateInput(), format="%d %m %Y",
                       description="For example, 27 3 2027", validators=[Optional()])
    reasons = TextAreaField("Reasons", widget=GovTextArea(),
                            validators=[Optional(), Length(max=4000)])
    response = TextAreaField("What have you sent or changed?", widget=GovTextArea(),
                             validators=[Optional(), Length(max=4000)])
    inspector_id = SelectField("Inspector", widget=GovSelect(), choices=[],
                               validators=[Optional()])
    submit = SubmitField("Continue", widget=GovSubmitInput())

    def expected_version(self) -> int | None:
        return whole_number(self.version.data)


def _stripped(value):
    return value.strip() if isinstance(value, str) else value


def condition_number(field_name: str) -> int:
    """1 for a field of ``conditions-0-...``: how the decision page counts conditions."""
    match = re.match(r"conditions-([0-9]+)-", field_name)
    return int(match.group(1)) + 1 if match else 1


class ConditionDueField(DayMonthYearField):
    """A condition's due date (GOV.UK date input); its messages name the condition."""

    def __init__(self, label=None, validators=None, **kwargs):
        super().__init__(label, validators, what="The date the condition is due", **kwargs)

    def process_formdata(self, valuelist):
        self.what = f"The date condition {condition_number(self.name)} is due"
        super().process_formdata(valuelist)


class ConditionForm(FieldsForm):
    """One condition of a decision, as the commissioner writes it. ``key`` names the failed
    item it was offered for (``operations.condition_candidates``), blank for one added."""

    key = HiddenField(filters=[lambda value: (value or "")[:120]])
    title = StringField("Title", widget=GovTextInput(), filters=[_stripped],
                        description="A few words, like Damp in the back bedroom.")
    text = TextAreaField("What the provider must do", widget=GovTextArea(), filters=[_stripped],
                         description="In words the provider will understand: they read it in "
                                     "their decision letter.")
    due_on = ConditionDueField("Date it is due", description="For example, 27 3 2027")


MAX_CONDITIONS = 50


class DecisionForm(Form):
    field_names = {"expires_on": "The date accreditation expires"}
    version = HiddenField()
    outcome = RadioField("Decision", widget=GovRadioInput(), choices=[
        SelectChoice("accredited", "Accredit"),
        SelectChoice("accredited_with_conditions", "Accredit with conditions")],
        validators=[InputRequired(message="Choose a decision")])
    reasons = TextAreaField("Reasons", widget=GovTextArea(),
                            description="The provider sees these in their decision letter.",
                            validators=[InputRequired(message="Give the reasons for the decision"),
                                        Length(max=4000)])
    expires_on = DateField("Accreditation expires on", widget=GovDateInput(), format="%d %m %Y",
                           description="Leave blank for 12 months from today.",
                           validators=[Optional()])
    conditions = FieldList(FormField(ConditionForm), max_entries=MAX_CONDITIONS)
    submit = SubmitField("Record decision", widget=GovSubmitInput())


def inspector_choices() -> list[SelectChoice]:
    """Active inspectors, for the select that assigns one to an application."""
    inspectors = db.session.scalars(sa.select(User).where(
        User.role == Role.INSPECTOR, User.is_active).order_by(User.full_name))
    return [SelectChoice("", "Choose an inspector")] + [
        SelectChoice(str(user.id), user.full_name) for user in inspectors]


# --- tablet inspection pages: one small form per checklist item --------------------------------

YES_NO = [("yes", "Yes"), ("no", "No")]
GRADE_CHOICES = [(choice.value, choice.label) for choice in GRADES]


def answer_choices(item: Item) -> list[tuple[str, str]]:
    """The one-tap answers of a yes/no or graded item (value, label); none for typed answers."""
    if item.answer_type not in ("yes_no", "graded"):
        return []
    choices = list(YES_NO if item.answer_type == "yes_no" else GRADE_CHOICES)
    if item.allow_not_applicable:
        choices.append((NOT_APPLICABLE, "Not applicable"))
    return choices


def answer_label(item: Item, value) -> str:
    """An answer as the inspector chose it ("Yes", "2 – adequate"); "Not answered" for none."""
    if value is None or value == "":
        return "Not answered"
    labels = dict(answer_choices(item))
    text = labels.get(str(value), str(value))
    if item.answer_type == "number" and item.unit:
        text += f" {item.unit}"
    return text


def parse_answer(item: Item, raw: str | None):
    """The value a posted answer stands for, typed as the checklist answers are (graded and
    number items as numbers); ``None`` for a blank. Raises ``ValueError`` for a value that
    is not one of the item's answers."""
    raw = (raw or "").strip()
    if not raw:
        return None
    choices = answer_choices(item)
    if choices:
        if raw not in dict(choices):
            raise ValueError(f"{item.title}: choose one of the answers")
        return int(raw) if item.answer_type == "graded" and raw.isdigit() else raw
    if item.answer_type == "number":
        number, problem = item.number_rule.read(raw, item.title)
        if problem:
            raise ValueError(problem)
        return as_plain(number)
    return raw


class TimeField(StringField):
    """A time of day typed as people write it ("9:30am", "14:30", "2pm": ``visits.read_time``);
    blank is None."""

    widget = GovTextInput()

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return visits.time_text(self.data) if self.data else ""

    def process_formdata(self, valuelist):
        self.raw_data = [valuelist[0] if valuelist else ""]
        self.data = None
        self.data = visits.read_time(self.raw_data[0])


class VisitForm(Form):
    """When a property is visited: the date, the start time and how long it may take."""

    field_names = {"minutes": "The expected length"}

    visit_on = DayMonthYearField("Visit date", what="The visit date",
                                 description="For example, 27 3 2027")
    starts = TimeField("Start time", description="For example, 9:30am or 14:30")
    minutes = NumberField("Expected length in minutes (optional)",
                          invalid=visits.LENGTH.not_a_number("The expected length"),
                          rule=visits.LENGTH, what="The expected length",
                          description="For example, 90 for an hour and a half")
    save_visit = SubmitField("Save visit", widget=GovSubmitInput())
