"""Spans in words, as every message, `lease list` and the TUI say them."""

from __future__ import annotations

import pytest

from workbench.domain.formatting import in_words


@pytest.mark.parametrize(
    ("seconds", "words"),
    [
        (-5, "a moment"),
        (float("nan"), "a moment"),
        (0.99, "a moment"),
        (59.9, "59 seconds"),
        (89.99, "a minute"),
        (90, "2 minutes"),
        (3599.9, "an hour"),
        (5400.5, "2 hours"),
        (float("inf"), "31,710 years"),
    ],
)
def test_a_span_reads_in_whole_seconds_and_never_fails(seconds: float, words: str) -> None:
    assert in_words(seconds) == words
