"""Forms of the standards workshop. They only turn what was typed into values; the rules about
a checklist's definition live in ``checklists/validation.py``, applied by ``drafts``."""

from __future__ import annotations

from decimal import Decimal

from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovFileInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..checklists import CATEGORIES, FILE_TYPES
from ..checklists.model import CONTEXT_FIELD
from ..forms import Form, NumberField
from ..numbers import NumberRule
from ..providers.forms import DateField
from ..providers.models import CATEGORY_LABELS

ANSWER_TYPE_LABELS = {
    "yes_no": "Yes or no",
    "graded": "Graded 0 to 3",
    "number": "A number",
    "free_text": "Written answer (not scored)",
}
FILE_TYPE_LABELS = {"staff": "Staff files", "young_person": "Young people's files"}
WEIGHT = NumberRule(Decimal(0), Decimal(100), 0, "")
PERCENT = NumberRule(Decimal(0), Decimal(100), 0, "%")
GRACE = NumberRule(Decimal(0), Decimal(730), 0, "days")
BOUND = NumberRule(Decimal(0), Decimal(1_000_000), 2, "")


class StartDraftForm(Form):
    start_from = RadioField("What do you want to start from?", widget=GovRadioInput(),
                            validators=[InputRequired()], choices=[])
    start = SubmitField("Start a draft", widget=GovSubmitInput())


class ImportDraftForm(Form):
    file = FileField(
        "Spreadsheet or YAML file", widget=GovFileInput(),
        description="An Excel workbook (.xlsx) or a YAML file, as downloaded from this service "
                    "and edited. Up to 5 MB.",
        validators=[FileRequired("Choose a spreadsheet or YAML file to import")])
    submit = SubmitField("Import as a new draft", widget=GovSubmitInput())


class DetailsForm(Form):
    title = StringField("Title", widget=GovTextInput(),
                        validators=[InputRequired(), Length(max=200)])
    description = StringField("Description (optional)", widget=GovTextArea(),
                              validators=[Length(max=4000)])
    save = SubmitField("Save", widget=GovSubmitInput())


class SectionForm(Form):
    id = StringField("Section id (optional)", widget=GovTextInput(), validators=[Length(max=64)],
                     description="Lower-case letters, digits and underscores. Leave it blank to "
                                 "make one from the title. It cannot be changed later.")
    title = StringField("Title", widget=GovTextInput(),
                        validators=[InputRequired(), Length(max=200)])
    description = StringField("Description (optional)", widget=GovTextArea(),
                              validators=[Length(max=4000)])
    save = SubmitField("Save", widget=GovSubmitInput())


class ItemForm(Form):
    field_names = {"text": "The question", "applies": "Where the item applies"}

    id = StringField("Item id (optional)", widget=GovTextInput(), validators=[Length(max=64)],
                     description="Lower-case letters, digits and underscores. Leave it blank to "
                                 "make one from the label. It cannot be changed later.")
    section = SelectField("Section", widget=GovSelect(), validators=[InputRequired()],
                          choices=[])
    label = StringField("Short label (optional)", widget=GovTextInput(),
                        validators=[Length(max=200)],
                        description="Used in reports. The question is used when it is blank.")
    text = StringField("Question", widget=GovTextArea(),
                       validators=[InputRequired(), Length(max=4000)])
    guidance = StringField("Guidance for inspectors (optional)", widget=GovTextArea(),
                           validators=[Length(max=4000)])
    answer_type = RadioField("Answer type", widget=GovRadioInput(), validators=[InputRequired()],
                             choices=[SelectChoice(value, label)
                                      for value, label in ANSWER_TYPE_LABELS.items()])
    weight = NumberField("Weight", invalid="Weight must be a whole number", rule=WEIGHT,
                         what="Weight", description="Written answers always weigh 0.")
    pass_grade = SelectField("Lowest grade that passes (graded items)", widget=GovSelect(),
                             choices=[SelectChoice(grade, grade) for grade in "0123"],
                             default="2")
    pass_min = NumberField("Lowest number that passes (number items, optional)",
                           invalid="The lowest number that passes must be a number",
                           rule=BOUND, what="The lowest number that passes")
    pass_max = NumberField("Highest number that passes (number items, optional)",
                           invalid="The highest number that passes must be a number",
                           rule=BOUND, what="The highest number that passes")
    unit = StringField("Unit (number items)", widget=GovTextInput(),
                       validators=[Length(max=40)], description="For example months or m²")
    critical = BooleanField("Critical: not meeting it fails the assessment",
                            widget=GovCheckboxInput())
    allow_not_applicable = BooleanField("Can be answered “not applicable”",
                                        widget=GovCheckboxInput())
    evidence_required = BooleanField("Evidence required", widget=GovCheckboxInput())
    photo_required = BooleanField("Photo required", widget=GovCheckboxInput())
    applies = SelectMultipleField("Applies to", widget=GovCheckboxesInput(), choices=[])
    save = SubmitField("Save", widget=GovSubmitInput())

    def set_choices(self, kind: str, sections: list[dict]) -> None:
        self.section.choices = [SelectChoice(s["id"], s.get("title") or s["id"])
                                for s in sections]
        if CONTEXT_FIELD[kind] is None:
            del self.applies
        else:
            self.applies.choices = applies_choices(kind)

    def fields_for(self, kind: str) -> dict:
        """What was typed, as ``drafts.add_item`` and ``change_item`` take it."""
        values = {name: self[name].data for name in (
            "id", "section", "label", "text", "guidance", "answer_type", "weight", "pass_grade",
            "pass_min", "pass_max", "unit", "critical", "allow_not_applicable",
            "evidence_required", "photo_required")}
        field = CONTEXT_FIELD[kind]
        if field is not None:
            values[field] = self.applies.data or []
        return values


def applies_choices(kind: str) -> list[SelectChoice]:
    """Where an item of ``kind`` can apply: accommodation categories or kinds of file."""
    field = CONTEXT_FIELD[kind]
    if field == "applies_to":
        return [SelectChoice(c.value, label) for c, label in CATEGORY_LABELS.items()
                if c.value in CATEGORIES]
    if field == "applies_to_files":
        return [SelectChoice(value, FILE_TYPE_LABELS[value]) for value in FILE_TYPES]
    return []


class StepFormBase(Form):
    field_names = {"effective_from": "The date the step takes effect"}

    effective_from = DateField("Takes effect from", what="The date the step takes effect",
                               validators=[InputRequired()])
    pass_mark = NumberField("Pass mark (%)", invalid="Pass mark must be a whole number",
                            rule=PERCENT, what="Pass mark", validators=[InputRequired()])
    grace_days = NumberField("Grace period for accredited providers (days)",
                             invalid="Grace period must be a whole number of days", rule=GRACE,
                             what="Grace period")
    critical_items = SelectMultipleField("Critical items", widget=GovCheckboxesInput(),
                                         choices=[])
    relaxation = BooleanField("This step lowers the standard (a relaxation)",
                              widget=GovCheckboxInput())
    reason = StringField("Reason for a relaxation", widget=GovTextArea(),
                         validators=[Length(max=4000)])
    save = SubmitField("Save", widget=GovSubmitInput())


def step_form_class(sections: list[dict]) -> type[StepFormBase]:
    """A step form with one minimum per section of the draft (``minimum_<section id>``)."""
    fields = {
        f"minimum_{section['id']}": NumberField(
            f"Minimum for {section.get('title') or section['id']} (%, optional)",
            invalid="A section minimum must be a whole number", rule=PERCENT,
            what="A section minimum")
        for section in sections
    }
    return type("StepForm", (StepFormBase,), fields)


def step_values(form: StepFormBase, sections: list[dict]) -> dict:
    return {
        "effective_from": form.effective_from.data,
        "pass_mark": form.pass_mark.data,
        "grace_days": form.grace_days.data,
        "critical_items": form.critical_items.data or [],
        "relaxation": form.relaxation.data,
        "reason": form.reason.data,
        "section_minimums": {section["id"]: form[f"minimum_{section['id']}"].data
                             for section in sections},
    }
