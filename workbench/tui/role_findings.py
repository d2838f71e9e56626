"""The validator's verdict under the policy editor: a status line and the findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from workbench.tui.theme_colors import themed

if TYPE_CHECKING:
    from workbench.service import Finding

MIN_LIST_HEIGHT = 3  # one finding and the list's border

SEVERITY_STYLES = {
    "ERROR": "bold $text-error",
    "SECURITY_WARNING": "bold $text-warning",
    "WARNING": "$text-warning",
    "SUGGESTION": "$text-primary",
}


class RoleFindings(Vertical):
    """Findings (each selectable) and whether the role may be saved."""

    class Chosen(Message):
        """A finding was selected: the editor moves its cursor there."""

        def __init__(self, finding: Finding) -> None:
            super().__init__()
            self.finding = finding

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.findings: list[Finding] = []
        self.form_error = ""

    def compose(self) -> ComposeResult:
        yield Static("", id="role-status")
        findings = OptionList(id="findings", markup=False)
        findings.display = False  # until there are findings to list
        yield findings

    def show(self, findings: list[Finding], form_error: str) -> None:
        """Show a verdict: the role's own error (a bad field), or the policy's findings."""
        self.findings = findings
        self.form_error = form_error
        listed = self.query_one("#findings", OptionList)
        listed.set_options(self._option(finding) for finding in findings)
        listed.display = bool(findings)  # none: the status line says so
        self.query_one("#role-status", Static).update(self._status())

    def fit(self, pane_height: int) -> None:
        """The list grows with the findings up to about a third of the pane; the editor
        keeps the rest."""
        most = max(MIN_LIST_HEIGHT, pane_height // 3)
        self.query_one("#findings", OptionList).styles.max_height = most

    def take_focus(self) -> bool:
        """Focus the list on its first finding; False when there is none."""
        listed = self.query_one("#findings", OptionList)
        if not listed.option_count:
            return False
        if listed.highlighted is None:
            listed.highlighted = 0
        listed.focus()
        return True

    @property
    def error_count(self) -> int:
        return sum(1 for finding in self.findings if str(finding.severity) == "ERROR")

    @property
    def can_save(self) -> bool:
        return not self.form_error and self.error_count == 0

    @staticmethod
    def _option(finding: Finding) -> Option:
        severity = str(finding.severity)
        return Option(
            Content.assemble(
                themed(f"{finding.line}:{finding.column}  "),
                themed(severity, SEVERITY_STYLES.get(severity, "")),
                themed(f"  {finding.code}  {finding.message}"),
            )
        )

    def _status(self) -> Content:
        if self.form_error:
            return themed(self.form_error, "bold $text-error")
        if self.error_count:  # one line at 80 columns: the findings below say the rest
            others = len(self.findings) - self.error_count
            also = f", {others} other(s)" if others else ""
            return themed(
                f"{self.error_count} ERROR(s){also}: saving is refused.", "bold $text-error"
            )
        if self.findings:
            return themed(
                f"{len(self.findings)} finding(s), no ERRORs: the role can be saved.",
                "$text-warning",
            )
        return themed("No findings: the role can be saved.", "$text-success")

    @on(OptionList.OptionSelected, "#findings")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(self.findings[event.option_index]))
