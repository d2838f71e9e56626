"""What a check reports: severities, kinds, findings, and where they point."""

from __future__ import annotations

import bisect
import enum
from collections.abc import Iterable
from dataclasses import dataclass


class PolicyKind(enum.StrEnum):
    """Where the policy will be used; it sets the size limit."""

    INLINE_USER = "inline_user"
    MANAGED = "managed"
    SESSION = "session"


class Severity(enum.StrEnum):
    """Access Analyzer's four finding types, most serious first."""

    ERROR = "ERROR"
    SECURITY_WARNING = "SECURITY_WARNING"
    WARNING = "WARNING"
    SUGGESTION = "SUGGESTION"


@dataclass(frozen=True)
class Finding:
    """One problem in a policy, with a 1-based line and column and a JSON path."""

    severity: Severity
    code: str
    message: str
    line: int
    column: int
    path: str


def has_errors(findings: Iterable[Finding]) -> bool:
    """True when any finding would make AWS reject (or silently ignore part of) the policy."""
    return any(finding.severity is Severity.ERROR for finding in findings)


def format_findings(findings: Iterable[Finding], source: str) -> str:
    """Render findings as compiler-style lines: `FILE:LINE:COL: SEVERITY CODE message`."""
    return "\n".join(
        f"{source}:{f.line}:{f.column}: {f.severity} {f.code} {f.message}" for f in findings
    )


def show(text: str, limit: int = 60) -> str:
    """Quote text from the policy for a message: shortened, non-printables escaped."""
    shown = "".join(
        ch if ch.isprintable() and not 0xD800 <= ord(ch) <= 0xDFFF else f"\\u{ord(ch):04x}"
        for ch in text[: limit + 1]
    )
    if len(text) > limit:
        shown = shown[:limit] + "..."
    return f"'{shown}'"


class Collector:
    """Accumulates findings, turning character offsets into line and column."""

    def __init__(self, text: str) -> None:
        self._line_starts = [0]
        start = text.find("\n")
        while start != -1:
            self._line_starts.append(start + 1)
            start = text.find("\n", start + 1)
        self.findings: list[Finding] = []

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of a character offset."""
        line = bisect.bisect_right(self._line_starts, offset) - 1
        return line + 1, offset - self._line_starts[line] + 1

    def add(self, severity: Severity, code: str, message: str, offset: int, path: str) -> None:
        line, column = self.position(max(offset, 0))
        self.findings.append(Finding(severity, code, message, line, column, path))

    def error(self, code: str, message: str, offset: int, path: str) -> None:
        self.add(Severity.ERROR, code, message, offset, path)

    def security(self, code: str, message: str, offset: int, path: str) -> None:
        self.add(Severity.SECURITY_WARNING, code, message, offset, path)

    def warning(self, code: str, message: str, offset: int, path: str) -> None:
        self.add(Severity.WARNING, code, message, offset, path)

    def suggestion(self, code: str, message: str, offset: int, path: str) -> None:
        self.add(Severity.SUGGESTION, code, message, offset, path)

    def sorted(self) -> list[Finding]:
        return sorted(self.findings, key=lambda f: (f.line, f.column))
