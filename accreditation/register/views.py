from __future__ import annotations

from flask import render_template

from ..auth.models import Role
from ..auth.permissions import allow
from . import bp


@bp.route("/")
@allow(Role.SOCIAL_WORKER, Role.COMMISSIONER, Role.INSPECTOR)
def home():
    return render_template("register/home.html", providers=[])
