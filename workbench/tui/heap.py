"""Keeping the cyclic GC's full collections short, so they do not stall the UI thread."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


def settle_heap() -> None:
    """Take every object alive now out of the cyclic GC's reach (`gc.freeze`).

    A full collection walks every tracked object: the app's modules and widgets
    and a 10,000-lease snapshot cost 30-130 ms, a visible hitch in a one-second
    countdown or the first paint, whichever thread runs it. Called when long-lived
    objects settle (the screen composed, the panes mounted, a lease snapshot
    shown), later full collections walk only what came after. Leases hold no
    reference cycles, so reference counting still frees a snapshot when the next
    replaces it; the young generations are collected first, so little cyclic
    garbage is frozen with them.
    """
    gc.collect(1)
    gc.freeze()


@contextmanager
def collections_paused() -> Iterator[None]:
    """No cyclic collection while this thread builds many objects at once (a lease list).

    Each young collection during the build walks the half-built list again, whichever
    thread it runs on: 10-20 ms of the UI thread for a reload of 10,000 leases. Python's
    collector is process-wide; this leaves it on once every caller is done (a caller
    that found it off leaves it to the one that turned it off).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()
