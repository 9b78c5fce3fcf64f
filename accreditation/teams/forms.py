"""The form an organisation's administrator invites a colleague with."""

from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import GovRadioInput, GovSubmitInput, GovTextInput
from wtforms import HiddenField, RadioField, StringField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length

from ..auth.forms import email_field
from ..forms import Form

MEMBER, ADMINISTRATOR = "member", "administrator"


class InviteColleagueForm(Form):
    full_name = StringField(
        "Full name", widget=GovTextInput(),
        validators=[InputRequired(message="Enter their full name"), Length(max=120)],
    )
    email = email_field("Work email address", missing="Enter their work email address")
    access = RadioField(
        "What they can do", widget=GovRadioInput(),
        choices=[
            SelectChoice(MEMBER, "Member: works on the application, evidence, vacancies and "
                                 "conditions"),
            SelectChoice(ADMINISTRATOR, "Administrator: also invites colleagues and removes "
                                        "access"),
        ],
        validators=[InputRequired(message="Select what they can do")],
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class ChangeAccessForm(Form):
    """The button that makes a colleague an administrator, or a member."""

    access = HiddenField("What they can do")
