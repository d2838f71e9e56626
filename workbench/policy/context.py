"""State shared by the checks of one validation run, and the statement model."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field

from workbench.policy.catalogue import Catalogue, get_catalogue
from workbench.policy.findings import Collector, PolicyKind


@dataclass(slots=True)
class Entry:
    """One string of an Action/NotAction/Resource/NotResource element."""

    value: str
    start: int
    path: str
    grants: frozenset[str] | None = None  # lower-case "svc:action" it names; None: everything


@dataclass(slots=True)
class Statement:
    """What the security checks need to know about one statement."""

    path: str
    start: int
    effect: str | None = None
    action_key: str | None = None  # "Action" or "NotAction"
    actions: list[Entry] = field(default_factory=list)
    action_key_start: int = 0
    resource_key: str | None = None  # "Resource" or "NotResource"
    resources: list[Entry] = field(default_factory=list)
    resource_key_start: int = 0
    has_condition: bool = False


class Context:
    """The text, where findings go, the policy kind and the catalogue (loaded on demand)."""

    def __init__(self, text: str, kind: PolicyKind) -> None:
        self.text = text
        self.kind = kind
        self.report = Collector(text)
        self.version: str | None = None
        self.variable_start: int | None = None  # first policy variable seen, for the version check
        self.variable_path = ""
        self._catalogue: Catalogue | None = None

    @property
    def catalogue(self) -> Catalogue:
        if self._catalogue is None:
            self._catalogue = get_catalogue()
        return self._catalogue

    def offset_in_string(self, string_start: int, value: str, index: int) -> int:
        """Offset of `value[index]` in the text when the string has no escapes, else its quote."""
        raw_start = string_start + 1
        if self.text[raw_start : raw_start + len(value)] == value:
            return raw_start + index
        return string_start


def did_you_mean(word: str, choices: Iterable[str], cutoff: float = 0.6) -> str:
    """' Did you mean X?' for the closest choice, or '' when nothing is close."""
    options = list(choices)
    lowered = {choice.lower(): choice for choice in options}
    exact = lowered.get(word.lower())
    if exact is not None and exact != word:
        return f" Did you mean {exact!r}?"
    close = difflib.get_close_matches(word.lower(), list(lowered), n=1, cutoff=cutoff)
    if not close and len(word) <= 6:  # difflib's ratio is harsh on short words: s4 -> s3
        close = [choice for choice in lowered if _one_edit_apart(word.lower(), choice)][:1]
    return f" Did you mean {lowered[close[0]]!r}?" if close else ""


def _one_edit_apart(first: str, second: str) -> bool:
    """True when one substitution, insertion or deletion turns `first` into `second`."""
    if abs(len(first) - len(second)) > 1 or first == second:
        return False
    if len(first) == len(second):
        return sum(a != b for a, b in zip(first, second, strict=True)) == 1
    shorter, longer = sorted((first, second), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))
