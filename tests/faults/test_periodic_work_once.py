"""``accreditation tick``, ``notifications send`` and ``evidence sweep`` started on two hosts
at the same moment do their work once: the same statuses, e-mails and audit events as one run,
every e-mail sent once, the orphaned files swept (and audited) once."""

from __future__ import annotations

import os
import subprocess
import time
import uuid
from pathlib import Path

import sqlalchemy as sa

from .stack import BIN, ROOT, app_environment, new_database
from .test_tick_interrupted import TODAY, audit_events, build, state

ORPHANS = 40


def started_together(command: list[str], environment: dict) -> list[str]:
    """Two runs of one command started at the same moment (as cron on two hosts); their output."""
    runs = [subprocess.Popen(  # noqa: S603 (our own command line)
        [str(BIN / "accreditation"), *command], cwd=ROOT, env=environment,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT) for _ in range(2)]
    outputs = [run.communicate(timeout=300)[0].decode() for run in runs]
    for run, output in zip(runs, outputs, strict=True):
        assert run.returncode == 0, output
    return outputs


def already_running(outputs: list[str]) -> int:
    return sum("is already running" in output for output in outputs)


def orphans(folder: Path) -> list[Path]:
    """Stored files no record names, written two hours ago (left by crashed uploads)."""
    written = time.time() - 2 * 3600
    files = []
    for number in range(ORPHANS):
        path = folder / "evidence" / "2026" / "11" / f"{number:032x}"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"%PDF-1.4 orphan")
        os.utime(path, (written, written))
        files.append(path)
    return files


def outbox_unsent(database: str) -> int:
    engine = sa.create_engine(database)
    try:
        with engine.connect() as connection:
            return connection.scalar(sa.text(
                "SELECT count(*) FROM outbox_message WHERE sent_at IS NULL"))
    finally:
        engine.dispose()


def test_periodic_work_started_on_two_hosts_at_once_is_done_once(postgres, tmp_path):
    name = f"twice_{uuid.uuid4().hex[:8]}"
    once = new_database(postgres, name)
    build(once)
    twice = new_database(postgres, name + "_b", template=name)
    before = audit_events(once)

    single = subprocess.run(  # noqa: S603
        [str(BIN / "accreditation"), "tick", "--today", TODAY.isoformat()], cwd=ROOT,
        env=app_environment(once), capture_output=True, text=True, timeout=300)
    assert single.returncode == 0, single.stdout + single.stderr
    expected = state(once)
    assert audit_events(once) - before > 0

    outputs = started_together(["tick", "--today", TODAY.isoformat()], app_environment(twice))
    assert already_running(outputs) == 1, outputs
    after = state(twice)
    assert after["cases"] == expected["cases"]
    assert after["outbox"] == expected["outbox"]
    assert all(count == 1 for count in after["outbox"].values())  # each e-mail queued once
    assert after["audit"] == expected["audit"]

    # Sending: every queued e-mail goes out once (printed, as no SMTP host is set).
    queued = outbox_unsent(twice)
    assert queued > 0
    sending = app_environment(twice)
    outputs = []
    while outbox_unsent(twice):  # at most 100 a run
        outputs += started_together(["notifications", "send"], sending)
    # Every e-mail once, whether the two runs overlapped (one then says the work is already
    # running) or one started after the other had sent everything (the lock itself is proved
    # by tick above and in tests/test_cli.py).
    assert sum(output.count("--- To: ") for output in outputs) == queued

    # Sweeping: the orphaned files go, and the sweep is audited once.
    folder = tmp_path / "evidence-store"
    files = orphans(folder)
    events = audit_events(twice)
    outputs = started_together(["evidence", "sweep"],
                               app_environment(twice, ACCREDITATION_STORAGE_LOCAL_PATH=str(folder)))
    assert already_running(outputs) <= 1, outputs  # a run after the other finds nothing left
    assert not any(path.exists() for path in files)
    assert f"Removed {ORPHANS} orphaned evidence file(s)." in "".join(outputs)
    assert audit_events(twice) == events + 1
