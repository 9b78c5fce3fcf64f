"""Who may see the register, and who may see where the homes are: one place for both rules.

Property addresses of homes for vulnerable young people are sensitive. Only signed-in council
and consortium staff (the register's own audience) see them; the open data feed, CSV exports
and anything public show at most the town and postcode district.
"""

from __future__ import annotations

from ..auth.models import Role

REGISTER_ROLES = (Role.SOCIAL_WORKER, Role.COMMISSIONER, Role.INSPECTOR)


def may_see_addresses(user) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and user.role in REGISTER_ROLES


def address_lines(home, viewer) -> list[str]:
    """The property's address for ``viewer``: in full for council staff, else only roughly."""
    if may_see_addresses(viewer):
        return [line for line in (home.address_line_1, home.address_line_2, home.town,
                                  home.postcode) if line]
    return rough_location(home)


def rough_location(home) -> list[str]:
    """Town and postcode district only: safe wherever the address is not."""
    return [line for line in (home.town, home.postcode_district) if line]
