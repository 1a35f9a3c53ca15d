"""``loyalpass members import FILE --program ID [--dry-run]`` (with a progress bar) and
``loyalpass members export DATASET --program ID [--out FILE]``: the import and the exports of
the API from a shell, for files larger than a request may carry."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated
from uuid import UUID

import typer
from sqlmodel import Session

from api.audit.service import OperatorActor
from api.clock import utcnow
from api.db import make_engine, migrate
from api.errors import ApiError
from api.imports import export, jobs, service, tasks
from api.logs import configure_logging
from api.programs.models import Program
from api.settings import Settings

members_app = typer.Typer(help="Import and export a program's members.")

ProgramOption = Annotated[str, typer.Option("--program", help="The program's id.")]


def _program_id(raw: str) -> UUID:
    try:
        return UUID(raw)
    except ValueError:
        typer.echo("error: --program takes a program id", err=True)
        raise typer.Exit(2) from None


@members_app.command("import")
def import_members(
    file: Annotated[Path, typer.Argument(help="CSV or XLSX with a header row.")],
    program: ProgramOption,
    dry_run: Annotated[bool, typer.Option(help="Check every row, write nothing.")] = False,
    mapping: Annotated[
        str | None, typer.Option(help='JSON: field -> column, e.g. {"phone": "Тел."}')
    ] = None,
) -> None:
    """Import members (dedupe on phone, email, external id; opening balances as ledger
    entries). Bad rows are listed by line and column; a file imported before is a no-op."""
    program_id = _program_id(program)
    try:
        data = file.read_bytes()
        columns = json.loads(mapping) if mapping else None
    except (OSError, ValueError) as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from None
    settings = Settings()
    configure_logging(settings.log_level)
    engine = make_engine(settings.database_url)
    migrate(engine, settings.migrations_dir)
    try:
        with Session(engine, expire_on_commit=False) as session, session.begin():
            found = session.get(Program, program_id)
            merchant_id = found.merchant_id if found else program_id  # unknown: not found below
            plan = service.check(session, merchant_id, program_id, data, file.name, columns)
            for problem in plan.problems:
                typer.echo(f"line {problem.line}: {problem.column or '-'}: {problem.reason}")
            summary = {"rows": plan.rows, "valid": len(plan.members), "existing": plan.existing}
            if dry_run:
                typer.echo(json.dumps({**summary, "errors": len(plan.problems)}))
                return
            # A failed import of the same file is resumed (api/imports/jobs.py).
            job, run = jobs.begin(
                session, OperatorActor(merchant_id), plan, data, actor="cli import", now=utcnow()
            )
        if run is None:
            if plan.previous is not None:
                typer.echo(f"this file was imported before (import {job.id}): nothing to do")
                return
        else:
            with typer.progressbar(length=len(run.members), label="importing members") as bar:
                tasks.run(engine, job.id, run.members, progress=bar.update, runner=run.runner)
    except ApiError as exc:
        typer.echo(f"error: {exc.detail or exc.title}", err=True)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    typer.echo(json.dumps({"import_id": str(job.id), **summary, "errors": len(plan.problems)}))


@members_app.command("export")
def export_csv(
    dataset: Annotated[export.Dataset, typer.Argument(help="What to export.")],
    program: ProgramOption,
    out: Annotated[Path | None, typer.Option(help="The CSV file (default: stdout).")] = None,
) -> None:
    """Write the program's members, ledger, coupons or promo codes as CSV, streamed."""
    program_id = _program_id(program)
    settings = Settings()
    configure_logging(settings.log_level)
    engine = make_engine(settings.database_url)
    try:
        with Session(engine) as session:
            found = session.get(Program, program_id)
        if found is None:
            typer.echo("error: no such program", err=True)
            raise typer.Exit(1)
        target = out.open("w", encoding="utf-8", newline="") if out else sys.stdout
        try:
            for chunk in export.rows(engine, found.merchant_id, program_id, dataset):
                target.write(chunk)
        finally:
            if out:
                target.close()
    finally:
        engine.dispose()
