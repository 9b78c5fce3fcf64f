"""The register's forms. They only render the fields and turn what was typed into values:
``query.parse_query`` decides what a search may ask (the same rules for the page, the CSV
export and the JSON API), ``operations.record_referral_check`` what a referral check needs."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from ..councils import property_areas
from ..forms import Form, whole_number
from ..providers.models import CATEGORY_LABELS, Property
from .query import FALSE_VALUES, FILTER_STATUSES, SORTS, InvalidQuery


class YesCheckbox(BooleanField):
    """A checkbox that sends ``yes`` when ticked (WTForms' own sends ``y``), read with the
    query's spellings of yes and no."""

    def process_formdata(self, valuelist):
        self.data = bool(valuelist) and str(valuelist[0]).strip().lower() not in FALSE_VALUES

    def _value(self) -> str:
        return "yes"


class SearchForm(Form):
    class Meta:
        csrf = False  # a GET search changes nothing

    q = StringField("Provider, town or postcode district", widget=GovTextInput())
    local_authority = SelectField("Local authority", widget=GovSelect(), choices=[])
    category = SelectField("Category of accommodation", widget=GovSelect(), choices=[
        SelectChoice("", "Any category"),
        *[SelectChoice(category.value, label) for category, label in CATEGORY_LABELS.items()]])
    age = StringField("Age of the young person", widget=GovTextInput(),
                      description="From 16 to 25")
    who_for = StringField("Who it is for", widget=GovTextInput(),
                          description="For example, care leavers")
    vacancies = YesCheckbox("Only properties with vacancies now", widget=GovCheckboxInput())
    status = SelectMultipleField("Status", widget=GovCheckboxesInput(), choices=[
        SelectChoice(status.value, status.label) for status in FILTER_STATUSES])
    sort = SelectField("Sort by", widget=GovSelect(),
                       choices=[SelectChoice(value, label) for value, label in SORTS.items()])
    search = SubmitField("Search", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.local_authority.choices = [
            SelectChoice("", "Any local authority"),
            *[SelectChoice(str(council.id), council.area_name) for council in property_areas()]]

    def show_problems(self, error: InvalidQuery) -> None:
        for name, message in error.problems.items():
            field = self._fields.get(name)
            if field is not None and name != "search":
                field.errors = [*(field.errors or []), message]
            else:
                self.form_errors.append(message)


NO_PROPERTY = ""


class ReferralCheckForm(Form):
    reference = StringField(
        "Your reference for this referral", widget=GovTextInput(),
        description="Your own case number or referral number, up to 40 characters, like "
                    "CN-2026/0042, so you can find this check again. Never enter the young "
                    "person's name or other details about them.")
    property_id = SelectField("Property (optional)", widget=GovSelect(),
                              validate_choice=False, coerce=str)
    record = SubmitField("Record the check", widget=GovSubmitInput())

    def __init__(self, *args, properties: tuple[Property, ...] = (), **kwargs):
        super().__init__(*args, **kwargs)
        self.property_id.choices = [SelectChoice(NO_PROPERTY, "No particular property")] + [
            SelectChoice(str(home.id), f"{home.name}, {home.town} {home.postcode_district}")
            for home in properties]

    def chosen_property_id(self) -> int | None:
        raw = (self.property_id.data or "").strip()
        if raw == NO_PROPERTY:
            return None
        number = whole_number(raw)
        # -1 is never a property id: the operation says to pick one from the list.
        return -1 if number is None else number
