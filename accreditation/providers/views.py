"""The provider's pages: its organisation, properties and files, and its application.

Every view acts on the signed-in provider's own organisation; a record id from another
organisation answers 404 (``get_visible_or_404``, audited). Views parse the form, call one
operation and redirect, or show the operation's problems with a 400 (409 when the state of
the application forbids it).
"""

from __future__ import annotations

from collections.abc import Callable

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.routing import BuildError

from ..auth.models import Role, User
from ..auth.permissions import allow, get_visible_or_404
from ..cases import operations as case_operations
from ..cases.models import Case, Condition, ConditionStatus
from ..errors import Conflict, InvalidTransition, ValidationFailed
from ..evidence import requirements
from ..evidence.operations import is_downloadable
from ..evidence.views import required_evidence_url
from ..register import operations as vacancy_operations
from ..register.status import property_on_register
from ..stages.declarations import pounds_in_millions
from ..workflow import CaseStatus
from . import bp, operations
from .forms import (
    AddPersonForm,
    ConfirmForm,
    InsuranceAndPoliciesForm,
    LandlordForm,
    OrganisationDetailsForm,
    PropertyForm,
    RespondToConditionForm,
    ResubmitForm,
    RosterEntryForm,
    StartApplicationForm,
    SubmitApplicationForm,
    VacanciesForm,
    WithdrawForm,
    show_problems,
)
from .models import (
    FileType,
    Organisation,
    OrganisationPerson,
    Property,
    PropertyChange,
    RosterEntry,
    open_company_number_claim,
)

# Where each task of ``application_tasks`` is done.
TASK_PAGES = {
    "organisation": "providers.organisation_details",
    "properties": "providers.properties",
    "landlords": "providers.landlords",
    "insurance": "providers.insurance_and_policies",
    "rosters": "providers.rosters",
}


def _actor() -> User:
    return current_user._get_current_object()


def _organisation() -> Organisation:
    return operations.organisation_of(_actor())


def _handle(form: FlaskForm, operation: Callable[[], object],
            problems: Callable[[], dict[str, str]] | None = None) -> tuple[bool, int]:
    """Validate a submitted form and call its operation: (done, status to render with).

    When some answers could not even be read (a word for a number, an impossible date), the
    operation is not called; ``problems`` then finds what else is wrong with the answers
    that could be read, so that the person sees everything to fix at once.
    """
    if not form.is_submitted():
        return False, 200
    if not form.validate():
        for field_name, message in (problems() if problems else {}).items():
            field = getattr(form, field_name, None)
            if field is not None and not field.errors:
                field.errors = [message]
        return False, 400
    try:
        operation()
    except case_operations.ApplicationIncomplete as error:
        # Each missing section and document on its own, linked to where it is done.
        form.form_errors.extend([
            *[(f"Complete {task.title.lower()}", url_for(TASK_PAGES[task.key]))
              for task in error.sections],
            *[(piece.missing_message, required_evidence_url(piece))
              for piece in error.evidence]])
        return False, error.status_code
    except (ValidationFailed, InvalidTransition, Conflict) as error:
        show_problems(form, error)
        return False, error.status_code
    return True, 200


def _button(operation: Callable[[], object], success: str) -> None:
    """A button with nothing to fill in: the outcome is a message on the next page."""
    if not ConfirmForm().validate_on_submit():
        flash("Your form was incomplete. Try again.", "error")
        return
    try:
        operation()
    except (ValidationFailed, InvalidTransition, Conflict) as error:
        flash(error.message, "error")
    else:
        flash(success, "success")


def _evidence(organisation: Organisation, *sections: str,
              home: Property | None = None) -> dict:
    """What a section's page shows of the files it needs (for one property, or all)."""
    pieces = requirements.needed(organisation, sections=sections)
    if home is not None:
        pieces = [piece for piece in pieces if piece.home is not None and piece.home.id == home.id]
    return {"evidence": pieces, "downloadable": is_downloadable}


def case_url(case: Case) -> str:
    try:
        return url_for("cases.case_detail", case_id=case.id)
    except BuildError:  # without the staff side's case pages, their agreed address
        return f"/cases/{case.id}"


# --- home and the application ------------------------------------------------------------------

@bp.route("/")
@allow(Role.PROVIDER)
def home():
    organisation = _organisation()
    state = operations.application_state(organisation)
    conditions = operations.conditions_of(organisation)
    return render_template(
        "providers/home.html", organisation=organisation, state=state,
        start_form=StartApplicationForm(),
        case_page=case_url(state.case) if state.case else None,
        has_conditions=bool(conditions),
        open_conditions=[action for action in conditions
                         if action.status is not ConditionStatus.CONFIRMED],
        overdue_conditions=sum(action.is_overdue for action in conditions),
        claim=open_company_number_claim(organisation),
        notice=case_operations.notice_for_provider(state.case) if state.case else None)


@bp.route("/application/start", methods=["POST"])
@allow(Role.PROVIDER)
def start_application():
    if StartApplicationForm().validate_on_submit():
        try:
            case_operations.start_application(_actor())
        except InvalidTransition as error:
            flash(error.message, "error")
            return redirect(url_for("providers.home"))
    return redirect(url_for("providers.application"))


def _task_list(organisation: Organisation, state: operations.ApplicationState,
               resubmit_form: ResubmitForm, form: FlaskForm | None = None):
    return render_template(
        "providers/application.html", organisation=organisation, state=state,
        tasks=case_operations.application_tasks(organisation), task_pages=TASK_PAGES,
        resubmit_form=resubmit_form, form=form, case_page=case_url(state.case))


@bp.route("/application")
@allow(Role.PROVIDER)
def application():
    organisation = _organisation()
    state = operations.application_state(organisation)
    if not state.is_open:
        return redirect(url_for("providers.home"))  # nothing to show until one is started
    return _task_list(organisation, state, ResubmitForm(expected_version=state.case.version))


@bp.route("/application/resubmit", methods=["POST"])
@allow(Role.PROVIDER)
def resubmit():
    organisation = _organisation()
    state = operations.application_state(organisation)
    if not state.is_open:
        return redirect(url_for("providers.home"))
    form = ResubmitForm()
    done, status = _handle(form, lambda: case_operations.resubmit(
        _actor(), state.case, response=form.response.data, expected_version=form.version))
    if done:
        flash("Thank you. We have sent your answer to the assessors.", "success")
        return redirect(url_for("providers.application"))
    return _task_list(organisation, state, form, form=form), status


@bp.route("/application/submit", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def check_and_submit():
    organisation = _organisation()
    state = operations.application_state(organisation)
    if not state.is_draft:
        return redirect(url_for("providers.application"))
    form = SubmitApplicationForm(expected_version=state.case.version)
    done, status = _handle(form, lambda: case_operations.submit_application(
        _actor(), state.case, expected_version=form.version))
    if done:
        return redirect(url_for("providers.submitted"))
    return render_template(
        "providers/check_and_submit.html", organisation=organisation, form=form,
        declared_cover=pounds_in_millions, downloadable=is_downloadable,
        tasks=case_operations.application_tasks(organisation), task_pages=TASK_PAGES), status


@bp.route("/application/submitted")
@allow(Role.PROVIDER)
def submitted():
    state = operations.application_state(_organisation())
    if state.case is None or state.case.submitted_at is None:
        return redirect(url_for("providers.home"))
    return render_template("providers/submitted.html", case=state.case,
                           case_page=case_url(state.case))


@bp.route("/application/withdraw", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def withdraw():
    state = operations.application_state(_organisation())
    if not state.can_withdraw:
        return redirect(url_for("providers.home"))
    form = WithdrawForm(expected_version=state.case.version)
    done, status = _handle(form, lambda: case_operations.withdraw_application(
        _actor(), state.case, expected_version=form.version))
    if done:
        flash("Your application has been withdrawn.", "success")
        return redirect(url_for("providers.home"))
    return render_template("providers/withdraw.html", form=form, case=state.case), status


# --- organisation details and people -----------------------------------------------------------

def _organisation_page(organisation: Organisation, *, details_form=None, person_form=None,
                       form=None):
    return render_template(
        "providers/organisation.html", organisation=organisation,
        details_form=details_form or OrganisationDetailsForm(formdata=None, obj=organisation),
        person_form=person_form or AddPersonForm(formdata=None), form=form,
        frozen=operations.editing_frozen_reason(organisation),
        company_number_fixed=operations.company_number_fixed_reason(organisation),
        person_removable=operations.person_removable)


@bp.route("/organisation", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def organisation_details():
    organisation = _organisation()
    form = OrganisationDetailsForm(obj=organisation)
    # The number is sent only by the form that offers it (not while it is fixed).
    values = form.values(with_company_number="company_number" in request.form)
    done, status = _handle(form, lambda: operations.update_organisation_details(
        _actor(), **values), lambda: operations.organisation_details_problems(
        registered_office=values["registered_office"],
        ico_registration_number=values["ico_registration_number"]))
    if done:
        flash("Your organisation's details have been saved.", "success")
        return redirect(url_for("providers.organisation_details"))
    return _organisation_page(organisation, details_form=form,
                              form=form if form.is_submitted() else None), status


@bp.route("/organisation/people", methods=["POST"])
@allow(Role.PROVIDER)
def add_person():
    organisation = _organisation()
    form = AddPersonForm()
    done, status = _handle(form, lambda: operations.add_person(_actor(), **form.values()),
                           lambda: operations.person_problems(**form.values()))
    if done:
        flash("The person has been added.", "success")
        return redirect(url_for("providers.organisation_details"))
    return _organisation_page(organisation, person_form=form, form=form), status


@bp.route("/organisation/people/<int:person_id>/remove", methods=["POST"])
@allow(Role.PROVIDER)
def remove_person(person_id: int):
    person = get_visible_or_404(OrganisationPerson, person_id)
    _button(lambda: operations.remove_person(_actor(), person), "The person has been removed.")
    return redirect(url_for("providers.organisation_details"))


# --- properties --------------------------------------------------------------------------------

@bp.route("/properties")
@allow(Role.PROVIDER)
def properties():
    organisation = _organisation()
    missing: dict[int, int] = {}
    for piece in requirements.missing(organisation, sections=["properties"]):
        missing[piece.home.id] = missing.get(piece.home.id, 0) + 1
    return render_template("providers/properties.html", organisation=organisation,
                           frozen=operations.editing_frozen_reason(organisation),
                           vacancies_age=vacancy_operations.vacancies_age_text,
                           files_missing=missing)


@bp.route("/properties/new", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def add_property():
    organisation = _organisation()
    form = PropertyForm()
    done, status = _handle(form, lambda: operations.add_property(_actor(), form.details()),
                           lambda: operations.property_problems(form.details()))
    if done:
        flash(f"{form.name.data} has been added.", "success")
        return redirect(url_for("providers.properties"))
    return render_template("providers/property_form.html", form=form, property=None,
                           frozen=operations.editing_frozen_reason(organisation)), status


def _property_page(property_: Property, vacancies_form: VacanciesForm | None = None):
    return render_template(
        "providers/property.html", property=property_,
        frozen=operations.editing_frozen_reason(property_.organisation),
        in_use=operations.property_in_use(property_),
        vacancies_form=vacancies_form or VacanciesForm(
            formdata=None, property_=property_, vacancies=property_.vacancies),
        vacancies_age=vacancy_operations.vacancies_age_text(property_),
        changes=operations.changes_of(property_),
        form=vacancies_form,
        **_evidence(property_.organisation, "properties", "landlords", home=property_))


@bp.route("/properties/<int:property_id>")
@allow(Role.PROVIDER)
def property_detail(property_id: int):
    return _property_page(get_visible_or_404(Property, property_id))


@bp.route("/properties/<int:property_id>/vacancies", methods=["POST"])
@allow(Role.PROVIDER)
def update_vacancies(property_id: int):
    # Not application data: allowed while the application is being assessed too.
    property_ = get_visible_or_404(Property, property_id)
    form = VacanciesForm(property_=property_)
    done, status = _handle(form, lambda: vacancy_operations.set_vacancies(
        _actor(), property_, form.vacancies.data))
    if done:
        flash(f"Vacancies at {property_.name}: {property_.vacancies}.", "success")
        return redirect(url_for("providers.properties"))
    return _property_page(property_, form), status


@bp.route("/properties/<int:property_id>/edit", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def edit_property(property_id: int):
    property_ = get_visible_or_404(Property, property_id)
    form = PropertyForm(data=operations.details_as_asked(property_))
    done, status = _handle(form, lambda: operations.update_property(
        _actor(), property_, form.details()),
        lambda: operations.property_problems(form.details()))
    if done:
        if operations.pending_change_of(property_) is not None:
            flash(f"Your change to {property_.name} has been sent to the commissioning team "
                  "for approval. The register shows the details that were accredited until "
                  "then.", "success")
        else:
            flash(f"{property_.name} has been saved.", "success")
        return redirect(url_for("providers.property_detail", property_id=property_.id))
    return render_template(
        "providers/property_form.html", form=form, property=property_,
        on_register=property_on_register(property_),
        frozen=operations.editing_frozen_reason(property_.organisation)), status


@bp.route("/property-changes/<int:change_id>/withdraw", methods=["POST"])
@allow(Role.PROVIDER)
def withdraw_property_change(change_id: int):
    change = get_visible_or_404(PropertyChange, change_id)
    _button(lambda: operations.withdraw_property_change(_actor(), change),
            f"Your change to {change.home.name} has been withdrawn.")
    return redirect(url_for("providers.property_detail", property_id=change.property_id))


@bp.route("/properties/<int:property_id>/remove", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def remove_property(property_id: int):
    property_ = get_visible_or_404(Property, property_id)
    name = property_.name
    form = ConfirmForm()
    done, status = _handle(form, lambda: operations.remove_property(_actor(), property_))
    if done:
        flash(f"{name} has been removed.", "success")
        return redirect(url_for("providers.properties"))
    return render_template(
        "providers/remove_property.html", form=form, property=property_,
        in_use=operations.property_in_use(property_),
        frozen=operations.editing_frozen_reason(property_.organisation)), status


@bp.route("/landlord-arrangements")
@allow(Role.PROVIDER)
def landlords():
    organisation = _organisation()
    return render_template("providers/landlords.html", organisation=organisation,
                           frozen=operations.editing_frozen_reason(organisation),
                           **_evidence(organisation, "landlords"))


@bp.route("/properties/<int:property_id>/landlord", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def landlord_arrangements(property_id: int):
    property_ = get_visible_or_404(Property, property_id)
    form = LandlordForm(obj=property_)
    done, status = _handle(form, lambda: operations.set_landlord_arrangements(
        _actor(), property_, **form.values()),
        lambda: operations.landlord_problems(**form.values()))
    if done:
        flash(f"The arrangements for {property_.name} have been saved.", "success")
        return redirect(url_for("providers.landlords"))
    return render_template(
        "providers/landlord.html", form=form, property=property_,
        frozen=operations.editing_frozen_reason(property_.organisation)), status


# --- insurance and policies --------------------------------------------------------------------

@bp.route("/insurance-and-policies", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def insurance_and_policies():
    organisation = _organisation()
    form = InsuranceAndPoliciesForm.for_organisation(organisation)
    done, status = _handle(form, lambda: operations.set_insurance_and_policies(
        _actor(), **form.values()),
        lambda: operations.insurance_and_policies_problems(**form.values()))
    if done:
        flash("Your insurance and policies have been saved.", "success")
        return redirect(url_for("providers.application"))
    return render_template("providers/insurance.html", form=form,
                           frozen=operations.editing_frozen_reason(organisation),
                           **_evidence(organisation, "insurance")), status


# --- file rosters ------------------------------------------------------------------------------

@bp.route("/files", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def rosters():
    organisation = _organisation()
    form = RosterEntryForm()
    done, status = _handle(form, lambda: operations.add_roster_entry(_actor(), **form.values()),
                           lambda: operations.roster_entry_problems(organisation,
                                                                    **form.values()))
    if done:
        flash("The file has been added.", "success")
        return redirect(url_for("providers.rosters"))
    sections = [(file_type, [entry for entry in organisation.roster
                             if entry.file_type is file_type]) for file_type in FileType]
    return render_template(
        "providers/rosters.html", form=form, sections=sections,
        frozen=operations.editing_frozen_reason(organisation)), status


@bp.route("/files/<int:entry_id>/remove", methods=["POST"])
@allow(Role.PROVIDER)
def remove_roster_entry(entry_id: int):
    entry = get_visible_or_404(RosterEntry, entry_id)
    reference = entry.reference
    _button(lambda: operations.remove_roster_entry(_actor(), entry),
            f"File {reference} has been removed.")
    return redirect(url_for("providers.rosters"))


# --- conditions of accreditation ---------------------------------------------------------------

def _conditions_page(organisation: Organisation, failed: tuple[int, FlaskForm] | None = None):
    conditions = operations.conditions_of(organisation)
    forms = {
        condition.id: (failed[1] if failed and failed[0] == condition.id
                    else RespondToConditionForm(formdata=None, prefix=f"condition-{condition.id}",
                                                response=condition.response))
        for condition in conditions if condition.status is not ConditionStatus.CONFIRMED}
    return render_template("providers/conditions.html", conditions=conditions, forms=forms,
                           form=failed[1] if failed else None)


@bp.route("/conditions")
@allow(Role.PROVIDER)
def conditions():
    return _conditions_page(_organisation())


@bp.route("/conditions/<int:condition_id>/respond", methods=["POST"])
@allow(Role.PROVIDER)
def respond_to_condition(condition_id: int):
    condition = get_visible_or_404(Condition, condition_id)
    form = RespondToConditionForm(prefix=f"condition-{condition.id}")
    done, status = _handle(form, lambda: case_operations.respond_to_condition(
        _actor(), condition, response=form.response.data))
    if done:
        flash(f"Your response about '{condition.item_title}' has been sent to the inspectors.",
              "success")
        return redirect(url_for("providers.conditions"))
    return _conditions_page(_organisation(), (condition.id, form)), status


# Statuses shown with a coloured tag on the provider's pages.
STATUS_TAG_CLASSES = {
    CaseStatus.DRAFT: "govuk-tag--grey",
    CaseStatus.ACCREDITED: "govuk-tag--green",
    CaseStatus.REASSESSMENT_DUE: "govuk-tag--yellow",
    CaseStatus.SUSPENDED: "govuk-tag--orange",
    CaseStatus.REFUSED: "govuk-tag--red",
    CaseStatus.REVOKED: "govuk-tag--red",
    CaseStatus.EXPIRED: "govuk-tag--grey",
    CaseStatus.WITHDRAWN: "govuk-tag--grey",
    **{status: "govuk-tag--purple" for status in (
        CaseStatus.RETURNED_AT_DUE_DILIGENCE, CaseStatus.RETURNED_AT_FILE_SAMPLING,
        CaseStatus.RETURNED_AT_PROPERTY_INSPECTION)},
}


@bp.app_template_filter("provider_case_tag")
def provider_case_tag(case: Case) -> dict:
    """``govukTag`` parameters for a case's status (``Case.status_label``)."""
    return {"text": case.status_label,
            "classes": STATUS_TAG_CLASSES.get(case.status, "govuk-tag--blue")}


@bp.app_template_filter("millions")
def millions(value) -> str:
    """Cover in £ million as people write it: "£2.5 million", "£10 million"."""
    return operations.COVER.shown(value) if value is not None else "Not given"
