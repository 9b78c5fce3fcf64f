"""The ``accreditation`` command line."""

import os
import subprocess
import sys

import pytest
import sqlalchemy as sa

from accreditation.auth.models import Role, User
from accreditation.auth.passwords import verify_password
from accreditation.extensions import db
from accreditation.providers.models import AccommodationCategory, Property

from .factories import CouncilFactory


def test_users_create_reads_the_password_from_stdin(runner):
    result = runner.invoke(args=["users", "create", "--email", "Boss@Example.org",
                                 "--role", "commissioner", "--name", "Priya Shah"],
                           input="a very long passphrase\n")
    assert result.exit_code == 0, result.output
    user = db.session.scalars(sa.select(User)).one()
    assert (user.email, user.role, user.full_name) == (
        "boss@example.org", Role.COMMISSIONER, "Priya Shah")
    assert verify_password(user.password_hash, "a very long passphrase")
    assert "a very long passphrase" not in result.output


@pytest.mark.parametrize("args, stdin, message", [
    (["--role", "commissioner"], "short\n", "12 characters or more"),
    (["--role", "administrator"], "a very long passphrase\n", "Invalid value for '--role'"),
    (["--role", "social_worker"], "a very long passphrase\n", "needs a council"),
    (["--role", "social_worker", "--council", "Atlantis"], "a very long passphrase\n",
     "No council is called"),
    (["--role", "provider"], "a very long passphrase\n", "needs an organisation"),
])
def test_users_create_refuses_bad_input_and_creates_nothing(runner, args, stdin, message):
    result = runner.invoke(args=["users", "create", "--email", "x@example.org", *args],
                           input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(sa.select(sa.func.count(User.id))) == 0


def test_users_create_a_social_worker_for_a_council(runner):
    CouncilFactory(name="Camden")
    result = runner.invoke(args=["users", "create", "--email", "sw@example.org", "--role",
                                 "social_worker", "--council", "Camden"],
                           input="a very long passphrase\n")
    assert result.exit_code == 0, result.output
    assert db.session.scalars(sa.select(User)).one().council.name == "Camden"


def test_users_create_refuses_a_second_account_with_the_same_email(runner):
    args = ["users", "create", "--email", "x@example.org", "--role", "inspector"]
    assert runner.invoke(args=args, input="a very long passphrase\n").exit_code == 0
    result = runner.invoke(args=args, input="a very long passphrase\n")
    assert result.exit_code != 0
    assert "already exists" in result.output


def test_demo_data_is_idempotent_and_covers_every_category_and_role(runner):
    first = runner.invoke(args=["demo-data"])
    assert first.exit_code == 0, first.output
    counts = {model: db.session.scalar(sa.select(sa.func.count(model.id)))
              for model in (User, Property)}
    second = runner.invoke(args=["demo-data"])
    assert "(0 records created)" in second.output
    assert counts == {model: db.session.scalar(sa.select(sa.func.count(model.id)))
                      for model in (User, Property)}
    categories = set(db.session.scalars(sa.select(Property.category)))
    assert categories == set(AccommodationCategory)
    assert set(db.session.scalars(sa.select(User.role))) == set(Role)
    from accreditation.audit import verify
    from accreditation.cases.models import Case
    from accreditation.workflow import CaseStatus

    assert set(db.session.scalars(sa.select(Case.status))) == set(CaseStatus)
    from accreditation.providers.models import PropertyChange, PropertyChangeStatus

    # A change to an accredited property for the demo commissioner to decide (asked once).
    assert db.session.scalars(sa.select(PropertyChange.status)).all() == [
        PropertyChangeStatus.PENDING]
    from accreditation.standards.models import ChecklistDraft

    # Property inspection version 2, a draft on the Checklists page (made once).
    assert [(draft.kind, draft.version) for draft in db.session.scalars(
        sa.select(ChecklistDraft))] == [("property_inspection", 2)]
    assert verify().ok
    for role in ("commissioner", "inspector", "social worker", "provider"):
        assert role in first.output


def test_demo_logins_work_for_every_role(runner, client):
    from accreditation.demo import DEMO_LOGINS, DEMO_PASSWORD

    runner.invoke(args=["demo-data"])
    for _, email in DEMO_LOGINS:
        user = db.session.scalars(sa.select(User).where(User.email == email)).one()
        client.sign_in(user, password=DEMO_PASSWORD)
        home = client.get("/", follow_redirects=True)
        assert home.status_code == 200
        assert user.full_name in home.text
        client.submit("/sign-out", form_page="/accessibility")


def test_the_console_script_is_the_flask_cli_with_the_app_loaded(tmp_path):
    env = {"ACCREDITATION_ENV": "development", "PATH": "/usr/bin:/bin",
           "ACCREDITATION_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.sqlite'}"}
    script = [sys.executable, "-c", "from accreditation.command import main; main()"]
    routes = subprocess.run([*script, "routes"], env=env, capture_output=True, text=True,
                            timeout=60)
    assert routes.returncode == 0, routes.stderr
    assert "/healthz" in routes.stdout
    upgraded = subprocess.run([*script, "db", "upgrade"], env=env, capture_output=True,
                              text=True, timeout=60)
    assert upgraded.returncode == 0, upgraded.stderr
    assert "Local authorities: 317 added" in upgraded.stdout
    loaded = subprocess.run([*script, "councils", "load"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert "0 added, 0 renamed, 317 already up to date" in loaded.stdout, loaded.stderr
    verified = subprocess.run([*script, "audit", "verify"], env=env, capture_output=True,
                              text=True, timeout=60)
    # Loading the local authorities is the one event (the second load changed nothing).
    assert "Audit chain intact: 1 events verified." in verified.stdout


def test_the_demo_provider_has_an_administrator_and_a_member(runner):
    from accreditation.demo import DEMO_LOGINS

    runner.invoke(args=["demo-data"])
    team = {user.email: user.is_organisation_administrator for user in db.session.scalars(
        sa.select(User).join(User.organisation).where(
            User.organisation.has(name="Harbour Lights Housing Ltd")))}
    assert team == {"provider@demo.example.org": True, "colleague@demo.example.org": False}
    assert "colleague@demo.example.org" in dict(DEMO_LOGINS).values()


@pytest.mark.parametrize("name, args", [
    ("tick", ["tick"]),
    ("notifications send", ["notifications", "send"]),
    ("evidence sweep", ["evidence", "sweep", "--older-than-minutes", "0"]),
])
def test_periodic_work_already_running_elsewhere_is_left_to_that_run(runner, name, args):
    """While another process (another host) holds the work's lock, a second run does nothing
    and ends with success; once the lock is free, it works again."""
    from accreditation.audit import AuditEvent
    from accreditation.notifications.outbox import OutboxMessage, queue_email
    from accreditation.periodic import exclusive

    queue_email(to="someone@example.org", subject="Queued", body="Waiting to be sent.")
    db.session.commit()
    other = subprocess.Popen(  # noqa: S603 (the lock held from another process)
        [sys.executable, "-c", HOLD_LOCK, db.engine.url.render_as_string(hide_password=False),
         name], stdout=subprocess.PIPE, stdin=subprocess.PIPE, text=True)
    try:
        assert other.stdout.readline().strip() == "held"
        result = runner.invoke(args=args)
        assert result.exit_code == 0, result.output
        assert f"accreditation {name} is already running" in result.output
        assert "--- To:" not in result.output
        db.session.rollback()
        assert db.session.scalars(sa.select(OutboxMessage.sent_at)).all() == [None]
        assert db.session.scalar(sa.select(sa.func.count(AuditEvent.id))) == 0
    finally:
        other.communicate("done\n", timeout=60)
    with exclusive(name) as held:
        assert held  # the other process ended: the lock went with it
    result = runner.invoke(args=args)
    assert result.exit_code == 0, result.output
    assert "already running" not in result.output


HOLD_LOCK = """
import sys
from accreditation import create_app
from accreditation.periodic import exclusive
app = create_app({"ENV_NAME": "testing", "SQLALCHEMY_DATABASE_URI": sys.argv[1]})
with app.app_context(), exclusive(sys.argv[2]) as held:
    print("held" if held else "not held", flush=True)
    sys.stdin.readline()
"""


def test_backup_and_restore_on_sqlite(tmp_path):
    """The embedded database is copied with SQLite's backup API, and restored into a new file
    only: a database in use is refused."""
    script = [sys.executable, "-c", "from accreditation.command import main; main()"]

    def run(database, *args):
        env = {"ACCREDITATION_ENV": "development", "PATH": "/usr/bin:/bin",
               "ACCREDITATION_DATABASE_URL": f"sqlite:///{tmp_path / database}",
               "ACCREDITATION_STORAGE_LOCAL_PATH": str(tmp_path / f"{database}-evidence"),
               **{name: value for name, value in os.environ.items() if name == "PYTHONPATH"}}
        return subprocess.run([*script, *args], env=env, capture_output=True, text=True,
                              timeout=120)

    assert run("live.sqlite", "db", "upgrade").returncode == 0
    evidence = tmp_path / "live.sqlite-evidence" / "evidence" / "2026" / "12" / ("a" * 32)
    evidence.parent.mkdir(parents=True)
    evidence.write_bytes(b"%PDF-1.4 stored")
    backed_up = run("live.sqlite", "backup", str(tmp_path / "backup"))
    assert backed_up.returncode == 0, backed_up.stderr
    assert "1 evidence object(s)" in backed_up.stdout

    restored = run("new.sqlite", "restore", str(tmp_path / "backup"))
    assert restored.returncode == 0, restored.stderr
    assert (tmp_path / "new.sqlite-evidence" / "evidence" / "2026" / "12" /
            ("a" * 32)).read_bytes() == b"%PDF-1.4 stored"
    verified = run("new.sqlite", "audit", "verify")
    assert "Audit chain intact: 1 events verified." in verified.stdout, verified.stderr
    refused = run("live.sqlite", "restore", str(tmp_path / "backup"))
    assert refused.returncode != 0
    assert "is not empty" in refused.stderr
