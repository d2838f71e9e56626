"""The validator's verdict under the policy editor: a status line and the findings."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

if TYPE_CHECKING:
    from workbench.service import Finding

MIN_LIST_HEIGHT = 3  # one finding and the list's border

SEVERITY_STYLES = {
    "ERROR": "bold red",
    "SECURITY_WARNING": "bold magenta",
    "WARNING": "yellow",
    "SUGGESTION": "cyan",
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
        text = Text(f"{finding.line}:{finding.column}  ")
        text.append(str(finding.severity), style=SEVERITY_STYLES.get(str(finding.severity), ""))
        text.append(f"  {finding.code}  {finding.message}")
        return Option(text)

    def _status(self) -> Text:
        if self.form_error:
            return Text(self.form_error, style="bold red")
        if self.error_count:  # one line at 80 columns: the findings below say the rest
            others = len(self.findings) - self.error_count
            also = f", {others} other(s)" if others else ""
            return Text(f"{self.error_count} ERROR(s){also}: saving is refused.", style="bold red")
        if self.findings:
            return Text(
                f"{len(self.findings)} finding(s), no ERRORs: the role can be saved.",
                style="yellow",
            )
        return Text("No findings: the role can be saved.", style="green")

    @on(OptionList.OptionSelected, "#findings")
    def _chosen(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.post_message(self.Chosen(self.findings[event.option_index]))
