"""Evidence pages: a provider's files, an application's files for its staff, downloads, and
the photo upload an inspection page posts to.

Views parse the request, call one operation and render or redirect. Who may see or change a
file, what is accepted and when a file may be downloaded are decided in ``operations``.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Response as FlaskResponse
from flask import current_app, flash, redirect, render_template, request, url_for
from flask_login import current_user
from flask_wtf.file import FileField, FileRequired
from govuk_frontend_wtf.wtforms_widgets import GovFileInput, GovSelect, GovSubmitInput
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wsgi import wrap_file
from wtforms import HiddenField, SelectField, SubmitField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired

from ..auth.models import Role, User
from ..auth.permissions import allow, get_visible_or_404
from ..cases import access as case_access
from ..cases.models import Condition
from ..errors import Conflict, InvalidTransition, NotFound, NotPermitted, ValidationFailed
from ..extensions import db
from ..forms import Form, first_error, show_error
from ..providers.models import Property
from ..providers.operations import editing_frozen_reason
from . import bp, operations, requirements
from .filenames import content_disposition
from .models import Evidence, EvidencePurpose, ScanStatus
from .operations import NO_FILE_MESSAGE, describe_bytes

# A stored file is never a page: no scripts, no plugins, no framing, even if a browser were
# talked into rendering it.
SANDBOX_POLICY = "sandbox; default-src 'none'; frame-ancestors 'none'"
STREAM_BUFFER = 64 * 1024
ACCEPTED_HINT = ("A PDF, a photo (JPEG, PNG or HEIC), or a Word (.docx) or Excel (.xlsx) "
                 "file, smaller than {limit}.")
# What the actions on these pages may fail with; anything else is an error page.
EXPECTED = (ValidationFailed, InvalidTransition, Conflict)


class UploadForm(Form):
    purpose = SelectField(
        "What is the file?", widget=GovSelect(),
        choices=[SelectChoice("", "Choose what the file is")]
        + [SelectChoice(purpose.value, purpose.label) for purpose in EvidencePurpose],
        validators=[InputRequired("Choose what the file is")])
    file = FileField("Upload a file", widget=GovFileInput(),
                     validators=[FileRequired(NO_FILE_MESSAGE)])
    supersedes = HiddenField()
    upload = SubmitField("Upload file", widget=GovSubmitInput())


class PhotoForm(Form):
    next = HiddenField()
    file = FileField("Add a photo", widget=GovFileInput(),
                     validators=[FileRequired("Choose a photo to upload")])


class AttachmentResponse(FlaskResponse):
    """A stored file, sent as a download.

    Its protective headers are set as the response is sent, after every ``after_request``
    hook, so the site-wide page policy (which allows the site's own scripts) cannot replace
    the sandbox meant for files.
    """

    def get_wsgi_headers(self, environ):
        headers = super().get_wsgi_headers(environ)
        headers["Content-Security-Policy"] = SANDBOX_POLICY
        headers["X-Content-Type-Options"] = "nosniff"
        return headers


def safe_next(value: str | None) -> str | None:
    """``value`` if it is a path on this site (``/cases/3?tab=photos``), else ``None``.

    Refused: absolute and scheme-relative addresses (``https://evil.example``,
    ``//evil.example``, ``/\\evil.example``: browsers read a backslash as a slash), relative
    paths, and anything with control characters.
    """
    if not value or len(value) > 2000 or not value.startswith("/"):
        return None
    if "\\" in value or any(ord(character) < 0x20 or ord(character) == 0x7F
                            for character in value):
        return None
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return None
    return value


def _actor() -> User:
    return current_user._get_current_object()


def _number(value: int | str | None, what: str = "file") -> int:
    """An id from a form or address; anything else is a record we cannot find."""
    try:
        return int(value)
    except (TypeError, ValueError):
        raise NotFound(f"We could not find that {what}.") from None


def _record(evidence_id: int | str | None) -> Evidence:
    evidence = db.session.get(Evidence, _number(evidence_id))
    if evidence is None:
        raise NotFound("We could not find that file.")
    return evidence


@bp.app_template_filter("file_size")
def file_size(size: int) -> str:
    return describe_bytes(size)


def _provider_page(form: UploadForm, replacing: Evidence | None, status: int = 200):
    organisation = _actor().organisation
    limit = describe_bytes(current_app.config["EVIDENCE_MAX_BYTES"])
    return render_template(
        "evidence/provider.html", form=form, replacing=replacing,
        entries=operations.evidence_of(organisation),
        used=operations.used_bytes(organisation),
        quota=current_app.config["EVIDENCE_QUOTA_BYTES"],
        hint=ACCEPTED_HINT.format(limit=limit), **_permissions()), status


def _permissions() -> dict:
    """The operations' answers, for the templates to ask per file (never worked out there)."""
    actor = _actor()
    return {"downloadable": operations.is_downloadable,
            "changeable": lambda evidence: operations.can_change_evidence(actor, evidence)}


@bp.route("/", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def provider_evidence():
    actor = _actor()
    form = UploadForm()
    replace_id = form.supersedes.data if form.is_submitted() else request.args.get("replace")
    # ``get_visible_or_404``: another organisation's record is refused (and audited) as 404.
    replacing = get_visible_or_404(Evidence, _number(replace_id)) if replace_id else None
    if replacing is not None and not form.is_submitted():
        form.supersedes.data, form.purpose.data = str(replacing.id), replacing.purpose.value
    if not form.validate_on_submit():
        return _provider_page(form, replacing, 400 if form.is_submitted() else 200)
    try:
        evidence = operations.upload_provider_evidence(
            actor, form.file.data, purpose=form.purpose.data, supersedes=replacing)
    except EXPECTED as error:
        show_error(form, error)
        return _provider_page(form, replacing, error.status_code)
    flash_uploaded(evidence)
    return redirect(url_for("evidence.provider_evidence"), 303)


def flash_uploaded(evidence: Evidence) -> None:
    if operations.is_downloadable(evidence):
        flash(f"{evidence.display_filename} has been uploaded.", "success")
    elif evidence.scan_status is ScanStatus.INFECTED:
        flash(f"Our virus scanner found a threat in {evidence.display_filename}. It has been "
              "kept apart and cannot be downloaded. Check your computer, then upload a clean "
              "copy.", "error")
    else:
        flash(f"{evidence.display_filename} has been uploaded. It can be downloaded once it "
              "has been checked for viruses.", "success")


@bp.route("/cases/<int:case_id>")
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def case_evidence(case_id: int):
    case = case_access.case_for(_actor(), case_id)
    here = url_for("evidence.case_evidence", case_id=case.id)
    return render_template(
        "evidence/case.html", case=case, entries=operations.evidence_for_case(case), here=here,
        **_permissions())


@bp.route("/cases/<int:case_id>/photos", methods=["POST"])
@allow(Role.INSPECTOR, Role.COMMISSIONER)
def add_photo(case_id: int):
    """A photo of the application as a whole, from its evidence page; answers with a redirect
    back to ``next``, a path on this site. A checklist item's photo has one door, its
    inspection's (``stages.add_inspection_photo``, the tablet's and the API's): it is not
    taken here."""
    actor = _actor()
    case = case_access.case_for(actor, case_id)  # 404, audited, if not theirs
    form = PhotoForm()
    back = (safe_next(form.next.data) or safe_next(request.args.get("next"))
            or url_for("evidence.case_evidence", case_id=case.id))
    if request.form.get("item_id"):
        flash("Add a photo of a checklist question from the property's inspection page. "
              "Nothing was saved.", "error")
        return redirect(back, 303)
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return redirect(back, 303)
    try:
        evidence = operations.upload_evidence(
            actor, case.organisation, form.file.data, purpose=EvidencePurpose.PHOTO, case=case)
    except EXPECTED as error:
        flash(error.message, "error")
    else:
        flash_uploaded(evidence)
    return redirect(back, 303)


@bp.route("/<int:evidence_id>/download")
@allow(Role.PROVIDER, Role.INSPECTOR, Role.COMMISSIONER)
def download(evidence_id: int):
    result = operations.download(_actor(), _record(evidence_id))
    if result.url is not None:
        return redirect(result.url)  # a signed link that lives for a minute
    evidence = result.evidence
    response = AttachmentResponse(
        wrap_file(request.environ, result.stream, buffer_size=STREAM_BUFFER),
        mimetype=evidence.content_type, direct_passthrough=True)
    response.content_length = evidence.size_bytes
    response.headers["Content-Disposition"] = content_disposition(evidence.display_filename)
    return response


@bp.route("/<int:evidence_id>/remove", methods=["POST"])
@allow(Role.PROVIDER, Role.INSPECTOR, Role.COMMISSIONER)
def remove(evidence_id: int):
    actor = _actor()
    evidence = _record(evidence_id)
    name, case_id = evidence.display_filename, evidence.case_id
    try:
        operations.remove_evidence(actor, evidence)
    except (*EXPECTED, NotPermitted) as error:
        flash(error.message, "error")
    else:
        flash(f"{name} has been removed.", "success")
    back = safe_next(request.form.get("next"))
    if back is None:
        back = (url_for("evidence.provider_evidence") if actor.role is Role.PROVIDER or not case_id
                else url_for("evidence.case_evidence", case_id=case_id))
    return redirect(back, 303)


@bp.errorhandler(RequestEntityTooLarge)
def request_too_large(error):
    """The whole request is over ``MAX_CONTENT_LENGTH``: it was refused before being read,
    so nothing was stored. Say so in words, and offer the way back."""
    back = safe_next(request.args.get("next"))
    if back is None and request.endpoint == "evidence.add_photo":
        back = url_for("evidence.case_evidence", case_id=request.view_args["case_id"])
    return render_template(
        "evidence/too_large.html", title="The file is too large",
        limit=describe_bytes(current_app.config["EVIDENCE_MAX_BYTES"]),
        back=back or url_for("evidence.provider_evidence")), 413


class ConditionEvidenceForm(Form):
    file = FileField("Upload evidence", widget=GovFileInput(),
                     description="A PDF, photo or Office document showing what you did.",
                     validators=[FileRequired(NO_FILE_MESSAGE)])


@bp.route("/conditions/<int:condition_id>", methods=["POST"])
@allow(Role.PROVIDER)
def condition_evidence(condition_id: int):
    """A provider's evidence for a condition; back to its conditions page either way."""
    # Whose condition it is comes before anything about the form: another organisation's
    # condition answers exactly like a missing one, whatever was posted.
    condition = get_visible_or_404(Condition, condition_id)
    form = ConditionEvidenceForm()
    back = url_for("providers.conditions") + f"#condition-{condition.id}"
    if not form.validate_on_submit():
        flash(first_error(form), "error")
        return redirect(back, 303)
    try:
        evidence = operations.upload_condition_evidence(_actor(), condition, form.file.data)
    except EXPECTED as error:
        flash(error.message, "error")
        return redirect(back, 303)
    flash_uploaded(evidence)
    return redirect(back, 303)


# --- the evidence an application needs --------------------------------------------------------

class RequiredEvidenceForm(Form):
    file = FileField("Upload a file", widget=GovFileInput(),
                     validators=[FileRequired(NO_FILE_MESSAGE)])
    supersedes = HiddenField()
    upload = SubmitField("Upload file", widget=GovSubmitInput())


# Where each section of the application is done (``cases.operations.application_tasks``);
# a property's own files are on its page.
SECTION_PAGES = {
    "insurance": "providers.insurance_and_policies",
    "landlords": "providers.landlords",
    "properties": "providers.properties",
}


@bp.app_template_filter("requirement_title")
def requirement_title(key: str) -> str:
    """What a file was uploaded as ('Safeguarding policy'), for the lists of files."""
    found = requirements.requirement(key)
    return found.heading if found else key


@bp.app_template_global("required_evidence_url")
def required_evidence_url(piece: requirements.Needed, **values) -> str:
    """The page where ``piece`` is uploaded."""
    if piece.home is not None:
        return url_for("evidence.required_property_evidence", property_id=piece.home.id,
                       document=piece.key, **values)
    return url_for("evidence.required_evidence", requirement=piece.key, **values)


def section_url(piece: requirements.Needed) -> str:
    """The section of the application ``piece`` belongs to, at its place there."""
    if piece.home is not None and piece.requirement.section == "properties":
        page = url_for("providers.property_detail", property_id=piece.home.id)
    else:
        page = url_for(SECTION_PAGES[piece.requirement.section])
    return f"{page}#{piece.anchor}"


@bp.route("/required/<requirement>", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def required_evidence(requirement: str):
    return _required(requirement, None)


@bp.route("/properties/<int:property_id>/required/<document>", methods=["GET", "POST"])
@allow(Role.PROVIDER)
def required_property_evidence(property_id: int, document: str):
    """``document``: what the property needs (``requirements.REQUIREMENTS``, per property)."""
    # Another organisation's property is refused (and audited) as 404 before anything else.
    return _required(document, get_visible_or_404(Property, property_id))


def _required(key: str, home: Property | None):
    """A file for a piece of evidence a section needs: the GOV.UK file upload pattern, with
    what is uploaded for it (and a new version or removal while it can still change)."""
    actor = _actor()
    piece = requirements.piece(actor.organisation, key, home)
    if piece is None:
        raise NotFound("Your application does not need that file.")
    form = RequiredEvidenceForm()
    replace_id = form.supersedes.data if form.is_submitted() else request.args.get("replace")
    replacing = get_visible_or_404(Evidence, _number(replace_id)) if replace_id else None
    if replacing is not None and not form.is_submitted():
        form.supersedes.data = str(replacing.id)
    if not form.validate_on_submit():
        return _required_page(piece, form, replacing, 400 if form.is_submitted() else 200)
    try:
        evidence = operations.upload_required_evidence(actor, key, home, form.file.data,
                                                       supersedes=replacing)
    except EXPECTED as error:
        show_error(form, error)
        return _required_page(piece, form, replacing, error.status_code)
    flash_uploaded(evidence)
    return redirect(section_url(piece), 303)


def _required_page(piece: requirements.Needed, form: RequiredEvidenceForm,
                   replacing: Evidence | None, status: int):
    limit = describe_bytes(current_app.config["EVIDENCE_MAX_BYTES"])
    return render_template(
        "evidence/required.html", piece=piece, form=form, replacing=replacing,
        frozen=editing_frozen_reason(_actor().organisation), back=section_url(piece),
        here=required_evidence_url(piece), hint=ACCEPTED_HINT.format(limit=limit),
        **_permissions()), status
