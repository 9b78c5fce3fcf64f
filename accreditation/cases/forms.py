"""Forms of the notice of an adverse decision: the proposal, representations, its decision,
a request for a review and the review's outcome. They only read what was typed; the rules
are the operations' (``operations.propose``, ``decide_proposal``, ``decide_review``...)."""

from __future__ import annotations

from flask_wtf.file import FileField
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovFileInput,
    GovRadioInput,
    GovSubmitInput,
    GovTextArea,
)
from wtforms import HiddenField, RadioField, SelectMultipleField, SubmitField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..forms import Form, whole_number
from .operations import MAX_WRITTEN


def _written(label: str, *, missing: str, description: str) -> TextAreaField:
    """A required text box, up to the limit for what people write."""
    return TextAreaField(label, widget=GovTextArea(), description=description,
                         validators=[InputRequired(message=missing), Length(max=MAX_WRITTEN)])


def _optional_file() -> FileField:
    return FileField("Upload a file (optional)", widget=GovFileInput(),
                     description="A PDF, photo or Office document.")


class _Versioned(Form):
    version = HiddenField()

    def expected_version(self) -> int | None:
        return whole_number(self.version.data)


class ProposalForm(_Versioned):
    field_names = {"items": "The checklist items"}
    items = SelectMultipleField(
        "Checklist items the proposal rests on", widget=GovCheckboxesInput(), choices=[],
        description="Choose each item that did not meet the standard, if any. Say in the "
                    "reasons what else the proposal rests on, such as evidence.",
        validate_choice=False)  # the operation says which items there are
    reasons = _written(
        "Reasons", missing="Give the reasons for the proposal",
        description="The provider reads these in the notice.")
    submit = SubmitField("Send the notice", widget=GovSubmitInput())


class RepresentationsForm(Form):
    text = _written(
        "Your representations", missing="Enter your representations",
        description="Say why you disagree, what you have done or will do, and anything the "
                    "commissioner should know.")
    file = _optional_file()
    submit = SubmitField("Send representations", widget=GovSubmitInput())


class ProposalDecisionForm(_Versioned):
    decision = RadioField("Decision", widget=GovRadioInput(), choices=[
        SelectChoice("confirm", "Confirm the proposal"),
        SelectChoice("suspend_instead", "Suspend instead of revoking"),
        SelectChoice("withdraw", "Withdraw the proposal")],
        validators=[InputRequired(message="Choose a decision")])
    consideration = _written(
        "How each representation was considered",
        missing="Say how each representation was considered",
        description="The provider reads this with the decision. If none were made, say so.")
    submit = SubmitField("Record decision", widget=GovSubmitInput())


class ReviewRequestForm(Form):
    grounds = _written(
        "Your grounds for a review", missing="Enter your grounds for a review",
        description="Say why the decision should be looked at again.")
    file = _optional_file()
    submit = SubmitField("Ask for a review", widget=GovSubmitInput())


class ReviewDecisionForm(_Versioned):
    outcome = RadioField("Outcome of the review", widget=GovRadioInput(), choices=[
        SelectChoice("upheld", "Uphold the decision"),
        SelectChoice("overturned", "Overturn the decision")],
        validators=[InputRequired(message="Choose the outcome of the review")])
    reasons = _written(
        "Reasons", missing="Give the reasons for the review's outcome",
        description="The provider reads these.")
    submit = SubmitField("Record the review", widget=GovSubmitInput())
