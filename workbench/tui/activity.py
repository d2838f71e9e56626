"""A small activity graph: credentials issued and revoked per minute, last 30 minutes."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Mapping

from rich.text import Text
from textual.widget import Widget

from workbench.domain.models import Lease, LeaseState
from workbench.tui.theme_colors import theme_style

MINUTES = 30
BARS = " ▁▂▃▄▅▆▇█"
ENDED = frozenset({LeaseState.REVOKED, LeaseState.EXPIRED})


class ActivityGraph(Widget):
    """Two sparklines fed from lease snapshots: ids that appear, ids that end."""

    COMPONENT_CLASSES = {"activity--issued", "activity--revoked"}
    DEFAULT_CSS = """
    ActivityGraph { height: 2; }
    ActivityGraph > .activity--issued { color: $success; }
    ActivityGraph > .activity--revoked { color: $error; }
    """

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._issued: Counter[int] = Counter()
        self._revoked: Counter[int] = Counter()
        self._known: frozenset[str] | None = None

    def _now(self) -> float:
        return float(getattr(self.app, "clock", time.time)())

    def seed(self, issued: Counter[int], revoked: Counter[int]) -> None:
        """Add what happened before the app started (see `count_history`)."""
        self._issued.update(issued)
        self._revoked.update(revoked)
        self.refresh()

    def observe(self, leases: Mapping[str, Lease], ids: frozenset[str] | None = None) -> None:
        """Compare a new snapshot of live leases (by id; `ids`: their ids, if made already)
        with the last: new ones were issued, missing ones ended (revoked, expired). Redrawn
        only if a count changed."""
        ids = frozenset(leases) if ids is None else ids
        now_minute = int(self._now() // 60)
        changed = self._known is None
        if self._known is not None:
            issued = ids - self._known
            for lease_id in issued:
                self._issued[int(leases[lease_id].issue_time // 60)] += 1
            ended = len(self._known - ids)
            if ended:
                self._revoked[now_minute] += ended
            changed = bool(issued or ended)
        self._known = ids
        if changed:
            self.refresh()

    def _line(self, label: str, counts: Counter[int], now_minute: int, component: str) -> Text:
        values = [counts.get(now_minute - back, 0) for back in range(MINUTES - 1, -1, -1)]
        peak = max(values) or 1
        bars = "".join(
            BARS[0] if value == 0 else BARS[max(1, round(value / peak * (len(BARS) - 1)))]
            for value in values
        )
        text = Text()
        text.append(f"{label:<8}", style="bold")
        text.append(bars, style=self.get_component_rich_style(component))
        text.append(
            f"  {sum(values)} in {MINUTES} min, {values[-1]} this minute",
            style=theme_style(self, "$text-muted"),
        )
        return text

    def render(self) -> Text:
        now_minute = int(self._now() // 60)
        text = self._line("issued", self._issued, now_minute, "activity--issued")
        text.append("\n")
        text.append_text(self._line("revoked", self._revoked, now_minute, "activity--revoked"))
        return text


def count_history(history: Iterable[Lease], now: float) -> tuple[Counter[int], Counter[int]]:
    """Leases issued and ended per minute over the last MINUTES (run it in a worker)."""
    since = now - MINUTES * 60
    issued: Counter[int] = Counter()
    revoked: Counter[int] = Counter()
    for lease in history:
        if lease.issue_time >= since:
            issued[int(lease.issue_time // 60)] += 1
        if lease.state in ENDED and lease.updated_time >= since:
            revoked[int(lease.updated_time // 60)] += 1
    return issued, revoked
