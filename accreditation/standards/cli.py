"""``accreditation checklists ...``: validate, publish, retire, preview impact."""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from ..checklists import DEFINITIONS_DIR, KINDS, load_definition
from ..errors import DomainError


@click.group("checklists", help="Checklist definitions, publication and impact previews.")
def checklists_group() -> None:
    pass


@checklists_group.command("validate")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
@click.option("--draft", "draft_id", type=int,
              help="Check a draft written on the Checklists page (its number) instead of files.")
def validate_command(path: Path | None, draft_id: int | None):
    """Check definitions against the schema and the published versions (exit 1 on problems)."""
    if draft_id is not None:
        from ..extensions import db
        from .drafts import draft_problems, notice_problems
        from .models import ChecklistDraft

        draft = db.session.get(ChecklistDraft, draft_id)
        if draft is None:
            raise click.ClickException(f"There is no checklist draft {draft_id}.")
        problems = [str(problem) for problem in draft_problems(draft)]
        problems += notice_problems(draft) if not problems else []
    else:
        from .operations import check_definitions

        problems = [str(problem) for problem in check_definitions(path or DEFINITIONS_DIR)]
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        click.echo(f"{len(problems)} problem(s) found.", err=True)
        sys.exit(1)
    click.echo("The draft is valid." if draft_id is not None
               else "All checklist definitions are valid.")


@checklists_group.command("publish")
@click.argument("path", required=False, type=click.Path(exists=True, path_type=Path))
def publish_command(path: Path | None):
    """Publish every valid version not yet published (all or nothing)."""
    from .operations import publish_definitions

    try:
        published = publish_definitions(None, path or DEFINITIONS_DIR)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    for record in published:
        click.echo(f"Published {record.kind} v{record.version} ({record.fingerprint[:12]}).")
    if not published:
        click.echo("Nothing new to publish.")


@checklists_group.command("retire")
@click.option("--kind", required=True, type=click.Choice(KINDS))
@click.option("--version", "number", required=True, type=int)
def retire_command(kind: str, number: int):
    """Retire a published version."""
    from .operations import retire_checklist

    try:
        retire_checklist(None, kind, number)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Retired {kind} v{number}.")


@checklists_group.command("export")
@click.option("--kind", required=True, type=click.Choice(KINDS))
@click.option("--version", "number", required=True, type=int)
@click.option("--format", "output", type=click.Choice(["xlsx", "yaml"]), default="xlsx",
              show_default=True)
@click.option("-o", "--output", "target", required=True,
              type=click.Path(dir_okay=False, writable=True, path_type=Path),
              help="The file to write.")
def export_command(kind: str, number: int, output: str, target: Path):
    """Write a published version as a spreadsheet or as YAML."""
    from ..checklists.workbook import to_xlsx, to_yaml
    from .operations import published_version

    try:
        record = published_version(kind, number)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    if output == "xlsx":
        target.write_bytes(to_xlsx(record.definition))
    else:
        target.write_text(to_yaml(record.definition), encoding="utf-8")
    click.echo(f"Wrote {kind} v{number} to {target}.")


@checklists_group.command("check-import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def check_import_command(path: Path):
    """Check a spreadsheet (.xlsx) or YAML file to import: every problem, exit 1 if any."""
    from ..checklists.workbook import WorkbookProblems, import_definition

    try:
        definition = import_definition(path)
    except WorkbookProblems as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(error.problems)} problem(s) found.", err=True)
        sys.exit(1)
    click.echo(f"{path} is a valid {definition['kind']} checklist, version "
               f"{definition['version']}, with {len(definition['items'])} items.")


@checklists_group.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--by", "email", required=True,
              help="The e-mail address of the commissioner the draft is written by.")
def import_command(path: Path, email: str):
    """Import a spreadsheet (.xlsx) or YAML file as a new draft; prints its number."""
    import sqlalchemy as sa

    from ..auth.models import User
    from ..checklists.workbook import WorkbookProblems, read_file
    from ..extensions import db
    from .drafts import import_draft

    author = db.session.scalar(sa.select(User).where(User.email == email.strip().lower()))
    if author is None:
        raise click.ClickException(f"No user has the email address {email}.")
    try:
        draft = import_draft(author, read_file(path), path.name)
    except WorkbookProblems as error:
        for problem in error.problems:
            click.echo(str(problem), err=True)
        click.echo(f"{len(error.problems)} problem(s) found: nothing was imported.", err=True)
        sys.exit(1)
    except DomainError as error:
        raise click.ClickException(error.message) from None
    click.echo(f"Imported {path} as draft {draft.id}: {draft.kind} version {draft.version}. "
               "Open it from Checklists to check and submit it.")


@checklists_group.command("impact")
@click.option("--kind", required=True, type=click.Choice(KINDS))
@click.option("--as-of", "as_of", required=True, type=click.DateTime(formats=["%Y-%m-%d"]),
              help="Preview the threshold step in force on this date (YYYY-MM-DD).")
@click.option("--file", "definition", type=click.Path(exists=True, path_type=Path),
              help="A draft version's file to preview instead of the published version.")
@click.option("--format", "output", type=click.Choice(["text", "json"]), default="text")
def impact_command(kind: str, as_of, definition: Path | None, output: str):
    """Who meeting the standard today would fall below the step in force on a date."""
    from .impact import preview_impact

    checklist = None
    if definition is not None:
        checklist = load_definition(definition)
        if checklist.kind != kind:
            raise click.ClickException(f"{definition} is a {checklist.kind} checklist, "
                                       f"not {kind}.")
    try:
        report = preview_impact(kind, as_of=as_of.date(), checklist=checklist)
    except (DomainError, LookupError) as error:
        raise click.ClickException(getattr(error, "message", str(error).strip("'\""))) from None
    if output == "json":
        click.echo(json.dumps(report.to_dict(), indent=2))
        return
    _print_report(report, as_of.date())


def _print_report(report, as_of: date) -> None:
    step = report.step
    click.echo(f"{report.title} v{report.version}, step from {step.effective_from:%-d %B %Y} "
               f"(pass mark {step.pass_mark}%), as of {as_of:%-d %B %Y}")
    click.echo(f"{report.failing} of {report.assessed} accredited would fail "
               f"({len(report.organisations_affected)} providers).")
    for heading, counts in (("By local authority", report.by_local_authority),
                            ("By accommodation category", report.by_category)):
        if counts:
            click.echo(f"\n{heading}:")
            for name, count in sorted(counts.items(), key=lambda pair: (-pair[1], pair[0])):
                click.echo(f"  {count:>6}  {name}")
    if report.by_item:
        click.echo("\nItems causing the most failures:")
        for _, title, count in report.top_items():
            click.echo(f"  {count:>6}  {title}")
