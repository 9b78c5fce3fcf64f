"""The register's search form: it only renders the fields; ``query.parse_query`` decides what
is valid (the same rules for the page, the CSV export and the JSON API)."""

from __future__ import annotations

import sqlalchemy as sa
from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovCheckboxInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice

from ..councils import Council
from ..extensions import db
from ..providers.models import CATEGORY_LABELS
from .query import FILTER_STATUSES, SORTS, InvalidQuery


class SearchForm(FlaskForm):
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
    vacancies = BooleanField("Only properties with vacancies now", widget=GovCheckboxInput(),
                             false_values=("", "no", "false", "0"))
    status = SelectMultipleField("Status", widget=GovCheckboxesInput(), choices=[
        SelectChoice(status.value, status.label) for status in FILTER_STATUSES])
    sort = SelectField("Sort by", widget=GovSelect(),
                       choices=[SelectChoice(value, label) for value, label in SORTS.items()])
    search = SubmitField("Search", widget=GovSubmitInput())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        councils = db.session.execute(sa.select(Council.id, Council.name)
                                      .order_by(Council.name)).all()
        self.local_authority.choices = [
            SelectChoice("", "Any local authority"),
            *[SelectChoice(str(id_), name) for id_, name in councils]]

    def show_problems(self, error: InvalidQuery) -> None:
        for name, message in error.problems.items():
            field = self._fields.get(name)
            if field is not None and name != "search":
                field.errors = [*(field.errors or []), message]
            else:
                self.form_errors.append(message)
