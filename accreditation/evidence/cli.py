"""``accreditation evidence ...``: housekeeping for stored evidence files."""

from __future__ import annotations

from datetime import timedelta

import click

from ..periodic import once_at_a_time


@click.group("evidence", help="Evidence files.")
def evidence_group() -> None:
    pass


@evidence_group.command("sweep")
@click.option("--older-than-minutes", type=int, default=60, show_default=True,
              help="Only remove files written at least this long ago (uploads in progress "
                   "are stored a moment before they are recorded).")
@once_at_a_time("evidence sweep")
def sweep_command(older_than_minutes: int) -> None:
    """Remove stored files that no evidence record names (left by crashed uploads).

    Safe to run from cron on every host, e.g. hourly: one run at a time sweeps."""
    from .operations import sweep_orphans

    removed = sweep_orphans(older_than=timedelta(minutes=older_than_minutes))
    click.echo(f"Removed {removed} orphaned evidence file(s).")


@evidence_group.command("rescan")
@click.option("--limit", type=int, default=None, help="Scan at most this many files.")
def rescan_command(limit: int | None) -> None:
    """Scan again the files held back for want of a scan (the scanner was unreachable, or
    they were uploaded before a scanner was configured)."""
    from .operations import rescan_quarantined, scanner

    if not scanner().configured:
        raise click.ClickException("No scanner is configured: set ACCREDITATION_SCANNER_URL.")
    counts = rescan_quarantined(limit)
    click.echo(f"Scanned {sum(counts.values())} file(s): {counts['clean']} clean, "
               f"{counts['infected']} infected, {counts['error']} still waiting (scanner error).")


@evidence_group.command("verify")
def verify_command() -> None:
    """Check that every evidence record's file is stored, with the SHA-256 the record keeps
    (and each photo's preview). Only reads: safe on a live system, and after a restore.
    Exits 1 naming each object missing or different."""
    from .operations import verify_stored

    result = verify_stored()
    for key in result.missing:
        click.echo(f"Missing: {key}")
    for key in result.different:
        click.echo(f"Different from its record: {key}")
    click.echo(f"Checked {result.checked} evidence record(s): {len(result.missing)} missing, "
               f"{len(result.different)} different.")
    if not result.ok:
        raise SystemExit(1)
