"""Text from outside made safe to show: no control character reaches a terminal.

Role files, tags, AWS error messages, lease rows and operator names can carry
ESC, OSC or other control characters; printed raw they move the cursor,
change the terminal title or hide text. Every face (CLI, TUI, title,
notifications) shows outside text through `printable`.
"""

from __future__ import annotations

# C0 controls, DEL, C1 controls, and the Unicode line/paragraph separators.
_CONTROL = {code: f"\\x{code:02x}" for code in [*range(0x20), *range(0x7F, 0xA0)]}
_CONTROL.update({0x2028: "\\u2028", 0x2029: "\\u2029"})
_CONTROL_KEEP_NEWLINES = {code: text for code, text in _CONTROL.items() if code not in (0x0A,)}


def printable(text: str, *, keep_newlines: bool = False) -> str:
    """`text` with every control character shown escaped (`\\x1b`), so it prints as itself."""
    if text.isprintable():  # the usual case, checked in C: no character here is escaped
        return text
    return text.translate(_CONTROL_KEEP_NEWLINES if keep_newlines else _CONTROL)
