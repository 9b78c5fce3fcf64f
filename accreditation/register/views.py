"""The register's pages: search, a provider's entry, the CSV export of a search, and
referral checks. Views parse the request, call one operation (``operations``) or read, and
render or redirect."""

from __future__ import annotations

import csv
import io

from flask import redirect, render_template, request, url_for
from flask_login import current_user

from .. import clock
from ..auth.models import User
from ..auth.permissions import allow
from ..councils import Council
from ..downloads import attachment
from ..errors import NotFound, ValidationFailed
from ..extensions import db
from ..forms import show_error, whole_number
from ..providers.models import CATEGORY_LABELS, Organisation, Property
from ..routing import external_url
from . import bp
from .access import REGISTER_ROLES
from .details import provider_detail
from .forms import ReferralCheckForm, SearchForm
from .operations import (
    CHECKING_ROLES,
    EXPORT_LIMIT,
    NOT_FOUND,
    checks_by,
    export_search,
    get_check_for,
    record_referral_check,
    vacancies_age_text,
)
from .query import InvalidQuery, parse_query
from .search import search_providers
from .status import RegisterStatus, register_entry

# Characters that make a spreadsheet treat a cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _actor() -> User:
    return current_user._get_current_object()


def _page_url(page: int) -> str:
    args = request.args.to_dict(flat=False)
    args["page"] = [str(page)]
    return url_for("register.home", **args)


@bp.route("/")
@allow(*REGISTER_ROLES)
def home():
    form = SearchForm(formdata=request.args)
    page = query = None
    try:
        query = parse_query(request.args)
    except InvalidQuery as error:
        form.show_problems(error)
    else:
        page = search_providers(query)
    export_args = {key: value for key, value in request.args.items(multi=True)
                   if key not in ("page", "size")}
    return render_template(
        "register/home.html", title="Register of accredited providers", form=form, page=page,
        query=query, page_url=_page_url, vacancies_text=vacancies_age_text,
        export_url=url_for("register.export_csv", **export_args),
        filtered=any(value for key, value in request.args.items() if key not in ("sort", "page")))


@bp.route("/providers/<int:organisation_id>")
@allow(*REGISTER_ROLES)
def provider(organisation_id: int):
    detail = provider_detail(organisation_id, current_user)
    referral_check_url = url_for("register.referral_check", organisation_id=organisation_id)
    return render_template("register/provider.html", detail=detail, entry=detail.entry,
                           referral_check_url=referral_check_url,
                           vacancies_text=vacancies_age_text, today=clock.today())


# --- CSV -----------------------------------------------------------------------------------------

CSV_COLUMNS = ["Provider", "Register status", "Accredited until", "Property", "Town",
               "Postcode district", "Local authority", "Category", "Youngest age", "Oldest age",
               "Who it is for", "Bed spaces", "Vacancies", "Vacancies updated", "Register page"]


def safe_cell(value) -> str:
    """A cell a spreadsheet shows as text: formulas are defused with a leading apostrophe."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def _csv_rows(homes) -> list[list[str]]:
    councils = {council.id: council.name for council in db.session.query(Council)}
    rows = []
    for home in homes:
        rows.append([
            home.provider_name, home.status.label,
            home.expires_on.isoformat() if home.expires_on else "", home.name, home.town,
            home.postcode_district, councils.get(home.local_authority_id, ""),
            CATEGORY_LABELS[home.category], home.age_min, home.age_max, home.who_for,
            home.bed_spaces, home.vacancies,
            home.vacancies_updated_at.date().isoformat() if home.vacancies_updated_at else "",
            external_url("register.provider", organisation_id=home.organisation_id),
        ])
    return rows


@bp.route("/export.csv")
@allow(*REGISTER_ROLES)
def export_csv():
    """The properties a search finds, as CSV (town and postcode district, never addresses)."""
    query = parse_query(request.args, default_size=EXPORT_LIMIT, max_size=EXPORT_LIMIT)
    page = export_search(_actor(), query)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in _csv_rows(page.items):
        writer.writerow([safe_cell(cell) for cell in row])
    filename = f"register-{clock.today().isoformat()}.csv"
    return attachment("\ufeff" + buffer.getvalue(), filename, "text/csv")


# --- referral checks ---------------------------------------------------------------------------

def _register_page(organisation: Organisation) -> str:
    """The provider's page on the register, where the check is started from."""
    return url_for("register.provider", organisation_id=organisation.id)


def _organisation_or_404(organisation_id: int) -> Organisation:
    organisation = db.session.get(Organisation, organisation_id)
    if organisation is None:
        raise NotFound(NOT_FOUND)
    return organisation


@bp.route("/providers/<int:organisation_id>/referral-check", methods=["GET", "POST"])
@allow(*CHECKING_ROLES)
def referral_check(organisation_id: int):
    organisation = _organisation_or_404(organisation_id)
    entry = register_entry(organisation)
    properties = entry.properties if entry else ()
    form = ReferralCheckForm(properties=properties)
    status = 200
    if form.validate_on_submit():
        try:
            event = record_referral_check(_actor(), organisation,
                                          reference=form.reference.data,
                                          property_id=form.chosen_property_id())
        except ValidationFailed as error:
            show_error(form, error)
            status = 400
        else:
            return redirect(url_for("register.referral_check_record", check_id=event.id))
    elif form.is_submitted():
        status = 400
    return render_template(
        "register/referral_check.html", organisation=organisation, entry=entry,
        status=entry.status if entry else RegisterStatus.NOT_ACCREDITED,
        form=form, back=_register_page(organisation)), status


@bp.route("/referral-checks/<int:check_id>")
@allow(*CHECKING_ROLES)
def referral_check_record(check_id: int):
    check = get_check_for(_actor(), check_id)
    home = db.session.get(Property, check.property_id) if check.property_id else None
    return render_template("register/referral_check_record.html", check=check, home=home)


@bp.route("/referral-checks")
@allow(*CHECKING_ROLES)
def referral_checks():
    page = request.args.get("page", "1")
    page = whole_number(page, maximum=100_000) or 1
    checks, pages = checks_by(_actor(), page)
    return render_template("register/referral_checks.html", checks=checks, page=page,
                           pages=pages)
