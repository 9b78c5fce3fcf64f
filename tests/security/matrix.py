"""Running the access matrix: the routes, the actors' clients, one request and what it meant."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from werkzeug.routing import Rule

from accreditation import create_app
from accreditation.audit import AuditEvent
from accreditation.extensions import db

from ..conftest import Client
from ..evidence.samples import pdf, png
from .access_table import PDF, PHOTO
from .world import ANONYMOUS, World

# HEAD and OPTIONS follow GET / Flask's own handling; these are the methods a rule declares.
METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def listed_routes() -> list[tuple[Rule, str]]:
    """Every (rule, method) of the app, known at collection time (no database needed)."""
    app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    pairs = [(rule, method) for rule in app.url_map.iter_rules()
             for method in METHODS if method in (rule.methods or ())]
    return sorted(pairs, key=lambda pair: (pair[1] in STATE_CHANGING, pair[0].rule, pair[1]))


def route_id(pair: tuple[Rule, str]) -> str:
    rule, method = pair
    return f"{method} {rule.rule}"


def is_api(rule: Rule) -> bool:
    return rule.rule.startswith("/api/")


# Links about one's own account carry tokens of their own (``token`` is an invitation's).
ACCOUNT_LINK_TOKENS = {"auth.reset_password": "reset_token",
                       "auth.confirm_email_change": "email_change_token"}


@dataclass
class Outcome:
    status: int
    location: str
    denials: int  # access.denied events written for this actor by the request
    text: str


@dataclass
class Matrix:
    """One world per database backend, and a signed-in browser for each actor."""

    app: object
    world: World
    clients: dict[str, Client] = field(default_factory=dict)
    csrf_tokens: dict[str, str] = field(default_factory=dict)

    def new_client(self, actor: str) -> Client:
        client = self.app.test_client()
        if actor != ANONYMOUS:
            client.sign_in(self.world.users[actor])
            self.csrf_tokens[actor] = client.csrf_token("/account/password")
        else:
            self.csrf_tokens[actor] = client.csrf_token("/sign-in")
        return client

    def client(self, actor: str, *, fresh: bool = False) -> Client:
        if fresh:
            # What a fresh browser does may end every session of its user (signing out, a
            # new password): the others sign in again when next used.
            self.clients.clear()
            return self.new_client(actor)
        if actor not in self.clients:
            self.clients[actor] = self.new_client(actor)
        return self.clients[actor]

    def url(self, rule: Rule) -> str:
        in_file = rule.rule.startswith("/inspections/files/")
        values = {name: self.world.ids["file_item_id" if in_file and name == "item_id" else name]
                  for name in rule.arguments}
        if rule.endpoint in ACCOUNT_LINK_TOKENS:
            values["token"] = self.world.ids[ACCOUNT_LINK_TOKENS[rule.endpoint]]
        return rule.build(values)[1]

    def row_counts(self) -> dict[str, int]:
        """Rows per table, leaving out what any request may write (the audit trail and its
        counts of repeated refusals, tokens' last use, sign-in throttling)."""
        skip = {"audit_event", "audit_chain_head", "audit_repeat", "api_token", "login_attempt"}
        counts = {table.name: db.session.scalar(sa.select(sa.func.count()).select_from(table))
                  for table in db.metadata.sorted_tables if table.name not in skip}
        db.session.rollback()
        return counts

    def denials_of(self, actor: str) -> int:
        if actor == ANONYMOUS:
            query = sa.select(sa.func.count()).where(AuditEvent.action == "access.denied",
                                                     AuditEvent.actor_id.is_(None))
        else:
            query = sa.select(sa.func.count()).where(
                AuditEvent.action == "access.denied",
                AuditEvent.actor_id == self.world.users[actor].id)
        return db.session.scalar(query.select_from(AuditEvent))

    def send(self, rule: Rule, method: str, actor: str, body: dict, *,
             fresh: bool = False, csrf: bool = True) -> Outcome:
        url = self.url(rule)
        before = self.denials_of(actor)
        if is_api(rule):
            client = self.app.test_client()  # no cookies: the API reads bearer tokens only
            kwargs = {"headers": self.world.bearer(actor)}
            if method in STATE_CHANGING:
                fields, multipart = with_files(body)
                kwargs["data" if multipart else "json"] = fields
        else:
            client = self.client(actor, fresh=fresh)
            kwargs = {"headers": {"Referer": "https://localhost/"}}
            if method in STATE_CHANGING:
                kwargs["data"], _ = with_files(body)
                if csrf:
                    kwargs["data"]["csrf_token"] = self.csrf_tokens[actor]
        response = client.open(url, method=method, **kwargs)
        text = response.get_data().decode("utf-8", errors="replace")
        response.close()
        db.session.rollback()
        return Outcome(response.status_code, response.headers.get("Location", ""),
                       self.denials_of(actor) - before, text)


def with_files(body: dict) -> tuple[dict, bool]:
    """Form fields with the file stand-ins replaced by files; and whether there were any."""
    files = {PDF: lambda: (io.BytesIO(pdf()), "evidence.pdf"),
             PHOTO: lambda: (io.BytesIO(png()), "photo.png")}
    fields = {name: files[value]() if isinstance(value, str) and value in files else value
              for name, value in body.items()}
    return fields, fields != body


def shows_a_stack_trace(text: str) -> bool:
    return bool(re.search(r"Traceback \(most recent call last\)|File \".*\.py\", line", text))
