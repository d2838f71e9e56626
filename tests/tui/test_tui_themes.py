"""Every shipped theme (ctrl+t): the text the workbench draws reads on its background.

Contrast is WCAG 2's (relative luminance), worked out here from the colours the
widgets draw with, never from colours written into the test.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from rich.color import ColorType
from rich.style import Style
from textual.color import Color

from tests.tui.conftest import SIZE
from tests.tui.tui_helpers import settle
from workbench.tui.lease_table import LeaseTable

AA = 4.5  # WCAG 2 AA for text


def luminance(red: int, green: int, blue: int) -> float:
    def channel(value: int) -> float:
        scaled = value / 255
        return scaled / 12.92 if scaled <= 0.03928 else ((scaled + 0.055) / 1.055) ** 2.4

    return 0.2126 * channel(red) + 0.7152 * channel(green) + 0.0722 * channel(blue)


def contrast(style: Style) -> float | None:
    """The style's foreground against its background; None when the terminal picks them."""
    if style.color is None or style.bgcolor is None:
        return None
    if ColorType.TRUECOLOR not in (style.color.type, style.bgcolor.type) and (
        style.color.type is not ColorType.EIGHT_BIT
    ):
        return None  # ansi-dark, ansi-light: the terminal's own palette
    fg, bg = style.color.get_truecolor(), style.bgcolor.get_truecolor()
    if style.reverse:
        fg, bg = bg, fg
    light, dark = sorted((luminance(*fg), luminance(*bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def shipped_themes(app: Any) -> list[str]:
    return sorted(app.available_themes)


async def test_the_empty_lease_table_message_reads_in_every_shipped_theme(
    tui_service: Any, make_app: Any
) -> None:
    tui_service.creds.issue("aws", "webapp")
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one(LeaseTable)
        table.set_filter("no-such-lease")
        measured = {}
        for theme in shipped_themes(app):
            app.theme = theme
            await pilot.pause()
            [message] = [s for s in table.render_line(1) if "No lease matches" in s.text]
            ratio = contrast(message.style)
            if ratio is not None:
                measured[theme] = round(ratio, 2)
        assert "textual-light" in measured and len(measured) >= len(shipped_themes(app)) - 2
        assert {theme: ratio for theme, ratio in measured.items() if ratio < AA} == {}


def drawn_text(app: Any, selector: str) -> list[tuple[str, Style]]:
    """Each piece of text drawn inside the widget `selector` on screen, with its style."""
    widget = app.screen.query_one(selector)
    region = widget.content_region
    lines = app.screen._compositor.render_strips()
    pieces = []
    for y in range(region.y, region.bottom):
        line = lines[y].crop(region.x, region.right)
        for segment in line:
            if segment.style is not None and re.search(r"\w", segment.text):
                pieces.append((segment.text.strip(), segment.style))
    return pieces


# The text each pane draws in theme colours (summaries, verdicts, the trainee panel).
THEMED = {
    "1": ("#lease-table", "#trainee-recent"),
    "2": ("#role-status",),
    "5": ("#iam-summary",),
    "6": ("#static-summary",),
}


async def test_every_pane_s_own_text_reads_in_every_shipped_theme(
    tui_service: Any, make_app: Any
) -> None:
    app = make_app(tui_service)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("question_mark")  # the trainee panel
        for key in "1256":  # each pane loaded once
            await pilot.press(key)
            await settle(pilot)
        too_faint = []
        for theme in shipped_themes(app):
            app.theme = theme
            await pilot.pause()
            # The theme's own body text is the floor: solarized draws it at about 4.1:1.
            body = Color.parse(app.theme_variables["foreground"])
            for key, selectors in THEMED.items():
                await pilot.press(key)
                await pilot.pause()
                for selector in selectors:
                    for text, style in drawn_text(app, selector):
                        ratio = contrast(style)
                        floor = min(AA, contrast(style + Style(color=body.rich_color)) or AA)
                        if ratio is not None and ratio < floor - 0.01:
                            too_faint.append((theme, selector, text, round(ratio, 2)))
        assert too_faint == []


def test_no_tui_text_is_given_a_fixed_colour() -> None:
    # A named colour or `dim` reads on some themes only; the theme's variables are made
    # for its backgrounds (`$text-error`, `$text-muted`), through theme_colors.
    tui = Path(__file__).resolve().parents[2] / "workbench" / "tui"
    fixed = re.compile(
        r"""style\s*=\s*["'][^"']*\b(red|green|yellow|blue|magenta|cyan|white|black|grey\d*|gray\d*|dim|bright_\w+)\b"""
        r"|[\"'](bold |italic )*(red|green|yellow|magenta|cyan)[\"']"
    )
    offenders = [
        f"{path.name}:{number}: {line.strip()}"
        for path in sorted(tui.glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if fixed.search(line)
    ]
    css_colour = re.compile(r"^\s*(color|background)\s*:\s*(?!\$|transparent|auto)\S")
    offenders += [
        f"app.tcss:{number}: {line.strip()}"
        for number, line in enumerate((tui / "app.tcss").read_text().splitlines(), 1)
        if css_colour.search(line)
    ]
    assert offenders == []
