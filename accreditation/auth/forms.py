from __future__ import annotations

from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxInput,
    GovPasswordInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextInput,
)
from wtforms import (
    BooleanField,
    EmailField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Email, EqualTo, InputRequired, Length, Optional, Regexp

from ..forms import Form
from .passwords import MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH

PASSWORD_HINT = (
    f"At least {MIN_PASSWORD_LENGTH} characters. A few unrelated words make a strong password "
    "that is easy to remember."
)


def email_field(label="Email address", missing="Enter your email address"):
    return EmailField(
        label,
        widget=GovTextInput(),
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[InputRequired(message=missing),
                    Email(message="Enter an email address in the correct format, "
                                  "like name@example.org"),
                    Length(max=254)],
    )


def _new_password_fields(label="Create a password"):
    password = PasswordField(
        label,
        widget=GovPasswordInput(),
        description=PASSWORD_HINT,
        validators=[
            InputRequired(message="Enter a password"),
            Length(min=MIN_PASSWORD_LENGTH, max=MAX_PASSWORD_LENGTH,
                   message=f"Password must be between {MIN_PASSWORD_LENGTH} and "
                           f"{MAX_PASSWORD_LENGTH} characters"),
        ],
    )
    confirm = PasswordField(
        "Confirm password",
        widget=GovPasswordInput(),
        validators=[InputRequired(message="Confirm your password"),
                    EqualTo("password", message="Passwords must match")],
    )
    return password, confirm


class SignInForm(Form):
    email = email_field()
    password = PasswordField(
        "Password", widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=MAX_PASSWORD_LENGTH)],
    )
    submit = SubmitField("Sign in", widget=GovSubmitInput())


class RegisterProviderForm(Form):
    organisation_name = StringField(
        "Organisation name", widget=GovTextInput(),
        validators=[InputRequired(message="Enter your organisation's name"), Length(max=160)],
    )
    company_number = StringField(
        "Companies House number (optional)", widget=GovTextInput(),
        description="8 characters, for example 01234567 or SC123456. Leave blank if your "
                    "organisation is not a registered company.",
        validators=[Optional(), Regexp(r"^\s*[A-Za-z0-9]{8}\s*$",
                                       message="Enter a company number of 8 letters or numbers, "
                                               "like 01234567")],
    )
    full_name = StringField(
        "Your full name", widget=GovTextInput(),
        validators=[InputRequired(message="Enter your full name"), Length(max=120)],
    )
    email = email_field("Your work email address")
    password, confirm_password = _new_password_fields()
    submit = SubmitField("Create account", widget=GovSubmitInput())


class SendAgainForm(Form):
    submit = SubmitField("Send the email again", widget=GovSubmitInput())


class ConfirmRegistrationForm(Form):
    password = PasswordField(
        "Password", widget=GovPasswordInput(),
        description="The password you chose when you registered.",
        validators=[InputRequired(message="Enter your password"), Length(max=MAX_PASSWORD_LENGTH)],
    )
    submit = SubmitField("Confirm and continue", widget=GovSubmitInput())


class CompanyNumberDecisionForm(Form):
    # Which organisation keeps the number ("holder" or "claimant"): the operation checks it.
    keep = StringField()


class InviteStaffForm(Form):
    full_name = StringField(
        "Full name", widget=GovTextInput(),
        validators=[InputRequired(message="Enter their full name"), Length(max=120)],
    )
    email = email_field("Work email address", missing="Enter their work email address")
    role = RadioField(
        "Role", widget=GovRadioInput(),
        choices=[SelectChoice("inspector", "Inspector"),
                 SelectChoice("commissioner", "Commissioner"),
                 SelectChoice("social_worker", "Social worker")],
        validators=[InputRequired(message="Select a role")],
    )
    council_id = SelectField(
        "Council", widget=GovSelect(), coerce=str, choices=[],
        description="Required for social workers: the council they work for.",
        validators=[Optional()],
    )
    submit = SubmitField("Send invitation", widget=GovSubmitInput())


class AcceptInvitationForm(Form):
    password, confirm_password = _new_password_fields()
    submit = SubmitField("Activate account", widget=GovSubmitInput())


class ChangePasswordForm(Form):
    current_password = PasswordField(
        "Current password", widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your current password")],
    )
    password, confirm_password = _new_password_fields()
    submit = SubmitField("Change password", widget=GovSubmitInput())


def _code_field(label: str, hint: str):
    return StringField(
        label, widget=GovTextInput(), description=hint,
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
        validators=[InputRequired(message="Enter the code"), Length(max=40)],
    )


class SecondFactorForm(Form):
    code = _code_field(
        "Code from your authenticator app",
        "The 6-digit code your app shows now. If you cannot use your app, enter one of your "
        "recovery codes instead.")
    submit = SubmitField("Continue", widget=GovSubmitInput())


class AuthenticatorForm(Form):
    code = _code_field("Enter the 6-digit code your app now shows",
                       "The code changes every 30 seconds.")
    submit = SubmitField("Confirm and continue", widget=GovSubmitInput())


class ConfirmIdentityForm(Form):
    password = PasswordField(
        "Password", widget=GovPasswordInput(),
        validators=[InputRequired(message="Enter your password"), Length(max=MAX_PASSWORD_LENGTH)],
    )
    code = _code_field(
        "Code from your authenticator app",
        "The 6-digit code your app shows now, or one of your recovery codes.")
    submit = SubmitField("Continue", widget=GovSubmitInput())


# --- links about one's own account: a forgotten password, a new e-mail address -----------------

class ForgottenPasswordForm(Form):
    email = email_field()
    submit = SubmitField("Send the link", widget=GovSubmitInput())


class ResetPasswordForm(Form):
    password, confirm_password = _new_password_fields("New password")
    submit = SubmitField("Set new password", widget=GovSubmitInput())


class ChangeEmailForm(Form):
    email = email_field("New email address", missing="Enter your new email address")
    password = PasswordField(
        "Your password", widget=GovPasswordInput(),
        description="To check it is you.",
        validators=[InputRequired(message="Enter your password"), Length(max=MAX_PASSWORD_LENGTH)],
    )
    submit = SubmitField("Send a confirmation link", widget=GovSubmitInput())


class ConfirmEmailChangeForm(Form):
    submit = SubmitField("Confirm my new email address", widget=GovSubmitInput())


class CalendarLinkForm(Form):
    """An inspector makes a private link to a calendar of their visits."""

    with_addresses = BooleanField(
        "Include the properties' addresses in my calendar", widget=GovCheckboxInput(),
        description="Only if the calendar app you use is one the consortium allows for "
                    "providers' addresses: the addresses of young people's homes then leave "
                    "this service for it.")
    make_link = SubmitField("Make a calendar link", widget=GovSubmitInput())
