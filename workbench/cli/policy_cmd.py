"""`workbench policy check FILE`: validate an IAM policy offline, as Access Analyzer would."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from workbench.cli.common import format_option


@click.group()
def policy() -> None:
    """Check IAM policy documents before AWS sees them."""


@policy.command()
@click.argument("file", type=click.Path(path_type=Path))
@format_option(
    "text",
    "json",
    help="text: one finding per line (FILE:LINE:COL); json: findings and the catalogue's date.",
)
@click.option(
    "--kind",
    type=click.Choice(["inline_user", "managed", "session"]),
    default="inline_user",
    show_default=True,
    help="Where the policy goes; it sets the size limit (2,048 / 6,144 / 2,048).",
)
def check(file: Path, fmt: str, kind: str) -> None:
    """Validate the policy in FILE; exit 1 when it has an ERROR finding.

    Checks JSON syntax, policy grammar, actions and condition keys (against
    AWS's service authorization data), ARNs, value types, size, and flags
    privilege escalation and over-broad grants. Runs offline.
    """
    from workbench.service import (
        DOCUMENT_FILE_LIMIT,
        PolicyKind,
        Severity,
        catalogue_info,
        format_findings,
        has_errors,
        read_text_file,
        validate_policy,
    )

    text = read_text_file(file, what="policy file", limit=DOCUMENT_FILE_LIMIT)
    findings = validate_policy(text, PolicyKind(kind))
    counts = dict.fromkeys(Severity, 0)
    for finding in findings:
        counts[finding.severity] += 1
    if fmt == "json":
        document = {
            "file": str(file),
            "kind": kind,
            "catalogue": catalogue_info(),
            "findings": [
                {
                    "severity": str(finding.severity),
                    "code": finding.code,
                    "message": finding.message,
                    "line": finding.line,
                    "column": finding.column,
                    "path": finding.path,
                }
                for finding in findings
            ],
            "errors": counts[Severity.ERROR],
            "security_warnings": counts[Severity.SECURITY_WARNING],
            "warnings": counts[Severity.WARNING],
            "suggestions": counts[Severity.SUGGESTION],
        }
        click.echo(json.dumps(document, indent=2))
    elif findings:
        click.echo(format_findings(findings, str(file)))
        summary = ", ".join(f"{count} {severity}" for severity, count in counts.items() if count)
        click.echo(f"{file}: {summary}", err=True)
    else:
        click.echo(f"{file}: no findings", err=True)
    if has_errors(findings):
        sys.exit(1)
