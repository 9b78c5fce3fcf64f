"""The ``accreditation`` command's own commands, added to the app's CLI by ``register_commands``
(the command itself, Flask's CLI with the app loaded, is ``command.py``)."""

from __future__ import annotations

import copy
import functools
import json
import sys
from pathlib import Path

import click
import sqlalchemy as sa
from flask import Flask, current_app, g
from flask.cli import with_appcontext

from .errors import DomainError, ValidationFailed
from .periodic import once_at_a_time


def _read_password(confirm: bool = True) -> str:
    """The password from standard input: a prompt on a terminal, the first line otherwise."""
    if sys.stdin.isatty():
        return click.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    line = sys.stdin.readline()
    return line.rstrip("\r\n")


@click.group("users", help="Manage user accounts.")
def users_group() -> None:
    pass


@users_group.command("create")
@click.option("--email", required=True, help="Email address (the sign-in name).")
@click.option("--role", required=True,
              type=click.Choice(["commissioner", "inspector", "social_worker", "provider"]),
              help="What the user may do.")
@click.option("--name", "full_name", default=None, help="Full name (defaults to the email).")
@click.option("--council", "council_name", default=None,
              help="Council name (required for social workers).")
@click.option("--organisation", "organisation_name", default=None,
              help="Provider organisation name (required for providers).")
def create_user_command(email, role, full_name, council_name, organisation_name):
    """Create a user; the password is read from standard input (never an argument)."""
    from .auth import operations
    from .auth.models import Role
    from .councils import Council
    from .extensions import db
    from .providers.models import Organisation

    council = organisation = None
    if council_name:
        council = db.session.scalar(sa.select(Council).where(Council.name == council_name))
        if council is None:
            raise click.ClickException(f"No council is called {council_name!r}.")
    if organisation_name:
        organisation = db.session.scalar(
            sa.select(Organisation).where(Organisation.name == organisation_name))
        if organisation is None:
            raise click.ClickException(f"No organisation is called {organisation_name!r}.")
    password = _read_password()
    try:
        user = operations.create_user(
            email=email, full_name=full_name or email, role=Role(role), password=password,
            council=council, organisation=organisation,
        )
    except ValidationFailed as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Created {user.role.label.lower()} {user.email} (id {user.id}).")


@users_group.command("reset-authenticator")
@click.option("--email", "emails", multiple=True,
              help="Whose authenticator app to remove (repeat for several people).")
@click.option("--all", "everyone", is_flag=True,
              help="Everyone's (after ACCREDITATION_DATA_KEYS was lost).")
def reset_authenticator_command(emails, everyone):
    """Remove authenticator apps: each person sets up a new one at their next sign-in.
    Signs them out everywhere and removes their recovery codes; audited."""
    from .auth import operations

    if bool(emails) == everyone:
        raise click.UsageError("Give --email (one or more) or --all.")
    try:
        reset = operations.reset_authenticators_from_command_line(
            None if everyone else list(emails))
    except ValidationFailed as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Authenticator apps removed: {len(reset)}"
               + (f" ({', '.join(reset)})." if reset else "."))


@click.group("audit", help="The audit trail.")
def audit_group() -> None:
    pass


@audit_group.command("verify")
def audit_verify_command():
    """Check the hash chain; exits 1 naming the first broken event."""
    from . import audit

    result = audit.verify()
    if result.ok:
        click.echo(result.message())
        return
    click.echo(result.message(), err=True)
    sys.exit(1)


@audit_group.command("repeats")
@click.option("--days", default=1, show_default=True, type=click.IntRange(1),
              help="Refusals seen in the last this many days.")
def audit_repeats_command(days: int):
    """Refusals repeated without signing in (forms without their token, attempts while
    throttled, ended sessions and withdrawn tokens sent again): how often each came from each
    client, and the chained event that recorded the first. Kept for 90 days."""
    from datetime import timedelta

    from . import audit
    from .database import utcnow

    for repeat in audit.repeats_since(utcnow() - timedelta(days=days)):
        times = f"{repeat.times} time{'s' if repeat.times != 1 else ''}"
        chained = f"event {repeat.event_seq}" if repeat.event_seq else "not chained"
        subject = f" ({repeat.subject})" if repeat.subject else ""
        click.echo(f"{repeat.first_at:%Y-%m-%d %H:%M:%S} to {repeat.last_at:%Y-%m-%d %H:%M:%S} "
                   f"UTC, {times}: {repeat.action} from {repeat.client}, {repeat.route}, "
                   f"{repeat.reason}{subject}; {chained}")


@click.group("councils", help="Councils: the local authorities in England, and the "
                                "consortium's members.")
def councils_group() -> None:
    pass


@councils_group.command("load")
@with_appcontext
def councils_load_command():
    """Bring the councils up to the list of local authorities in England this release ships
    (accreditation/data/local_authorities.csv): add the missing ones, none a member, and
    rename any ONS renamed. Idempotent; audited. ``db upgrade`` does it too."""
    _load_local_authorities()


def _load_local_authorities() -> None:
    from .admin.operations import load_local_authorities
    from .councils import ReferenceListError

    try:
        result = load_local_authorities()
    except ReferenceListError as error:
        raise click.ClickException(str(error)) from None
    click.echo(result.message())


@click.command("demo-data")
def demo_data_command():
    """Load the demo consortium (idempotent: running it again changes nothing)."""
    from . import demo

    created = demo.load()
    click.echo(f"Demo data ready ({created} records created).")
    click.echo("Demo sign-ins (password for all: " + demo.DEMO_PASSWORD + "):")
    for role, email in demo.DEMO_LOGINS:
        click.echo(f"  {role:<14} {email}")
    click.echo("Commissioners and inspectors also enter a code from an authenticator app set up "
               f"with the key {demo.DEMO_TOTP_SECRET} (the demo's code page shows it too).")


@click.command("health")
def health_command():
    """The health check's details as JSON (database and migrations, evidence storage and
    scanner, data keys, outbox); exits 1 when something is unavailable."""
    from .main.health import details

    result = details()
    click.echo(json.dumps(result, indent=2))
    if result["status"] != "ok":
        sys.exit(1)


@click.group("decisions", help="The records decisions rest on.")
def decisions_group() -> None:
    pass


@decisions_group.command("verify")
@with_appcontext
def decisions_verify_command():
    """Re-score every stored assessment under its pinned checklist version and threshold
    step; exits 1 naming each assessment whose stored result differs."""
    from .standards.verification import verify_assessments

    verification = verify_assessments()
    for found in verification.differences:
        click.echo(found.message(), err=True)
    if not verification.ok:
        click.echo(verification.message(), err=True)
        sys.exit(1)
    click.echo(verification.message())


@decisions_group.command("bundle")
@click.option("--case", "case_id", type=int, required=True, help="The application's number.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True, path_type=Path),
              required=True, help="The zip file to write.")
@click.option("--with-evidence", is_flag=True, help="Put the evidence files in too.")
@with_appcontext
def decisions_bundle_command(case_id: int, output: Path, with_evidence: bool):
    """Write the decision bundle of an application: its letters, checklist versions,
    assessments, file samples, evidence manifest and audit events, with their SHA-256."""
    from .cases import operations
    from .cases.models import Case
    from .extensions import db

    case = db.session.get(Case, case_id)
    if case is None:
        raise click.ClickException(f"There is no application {case_id}.")
    base = current_app.config["BASE_URL"] or "http://localhost"
    try:
        with current_app.test_request_context("/", base_url=base):
            data = operations.take_bundle(None, case, with_evidence=with_evidence)
    except DomainError as error:
        raise click.ClickException(f"{error.title}: {error.message}") from None
    output.write_bytes(data)
    click.echo(f"Wrote {output} ({len(data)} bytes) for {case.reference}.")


@decisions_group.command("verify-bundle")
@click.argument("bundle_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def decisions_verify_bundle_command(bundle_file: Path):
    """Check a decision bundle offline (no database, no settings): every file against the
    manifest, checklist fingerprints, assessments re-scored, file samples redrawn, audit events
    recomputed and linked up. Exits 1 naming the first thing that does not hold."""
    from .cases.bundle import BundleProblem, verify

    try:
        checked = verify(bundle_file.read_bytes())
    except BundleProblem as problem:
        click.echo(f"The bundle does not hold: {problem}", err=True)
        sys.exit(1)
    click.echo(checked.message())


@click.group("notifications", help="Outgoing e-mail.")
def notifications_group() -> None:
    pass


@notifications_group.command("send")
@once_at_a_time("notifications send")
def notifications_send_command():
    """Send queued e-mails over SMTP (or print them when no SMTP host is set).

    Safe to run from cron on every host: one run at a time sends, another says so and ends."""
    from .notifications.outbox import send_due

    sent, failed = send_due()
    click.echo(f"Sent {sent} message(s); {failed} failed.")
    if failed:
        sys.exit(1)


@click.command("tick")
@click.option("--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Act as if it were this date (YYYY-MM-DD); default: today.")
@once_at_a_time("tick")
def tick_command(today):
    """Periodic work: expiries, reminders, re-inspections, threshold steps, overdue returns.

    Idempotent: safe to run from cron on every host, as often as you like (one run at a time
    does the work; another started meanwhile says so and ends)."""
    from . import clock
    from .cases.lifecycle import tick

    report = tick(today.date() if today else clock.today())
    for line in report.lines():
        click.echo(line)


@click.group("tokens", help="API tokens (bearer tokens for /api/v1).")
def tokens_group() -> None:
    pass


@tokens_group.command("create")
@click.option("--email", required=True, help="The user the token acts as.")
@click.option("--name", default="API token", help="What uses the token, e.g. 'Camden case system'.")
def create_token_command(email: str, name: str):
    """Create a token; it is printed once and never stored."""
    from .auth.models import User
    from .auth.tokens import create_token
    from .extensions import db

    user = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if user is None:
        raise click.ClickException(f"No user has the email address {email}.")
    try:
        record, token = create_token(user, name)
    except ValidationFailed as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Token {record.id} for {user.email} ({user.role.label.lower()}):")
    click.echo(token)
    click.echo("Keep it secret: it is shown only now.")


@tokens_group.command("revoke")
@click.option("--id", "token_id", required=True, type=int)
def revoke_token_command(token_id: int):
    """Revoke a token at once."""
    from .auth.tokens import revoke_token
    from .errors import NotFound

    try:
        revoke_token(token_id)
    except NotFound as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Token {token_id} revoked.")


@click.group("keys", help="The keys that seal secrets in the database (ACCREDITATION_DATA_KEYS).")
def keys_group() -> None:
    pass


@keys_group.command("reseal")
def reseal_command():
    """Seal every sealed value again with the first key (after putting a new key first);
    the old key can then be dropped from ACCREDITATION_DATA_KEYS. Audited."""
    from . import audit
    from .auth.models import User
    from .extensions import db
    from .sealing import SealedValueError, reseal

    try:
        count = reseal(db.session.connection(), User.__table__.c.totp_secret)
    except SealedValueError as error:
        db.session.rollback()
        raise click.ClickException(str(error)) from None
    audit.record("keys.resealed", details={"sealed_values": count})
    db.session.commit()
    click.echo(f"{count} authenticator app secrets sealed with the first key.")


def _db_group() -> click.Group:
    """Flask-Migrate's ``db`` commands, but an ``upgrade`` that cannot migrate says why on
    standard error and exits 1 (a missing migrations folder, a database it cannot reach)."""
    from flask_migrate.cli import db as migrate_group

    group = copy.copy(migrate_group)  # the library's own group is left as it is
    group.commands = {**migrate_group.commands,
                      "upgrade": _checked_upgrade(migrate_group.commands["upgrade"])}
    return group


def _checked_upgrade(upgrade: click.Command) -> click.Command:
    @with_appcontext
    @functools.wraps(upgrade.callback)
    def checked(directory=None, **options):
        given = directory or g.get("directory")
        folder = Path(given or current_app.extensions["migrate"].directory)
        if not (folder / "env.py").is_file():
            raise click.ClickException(
                f"Cannot migrate the database: no migrations in {folder} (--directory)."
                if given else
                f"Cannot migrate the database: the migrations folder {folder} is missing, so "
                "this copy of accreditation is incomplete. Install it again from a checkout "
                "(pip install /path/to/checkout).")
        try:
            upgrade.callback(directory=directory, **options)
        except sa.exc.DBAPIError as error:
            url = sa.make_url(current_app.config["SQLALCHEMY_DATABASE_URI"])
            reason = str(error.orig).strip() or type(error.orig).__name__
            raise click.ClickException(
                f"Cannot migrate the database at {url.render_as_string(hide_password=True)} "
                f"(ACCREDITATION_DATABASE_URL): {reason}") from None
        if options.get("revision", "head") == "head" and not options.get("sql"):
            # The reference data of this release with its schema: a fresh installation
            # knows every local authority in England.
            _load_local_authorities()

    command = copy.copy(upgrade)
    command.callback = checked
    return command


def register_commands(app: Flask) -> None:
    from .backup import backup_command, restore_command
    from .evidence.cli import evidence_group
    from .standards.cli import checklists_group

    for command in (users_group, audit_group, decisions_group, councils_group, demo_data_command,
                    notifications_group, checklists_group, tick_command, tokens_group,
                    evidence_group, keys_group, health_command, backup_command,
                    restore_command):
        app.cli.add_command(command)
    app.cli.add_command(_db_group(), "db")  # in place of Flask-Migrate's
