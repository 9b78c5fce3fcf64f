"""The provider's forms. They only turn what was typed into values (numbers, dates, choices);
every rule about those values lives in ``operations``, which reports all problems at once."""

from __future__ import annotations

import enum
from datetime import date
from decimal import Decimal

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCharacterCount,
    GovDateInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import Field, HiddenField, RadioField, SelectField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..errors import ValidationFailed
from ..forms import Form, NumberField, show_error, whole_number
from ..numbers import NotANumber, read_number
from . import operations
from .models import (
    CATEGORY_LABELS,
    KEY_POLICIES,
    AccommodationCategory,
    FileType,
    PersonRole,
    Tenure,
)
from .operations import PropertyDetails


def show_problems(form: FlaskForm, error: ValidationFailed) -> None:
    """Show every problem an operation found on the field it is about."""
    problems = getattr(error, "problems", None)
    if not problems:
        show_error(form, error)
        return
    for field_name, message in problems.items():
        show_error(form, ValidationFailed(message, field=field_name))


def _strip(value):
    return value.strip() if isinstance(value, str) else value


def _choice_value(value):
    """Enums and booleans from the database as the values the form's choices carry."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return value.value
    return value


def _as_text(value):
    return "" if value is None else str(value)


def _enum_or_none(kind: type[enum.Enum], value):
    try:
        return kind(value)
    except ValueError:
        return None


def _text(label: str, **kwargs) -> StringField:
    return StringField(label, widget=GovTextInput(), filters=[_strip], **kwargs)


class RadioInput(GovRadioInput):
    """GOV.UK radios without the empty hint the base widget adds when there is no description
    (it would be announced, and referenced by ``aria-describedby``, for nothing)."""

    def map_gov_params(self, field, **kwargs):
        params = super().map_gov_params(field, **kwargs)
        if not field.description:
            params.pop("hint", None)
        return params


def _radios(label: str, choices: list[SelectChoice], **kwargs) -> RadioField:
    # Choices are checked by the operation, with a message that says what to do.
    return RadioField(label, widget=RadioInput(), choices=choices, coerce=_choice_value,
                      validate_choice=False, **kwargs)


class WholeNumberField(Field):
    """A whole number typed in a text box (GOV.UK: not ``type=number``); blank is None."""

    widget = GovTextInput()

    def __init__(self, label=None, validators=None, *, invalid: str, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.invalid = invalid

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else str(self.data)

    def process_formdata(self, valuelist):
        self.data = None
        try:  # as a person writes a number: never "1e3", "1_000" or digits of other scripts
            value = read_number(valuelist[0] if valuelist else "")
        except NotANumber:
            raise ValueError(self.invalid) from None
        if value is not None and value != value.to_integral_value():
            raise ValueError(self.invalid)
        self.data = None if value is None else int(value)


class DateField(Field):
    """Day, month and year boxes sharing one name (what ``GovDateInput`` renders).

    Blank is None; a partly filled or impossible date gets the GOV.UK message naming
    ``what`` ("The date the lease ends must include a month").
    """

    widget = GovDateInput()  # the error summary links to its day box (``<name>-day``)

    def __init__(self, label=None, validators=None, *, what: str, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.what = what

    def _value(self) -> str:
        return ""  # the widget reads raw_data or data itself

    def process_formdata(self, valuelist):
        parts = [(value or "").strip() for value in list(valuelist)[:3]]
        parts += [""] * (3 - len(parts))
        self.raw_data = parts  # always three boxes, so the widget can show them again
        self.data = None
        if not any(parts):
            return
        missing = [name for name, part in zip(("day", "month", "year"), parts, strict=True)
                   if not part]
        if missing:
            raise ValueError(f"{self.what} must include a {' and a '.join(missing)}")
        day, month, year = parts
        if not all(part.isdigit() for part in parts):
            raise ValueError(f"{self.what} must be a real date")
        if len(year) != 4:
            raise ValueError("Year must include 4 numbers")
        try:
            self.data = date(int(year), int(month), int(day))
        except ValueError:
            raise ValueError(f"{self.what} must be a real date") from None


# --- organisation ------------------------------------------------------------------------------

class OrganisationDetailsForm(Form):
    company_number = _text(
        "Company number (optional)",
        description="The 8 characters Companies House gave your organisation, like 01234567 "
                    "or SC123456: it is on your certificate of incorporation. Leave blank if "
                    "your organisation is not registered with Companies House.")
    registered_office = StringField(
        "Registered office address", widget=GovTextArea(), filters=[_strip],
        description="The address registered with Companies House or the Charity Commission.",
    )
    ico_registration_number = _text(
        "ICO registration number",
        description="Your data protection registration number on the Information "
                    "Commissioner's Office register of fee payers, like ZA123456 or Z1234567.")
    save_details = SubmitField("Save details", widget=GovSubmitInput())

    def values(self, *, with_company_number: bool) -> dict:
        values = {"registered_office": self.registered_office.data,
                  "ico_registration_number": self.ico_registration_number.data}
        if with_company_number:
            values["company_number"] = self.company_number.data or ""
        return values


class CompanyNumberForm(Form):
    """A commissioner corrects an organisation's company number."""

    company_number = _text(
        "Company number",
        description="8 characters, like 01234567 or SC123456, as on the Companies House "
                    "register. Leave blank if the organisation is not registered with "
                    "Companies House.")
    save_company_number = SubmitField("Save company number", widget=GovSubmitInput())


class AddPersonForm(Form):
    full_name = _text("Full name")
    role = _radios("Role", [
        SelectChoice(PersonRole.DIRECTOR.value, PersonRole.DIRECTOR.label),
        SelectChoice(PersonRole.REGISTERED_MANAGER.value, PersonRole.REGISTERED_MANAGER.label),
    ], description="Your organisation has one registered manager: adding a new one replaces "
                   "the current one.")
    appointed_on = DateField("Date appointed (optional)", what="The date they were appointed",
                             description="For example, 27 3 2021")
    add_person = SubmitField("Add person", widget=GovSubmitInput())

    def values(self) -> dict:
        return {"full_name": self.full_name.data,
                "role": _enum_or_none(PersonRole, self.role.data),
                "appointed_on": self.appointed_on.data}


# --- properties --------------------------------------------------------------------------------

class PropertyForm(Form):
    name = _text("Property name", description="How you refer to it, like Albion House.")
    address_line_1 = _text("Address line 1")
    address_line_2 = _text("Address line 2 (optional)")
    town = _text("Town or city")
    postcode = _text("Postcode")
    local_authority_id = SelectField(
        "Local authority", widget=GovSelect(), coerce=_as_text, validate_choice=False,
        description="The council area the property is in, anywhere in England. In a "
                    "county with district councils, choose the district, like Chelmsford "
                    "(Essex).")
    category = _radios("Category of accommodation", [
        SelectChoice(category.value, label) for category, label in CATEGORY_LABELS.items()
    ], description="As defined by the Supported Accommodation (England) Regulations 2023.")
    bed_spaces = WholeNumberField("Number of bed spaces",
                                  invalid="The number of bed spaces must be a whole number, "
                                          "like 4")
    age_min = WholeNumberField("Youngest age", default=operations.YOUNGEST,
                               invalid="The youngest age must be a whole number, like 16")
    age_max = WholeNumberField("Oldest age", default=operations.OLDEST,
                               invalid="The oldest age must be a whole number, like 25")
    who_for = StringField(
        "Who the property is for", widget=GovCharacterCount(), filters=[_strip],
        description="For example, care leavers, or 16 and 17 year olds in care.")
    save_property = SubmitField("Save property", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.local_authority_id.choices = [SelectChoice("", "Select a local authority")] + [
            SelectChoice(str(council.id), council.area_name)
            for council in operations.local_authorities()]

    def details(self) -> PropertyDetails:
        council = self.local_authority_id.data or ""
        return PropertyDetails(
            name=self.name.data, address_line_1=self.address_line_1.data,
            address_line_2=self.address_line_2.data, town=self.town.data,
            postcode=self.postcode.data,
            local_authority_id=whole_number(council),
            category=_enum_or_none(AccommodationCategory, self.category.data),
            bed_spaces=self.bed_spaces.data, age_min=self.age_min.data,
            age_max=self.age_max.data, who_for=self.who_for.data,
        )


class VacanciesForm(Form):
    """How many vacancies a property has now (the label names the property)."""

    vacancies = WholeNumberField("How many vacancies does this property have now?",
                                 invalid="The number of vacancies must be a whole number, "
                                         "like 2")
    save_vacancies = SubmitField("Save vacancies", widget=GovSubmitInput())

    def __init__(self, *args, property_=None, **kwargs):
        super().__init__(*args, **kwargs)
        if property_ is not None:
            self.vacancies.label.text = f"How many vacancies does {property_.name} have now?"
            self.vacancies.description = (
                f"Between 0 and {property_.bed_spaces}. Social workers see this on the "
                "register: update it whenever it changes.")


class ConfirmForm(Form):
    """A button and its CSRF token: confirmation steps and remove buttons."""

    confirm = SubmitField("Confirm", widget=GovSubmitInput())


class LandlordForm(Form):
    tenure = _radios("Who owns the property?", [
        SelectChoice(tenure.value, tenure.label) for tenure in Tenure])
    landlord_name = _text("Landlord's name")
    lease_ends_on = DateField("Date the lease or management agreement ends",
                              what="The date the lease or agreement ends",
                              description="For example, 31 3 2028")
    landlord_consent = _radios(
        "Has the landlord agreed to the property being used for young people?",
        [SelectChoice("yes", "Yes"), SelectChoice("no", "No")])
    save_arrangements = SubmitField("Save arrangements", widget=GovSubmitInput())

    def values(self) -> dict:
        return {"tenure": _enum_or_none(Tenure, self.tenure.data),
                "landlord_name": self.landlord_name.data,
                "lease_ends_on": self.lease_ends_on.data,
                "landlord_consent": {"yes": True, "no": False}.get(self.landlord_consent.data)}


# --- insurance and policies --------------------------------------------------------------------

class InsuranceAndPoliciesForm(Form):
    insurer = _text("Insurer")
    public_liability_millions = NumberField(
        "Public liability cover, in millions of pounds",
        description="For example, 5 for £5 million, or 2.5 for £2.5 million.",
        invalid="Public liability cover must be a number of millions, like 5 or 2.5",
        millions=True)
    employers_liability_millions = NumberField(
        "Employer's liability cover, in millions of pounds",
        description="For example, 10 for £10 million, or 7.5 for £7.5 million.",
        invalid="Employer's liability cover must be a number of millions, like 10 or 7.5",
        millions=True)
    professional_indemnity_millions = NumberField(
        "Professional indemnity cover, in millions of pounds",
        description="For example, 2 for £2 million or 2.5 for £2.5 million. Enter 0 if you do "
                    "not have professional indemnity insurance.",
        invalid="Professional indemnity cover must be a number of millions, like 2 or 2.5",
        millions=True)
    insurance_expires_on = DateField("Date your insurance expires",
                                     what="The date your insurance expires",
                                     description="For example, 30 9 2027")

    def policy_fields(self) -> list[Field]:
        return [self[f"policy_{name}"] for name in KEY_POLICIES]

    def values(self) -> dict:
        return {
            "insurer": self.insurer.data,
            "public_liability_millions": self.public_liability_millions.data,
            "employers_liability_millions": self.employers_liability_millions.data,
            "professional_indemnity_millions": self.professional_indemnity_millions.data,
            "insurance_expires_on": self.insurance_expires_on.data,
            "policies_reviewed_on": {name: self[f"policy_{name}"].data for name in KEY_POLICIES},
        }

    @classmethod
    def for_organisation(cls, organisation, **kwargs) -> InsuranceAndPoliciesForm:
        reviewed = {f"policy_{policy.name}": policy.last_reviewed_on
                    for policy in organisation.policies}
        pounds = organisation.professional_indemnity_pounds
        cover = {"professional_indemnity_millions":
                 None if pounds is None else Decimal(pounds) / 1_000_000}
        return cls(obj=organisation, data={**reviewed, **cover}, **kwargs)


# One date per key policy: the list of policies is data, so are the fields.
for _name, _title in KEY_POLICIES.items():
    setattr(InsuranceAndPoliciesForm, f"policy_{_name}", DateField(
        f"{_title}: last reviewed",
        what=f"The date your {_title[0].lower()}{_title[1:]} was last reviewed",
        description="Leave blank if you have not got this policy yet."))
InsuranceAndPoliciesForm.save = SubmitField("Save insurance and policies",
                                            widget=GovSubmitInput())


# --- file rosters ------------------------------------------------------------------------------

class RosterEntryForm(Form):
    file_type = _radios("Type of file", [
        SelectChoice(file_type.value, file_type.label) for file_type in FileType])
    reference = _text(
        "File reference",
        description="Your own reference for the file, like STAFF-014 or YP-2024-07: letters, "
                    "numbers and hyphens only. Never use a name or an email address.")
    role = _text("Role", description="For staff, their job, like support worker. For young "
                                     "people, their placement, like care leaver.")
    started_on = DateField("Date they started", what="The date they started",
                           description="For example, 4 9 2025")
    add_file = SubmitField("Add file", widget=GovSubmitInput())

    def values(self) -> dict:
        return {"file_type": _enum_or_none(FileType, self.file_type.data),
                "reference": self.reference.data, "role": self.role.data,
                "started_on": self.started_on.data}


# --- the application ---------------------------------------------------------------------------

def _version_field() -> HiddenField:
    # The case version the person saw: an operation refuses to act on a case that changed since.
    return HiddenField(validators=[InputRequired(
        message="This page was out of date. Reload it and try again.")])


class CaseActionForm(Form):
    """A button that acts on the case as the person saw it."""

    @property
    def version(self) -> int | None:
        return whole_number(self.expected_version.data)


class StartApplicationForm(Form):
    start = SubmitField("Start an application", widget=GovSubmitInput())


class SubmitApplicationForm(CaseActionForm):
    submit = SubmitField("Submit application", widget=GovSubmitInput())
    expected_version = _version_field()


class WithdrawForm(CaseActionForm):
    withdraw = SubmitField("Withdraw application", widget=GovSubmitInput())
    expected_version = _version_field()


class ResubmitForm(CaseActionForm):
    response = StringField(
        "What you have sent or changed", widget=GovCharacterCount(), filters=[_strip],
        description="Say what you have changed in your application, or answer the question.")
    send = SubmitField("Send the information asked for", widget=GovSubmitInput())
    expected_version = _version_field()


class PropertyChangeDecisionForm(Form):
    """A commissioner's decision on a change to an accredited property."""

    decision = _radios("Do you approve this change?", [
        SelectChoice("approve", "Yes, approve it: the register shows the new details"),
        SelectChoice("refuse", "No, the register keeps the details that were accredited"),
    ])
    reasons = StringField("Reasons", widget=GovTextArea(), filters=[_strip],
                          description="Required if you do not approve the change. The "
                                      "provider reads them.")
    save_decision = SubmitField("Save decision", widget=GovSubmitInput())

    @property
    def approve(self) -> bool | None:
        return {"approve": True, "refuse": False}.get(self.decision.data)


class RespondToConditionForm(Form):
    response = StringField("What you have done", widget=GovCharacterCount(), filters=[_strip])
    send = SubmitField("Send response", widget=GovSubmitInput())
