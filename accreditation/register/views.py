"""The register's pages: search, a provider's entry, and the CSV export of a search."""

from __future__ import annotations

import csv
import io
from dataclasses import replace

from flask import Response, current_app, render_template, request, url_for
from flask_login import current_user

from .. import audit, clock
from ..auth.permissions import allow
from ..extensions import db
from ..providers.models import CATEGORY_LABELS
from . import bp
from .access import REGISTER_ROLES
from .details import provider_detail
from .forms import SearchForm
from .query import InvalidQuery, parse_query
from .search import search_properties, search_providers

EXPORT_LIMIT = 5000
# Characters that make a spreadsheet treat a cell as a formula (OWASP's list).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _vacancies_text(home) -> str:
    from .vacancies import vacancies_age_text

    return vacancies_age_text(home)


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
        query=query, page_url=_page_url, vacancies_text=_vacancies_text,
        export_url=url_for("register.export_csv", **export_args),
        filtered=any(value for key, value in request.args.items() if key not in ("sort", "page")))


@bp.route("/providers/<int:organisation_id>")
@allow(*REGISTER_ROLES)
def provider(organisation_id: int):
    detail = provider_detail(organisation_id, current_user)
    referral_check_url = (
        url_for("register.referral_check", organisation_id=organisation_id)
        if "register.referral_check" in current_app.view_functions else None)
    return render_template("register/provider.html", detail=detail, entry=detail.entry,
                           referral_check_url=referral_check_url,
                           vacancies_text=_vacancies_text, today=clock.today())


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
    from ..councils import Council

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
            url_for("register.provider", organisation_id=home.organisation_id, _external=True),
        ])
    return rows


@bp.route("/export.csv")
@allow(*REGISTER_ROLES)
def export_csv():
    """The properties a search finds, as CSV (town and postcode district, never addresses)."""
    query = parse_query(request.args, default_size=EXPORT_LIMIT, max_size=EXPORT_LIMIT)
    query = replace(query, page=1, size=EXPORT_LIMIT)
    page = search_properties(query)
    audit.record("register.exported", actor=current_user, details={
        "query": query.describe(), "rows": len(page.items), "matching": page.total_items})
    db.session.commit()
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for row in _csv_rows(page.items):
        writer.writerow([safe_cell(cell) for cell in row])
    filename = f"register-{clock.today().isoformat()}.csv"
    return Response("\ufeff" + buffer.getvalue(), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Cache-Control": "no-store"})
