from __future__ import annotations

from flask import render_template

from ..auth.models import Role
from ..auth.permissions import allow
from . import bp


@bp.route("/inspections/")
@allow(Role.INSPECTOR)
def inspector_home():
    return render_template("stages/inspector_home.html", inspections=[])
