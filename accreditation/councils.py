"""Councils: the consortium's members, and the local authorities properties stand in."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from .extensions import db


class Council(db.Model):
    __tablename__ = "council"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    # ONS local authority code, e.g. E09000007 (Camden).
    ons_code: Mapped[str] = mapped_column(sa.String(9), unique=True)
    in_consortium: Mapped[bool] = mapped_column(default=True)

    def __repr__(self) -> str:
        return f"<Council {self.name}>"
