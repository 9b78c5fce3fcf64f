"""The service navigation each role sees."""

from __future__ import annotations

from dataclasses import dataclass

from flask import url_for

from .auth.models import Role

NAVIGATION = {
    Role.PROVIDER: [("providers.home", "Your organisation"),
                    ("providers.application", "Your application"),
                    ("evidence.provider_evidence", "Evidence files"),
                    ("standards.provider_gap_report", "Coming standards"),
                    ("teams.team", "Your team")],
    Role.INSPECTOR: [("stages.inspector_home", "Your inspections"),
                     ("cases.case_list", "Applications"), ("register.home", "Register")],
    Role.COMMISSIONER: [
        ("admin.home", "Overview"), ("cases.case_list", "Applications"),
        ("admin.providers", "Providers"), ("standards.checklists", "Checklists"),
        ("admin.staff", "Staff"), ("register.home", "Register"),
        ("admin.audit_trail", "Audit trail"),
    ],
    Role.SOCIAL_WORKER: [("register.home", "Register"),
                         ("register.referral_checks", "Your referral checks")],
}


@dataclass(frozen=True)
class NavigationItem:
    endpoint: str
    text: str

    @property
    def href(self) -> str:
        return url_for(self.endpoint)


def navigation_items(user) -> list[NavigationItem]:
    return [NavigationItem(endpoint, text) for endpoint, text in NAVIGATION.get(user.role, [])]
