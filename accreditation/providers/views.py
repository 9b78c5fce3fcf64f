from __future__ import annotations

from flask import render_template
from flask_login import current_user

from ..auth.models import Role
from ..auth.permissions import allow, get_visible_or_404
from . import bp
from .models import Property


@bp.route("/")
@allow(Role.PROVIDER)
def home():
    organisation = current_user.organisation
    return render_template("providers/home.html", organisation=organisation)


@bp.route("/properties/<int:property_id>")
@allow(Role.PROVIDER)
def property_detail(property_id: int):
    property_ = get_visible_or_404(Property, property_id)
    return render_template("providers/property.html", property=property_)
